/**
 * @module domain/local-time
 * Times are stored as UTC epoch seconds (they sort, and survive a change of the router's
 * timezone) and shown in the router's local time as the seed writes them: "2025-01-17 10:00:00".
 */

const FORMAT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** "YYYY-MM-DD HH:MM:SS" in local time for epoch seconds; null stays null. */
export const formatLocal = (epochSeconds: number | null): string | null => {
  if (epochSeconds === null) return null
  const d = new Date(epochSeconds * 1000)
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

const daysIn = (year: number, month: number): number => new Date(year, month, 0).getDate()

/**
 * Epoch seconds for a local "YYYY-MM-DD HH:MM:SS", or null when it is malformed or names a
 * day or time that does not exist on the calendar. A wall-clock time skipped by a DST change
 * resolves the way the platform does (forward), rather than being refused.
 */
export const parseLocal = (text: string): number | null => {
  const m = FORMAT.exec(text)
  if (m === null) return null
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as
    [number, number, number, number, number, number]
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null
  if (hour > 23 || minute > 59 || second > 59) return null
  return Math.floor(new Date(year, month - 1, day, hour, minute, second).getTime() / 1000)
}

/** Epoch seconds of a Date. */
export const epoch = (d: Date): number => Math.floor(d.getTime() / 1000)
