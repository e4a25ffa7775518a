/**
 * @module store/pages
 * Long lists read a page at a time by key (`WHERE id > @after ORDER BY id LIMIT @limit`), so a
 * 100,000-row answer never sits in memory whole and no statement stays open while the answer
 * is being sent (other requests can use the database between pages).
 */
import type { Statement } from './driver'

export const PAGE_SIZE = 500

/** Every row of a keyset-paged statement, in id order, fetched lazily page by page. */
export function * pages<Row extends { id: number }> (
  stmt: Statement<Row>, size: number = PAGE_SIZE,
): Generator<Row, void, undefined> {
  let after = 0
  for (;;) {
    const rows = stmt.all({ after, limit: size })
    yield * rows
    const last = rows[rows.length - 1]
    if (last === undefined || rows.length < size) return
    after = last.id
  }
}
