/**
 * @module domain/valid-for
 * The seed's list of voucher validity periods ("valid_for *": 'always', '1 hour' to '23 hours',
 * '1 day' to '30 days', '35' to '60 days' in steps of 5, '90', '120', '150', '180', '365 days').
 */

const HOUR = 3600
const DAY = 24 * HOUR

const range = (from: number, to: number, step = 1): number[] =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step)

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`

/** Every accepted value, in the seed's order, mapped to its length in seconds (null: never ends). */
export const VALID_FOR: ReadonlyMap<string, number | null> = new Map<string, number | null>([
  ['always', null],
  ...range(1, 23).map((h): [string, number] => [plural(h, 'hour'), h * HOUR]),
  ...[...range(1, 30), ...range(35, 60, 5), 90, 120, 150, 180, 365]
    .map((d): [string, number] => [plural(d, 'day'), d * DAY]),
])

/**
 * The canonical spelling of a validity period, or null when it is not one of the seed's.
 * Case and runs of white space are forgiven ('1 Day', ' 2  hours ').
 */
export const canonicalValidFor = (value: string): string | null => {
  const v = value.trim().replace(/\s+/g, ' ').toLowerCase()
  return VALID_FOR.has(v) ? v : null
}

/** Seconds a voucher stays valid after it starts, or null for 'always'. */
export const validForSeconds = (canonical: string): number | null => {
  const s = VALID_FOR.get(canonical)
  if (s === undefined) throw new RangeError(`not a valid_for value: ${canonical}`)
  return s
}
