import t from 'tap'
import type { LoginEntry } from '../../src/store/logins'
import { copyOnDisk, eachDriver, freshStore, sqliteError } from '../fixtures/store'

const entries: readonly LoginEntry[] = [
  { time: 1_700_000_300, method: 'voucher', identity: 'alice', mac: 'AA:BB:CC:00:00:01', address: '10.1.0.20', result: 'success' },
  { time: 1_700_000_100, method: 'voucher', identity: 'bob', mac: 'AA:BB:CC:00:00:02', address: '10.1.0.21', result: 'wrong_passcode' },
  { time: 1_700_000_200, method: 'email', identity: 'ann@example.com', mac: null, address: null, result: 'success' },
  { time: 1_700_000_200, method: 'free', identity: 'AA:BB:CC:00:00:03', mac: 'AA:BB:CC:00:00:03', address: '10.1.0.22', result: 'expired' },
]

eachDriver(t, (t, driver) => {
  t.test('record returns the stored row with its id', (t) => {
    const { logins } = freshStore(t, driver)
    entries.forEach((entry, i) => {
      const row = logins.record(entry)
      t.same(row, { id: i + 1, ...entry }, `${entry.method} ${entry.identity} (${entry.result}): id ${i + 1} and every field`)
      t.same(Object.keys(row), ['id', 'time', 'method', 'identity', 'mac', 'address', 'result'],
        `${entry.identity}: columns in order`)
    })
    t.end()
  })

  t.test('record writes the entry to disk before it returns', (t) => {
    const dir = t.testdir()
    const store = freshStore(t, driver, dir)
    const row = store.logins.record(entries[0] as LoginEntry)
    t.same([...copyOnDisk(t, driver, dir).logins.list()], [row], 'a copy of the files on disk has the committed entry')
    t.end()
  })

  t.test('record refuses an entry without a required field and stores nothing', (t) => {
    const { logins } = freshStore(t, driver)
    const bad = { ...entries[0], result: null } as unknown as LoginEntry
    t.throws(() => logins.record(bad), sqliteError(driver, 'SQLITE_CONSTRAINT_NOTNULL', /NOT NULL constraint failed: logins\.result/), 'result is required')
    t.same([...logins.list()], [], 'nothing was stored')
    t.end()
  })

  t.test('list yields every entry in the order recorded, not by time', (t) => {
    const { logins } = freshStore(t, driver)
    t.same([...logins.list()], [], 'empty log: empty list')
    const rows = entries.map((e) => logins.record(e))
    t.same([...logins.list()], rows, 'all four, in id order')
    t.end()
  })

  t.test('list reads a long log page by page', (t) => {
    const { db, logins } = freshStore(t, driver)
    const n = 1234
    db.transaction(() => {
      for (let i = 0; i < n; i++) logins.record({ ...(entries[i % entries.length] as LoginEntry), time: i })
    })
    const ids: number[] = []
    for (const row of logins.list()) {
      ids.push(row.id)
      // Recording while listing works only because no statement stays open between pages.
      if (row.id === 1) logins.record({ ...(entries[0] as LoginEntry), time: n })
    }
    t.same(ids, Array.from({ length: n + 1 }, (_, i) => i + 1), `all ${n + 1} entries once, in order`)
    t.end()
  })
})
