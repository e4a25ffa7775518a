/**
 * @module actions/rows
 * Turning stored rows into the seed's JSON shapes, lazily, so a long list is converted row by
 * row while it is being sent.
 */
import { formatLocal } from '../domain/local-time'

/** `fn` applied to each item of `items` as it is read. */
export function * mapRows<T, U> (items: Iterable<T>, fn: (item: T) => U): Generator<U, void, undefined> {
  for (const item of items) yield fn(item)
}

/** The stored columns that hold epoch seconds, shown as local "YYYY-MM-DD HH:MM:SS". */
const TIME_COLUMNS = new Set(['created_at', 'last_modified', 'first_login', 'last_login', 'valid_from', 'time'])

/**
 * A stored row in the seed's spelling: times as local date strings, `mac` as `MAC`, and
 * `renames` applied; the column order is kept. A time equal to the one before it in the row is
 * formatted once (a voucher's created_at, last_modified and valid_from usually are one instant):
 * long lists convert every row, and the garbage they make decides how far the heap grows.
 */
export const seedRow = (row: object, renames: Readonly<Record<string, string>> = {}): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  let lastTime: number | null = null
  let lastText: string | null = null
  for (const key in row) {
    const value = (row as Record<string, unknown>)[key]
    const name = key === 'mac' ? 'MAC' : renames[key] ?? key
    if (TIME_COLUMNS.has(key) && value !== null) {
      if (value !== lastTime) {
        lastTime = value as number
        lastText = formatLocal(lastTime)
      }
      out[name] = lastText
    } else {
      out[name] = value
    }
  }
  return out
}
