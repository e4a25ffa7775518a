import t from 'tap'
import { LIMIT_MAX_MB, LIMIT_MIN_MB, limitBytes, limitMb } from '../../src/domain/limits'

t.equal(LIMIT_MIN_MB, 1, 'the seed\'s lower bound')
t.equal(LIMIT_MAX_MB, 9437184, 'the seed\'s upper bound')

const cases: Array<[number | undefined, number]> = [
  [undefined, 0],
  [0, 0],
  [-1, 0],
  [1, 1],
  [1024, 1024],
  [9437184, 9437184],
  [9437185, 0],
  [1.5, 0],
  [Number.NaN, 0],
  [Number.MAX_SAFE_INTEGER + 2, 0],
]
for (const [input, want] of cases) t.equal(limitMb(input), want, `limitMb(${String(input)}) is ${want}`)

t.equal(limitBytes(0), null, 'unlimited has no byte count')
t.equal(limitBytes(1), 1048576, '1 MB is 1 MiB')
t.equal(limitBytes(9437184), 9437184 * 1048576, 'the largest limit is 9 TiB')
