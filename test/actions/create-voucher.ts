import t from 'tap'
import { createVoucher } from '../../src/actions/create-voucher'
import { dispatch } from '../../src/actions/dispatch'
import { VALID_FOR } from '../../src/domain/valid-for'
import { ALPHABET } from '../../src/domain/credentials'
import { ApiError } from '../../src/errors'
import { testContext } from '../fixtures/context'

const create = (ctx: Parameters<typeof dispatch>[3], raw: Record<string, unknown>) =>
  dispatch([createVoucher], 'create_voucher', raw, ctx)

t.test('the seed\'s example request gets the seed\'s example reply', async (t) => {
  const { ctx } = testContext(t)
  const reply = await create(ctx, {
    username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day',
    valid_from: '2025-01-17 10:00:00', download_limit: 1024, upload_limit: 512,
  })
  t.same(reply, {
    message: 'User added successfully',
    user: {
      id: 1, username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day',
      valid_from: '2025-01-17 10:00:00', download_limit: '1024', upload_limit: '512',
    },
    error: false,
  })
  t.same(Object.keys(reply.user as object), ['id', 'username', 'passcode', 'fullname', 'valid_for', 'valid_from', 'download_limit', 'upload_limit'], 'field order as in the seed')
  const stored = ctx.store.vouchers.find('user123')
  t.match(stored, { passcode: 'pass123', download_limit: 1024, upload_limit: 512, mac: null, first_login: null }, 'durable in the store')
})

t.test('the same request as GET strings gives the same voucher', async (t) => {
  const { ctx } = testContext(t)
  const reply = await create(ctx, {
    username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day',
    valid_from: '2025-01-17 10:00:00', download_limit: '1024', upload_limit: '512',
  })
  t.match(reply.user, { download_limit: '1024', upload_limit: '512' })
})

t.test('empty fields are generated, readable and strong', async (t) => {
  const { ctx } = testContext(t)
  const reply = await create(ctx, { username: '', passcode: ' ', fullname: '' })
  const u = reply.user as Record<string, string>
  t.match(u.username, new RegExp(`^[${ALPHABET}]{8}$`), 'username')
  t.match(u.passcode, new RegExp(`^[${ALPHABET}]{10}$`), 'passcode')
  t.match(u.fullname, /^[A-Z][a-z]+ [A-Z][a-z]+$/, 'fullname')
  t.equal(u.valid_for, '1 day', 'the preset from settings')
  t.equal(u.valid_from, '2025-02-21 02:31:30', 'available immediately: valid from now')
  t.equal(u.download_limit, '0', 'unlimited')
})

t.test('a generated username that is taken is drawn again', async (t) => {
  let draws = 0
  const { ctx } = testContext(t)
  const insert = ctx.store.vouchers.insert
  ctx.store.vouchers.insert = (v) => {
    draws++
    return insert(draws < 3 ? { ...v, username: 'taken' } : v)
  }
  await create(ctx, { username: 'taken' })
  draws = 1
  const reply = await create(ctx, {})
  t.equal(draws, 3, 'drawn until free')
  t.not((reply.user as { username: string }).username, 'taken')
})

t.test('gives up after five taken draws', async (t) => {
  const { ctx } = testContext(t)
  let draws = 0
  ctx.store.vouchers.insert = () => { draws++; throw new ApiError('conflict', 'Username already exists') }
  await t.rejects(create(ctx, {}), { kind: 'conflict', message: 'Username already exists' })
  t.equal(draws, 5)
})

t.test('other failures while drawing are not retried', async (t) => {
  const { ctx } = testContext(t)
  let draws = 0
  ctx.store.vouchers.insert = () => { draws++; throw new Error('disk full') }
  await t.rejects(create(ctx, {}), { kind: 'internal', message: 'An error occurred' })
  t.equal(draws, 1)
})

t.test('a duplicate username, in any case, is refused and nothing is written', async (t) => {
  const { ctx } = testContext(t)
  await create(ctx, { username: 'user123' })
  await t.rejects(create(ctx, { username: 'User123' }), { kind: 'conflict', message: 'Username already exists' })
  t.equal(ctx.store.vouchers.count(), 1)
})

t.test('every valid_for value of the seed is accepted', async (t) => {
  const { ctx } = testContext(t)
  for (const value of VALID_FOR.keys()) {
    const reply = await create(ctx, { valid_for: value })
    t.equal((reply.user as { valid_for: string }).valid_for, value, value)
  }
  t.equal(ctx.store.vouchers.count(), VALID_FOR.size)
})

t.test('valid_for is forgiving about case and spaces, strict about values', async (t) => {
  const { ctx } = testContext(t)
  t.equal(((await create(ctx, { valid_for: '2  Hours' })).user as { valid_for: string }).valid_for, '2 hours')
  for (const bad of ['24 hours', '31 days', '1 week', '90', 'x'.repeat(40)]) {
    await t.rejects(create(ctx, { valid_for: bad }), { kind: 'invalid', message: /^Invalid valid_for: / }, `refuses ${bad.slice(0, 12)}`)
  }
  const err = await create(ctx, { valid_for: '7 weeks' }).catch((e: Error) => e)
  t.match(err, { message: /must be one of 'always', '1 hour' to '23 hours'.*'365 days'/ }, 'the message lists the values')
  t.equal(ctx.store.vouchers.count(), 1, 'nothing half-written')
})

t.test('the preset comes from settings at the time of the call', async (t) => {
  let preset = '5 days'
  const { ctx } = testContext(t, { defaultValidFor: () => preset })
  t.equal(((await create(ctx, {})).user as { valid_for: string }).valid_for, '5 days')
  preset = 'always'
  t.equal(((await create(ctx, {})).user as { valid_for: string }).valid_for, 'always')
})

t.test('valid_from must be "YYYY-MM-DD HH:MM:SS"', async (t) => {
  const { ctx } = testContext(t)
  for (const bad of ['2025-01-17', '17.01.2025 10:00:00', '2025-02-30 10:00:00', '2025-01-17T10:00:00']) {
    await t.rejects(create(ctx, { valid_from: bad }), { kind: 'invalid', message: 'Invalid valid_from: expected "YYYY-MM-DD HH:MM:SS" (router local time)' }, bad)
  }
  t.equal(ctx.store.vouchers.count(), 0)
})

t.test('limits out of bounds or not numbers mean unlimited, stored as 0', async (t) => {
  const { ctx } = testContext(t)
  const cases: Array<[unknown, string]> = [
    [undefined, '0'], ['', '0'], [0, '0'], ['0', '0'], [-5, '0'], [9437185, '0'], ['lots', '0'],
    [1.5, '0'], ['1', '1'], [9437184, '9437184'], [' 77 ', '77'], [true, '0'],
  ]
  for (const [value, want] of cases) {
    const reply = await create(ctx, { download_limit: value, upload_limit: value })
    const u = reply.user as { username: string; download_limit: string; upload_limit: string }
    t.equal(u.download_limit, want, `download_limit ${JSON.stringify(value)} -> ${want}`)
    t.equal(u.upload_limit, want, `upload_limit ${JSON.stringify(value)} -> ${want}`)
    t.equal(ctx.store.vouchers.find(u.username)?.download_limit, Number(want), 'stored as a number')
  }
})

t.test('credentials with control characters or over length are refused', async (t) => {
  const { ctx } = testContext(t)
  await t.rejects(create(ctx, { username: 'a\nb' }), { message: 'Invalid username: must not contain control characters' })
  await t.rejects(create(ctx, { passcode: 'p\u0000' }), { message: 'Invalid passcode: must not contain control characters' })
  await t.rejects(create(ctx, { fullname: 'x\u0007' }), { message: 'Invalid fullname: must not contain control characters' })
  await t.rejects(create(ctx, { username: 'u'.repeat(65) }), { message: 'Invalid username: longer than 64 characters' })
  await t.rejects(create(ctx, { fullname: 'f'.repeat(129) }), { message: 'Invalid fullname: longer than 128 characters' })
  t.equal(ctx.store.vouchers.count(), 0)
})

t.test('logs the creation without the passcode', async (t) => {
  const { ctx, lines } = testContext(t)
  await create(ctx, { username: 'guest7', passcode: 'sesame-42' })
  t.ok(lines.includes('info: voucher guest7 created (valid for 1 day)'), 'one line for the event')
  t.notMatch(lines.join('\n'), /sesame-42/, 'no passcode in the log')
})
