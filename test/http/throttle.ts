import t from 'tap'
import { DEFAULT_THROTTLE, Throttle } from '../../src/http/throttle'

const A = '192.168.10.20'
const B = '192.168.10.21'
const T0 = 1_700_000_000_000

/** Sends `n` wrong keys from `address` at `nowMs`; returns what each fail() answered. */
const failTimes = (th: Throttle, address: string, n: number, nowMs: number): boolean[] =>
  Array.from({ length: n }, () => th.fail(address, nowMs))

t.test('uses the default options unless told otherwise', async (t) => {
  t.same(new Throttle().options, DEFAULT_THROTTLE, 'no options: the defaults')
  t.same(DEFAULT_THROTTLE, { limit: 10, windowMs: 600_000, lockMs: 600_000, maxEntries: 4096 }, 'defaults: 10 failures in 10 minutes lock for 10 minutes')
  t.same(new Throttle({ limit: 3 }).options, { ...DEFAULT_THROTTLE, limit: 3 }, 'a partial option overrides only itself')
})

t.test('locks an address out on the limit-th failure within the window', async (t) => {
  const th = new Throttle({ limit: 3, windowMs: 60_000, lockMs: 120_000 })
  t.equal(th.retryAfter(A, T0), 0, 'an address never seen is not locked')
  t.same(failTimes(th, A, 2, T0), [false, false], 'failures under the limit do not lock')
  t.equal(th.retryAfter(A, T0), 0, 'under the limit: no wait')
  t.equal(th.fail(A, T0 + 59_000), true, 'the limit-th failure inside the window locks')
  t.equal(th.retryAfter(A, T0 + 59_000), 120, 'retryAfter is the whole lock in seconds')
  t.equal(th.retryAfter(B, T0 + 59_000), 0, 'another address is not affected')
})

t.test('retryAfter counts down in whole seconds, rounding up', async (t) => {
  const th = new Throttle({ limit: 1, lockMs: 10_000 })
  t.equal(th.fail(A, T0), true, 'limit 1: the first failure locks')
  const cases: Array<[number, number]> = [
    [0, 10], [1, 10], [999, 10], [1_000, 9], [9_001, 1], [9_999, 1], [10_000, 0], [60_000, 0],
  ]
  for (const [elapsed, seconds] of cases) {
    t.equal(th.retryAfter(A, T0 + elapsed), seconds, `${elapsed} ms into a 10 s lock: ${seconds} s`)
  }
})

t.test('failures older than the window are forgotten', async (t) => {
  const th = new Throttle({ limit: 3, windowMs: 60_000 })
  t.same(failTimes(th, A, 2, T0), [false, false], 'two failures at the start of the window')
  t.equal(th.fail(A, T0 + 60_000), true, 'at exactly windowMs the window still holds: third failure locks')

  const th2 = new Throttle({ limit: 3, windowMs: 60_000 })
  failTimes(th2, A, 2, T0)
  t.equal(th2.fail(A, T0 + 60_001), false, 'past the window the count starts again at one')
  t.equal(th2.fail(A, T0 + 60_002), false, 'second failure of the new window')
  t.equal(th2.fail(A, T0 + 60_003), true, 'third failure of the new window locks')
})

t.test('a right key forgets the address', async (t) => {
  const th = new Throttle({ limit: 3 })
  failTimes(th, A, 2, T0)
  t.equal(th.size, 1, 'the address is tracked')
  th.succeed(A)
  t.equal(th.size, 0, 'succeed() drops it')
  t.same(failTimes(th, A, 2, T0), [false, false], 'after succeed() two more failures do not lock')
  t.equal(th.fail(A, T0), true, 'the count restarted from zero')
  th.succeed(B)
  t.equal(th.size, 1, 'succeed() for an unknown address changes nothing')
})

t.test('the lock ends after lockMs and a fresh window starts then', async (t) => {
  const th = new Throttle({ limit: 2, windowMs: 60_000, lockMs: 300_000 })
  t.same(failTimes(th, A, 2, T0), [false, true], 'locked on the second failure')
  t.ok(th.retryAfter(A, T0 + 299_999) > 0, 'still locked just before lockMs')
  t.equal(th.retryAfter(A, T0 + 300_000), 0, 'free at lockMs')
  t.equal(th.fail(A, T0 + 300_000), false, 'the first failure after the lock does not lock again')
  t.equal(th.fail(A, T0 + 300_001), true, 'the limit counts again from the end of the lock')
  t.equal(th.retryAfter(A, T0 + 300_001), 300, 'a second full lock')
})

t.test('past maxEntries the least recently seen address is dropped', async (t) => {
  const th = new Throttle({ limit: 2, maxEntries: 3 })
  th.fail('10.0.0.1', T0)
  th.fail('10.0.0.2', T0)
  th.fail('10.0.0.3', T0)
  t.equal(th.size, 3, 'three addresses fit')
  th.fail('10.0.0.1', T0 + 1) // seen again: now the most recent (and locked)
  t.ok(th.retryAfter('10.0.0.1', T0 + 1) > 0, '10.0.0.1 locked on its second failure')
  th.fail('10.0.0.4', T0 + 2)
  t.equal(th.size, 3, 'a fourth address evicts one')
  t.equal(th.fail('10.0.0.2', T0 + 3), false, '10.0.0.2 (least recently seen) was forgotten: its count restarted')
  t.ok(th.retryAfter('10.0.0.1', T0 + 3) > 0, 'the recently seen 10.0.0.1 is kept, still locked')
  t.equal(th.size, 3, 'never more than maxEntries')
  t.equal(th.fail('10.0.0.4', T0 + 4), true, '10.0.0.4 kept its first failure')
})
