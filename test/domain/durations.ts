import t from 'tap'
import { formatUptime } from '../../src/domain/durations'

const uptimes: Array<[number, string]> = [
  [0, '0s'],
  [-5, '0s'],
  [9.9, '9s'],
  [59, '59s'],
  [60, '1m00s'],
  [65, '1m05s'],
  [3600, '1h00m00s'],
  [33165, '9h12m45s'], // the seed's example
  [43530, '12h05m30s'], // the seed's example
  [90000, '25h00m00s'],
]
for (const [s, want] of uptimes) t.equal(formatUptime(s), want, `${s} s is ${want}`)
