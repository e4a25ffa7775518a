import t, { type Test } from 'tap'
import { parsePosixTz, platformZone, zoneFor, type Zone } from '../../src/domain/tz'

const H = 3600

/** Epoch seconds of a UTC date and time (month 1..12). */
const utc = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number =>
  Date.UTC(year, month - 1, day, hour, minute, second) / 1000

const parse = (text: string): Zone => {
  const zone = parsePosixTz(text)
  if (zone === null) throw new Error(`${text} did not parse`)
  return zone
}

/** Runs `fn` with Node's local time set to an IANA zone, then puts process.env.TZ back. */
const withNodeTz = <T>(tz: string, fn: () => T): T => {
  const saved = process.env.TZ
  process.env.TZ = tz
  try {
    return fn()
  } finally {
    if (saved === undefined) delete process.env.TZ
    else process.env.TZ = saved
  }
}

/** Node's offset (seconds east) at an instant, in its current local time. */
const nodeOffset = (utcSeconds: number): number => -new Date(utcSeconds * 1000).getTimezoneOffset() * 60

const FROM = utc(2024, 1, 1)
const UNTIL = utc(2028, 1, 1)

/** The first second at which Node's offset differs from the one at `low`, found by bisection. */
const transitionAfter = (low: number, high: number): number => {
  const before = nodeOffset(low)
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2)
    if (nodeOffset(mid) === before) low = mid
    else high = mid
  }
  return high
}

/**
 * Instants where the POSIX rule and Node's tz database disagree, checking every hour of
 * 2024-2027 and the second before, at and after each transition; and how many transitions.
 */
const compareWithNode = (rule: Zone, tz: string): { mismatches: string[], transitions: number } =>
  withNodeTz(tz, () => {
    const instants: number[] = []
    let transitions = 0
    for (let hour = FROM; hour < UNTIL; hour += H) {
      instants.push(hour)
      if (nodeOffset(hour) === nodeOffset(hour + H)) continue
      const at = transitionAfter(hour, hour + H)
      instants.push(at - 1, at, at + 1)
      transitions++
    }
    const mismatches = instants
      .filter((s) => rule.offsetAt(s) !== nodeOffset(s))
      .map((s) => `${new Date(s * 1000).toISOString()}: ${rule.offsetAt(s)} != ${nodeOffset(s)}`)
    return { mismatches, transitions }
  })

// The rules tzdata writes for these zones (the last line of their TZif files, as OpenWrt puts
// in /etc/TZ), and how often each changes its clocks in four years.
const agreeWithNode: Array<[string, string, number]> = [
  ['CET-1CEST,M3.5.0,M10.5.0/3', 'Europe/Berlin', 8],
  ['EST5EDT,M3.2.0,M11.1.0', 'America/New_York', 8],
  ['EST5EDT', 'America/New_York', 8], // the US rule is the default
  ['NZST-12NZDT,M9.5.0,M4.1.0/3', 'Pacific/Auckland', 8],
  ['AEST-10AEDT,M10.1.0,M4.1.0/3', 'Australia/Sydney', 8],
  ['<+0530>-5:30', 'Asia/Kolkata', 0],
  ['<-03>3', 'America/Sao_Paulo', 0],
  ['IST-1GMT0,M10.5.0,M3.5.0/1', 'Europe/Dublin', 8], // "DST" in winter, an hour behind
  ['<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45', 'Pacific/Chatham', 8],
  ['IST-2IDT,M3.4.4/26,M10.5.0', 'Asia/Jerusalem', 8], // a change time past 24 hours
]

for (const [text, tz, count] of agreeWithNode) {
  t.test(`${text} agrees with Node's ${tz}`, async (t) => {
    const { mismatches, transitions } = compareWithNode(parse(text), tz)
    t.equal(transitions, count, 'clock changes in 2024-2027')
    t.same(mismatches, [], 'no instant differs')
  })
}

const fixed: Array<[string, number]> = [
  ['UTC0', 0],
  ['CET-1', H],
  ['ABC+3', -3 * H],
  ['<+0530>-5:30', 5.5 * H],
  ['<-03>3', -3 * H],
  ['<+1245>-12:45', 12.75 * H],
  ['LMT-0:19:32', 19 * 60 + 32],
  ['abc24', -24 * H],
  ['ABC-24:00:00', 24 * H],
  ['<UTC+14>-14', 14 * H],
]
for (const [text, offset] of fixed) {
  t.test(`${text} is always ${offset} s east of UTC`, async (t) => {
    const zone = parse(text)
    t.equal(zone.name, text, 'named by its rule')
    for (const s of [0, utc(2025, 1, 15), utc(2025, 7, 15), utc(2100, 3, 1)]) t.equal(zone.offsetAt(s), offset)
  })
}

const malformed = [
  '', ':Europe/Berlin', ':/etc/localtime', 'Europe/Berlin', 'CE-1', 'C3T-1', 'CET', 'CET-', 'CET+',
  '-1', 'CET 1', 'CET-25', 'CET-100', 'CET-1:60', 'CET-1:5', 'CET-1:00:60', 'CET-1:00:5', 'CET-1x',
  '<+05>', '<+05', '<ab>1', '<a b>1', '<+05:30>-5:30', 'CET-1CE', 'CET-1CEST-2x', 'CET-1CEST-25',
  'CET-1,M3.5.0,M10.5.0/3', 'CET-1CEST,', 'CET-1CEST,M3.5.0', 'CET-1CEST,M3.5.0,', 'CET-1CEST;M3.5.0,M10.5.0',
  'CET-1CEST,M3.5.0,M10.5.0,', 'CET-1CEST,M3.5.0,M10.5.0/3 ', 'CET-1CEST,M3.5.0/,M10.5.0',
  'CET-1CEST,M0.5.0,M10.5.0', 'CET-1CEST,M13.5.0,M10.5.0', 'CET-1CEST,M3.0.0,M10.5.0',
  'CET-1CEST,M3.6.0,M10.5.0', 'CET-1CEST,M3.5.7,M10.5.0', 'CET-1CEST,M3.5,M10.5.0', 'CET-1CEST,M3,M10.5.0',
  'CET-1CEST,J0,J100', 'CET-1CEST,J366,J100', 'CET-1CEST,366,J100', 'CET-1CEST,J1000,J100', 'CET-1CEST,X1,J100',
  'CET-1CEST,J1/168,J100', 'CET-1CEST,J1/-168,J100', 'CET-1CEST,J1/2:60,J100', 'CET-1CEST,J1/2:00:60,J100',
  'CET-1CEST,J1/x,J100', 'CET-1CEST,J1/1000,J100',
]
for (const text of malformed) t.equal(parsePosixTz(text), null, `refuses ${JSON.stringify(text)}`)

/**
 * The UTC instant at which `rule` goes from `from` to `to`, checked a second either side: the
 * offset is `from` just before and `to` at and after it.
 */
const changesAt = (t: Test, rule: string, at: number, from: number, to: number): void => {
  const zone = parse(rule)
  t.same([zone.offsetAt(at - 1), zone.offsetAt(at), zone.offsetAt(at + 1)], [from, to, to],
    `${rule} changes at ${new Date(at * 1000).toISOString()}`)
}

// With standard time at UTC and DST an hour ahead, a start's local time is its UTC time, and an
// end's local time (on DST) is an hour ahead of UTC.
t.test('Jn counts 1..365 and never Feb 29', async (t) => {
  changesAt(t, 'AAA0BBB,J60/0,J300/0', utc(2024, 3, 1), 0, H)
  changesAt(t, 'AAA0BBB,J60/0,J300/0', utc(2025, 3, 1), 0, H)
  changesAt(t, 'AAA0BBB,J60/0,J300/0', utc(2000, 3, 1), 0, H) // a leap year though a century
  changesAt(t, 'AAA0BBB,J60/0,J300/0', utc(2100, 3, 1), 0, H)
  changesAt(t, 'AAA0BBB,J59/0,J300/0', utc(2024, 2, 28), 0, H)
  changesAt(t, 'AAA0BBB,J1/0,J300/0', utc(2024, 1, 1), 0, H)
  changesAt(t, 'AAA0BBB,J365/0,J100/0', utc(2024, 12, 31), 0, H)
  changesAt(t, 'AAA0BBB,J100/0,J365/1', utc(2024, 12, 31), H, 0)
})

t.test('n counts 0..365 and Feb 29 too', async (t) => {
  changesAt(t, 'AAA0BBB,59/0,300/0', utc(2024, 2, 29), 0, H)
  changesAt(t, 'AAA0BBB,59/0,300/0', utc(2025, 3, 1), 0, H)
  changesAt(t, 'AAA0BBB,59/0,300/0', utc(2000, 2, 29), 0, H)
  changesAt(t, 'AAA0BBB,59/0,300/0', utc(2100, 3, 1), 0, H) // not a leap year: a century
  changesAt(t, 'AAA0BBB,0/0,300/0', utc(2025, 1, 1), 0, H)
  changesAt(t, 'AAA0BBB,365/0,100/0', utc(2024, 12, 31), 0, H)
})

t.test('Mm.w.d is a weekday of a week of a month, and week 5 the last', async (t) => {
  changesAt(t, 'AAA0BBB,M3.1.0/0,M11.1.0', utc(2025, 3, 2), 0, H) // March 2025 starts on a Saturday
  changesAt(t, 'AAA0BBB,M3.1.6/0,M11.1.0', utc(2025, 3, 1), 0, H)
  changesAt(t, 'AAA0BBB,M3.2.0/0,M11.1.0', utc(2025, 3, 9), 0, H)
  changesAt(t, 'AAA0BBB,M3.5.0/0,M11.1.0', utc(2025, 3, 30), 0, H) // the fifth Sunday is the last
  changesAt(t, 'AAA0BBB,M3.5.0/0,M11.1.0', utc(2024, 3, 31), 0, H)
  changesAt(t, 'AAA0BBB,M2.5.0/0,M11.1.0', utc(2025, 2, 23), 0, H) // only four Sundays
  changesAt(t, 'AAA0BBB,M2.5.4/0,M11.1.0', utc(2024, 2, 29), 0, H) // a fifth Thursday on Feb 29
  changesAt(t, 'AAA0BBB,M2.4.4/0,M11.1.0', utc(2024, 2, 22), 0, H)
  changesAt(t, 'AAA0BBB,M12.5.3/0,M11.1.0', utc(2025, 12, 31), 0, H)
})

t.test('change times default to 02:00 and run from -167 to 167 hours', async (t) => {
  changesAt(t, 'AAA0BBB,M3.5.0,M10.5.0', utc(2025, 3, 30, 2), 0, H)
  changesAt(t, 'AAA0BBB,M3.5.0,M10.5.0', utc(2025, 10, 26, 1), H, 0) // 02:00 on DST is 01:00 UTC
  changesAt(t, 'AAA0BBB,M3.5.0/2:45:30,M10.5.0', utc(2025, 3, 30, 2, 45, 30), 0, H)
  changesAt(t, 'AAA0BBB,M3.5.0/+3,M10.5.0', utc(2025, 3, 30, 3), 0, H)
  changesAt(t, 'AAA0BBB,M3.5.0/-1,M10.5.0', utc(2025, 3, 29, 23), 0, H)
  changesAt(t, 'AAA0BBB,M3.5.0/-1:30,M10.5.0', utc(2025, 3, 29, 22, 30), 0, H)
  changesAt(t, 'AAA0BBB,M3.5.0/26,M10.5.0', utc(2025, 3, 31, 2), 0, H)
  changesAt(t, 'AAA0BBB,M3.5.0/167,M10.5.0', utc(2025, 3, 30) + 167 * H, 0, H)
  changesAt(t, 'AAA0BBB,M3.5.0/-167,M10.5.0', utc(2025, 3, 30) - 167 * H, 0, H)
})

t.test('a change time can move a transition into another year', async (t) => {
  changesAt(t, 'AAA0BBB,J1/-167,J180', utc(2025, 1, 1) - 167 * H, 0, H)
  changesAt(t, 'AAA0BBB,J180,J365/167', utc(2025, 12, 31) + 166 * H, H, 0)
  // Both of 2024's changes fall in 2025, so early January goes by the end of 2023's DST.
  t.equal(parse('AAA0BBB,J365/100,J365/150').offsetAt(utc(2025, 1, 2)), 0, 'before both')
  changesAt(t, 'AAA0BBB,J365/100,J365/150', utc(2025, 1, 4, 4), 0, H)
  changesAt(t, 'AAA0BBB,J365/100,J365/150', utc(2025, 1, 6, 5), H, 0)
})

t.test('DST is an hour ahead unless its offset is given', async (t) => {
  const summer = utc(2025, 7, 1)
  t.equal(parse('AAA3BBB,M3.2.0,M11.1.0').offsetAt(summer), -2 * H)
  t.equal(parse('AAA3BBB1,M3.2.0,M11.1.0').offsetAt(summer), -1 * H)
  t.equal(parse('AAA3BBB-1:30,M3.2.0,M11.1.0').offsetAt(summer), 1.5 * H)
  t.equal(parse('AAA3BBB1').offsetAt(summer), -1 * H, 'with the default rule')
  t.equal(parse('AAA3BBB1').offsetAt(utc(2025, 1, 1)), -3 * H)
})

t.test('a DST name without a rule follows the US rule', async (t) => {
  changesAt(t, 'EST5EDT', utc(2025, 3, 9, 7), -5 * H, -4 * H) // 02:00 EST
  changesAt(t, 'EST5EDT', utc(2025, 11, 2, 6), -4 * H, -5 * H) // 02:00 EDT
})

t.test('southern rules keep DST over New Year', async (t) => {
  const zone = parse('NZST-12NZDT,M9.5.0,M4.1.0/3')
  t.equal(zone.offsetAt(utc(2025, 1, 1)), 13 * H, 'January')
  t.equal(zone.offsetAt(utc(2024, 12, 31, 23, 59, 59)), 13 * H, 'the last second of a year')
  t.equal(zone.offsetAt(utc(2025, 6, 1)), 12 * H, 'June')
  changesAt(t, 'NZST-12NZDT,M9.5.0,M4.1.0/3', utc(2025, 4, 5, 14), 13 * H, 12 * H) // 03:00 NZDT
  changesAt(t, 'NZST-12NZDT,M9.5.0,M4.1.0/3', utc(2025, 9, 27, 14), 12 * H, 13 * H) // 02:00 NZST
})

t.test('a rule that tzdata writes for DST all year never leaves DST', async (t) => {
  const zone = parse('EST5EDT,0/0,J365/25')
  const off: string[] = []
  for (let s = FROM; s < UNTIL; s += H) if (zone.offsetAt(s) !== -4 * H) off.push(new Date(s * 1000).toISOString())
  for (const year of [2024, 2025, 2026, 2027]) {
    const newYear = utc(year, 1, 1, 5) // where one year's DST ends and the next's starts
    for (const s of [newYear - 1, newYear, newYear + 1]) {
      if (zone.offsetAt(s) !== -4 * H) off.push(new Date(s * 1000).toISOString())
    }
  }
  t.same(off, [])
})

t.test('platformZone is Node\'s local time, whatever process.env.TZ now says', async (t) => {
  const summer = utc(2025, 7, 1)
  t.equal(platformZone.name, 'platform')
  withNodeTz('Europe/Berlin', () => t.equal(platformZone.offsetAt(summer), 2 * H))
  withNodeTz('Asia/Kolkata', () => t.equal(platformZone.offsetAt(summer), 5.5 * H))
  withNodeTz('UTC', () => t.equal(platformZone.offsetAt(summer), 0))
})

t.test('zoneFor leaves names Node knows to Node and applies POSIX rules itself', async (t) => {
  t.equal(zoneFor(undefined), platformZone, 'no TZ')
  t.equal(zoneFor(''), platformZone, 'empty TZ')
  t.equal(zoneFor('Europe/Berlin'), platformZone, 'an IANA name')
  t.equal(zoneFor('UTC'), platformZone, 'UTC')
  t.equal(zoneFor('EST5EDT'), platformZone, 'a rule that is also an IANA name')
  t.equal(zoneFor(':Europe/Berlin'), platformZone, 'a file')
  t.equal(zoneFor('not a zone'), platformZone, 'nonsense')
  const berlin = zoneFor('CET-1CEST,M3.5.0,M10.5.0/3')
  t.not(berlin, platformZone, 'a POSIX rule')
  t.equal(berlin.name, 'CET-1CEST,M3.5.0,M10.5.0/3')
  t.equal(berlin.offsetAt(utc(2025, 7, 1)), 2 * H)
  t.equal(zoneFor('<+0530>-5:30').offsetAt(utc(2025, 7, 1)), 5.5 * H)
})
