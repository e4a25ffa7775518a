import t from 'tap'
import { canonicalValidFor, VALID_FOR, validForSeconds } from '../../src/domain/valid-for'

const H = 3600
const D = 86400

t.test('the list is exactly the seed\'s, in its order', async (t) => {
  const expected = [
    'always',
    ...Array.from({ length: 23 }, (_, i) => `${i + 1} hour${i === 0 ? '' : 's'}`),
    ...Array.from({ length: 30 }, (_, i) => `${i + 1} day${i === 0 ? '' : 's'}`),
    '35 days', '40 days', '45 days', '50 days', '55 days', '60 days',
    '90 days', '120 days', '150 days', '180 days', '365 days',
  ]
  t.same([...VALID_FOR.keys()], expected)
})

t.test('every value has its length in seconds', async (t) => {
  for (const [value, seconds] of VALID_FOR) {
    const m = /^(\d+) (hour|day)s?$/.exec(value)
    const want = m === null ? null : Number(m[1]) * (m[2] === 'hour' ? H : D)
    t.equal(seconds, want, `${value} lasts ${String(want)} s`)
    t.equal(validForSeconds(value), want, `validForSeconds(${value})`)
  }
})

const cases: Array<[string, string | null]> = [
  ['1 day', '1 day'],
  ['1 Day', '1 day'],
  ['  2   hours ', '2 hours'],
  ['ALWAYS', 'always'],
  ['365 days', '365 days'],
  ['1 days', null],
  ['2 hour', null],
  ['24 hours', null],
  ['31 days', null],
  ['36 days', null],
  ['65 days', null],
  ['90', null],
  ['', null],
  ['forever', null],
]
for (const [input, want] of cases) {
  t.equal(canonicalValidFor(input), want, `${JSON.stringify(input)} -> ${String(want)}`)
}

t.test('validForSeconds refuses a value that is not canonical', async (t) => {
  t.throws(() => validForSeconds('1 Day'), RangeError)
})
