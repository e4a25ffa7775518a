import t from 'tap'
import { epoch, formatLocal, parseLocal } from '../../src/domain/local-time'

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
