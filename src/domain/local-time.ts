/**
 * @module domain/local-time
 * Times are stored as UTC epoch seconds (they sort, and survive a change of the router's
 * timezone) and shown in the router's local time as the seed writes them: "2025-01-17 10:00:00".
 * Local time is that of the current zone: Node's own unless a POSIX TZ rule was put in its place
 * (see domain/tz), because Node cannot apply those itself.
 */

import { platformZone, type Zone } from './tz'

const FORMAT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/

const DAY = 86_400

let zone: Zone = platformZone

/** Makes `next` the zone local times are shown and read in. */
export const useZone = (next: Zone): void => {
  zone = next
}

/** The zone local times are shown and read in. */
export const currentZone = (): Zone => zone

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/** The local wall clock (seconds, read as if UTC) as "YYYY-MM-DD HH:MM:SS". */
const formatWallClock = (wallClock: number): string => {
  const d = new Date(wallClock * 1000)
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

/** "00".."59": the clock's fields without a padStart each. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => pad(n))

/** Wall clock (seconds) whose day Date can hold (±8.64e15 ms); beyond it, Date's own "Invalid Date" fields. */
const MAX_WALL_CLOCK = 8.64e12 - DAY

/**
 * The last day written, "YYYY-MM-DD ", and the last instant: long lists format five times a
 * row, and most rows share their day, many their second (bench/big-list.bench.ts).
 */
let lastDay = NaN
let lastDayText = ''
let lastZone: Zone | undefined
let lastSecond = NaN
let lastText = ''

/** "YYYY-MM-DD HH:MM:SS" in local time for epoch seconds; null stays null. */
export const formatLocal = (epochSeconds: number | null): string | null => {
  if (epochSeconds === null) return null
  if (epochSeconds === lastSecond && zone === lastZone) return lastText
  // The local wall clock, read as if it were UTC.
  const wallClock = epochSeconds + zone.offsetAt(epochSeconds)
  let text: string
  if (Number.isSafeInteger(wallClock) && Math.abs(wallClock) < MAX_WALL_CLOCK) {
    const day = Math.floor(wallClock / DAY)
    if (day !== lastDay) {
      lastDayText = formatWallClock(day * DAY).slice(0, -8) // "YYYY-MM-DD ", whatever the year's width
      lastDay = day
    }
    const time = wallClock - day * DAY
    const minutes = Math.floor(time / 60)
    text = `${lastDayText}${TWO_DIGITS[Math.floor(minutes / 60)] as string}:${TWO_DIGITS[minutes % 60] as string}:${TWO_DIGITS[time % 60] as string}`
  } else {
    text = formatWallClock(wallClock)
  }
  lastZone = zone
  lastSecond = epochSeconds
  lastText = text
  return text
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate()

/**
 * The instant a wall-clock time (seconds, read as if UTC) names, resolved the way Date and
 * Temporal's "compatible" resolve it. The offsets a day either side are the candidates (zones
 * change at most once a day); one that agrees with the zone at the instant it gives is right.
 * When both agree the clock was turned back and the time came twice: the larger offset gives
 * the earlier instant, which wins. When neither does the time was skipped when the clock was
 * turned forward: reading it on the clock before the change moves it forward by the gap.
 */
const resolveWallClock = (wallClock: number): number => {
  const before = zone.offsetAt(wallClock - DAY)
  const after = zone.offsetAt(wallClock + DAY)
  const agrees = (offset: number): boolean => zone.offsetAt(wallClock - offset) === offset
  const larger = Math.max(before, after)
  const smaller = Math.min(before, after)
  if (agrees(larger)) return wallClock - larger
  if (agrees(smaller)) return wallClock - smaller
  return wallClock - before
}

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
  return resolveWallClock(Date.UTC(year, month - 1, day, hour, minute, second) / 1000)
}

/** Epoch seconds of a Date. */
export const epoch = (d: Date): number => Math.floor(d.getTime() / 1000)
