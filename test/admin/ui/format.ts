// The panel's formatters, from tables of cases (the seed's live values among them).
import t from 'tap'
import {
  clockTime, formatBytes, formatCount, formatDuration, formatLimitMb, parseDuration, readableDuration, seedDateTime,
} from '../../../src/admin/ui/format'

const counts: Array<[number, string]> = [[0, '0'], [999, '999'], [1000, '1,000'], [100000, '100,000'], [1234567.8, '1,234,567'], [-12345, '-12,345']]
for (const [n, want] of counts) t.equal(formatCount(n), want, `${n} is written ${want}`)

const bytes: Array<[number | string | null | undefined, string]> = [
  [0, '0 B'], [999, '999 B'], [1023, '1023 B'], [1024, '1 KB'], [1536, '1.5 KB'], [10 * 1024 + 100, '10.1 KB'],
  [150 * 1024, '150 KB'], [1048576, '1 MB'], ['1056738924', '1008 MB'], ['2098475632', '2 GB'], ['87456321', '83.4 MB'],
  [2 ** 60, '1024 PB'], [-5, '0 B'], ['', ''], [null, ''], [undefined, ''], ['n/a', 'n/a'],
]
for (const [v, want] of bytes) t.equal(formatBytes(v), want, `${String(v)} bytes is ${JSON.stringify(want)}`)

const limits: Array<[number | string | null | undefined, string]> = [[0, 'Unlimited'], ['0', 'Unlimited'], [null, 'Unlimited'], [undefined, 'Unlimited'], ['x', 'Unlimited'], [512, '512 MB'], ['1024', '1 GB'], [9437184, '9 TB']]
for (const [v, want] of limits) t.equal(formatLimitMb(v), want, `a ${String(v)} MB limit is ${want}`)

const durations: Array<[string | null | undefined, number | null]> = [
  ['9h12m45s', 33165], ['12h05m30s', 43530], ['45s', 45], ['1m00s', 60], ['2d3h', 183600], ['0s', 0],
  ['', null], ['  ', null], ['soon', null], ['5', null], [null, null], [undefined, null],
]
for (const [text, want] of durations) t.equal(parseDuration(text), want, `${JSON.stringify(text)} is ${String(want)} s`)

const readable: Array<[number, string]> = [[0, '0 s'], [-3, '0 s'], [45, '45 s'], [60, '1 min'], [303, '5 min 3 s'], [7500, '2 h 5 min'], [33165, '9 h 12 min'], [3 * 86400 + 4 * 3600 + 59, '3 d 4 h'], [86400 + 30, '1 d']]
for (const [s, want] of readable) t.equal(formatDuration(s), want, `${s} s reads ${want}`)

t.equal(readableDuration('9h12m45s'), '9 h 12 min', 'a seed duration made readable')
t.equal(readableDuration('later'), 'later', 'other text unchanged')
t.equal(readableDuration(null), '', 'nothing stays nothing')

const local: Array<[string, string]> = [['', ''], ['2025-01-17T10:00', '2025-01-17 10:00:00'], ['2025-01-17T10:00:30', '2025-01-17 10:00:30'], ['2025-01-17', '2025-01-17 00:00:00']]
for (const [v, want] of local) t.equal(seedDateTime(v), want, `datetime-local ${JSON.stringify(v)} is ${JSON.stringify(want)}`)

t.equal(clockTime(new Date(2026, 0, 2, 3, 4, 5)), '03:04:05', 'a clock time in two digits each')
