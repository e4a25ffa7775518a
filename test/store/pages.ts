import t from 'tap'
import { join } from 'node:path'
import { openDatabase, type Database, type Statement } from '../../src/store/driver'
import { pages, PAGE_SIZE } from '../../src/store/pages'
import { eachDriver, type Driver } from '../fixtures/store'

interface Row { id: number; label: string }

/** A real table of `ids` in a fresh file; the page statement counts the queries it answers. */
const table = (t: tap.Test, driver: Driver, ids: readonly number[]) => {
  const db: Database = openDatabase(join(t.testdir(), 'pages.db'), driver)
  t.teardown(() => db.close())
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL); CREATE TABLE side (v INTEGER)')
  const insert = db.prepare('INSERT INTO items (id, label) VALUES (@id, @label)')
  db.transaction(() => { for (const id of ids) insert.run({ id, label: `item ${id}` }) })
  const real = db.prepare<Row>('SELECT id, label FROM items WHERE id > @after ORDER BY id LIMIT @limit')
  const queries: object[] = []
  const stmt: Statement<Row> = {
    run: real.run,
    get: real.get,
    all: (params) => {
      queries.push({ ...params })
      return real.all(params)
    },
  }
  return { db, stmt, queries }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

// [case, ids in the table, page size, queries expected]
const cases: ReadonlyArray<[string, number[], number, number]> = [
  ['no rows', [], 3, 1],
  ['fewer rows than a page', [1, 2], 3, 1],
  ['exactly one page', [1, 2, 3], 3, 2],
  ['one row more than a page', [1, 2, 3, 4], 3, 2],
  ['several pages', range(1, 10), 3, 4],
  ['several full pages', range(1, 9), 3, 4],
  ['a page size of one', range(1, 5), 1, 6],
  ['gaps in the ids', [2, 3, 7, 8, 9, 15, 100, 101, 5000], 2, 5],
  ['ids inserted out of order', [9, 1, 7, 3, 5], 2, 3],
]

eachDriver(t, (t, driver) => {
  t.test('yields every row exactly once, in id order', (t) => {
    for (const [name, ids, size, expectedQueries] of cases) {
      t.test(name, (t) => {
        const { stmt, queries } = table(t, driver, ids)
        const rows = [...pages(stmt, size)]
        const sorted = [...ids].sort((a, b) => a - b)
        t.same(rows.map((r) => r.id), sorted, `${name}: every id once, ascending`)
        t.same(rows.map((r) => r.label), sorted.map((id) => `item ${id}`), `${name}: whole rows come back`)
        t.equal(queries.length, expectedQueries, `${name}: ${expectedQueries} page queries of ${size}`)
        t.ok(queries.every((q) => (q as { limit: number }).limit === size), `${name}: every query asks for ${size}`)
        t.end()
      })
    }
    t.end()
  })

  t.test('each page starts after the last id of the one before', (t) => {
    const { stmt, queries } = table(t, driver, [4, 8, 15, 16, 23, 42])
    t.equal([...pages(stmt, 4)].length, 6, 'all six rows')
    t.same(queries, [{ after: 0, limit: 4 }, { after: 16, limit: 4 }], 'keyset: after 0, then after 16')
    t.end()
  })

  t.test('reads pages lazily, only as rows are consumed', (t) => {
    const { stmt, queries } = table(t, driver, range(1, 7))
    const it = pages(stmt, 3)
    t.equal(queries.length, 0, 'nothing is read before the first row is asked for')
    t.same(it.next().value, { id: 1, label: 'item 1' }, 'first row')
    t.equal(queries.length, 1, 'the first row reads one page')
    it.next()
    it.next()
    t.equal(queries.length, 1, 'the rest of the first page comes from memory')
    t.same(it.next().value, { id: 4, label: 'item 4' }, 'fourth row')
    t.equal(queries.length, 2, 'the fourth row reads the second page')
    t.end()
  })

  t.test('lets go of each row once it is handed on', (t) => {
    const { stmt } = table(t, driver, range(1, 5))
    const pagesRead: Array<Array<Row | undefined>> = []
    const watched: Statement<Row> = { ...stmt, all: (params) => { const rows = stmt.all(params); pagesRead.push(rows); return rows } }
    const it = pages(watched, 3)
    t.same(it.next().value, { id: 1, label: 'item 1' }, 'first row')
    t.same(pagesRead[0]?.map((r) => r?.id), [undefined, 2, 3], 'the page no longer holds the row handed on, and still holds the rest')
    t.same([...it].map((r) => r.id), [2, 3, 4, 5], 'the rest come in order')
    t.ok(pagesRead.every((p) => p.every((r) => r === undefined)), 'every page is empty once read')
    t.end()
  })

  t.test('uses PAGE_SIZE when no size is given', (t) => {
    const n = PAGE_SIZE * 2 + 1
    const { stmt, queries } = table(t, driver, range(1, n))
    const rows = [...pages(stmt)]
    t.equal(rows.length, n, `all ${n} rows`)
    t.same(queries, [
      { after: 0, limit: PAGE_SIZE },
      { after: PAGE_SIZE, limit: PAGE_SIZE },
      { after: PAGE_SIZE * 2, limit: PAGE_SIZE },
    ], `three pages of ${PAGE_SIZE}`)
    t.end()
  })

  t.test('holds no statement open between pages, so other statements can run', (t) => {
    const { db, stmt } = table(t, driver, range(1, 10))
    const side = db.prepare('INSERT INTO side (v) VALUES (@v)')
    const rename = db.prepare("UPDATE items SET label = 'renamed' WHERE id = @id")
    const seen: Row[] = []
    for (const row of pages(stmt, 3)) {
      seen.push(row)
      // A write on the same connection fails while a SELECT is still stepping; between pages it must not.
      db.transaction(() => side.run({ v: row.id }))
      if (row.id === 2) rename.run({ id: 8 })
      if (row.id === 5) db.exec('DELETE FROM items WHERE id = 9')
      if (row.id === 6) db.exec("INSERT INTO items (id, label) VALUES (11, 'late')")
    }
    t.same(seen.map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8, 10, 11], 'later pages see writes made while reading')
    t.equal(seen.find((r) => r.id === 8)?.label, 'renamed', 'a row updated before its page was read')
    t.equal(db.prepare('SELECT count(*) AS n FROM side').get()?.n, 10, 'every write between rows committed')
    t.end()
  })
})
