import t from 'tap'
import { DEFAULT_RATE_LIMIT, RateLimit } from '../../src/relay/rate-limit'

const T0 = 1_700_000_000_000
const A = '2b080b3af6'
const B = '0123456789'

t.test('defaults: 20 a second, bursts of 40', async (t) => {
  t.same(DEFAULT_RATE_LIMIT, { rate: 20, burst: 40, maxEntries: 100_000 })
  t.same(new RateLimit({ rate: 5 }).options, { ...DEFAULT_RATE_LIMIT, rate: 5 }, 'a partial option overrides only itself')
})

t.test('a full bucket lets a burst through, then asks to wait', async (t) => {
  const rl = new RateLimit({ rate: 2, burst: 3 })
  t.same([rl.take(A, T0), rl.take(A, T0), rl.take(A, T0)], [0, 0, 0], 'the burst passes')
  t.equal(rl.take(A, T0), 1, 'the next waits a whole second (half a token at 2/s rounds up)')
  t.equal(rl.take(B, T0), 0, 'another id has its own bucket')
})

t.test('tokens come back at the rate, up to the burst', async (t) => {
  const rl = new RateLimit({ rate: 2, burst: 3 })
  for (let i = 0; i < 3; i++) rl.take(A, T0)
  t.equal(rl.take(A, T0 + 499), 1, 'not yet a token after 499 ms at 2/s')
  t.equal(rl.take(A, T0 + 1000), 0, 'a token after 500 ms more')
  t.equal(rl.take(A, T0 + 60_000), 0, 'a long pause refills...')
  t.equal(rl.take(A, T0 + 60_000), 0)
  t.equal(rl.take(A, T0 + 60_000), 0)
  t.equal(rl.take(A, T0 + 60_000), 1, '...only up to the burst')
})

t.test('a slow rate says how many seconds to wait', async (t) => {
  const rl = new RateLimit({ rate: 0.1, burst: 1 })
  t.equal(rl.take(A, T0), 0)
  t.equal(rl.take(A, T0), 10, 'one token every 10 s')
  t.equal(rl.take(A, T0 + 5_000), 5, 'half of it has come back')
})

t.test('a clock stepping back refills nothing', async (t) => {
  const rl = new RateLimit({ rate: 1, burst: 1 })
  t.equal(rl.take(A, T0), 0)
  t.equal(rl.take(A, T0 - 60_000), 1, 'still empty')
})

t.test('past maxEntries the least recently seen id is forgotten (as a full bucket)', async (t) => {
  const rl = new RateLimit({ rate: 1, burst: 1, maxEntries: 2 })
  rl.take(A, T0)
  rl.take(B, T0)
  t.equal(rl.size, 2)
  rl.take('cccccccccc', T0)
  t.equal(rl.size, 2, 'bounded')
  t.equal(rl.take(A, T0), 0, 'A was forgotten: its bucket is full again')
  t.equal(rl.take('cccccccccc', T0), 1, 'the most recent is still counted')
})
