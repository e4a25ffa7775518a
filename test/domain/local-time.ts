import t from 'tap'
import { currentZone, epoch, formatLocal, parseLocal, useZone } from '../../src/domain/local-time'
import { parsePosixTz, platformZone, type Zone } from '../../src/domain/tz'

// Local time is the router's: these tests pin a zone with DST to exercise the rules.
process.env.TZ = 'Europe/Berlin'

t.test('parses and formats the seed\'s "YYYY-MM-DD HH:MM:SS" in local time', async (t) => {
  const s = parseLocal('2025-01-17 10:00:00')
  t.equal(s, Date.UTC(2025, 0, 17, 9, 0, 0) / 1000, 'Berlin is UTC+1 in January')
  t.equal(formatLocal(s), '2025-01-17 10:00:00', 'round trip')
  t.equal(formatLocal(parseLocal('2025-07-01 00:00:00')), '2025-07-01 00:00:00', 'summer round trip')
})

t.test('null stays null', async (t) => {
  t.equal(formatLocal(null), null)
})

t.test('stored times survive a change of zone', async (t) => {
  const s = parseLocal('2025-01-17 10:00:00') as number
  process.env.TZ = 'UTC'
  t.equal(formatLocal(s), '2025-01-17 09:00:00', 'the same instant, shown in the new zone')
  process.env.TZ = 'Europe/Berlin'
})

const bad = [
  '2025-01-17', '2025-01-17T10:00:00', '2025-1-17 10:00:00', '2025-01-17 10:00', ' 2025-01-17 10:00:00',
  '2025-13-01 00:00:00', '2025-00-10 00:00:00', '2025-02-29 00:00:00', '2024-02-30 00:00:00',
  '2025-04-31 00:00:00', '2025-01-00 00:00:00', '2025-01-17 24:00:00', '2025-01-17 10:60:00',
  '2025-01-17 10:00:60', '1969-12-31 23:59:59', 'yesterday',
]
for (const text of bad) t.equal(parseLocal(text), null, `refuses ${JSON.stringify(text)}`)

t.test('calendar edges are accepted', async (t) => {
  t.not(parseLocal('2024-02-29 23:59:59'), null, 'a leap day')
  t.not(parseLocal('2025-12-31 23:59:59'), null, 'the last second of a year')
})

t.test('a time skipped by the spring DST change resolves instead of failing', async (t) => {
  const s = parseLocal('2025-03-30 02:30:00')
  t.type(s, 'number')
  t.equal(formatLocal(s), '2025-03-30 03:30:00', 'moved forward past the gap')
})

t.test('epoch is whole seconds', async (t) => {
  t.equal(epoch(new Date(1_700_000_000_999)), 1_700_000_000)
})

// POSIX TZ rules, as OpenWrt keeps them in /etc/TZ: Node cannot apply them, so a zone that
// does is put in place. Node's own local time is set to UTC meanwhile, so that only the rule
// can move a time.

const BERLIN = 'CET-1CEST,M3.5.0,M10.5.0/3'
const AUCKLAND = 'NZST-12NZDT,M9.5.0,M4.1.0/3'

/** Epoch seconds of a UTC date and time (month 1..12). */
const utc = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number =>
  Date.UTC(year, month - 1, day, hour, minute, second) / 1000

const parseRule = (rule: string): Zone => {
  const zone = parsePosixTz(rule)
  if (zone === null) throw new Error(`${rule} did not parse`)
  return zone
}

/** Runs `fn` with the zone of a POSIX rule as the current zone, then puts Node's back. */
const inRuleZone = (rule: string, fn: () => void): void => {
  process.env.TZ = 'UTC'
  useZone(parseRule(rule))
  try {
    fn()
  } finally {
    useZone(platformZone)
    process.env.TZ = 'Europe/Berlin'
  }
}

t.test('the current zone is Node\'s until another is put in its place', async (t) => {
  t.equal(currentZone(), platformZone, 'at first')
  inRuleZone(BERLIN, () => t.equal(currentZone().name, BERLIN, 'while a rule is in use'))
  t.equal(currentZone(), platformZone, 'once it is put back')
})

t.test('parses and formats in the zone of a POSIX rule', async (t) => {
  inRuleZone(BERLIN, () => {
    t.equal(parseLocal('2025-01-17 10:00:00'), utc(2025, 1, 17, 9), 'UTC+1 in January')
    t.equal(parseLocal('2025-07-01 00:00:00'), utc(2025, 6, 30, 22), 'UTC+2 in July')
    t.equal(formatLocal(utc(2025, 1, 17, 9)), '2025-01-17 10:00:00')
    t.equal(formatLocal(utc(2025, 6, 30, 22)), '2025-07-01 00:00:00')
    t.equal(formatLocal(null), null)
    t.equal(parseLocal('2025-02-29 00:00:00'), null, 'still refuses a day that does not exist')
  })
  inRuleZone('<+0530>-5:30', () => {
    t.equal(parseLocal('2025-01-17 10:00:00'), utc(2025, 1, 17, 4, 30))
    t.equal(formatLocal(utc(2025, 1, 17, 4, 30)), '2025-01-17 10:00:00')
  })
  inRuleZone('<-03>3', () => {
    t.equal(parseLocal('1970-01-01 00:00:00'), 3 * 3600, 'the first day allowed')
    t.equal(formatLocal(0), '1969-12-31 21:00:00')
  })
})

t.test('a time skipped when the clock goes forward moves forward past the gap', async (t) => {
  inRuleZone(BERLIN, () => {
    const s = parseLocal('2025-03-30 02:30:00')
    t.equal(s, utc(2025, 3, 30, 1, 30))
    t.equal(formatLocal(s), '2025-03-30 03:30:00')
    t.equal(parseLocal('2025-03-30 01:59:59'), utc(2025, 3, 30, 0, 59, 59), 'the last second before it')
    t.equal(parseLocal('2025-03-30 03:00:00'), utc(2025, 3, 30, 1), 'the first second after it')
  })
  inRuleZone(AUCKLAND, () => {
    t.equal(formatLocal(parseLocal('2025-09-28 02:30:00')), '2025-09-28 03:30:00', 'in the south too')
  })
})

t.test('a time that comes twice when the clock goes back is the earlier one', async (t) => {
  inRuleZone(BERLIN, () => {
    t.equal(parseLocal('2025-10-26 02:30:00'), utc(2025, 10, 26, 0, 30), 'still on summer time')
    t.equal(formatLocal(utc(2025, 10, 26, 0, 30)), '2025-10-26 02:30:00', 'the first time')
    t.equal(formatLocal(utc(2025, 10, 26, 1, 30)), '2025-10-26 02:30:00', 'the second time')
    t.equal(parseLocal('2025-10-26 03:00:00'), utc(2025, 10, 26, 2), 'once both are past')
  })
  inRuleZone(AUCKLAND, () => {
    t.equal(parseLocal('2025-04-06 02:30:00'), utc(2025, 4, 5, 13, 30), 'in the south too')
  })
})

t.test('DST all year is DST over New Year too', async (t) => {
  inRuleZone('EST5EDT,0/0,J365/25', () => {
    t.equal(parseLocal('2025-01-01 00:30:00'), utc(2025, 1, 1, 4, 30))
    t.equal(formatLocal(utc(2025, 1, 1, 4, 30)), '2025-01-01 00:30:00')
    t.equal(formatLocal(utc(2025, 7, 1, 4)), '2025-07-01 00:00:00')
  })
})

/**
 * Wall-clock times every 15 minutes of 2025, and instants every 15 minutes, where a POSIX rule
 * reads or shows a time differently from Node's Date and Intl with the IANA zone the rule
 * stands for. Date reads "YYYY-MM-DDTHH:MM:SS" as local time; Swedish writes the seed's format.
 */
const differencesFromNode = (rule: string, tz: string): string[] => {
  const steps = Array.from({ length: 365 * 96 }, (_, i) => utc(2025, 1, 1) + i * 900)
  const texts = steps.map((s) => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' '))
  process.env.TZ = tz
  const nodeParsed = texts.map((text) => new Date(text.replace(' ', 'T')).getTime() / 1000)
  const shown = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, dateStyle: 'short', timeStyle: 'medium' })
  const nodeShown = steps.map((s) => shown.format(new Date(s * 1000)))
  const differences: string[] = []
  inRuleZone(rule, () => {
    texts.forEach((text, i) => {
      if (parseLocal(text) !== nodeParsed[i]) differences.push(`reads ${text} as ${parseLocal(text)}`)
    })
    steps.forEach((s, i) => {
      if (formatLocal(s) !== nodeShown[i]) differences.push(`shows ${s} as ${formatLocal(s)}`)
    })
  })
  return differences
}

t.test('reads and shows every time as Node does with the zone\'s tz database entry', async (t) => {
  t.same(differencesFromNode(BERLIN, 'Europe/Berlin'), [], 'Berlin')
  t.same(differencesFromNode(AUCKLAND, 'Pacific/Auckland'), [], 'Auckland')
  t.same(differencesFromNode('EST5EDT', 'America/New_York'), [], 'New York')
  t.same(differencesFromNode('<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45', 'Pacific/Chatham'), [], 'Chatham')
})

t.test('shows every instant as Date reads it, through the day and second it keeps from the last call', async (t) => {
  const byDate = (s: number): string => {
    const d = new Date((s + currentZone().offsetAt(s)) * 1000)
    const p = (n: number, w = 2): string => String(n).padStart(w, '0')
    return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  }
  // [case, epoch seconds]: repeats, day edges, before 1970, fractions, years past 9999, the
  // edges of what Date holds and beyond, and what is no time at all.
  const cases: ReadonlyArray<[string, number]> = [
    ['epoch', 0], ['the same second again', 0], ['a second before the epoch', -1], ['the last second of a day', 86_399],
    ['midnight', 86_400], ['a day before the epoch', -86_400], ['a second before that', -86_401],
    ['a fraction', 1.5], ['a negative fraction', -1.5], ['the year 10000', 253_402_300_800], ['near Date\'s end', 8.64e12 - 2 * 86_400],
    ['Date\'s end', 8.64e12], ['near Date\'s start', -8.64e12 + 2 * 86_400], ['past Date\'s start', -8.64e12 - 1],
    ['NaN', NaN], ['Infinity', Infinity], ['a 2025 afternoon', 1_740_105_090], ['the same day, later', 1_740_125_090],
  ]
  for (const rule of [undefined, BERLIN, '<+0530>-5:30']) {
    const check = (): void => {
      for (const [name, s] of cases) t.equal(formatLocal(s), byDate(s), `${rule ?? 'platform'}: ${name}`)
    }
    if (rule === undefined) check(); else inRuleZone(rule, check)
  }
  const s = 1_740_105_090
  const before = formatLocal(s)
  inRuleZone('<+0530>-5:30', () => { t.not(formatLocal(s), before, 'the same second in another zone is shown in that zone') })
  t.equal(formatLocal(s), before, 'and in this one again after')
})
