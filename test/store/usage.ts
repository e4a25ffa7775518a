import t from 'tap'
import { createUsage, type LiveCount, type UsageStore } from '../../src/store/usage'
import type { NewVoucher } from '../../src/store/vouchers'
import { errorOf } from '../fixtures/error-of'
import { countingDb, eachDriver, freshStore, sqliteError } from '../fixtures/store'

const voucher = (username: string, over: Partial<NewVoucher> = {}): NewVoucher => ({
  username,
  passcode: `pass-${username}`,
  fullname: `Guest ${username}`,
  valid_for: '1 day',
  valid_from: 1_750_000_000,
  created_at: 1_750_000_000,
  download_limit: 0,
  upload_limit: 0,
  ...over,
})

const live = (token: string, voucherId: number, downloadKiB: number, uploadKiB: number, mac = 'AA:BB:CC:00:00:01'): LiveCount =>
  ({ token, voucherId, mac, downloadKiB, uploadKiB })

eachDriver(t, (t, driver) => {
  t.test('a voucher never counted has used nothing and has no device', (t) => {
    const { vouchers, usage } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    t.same(usage.of(alice.id), { downloadBytes: 0, uploadBytes: 0 }, 'an existing voucher: zero')
    t.same(usage.of(999), { downloadBytes: 0, uploadBytes: 0 }, 'a voucher that does not exist: zero')
    t.same(usage.devices(alice.id), [], 'no device')
    t.same(usage.live(), [], 'no live session counted')
    t.end()
  })

  t.test('bind records devices in first_seen order; the first becomes vouchers.mac', (t) => {
    const { vouchers, usage } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    usage.bind(alice.id, 'aa-bb-cc-00-00-02', 200)
    t.equal(vouchers.byId(alice.id)?.mac, 'AA:BB:CC:00:00:02', 'the first device is the voucher\'s MAC, upper case with colons')
    usage.bind(alice.id, 'AA:BB:CC:00:00:01', 300)
    usage.bind(alice.id, 'aa:bb:cc:00:00:02', 400)
    usage.bind(alice.id, 'AA:BB:CC:00:00:03', 300)
    t.same(usage.devices(alice.id), ['AA:BB:CC:00:00:02', 'AA:BB:CC:00:00:01', 'AA:BB:CC:00:00:03'],
      'each device once, by first_seen, ties in the order bound; binding again keeps its place')
    t.equal(vouchers.byId(alice.id)?.mac, 'AA:BB:CC:00:00:02', 'later devices leave vouchers.mac alone')
    t.end()
  })

  t.test('bind keeps a MAC the voucher already had, and ignores a voucher that does not exist', (t) => {
    const { db, vouchers, usage } = freshStore(t, driver)
    const bob = vouchers.insert(voucher('bob'))
    db.exec(`UPDATE vouchers SET mac = 'AA:BB:CC:00:00:09' WHERE id = ${bob.id}`)
    usage.bind(bob.id, 'AA:BB:CC:00:00:01', 100)
    t.equal(vouchers.byId(bob.id)?.mac, 'AA:BB:CC:00:00:09', 'vouchers.mac unchanged')
    t.same(usage.devices(bob.id), ['AA:BB:CC:00:00:01'], 'the new device is bound')
    usage.bind(77, 'AA:BB:CC:00:00:01', 100)
    t.same(usage.devices(77), [], 'nothing bound to a voucher that does not exist')
    t.end()
  })

  t.test('vouchersOf lists the vouchers a device is bound to, most recently bound first', (t) => {
    const { vouchers, usage } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    const bob = vouchers.insert(voucher('bob'))
    const carol = vouchers.insert(voucher('carol'))
    t.same(usage.vouchersOf('AA:BB:CC:00:00:01'), [], 'a device never bound: none')
    usage.bind(alice.id, 'AA:BB:CC:00:00:01', 100)
    usage.bind(carol.id, 'AA:BB:CC:00:00:01', 300)
    usage.bind(bob.id, 'AA:BB:CC:00:00:01', 200)
    usage.bind(bob.id, 'AA:BB:CC:00:00:02', 400)
    t.same(usage.vouchersOf('AA:BB:CC:00:00:01'), [carol.id, bob.id, alice.id], 'newest binding first')
    t.same(usage.vouchersOf('aa-bb-cc-00-00-01'), [carol.id, bob.id, alice.id], 'the MAC in any case and separator')
    usage.bind(alice.id, 'AA:BB:CC:00:00:01', 900)
    t.same(usage.vouchersOf('AA:BB:CC:00:00:01'), [carol.id, bob.id, alice.id], 'binding again keeps the first first_seen')
    usage.bind(alice.id, 'AA:BB:CC:00:00:02', 400)
    t.same(usage.vouchersOf('AA:BB:CC:00:00:02'), [alice.id, bob.id], 'same first_seen: the later binding first')
    vouchers.remove('carol')
    t.same(usage.vouchersOf('AA:BB:CC:00:00:01'), [bob.id, alice.id], 'a removed voucher is forgotten')
    t.end()
  })

  t.test('flush adds the growth since the last count, in bytes, and remembers the counts', (t) => {
    const { vouchers, usage } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    const bob = vouchers.insert(voucher('bob'))
    // [case, counts, ended, alice's totals after, bob's totals after, live rows after]
    const steps: ReadonlyArray<[string, LiveCount[], string[], [number, number], [number, number], LiveCount[]]> = [
      ['new tokens count from 0; two sessions of one voucher add up',
        [live('a1', alice.id, 10, 2), live('a2', alice.id, 5, 1, 'AA:BB:CC:00:00:02'), live('b1', bob.id, 3, 0)], [],
        [15, 3], [3, 0],
        [live('a1', alice.id, 10, 2), live('a2', alice.id, 5, 1, 'AA:BB:CC:00:00:02'), live('b1', bob.id, 3, 0)]],
      ['a known token adds only its growth',
        [live('a1', alice.id, 12, 2)], [],
        [17, 3], [3, 0],
        [live('a1', alice.id, 12, 2), live('a2', alice.id, 5, 1, 'AA:BB:CC:00:00:02'), live('b1', bob.id, 3, 0)]],
      ['a counter below its count adds 0 and resets the count',
        [live('a1', alice.id, 4, 9)], [],
        [17, 10], [3, 0],
        [live('a1', alice.id, 4, 9), live('a2', alice.id, 5, 1, 'AA:BB:CC:00:00:02'), live('b1', bob.id, 3, 0)]],
      ['the next growth counts from the reset count',
        [live('a1', alice.id, 6, 9)], [],
        [19, 10], [3, 0],
        [live('a1', alice.id, 6, 9), live('a2', alice.id, 5, 1, 'AA:BB:CC:00:00:02'), live('b1', bob.id, 3, 0)]],
      ['an ended session with its last counts: counted, then dropped; an ended token alone: dropped',
        [live('a2', alice.id, 8, 1, 'AA:BB:CC:00:00:02')], ['a2', 'b1', 'never-known'],
        [22, 10], [3, 0],
        [live('a1', alice.id, 6, 9)]],
      ['a token counted for another voucher counts from 0 for the new one',
        [live('a1', bob.id, 7, 9)], [],
        [22, 10], [10, 9],
        [live('a1', bob.id, 7, 9)]],
      ['no growth: totals unchanged',
        [live('a1', bob.id, 7, 9)], [],
        [22, 10], [10, 9],
        [live('a1', bob.id, 7, 9)]],
    ]
    for (const [name, counts, ended, a, b, rows] of steps) {
      usage.flush(counts, ended)
      t.same(usage.of(alice.id), { downloadBytes: a[0] * 1024, uploadBytes: a[1] * 1024 }, `${name}: alice`)
      t.same(usage.of(bob.id), { downloadBytes: b[0] * 1024, uploadBytes: b[1] * 1024 }, `${name}: bob`)
      t.same(usage.live(), rows, `${name}: the live counts`)
    }
    t.end()
  })

  t.test('flush skips sessions of a voucher that does not exist', (t) => {
    const { vouchers, usage } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    usage.flush([live('gone1', 42, 100, 100), live('a1', alice.id, 1, 1)], [])
    t.same(usage.live(), [live('a1', alice.id, 1, 1)], 'no live row for the missing voucher')
    t.same(usage.of(42), { downloadBytes: 0, uploadBytes: 0 }, 'no totals for it either')
    t.same(usage.of(alice.id), { downloadBytes: 1024, uploadBytes: 1024 }, 'the other voucher is counted')
    t.end()
  })

  t.test('every flush is exactly one transaction, however many sessions', (t) => {
    const store = freshStore(t, driver)
    const { db, stats } = countingDb(store.db)
    const usage: UsageStore = createUsage(db)
    const ids = Array.from({ length: 50 }, (_, i) => store.vouchers.insert(voucher(`v${i}`)).id)
    const counts = (kib: number): LiveCount[] => ids.flatMap((id) => [live(`t${id}a`, id, kib, kib), live(`t${id}b`, id, kib, 1)])
    usage.flush(counts(10), [])
    usage.flush(counts(20), ['t1a', 't2a'])
    usage.flush([], [])
    t.equal(stats.transactions, 3, 'three flushes: three transactions')
    t.ok(stats.writes > 200, `${stats.writes} writes in them`)
    t.equal(stats.writesOutside, 0, 'no write outside a transaction')
    t.same(usage.of(ids[0] as number), { downloadBytes: 40 * 1024, uploadBytes: 21 * 1024 }, 'counted once per session')
    t.end()
  })

  t.test('a flush that fails leaves nothing behind', (t) => {
    const { vouchers, usage } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    usage.flush([live('a1', alice.id, 5, 5)], [])
    const err = errorOf(() => usage.flush([live('a1', alice.id, 50, 50), live('a2', alice.id, 1, 1, null as unknown as string)], ['a1']))
    t.match(err, sqliteError(driver, 'SQLITE_CONSTRAINT_NOTNULL', /NOT NULL constraint failed: live_sessions\.mac/), 'the SQLite error comes out')
    t.same(usage.of(alice.id), { downloadBytes: 5 * 1024, uploadBytes: 5 * 1024 }, 'the totals are as before')
    t.same(usage.live(), [live('a1', alice.id, 5, 5)], 'the live counts are as before')
    t.end()
  })

  t.test('totals, devices and live counts survive a restart', (t) => {
    const dir = t.testdir()
    const first = freshStore(t, driver, dir)
    const alice = first.vouchers.insert(voucher('alice'))
    first.usage.bind(alice.id, 'AA:BB:CC:00:00:01', 100)
    first.usage.flush([live('a1', alice.id, 3, 4)], [])
    first.close()
    const again = freshStore(t, driver, dir)
    t.same(again.usage.of(alice.id), { downloadBytes: 3 * 1024, uploadBytes: 4 * 1024 }, 'totals')
    t.same(again.usage.devices(alice.id), ['AA:BB:CC:00:00:01'], 'devices')
    t.same(again.usage.live(), [live('a1', alice.id, 3, 4)], 'live counts')
    t.end()
  })

  t.test('removing a voucher forgets its totals, devices and live counts', (t) => {
    const { vouchers, usage } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    const bob = vouchers.insert(voucher('bob'))
    for (const [v, n] of [[alice, 1], [bob, 2]] as const) {
      usage.bind(v.id, `AA:BB:CC:00:00:0${n}`, 100)
      usage.flush([live(`t${n}`, v.id, n, n, `AA:BB:CC:00:00:0${n}`)], [])
    }
    vouchers.remove('alice')
    t.same(usage.of(alice.id), { downloadBytes: 0, uploadBytes: 0 }, 'alice: no totals')
    t.same(usage.devices(alice.id), [], 'alice: no devices')
    t.same(usage.live(), [live('t2', bob.id, 2, 2, 'AA:BB:CC:00:00:02')], 'only bob\'s live count is left')
    t.same(usage.of(bob.id), { downloadBytes: 2048, uploadBytes: 2048 }, 'bob keeps his totals')
    t.end()
  })

  t.test('watched reads the vouchers that exist among some ids, with their stored totals, in one query', (t) => {
    const store = freshStore(t, driver)
    const { db, stats } = countingDb(store.db)
    const usage = createUsage(db)
    const alice = store.vouchers.insert(voucher('alice', { download_limit: 100, upload_limit: 10, valid_for: '2 hours' }))
    const bob = store.vouchers.insert(voucher('bob'))
    store.db.exec(`UPDATE vouchers SET first_login = 1750000100, mac = 'AA:BB:CC:00:00:01' WHERE id = ${alice.id}`)
    usage.flush([live('a1', alice.id, 2, 1)], [])
    t.same(usage.watched([]), new Map(), 'no ids: an empty map')
    const got = usage.watched([alice.id, 99, bob.id, alice.id])
    t.same([...got.keys()].sort(), [alice.id, bob.id], 'the existing vouchers, once each')
    t.same(got.get(alice.id), {
      id: alice.id,
      username: 'alice',
      valid_from: 1_750_000_000,
      valid_for: '2 hours',
      first_login: 1_750_000_100,
      mac: 'AA:BB:CC:00:00:01',
      download_limit: 100,
      upload_limit: 10,
      used: { downloadBytes: 2048, uploadBytes: 1024 },
    }, 'alice: what enforcement reads, and her totals')
    t.same(got.get(bob.id)?.used, { downloadBytes: 0, uploadBytes: 0 }, 'bob: never counted, zero')
    t.equal(stats.writes, 2, 'reading wrote nothing (the two writes are the flush)')
    t.end()
  })

  t.test('shiftFirstLogins moves first_login in one transaction and says how many changed', (t) => {
    const store = freshStore(t, driver)
    const { db, stats } = countingDb(store.db)
    const usage = createUsage(db)
    const [a, b, c] = ['alice', 'bob', 'carol'].map((n) => store.vouchers.insert(voucher(n)).id) as [number, number, number]
    store.db.exec(`UPDATE vouchers SET first_login = 1000 WHERE id = ${a}; UPDATE vouchers SET first_login = 2000 WHERE id = ${b}`)
    const seen: Array<number | null> = []
    const moved = usage.shiftFirstLogins(new Set([a, b, c, 99]), (first) => {
      seen.push(first)
      return first === null ? null : first === 2000 ? first : first + 500
    })
    t.equal(moved, 1, 'one changed: the shift left bob\'s and carol\'s as they were')
    t.same(seen, [1000, 2000, null], 'the shift saw each existing voucher\'s first_login, none for a missing one')
    t.same([a, b, c].map((id) => store.vouchers.byId(id)?.first_login), [1500, 2000, null], 'alice moved; bob and carol unchanged')
    t.equal(stats.transactions, 1, 'one transaction')
    t.equal(stats.writesOutside, 0, 'no write outside it')
    t.equal(usage.shiftFirstLogins([], (x) => x), 0, 'no ids: nothing changed')
    t.end()
  })
})
