/**
 * @module domain/tz
 * The router's timezone. OpenWrt keeps it in /etc/TZ as a POSIX TZ rule such as
 * "CET-1CEST,M3.5.0,M10.5.0/3" or "<+0530>-5:30". Node's ICU does not understand those and
 * quietly falls back to UTC, so hotspotd reads the rule itself (the full POSIX format with the
 * glibc and RFC 8536 extensions); names Node does understand ("Europe/Berlin") are left to Node.
 */

/** A timezone: how far local time is ahead of UTC at an instant, in seconds (Berlin summer: +7200). */
export interface Zone {
  readonly name: string
  offsetAt: (utcSeconds: number) => number
}

const HOUR = 3600

/** A part read from the front of a rule, and the text after it. */
interface Scan<T> {
  readonly value: T
  readonly rest: string
}

/** A zone abbreviation: three or more letters, or letters, digits, '+' and '-' inside <...>. */
const NAME = /^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)/

/** The text after a zone abbreviation at its front, or null when there is none. */
const skipName = (text: string): string | null => {
  const m = NAME.exec(text)
  return m === null ? null : text.slice(m[0].length)
}

/** "[+-]hh[:mm[:ss]]": the UTC offsets and the times of day of a rule. */
const CLOCK = /^([+-]?)(\d{1,3})(?::(\d{2})(?::(\d{2}))?)?/

/** UTC offsets go to 24 hours (POSIX). */
const MAX_OFFSET_HOURS = 24

/** Times of day of a change go to 167 hours either way (RFC 8536, glibc), i.e. up to a week off. */
const MAX_CHANGE_HOURS = 167

/** POSIX's default time of day for a change: 02:00:00. */
const DEFAULT_CHANGE_TIME = 2 * HOUR

/** A signed "[+-]hh[:mm[:ss]]" in seconds, or null when it is missing or out of range. */
const scanClock = (text: string, maxHours: number): Scan<number> | null => {
  const m = CLOCK.exec(text)
  if (m === null) return null
  const hours = Number(m[2])
  const minutes = Number(m[3] ?? 0)
  const seconds = Number(m[4] ?? 0)
  if (hours > maxHours || minutes > 59 || seconds > 59) return null
  const magnitude = hours * HOUR + minutes * 60 + seconds
  return { value: m[1] === '-' ? -magnitude : magnitude, rest: text.slice(m[0].length) }
}

/** Where a change's day falls in a year: UTC epoch seconds of that date's 00:00. */
type DayOf = (year: number) => number

/** Epoch seconds of 00:00 UTC of a date; a day past the month's end rolls into the next. */
const midnight = (year: number, monthIndex: number, day: number): number =>
  Date.UTC(year, monthIndex, day) / 1000

const isLeap = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)

/** "Jn", n in 1..365: Feb 29 is never counted, so J59 is always Feb 28 and J60 March 1. */
const julianDay = (n: number): DayOf => (year) =>
  midnight(year, 0, isLeap(year) && n >= 60 ? n + 1 : n)

/** "n", n in 0..365: counts Feb 29, so 59 is Feb 29 in a leap year and March 1 otherwise. */
const zeroBasedDay = (n: number): DayOf => (year) => midnight(year, 0, n + 1)

/** "Mm.w.d": weekday d (0 = Sunday) of week w of month m, where week 5 means the last one. */
const monthWeekDay = (month: number, week: number, weekday: number): DayOf => (year) => {
  const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay()
  const day = 1 + ((weekday - firstWeekday + 7) % 7) + 7 * (week - 1)
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return midnight(year, month - 1, day > daysInMonth ? day - 7 : day)
}

const within = (n: number, low: number, high: number): boolean => n >= low && n <= high

/** The three ways a rule names a day, each with its pattern and the checks on its fields. */
const DAY_FORMS: ReadonlyArray<{ pattern: RegExp, make: (fields: number[]) => DayOf | null }> = [
  {
    pattern: /^J(\d{1,3})/,
    make: ([n]) => within(n, 1, 365) ? julianDay(n) : null,
  },
  {
    pattern: /^(\d{1,3})/,
    make: ([n]) => within(n, 0, 365) ? zeroBasedDay(n) : null,
  },
  {
    pattern: /^M(\d{1,2})\.(\d)\.(\d)/,
    make: ([month, week, weekday]) => within(month, 1, 12) && within(week, 1, 5) && within(weekday, 0, 6)
      ? monthWeekDay(month, week, weekday)
      : null,
  },
]

/** A rule's day in any of its three forms, or null when it is none of them or out of range. */
const scanDay = (text: string): Scan<DayOf> | null => {
  for (const form of DAY_FORMS) {
    const m = form.pattern.exec(text)
    if (m === null) continue
    const day = form.make(m.slice(1).map(Number))
    return day === null ? null : { value: day, rest: text.slice(m[0].length) }
  }
  return null
}

/** When DST starts or ends: a day, and a time of day (which may run into other days). */
interface Change {
  readonly day: DayOf
  readonly time: number
}

/** ",date[/time]" */
const scanChange = (text: string): Scan<Change> | null => {
  if (!text.startsWith(',')) return null
  const day = scanDay(text.slice(1))
  if (day === null) return null
  if (!day.rest.startsWith('/')) {
    return { value: { day: day.value, time: DEFAULT_CHANGE_TIME }, rest: day.rest }
  }
  const time = scanClock(day.rest.slice(1), MAX_CHANGE_HOURS)
  return time === null ? null : { value: { day: day.value, time: time.value }, rest: time.rest }
}

/** Offsets in seconds east of UTC, and when DST starts and ends in each year. */
interface Rules {
  readonly stdOffset: number
  readonly dstOffset: number
  readonly start: Change
  readonly end: Change
}

/** ",start[/time],end[/time]" and nothing after it. */
const scanChanges = (text: string): { start: Change, end: Change } | null => {
  const start = scanChange(text)
  if (start === null) return null
  const end = scanChange(start.rest)
  if (end === null || end.rest !== '') return null
  return { start: start.value, end: end.value }
}

/** POSIX leaves a DST name without a rule to the implementation; glibc and musl use the US rule. */
const US_CHANGES = ',M3.2.0,M11.1.0'

/** From `at` (UTC epoch seconds) on, DST is or is not in effect. */
interface Transition {
  readonly at: number
  readonly dst: boolean
}

/**
 * A year's two transitions. A change's time is read on the clock it ends: the start of DST on
 * standard time, its end on DST.
 */
const transitionsIn = (rules: Rules, year: number): Transition[] => [
  { at: rules.start.day(year) + rules.start.time - rules.stdOffset, dst: true },
  { at: rules.end.day(year) + rules.end.time - rules.dstOffset, dst: false },
]

/**
 * Whether DST is in effect: the latest transition at or before the instant decides. That covers
 * southern rules (DST over New Year) without a special case. Change times of up to a week can
 * push both of a year's transitions into the next year, or one back into the year before, so
 * the years from two before to one after are looked at; the very first transition is then
 * always at or before the instant. Of transitions at the
 * same instant the later year's wins, so a rule whose DST ends just as next year's begins
 * ("EST5EDT,0/0,J365/25", which tzdata writes for DST all year) never leaves DST.
 */
const isDstAt = (rules: Rules, utcSeconds: number): boolean => {
  const year = new Date(utcSeconds * 1000).getUTCFullYear()
  const transitions = [year - 2, year - 1, year, year + 1].flatMap((y) => transitionsIn(rules, y))
  let latest = transitions[0]
  for (const transition of transitions) {
    if (transition.at <= utcSeconds && transition.at >= latest.at) latest = transition
  }
  return latest.dst
}

/**
 * The zone a POSIX TZ rule describes, named by the rule itself, or null when the text is not
 * one (":Europe/Berlin" names a file, not a rule, so it is not). POSIX offsets count hours
 * WEST of UTC: "CET-1" is UTC+1. A missing DST offset is an hour ahead of standard time.
 */
export const parsePosixTz = (text: string): Zone | null => {
  const afterStdName = skipName(text)
  const std = afterStdName === null ? null : scanClock(afterStdName, MAX_OFFSET_HOURS)
  if (std === null) return null
  const stdOffset = -std.value
  if (std.rest === '') return { name: text, offsetAt: () => stdOffset }
  const afterDstName = skipName(std.rest)
  if (afterDstName === null) return null
  const dst = scanClock(afterDstName, MAX_OFFSET_HOURS) ?? { value: std.value - HOUR, rest: afterDstName }
  const changes = scanChanges(dst.rest === '' ? US_CHANGES : dst.rest)
  if (changes === null) return null
  const rules: Rules = { stdOffset, dstOffset: -dst.value, ...changes }
  return { name: text, offsetAt: (t) => isDstAt(rules, t) ? rules.dstOffset : rules.stdOffset }
}

/** Node's own local time, read afresh each time so that a change of process.env.TZ applies. */
export const platformZone: Zone = {
  name: 'platform',
  offsetAt: (utcSeconds) => -new Date(utcSeconds * 1000).getTimezoneOffset() * 60,
}

/** Whether Node knows a timezone by this name ("Europe/Berlin", "UTC"): its Intl refuses others. */
const knownToNode = (name: string): boolean => {
  try {
    Intl.DateTimeFormat('en-US', { timeZone: name })
    return true
  } catch {
    return false
  }
}

/**
 * The zone for a TZ value. Names Node knows are left to Node, which honours them in
 * process.env.TZ; POSIX rules are applied here; anything else (or nothing) is Node's local time.
 */
export const zoneFor = (tz: string | undefined): Zone => {
  if (tz === undefined || tz === '' || knownToNode(tz)) return platformZone
  return parsePosixTz(tz) ?? platformZone
}
