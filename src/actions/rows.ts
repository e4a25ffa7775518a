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

/**
 * The key of a lazy list that can also give each item as its JSON text. A JSON door (the HTTP
 * API, the JSON-RPC door) writes those texts as they are; other doors (ubus) read the items.
 */
export const JSON_ITEMS = Symbol('jsonItems')

/** A lazy list of seed rows that can also be read as the JSON text of each row. */
export interface SeedRows extends Iterable<Record<string, unknown>> {
  [JSON_ITEMS]: () => Iterable<string>
}

/** `"name":`, per column: made once per list, not once per row. */
const keyTexts = (renames: Readonly<Record<string, string>>): ((key: string) => string) => {
  const made = new Map<string, string>()
  return (key) => {
    let text = made.get(key)
    if (text === undefined) {
      text = `${JSON.stringify(key === 'mac' ? 'MAC' : renames[key] ?? key)}:`
      made.set(key, text)
    }
    return text
  }
}

/** A stored value as JSON text, as JSON.stringify writes it inside an object. */
const valueText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (value === null) return 'null'
  return JSON.stringify(value)
}

/**
 * `JSON.stringify(seedRow(row, renames))`, without the intermediate object: a long list's rows
 * are written straight from what SQLite gave (bench/big-list.bench.ts).
 */
const seedRowJson = (row: object, keyText: (key: string) => string): string => {
  let text = '{'
  let lastTime: number | null = null
  let lastText = ''
  for (const key in row) {
    const value = (row as Record<string, unknown>)[key]
    let v: string | undefined
    if (TIME_COLUMNS.has(key) && value !== null) {
      if (value !== lastTime) {
        lastTime = value as number
        lastText = valueText(formatLocal(lastTime)) as string
      }
      v = lastText
    } else {
      v = valueText(value)
    }
    if (v === undefined) continue
    text += text.length === 1 ? keyText(key) + v : `,${keyText(key)}${v}`
  }
  return `${text}}`
}

/**
 * Stored rows as seed rows (see {@link seedRow}), lazily; each reading of the list reads `rows()`
 * afresh.
 */
export const seedRows = (rows: () => Iterable<object>, renames: Readonly<Record<string, string>> = {}): SeedRows => ({
  [Symbol.iterator]: () => mapRows(rows(), (row) => seedRow(row, renames)),
  [JSON_ITEMS]: () => {
    const keyText = keyTexts(renames)
    return mapRows(rows(), (row) => seedRowJson(row, keyText))
  },
})
