import t from 'tap'
import { BATCH_MAX, createVouchers } from '../../src/actions/create-vouchers'
import { dispatch } from '../../src/actions/dispatch'
import { ALPHABET } from '../../src/domain/credentials'
import { testContext } from '../fixtures/context'

const create = (ctx: Parameters<typeof dispatch>[3], raw: Record<string, unknown>) =>
  dispatch([createVouchers], 'create_vouchers', raw, ctx)

type User = Record<string, string | number>
const usersOf = (reply: Record<string, unknown>): User[] => reply.users as User[]
const code = (n: number): RegExp => new RegExp(`^[${ALPHABET}]{${n}}$`)

t.test('a batch shares its settings; credentials are generated per voucher', async (t) => {
  const { ctx, events } = testContext(t)
  const reply = await create(ctx, { count: 3, prefix: 'cafe-', fullname: 'Front desk', valid_for: '2 hours', valid_from: '2025-01-17 10:00:00', download_limit: 1024, upload_limit: '512' })
  t.equal(reply.message, 'Vouchers added successfully')
  t.equal(reply.error, false)
  const users = usersOf(reply)
  t.equal(users.length, 3)
  for (const u of users) {
    t.same(Object.keys(u), ['id', 'username', 'passcode', 'fullname', 'valid_for', 'valid_from', 'download_limit', 'upload_limit'], 'create_voucher\'s user shape')
    t.match(u, { fullname: 'Front desk', valid_for: '2 hours', valid_from: '2025-01-17 10:00:00', download_limit: '1024', upload_limit: '512' })
    t.match(String(u.username).slice(5), code(8), 'a generated username behind the prefix')
    t.ok(String(u.username).startsWith('cafe-'))
    t.match(u.passcode, code(10), 'a generated passcode')
  }
  t.equal(new Set(users.map((u) => u.username)).size, 3, 'usernames differ')
  t.same(users.map((u) => u.id), [1, 2, 3])
  t.equal(ctx.store.vouchers.count(), 3, 'stored')
  t.same(events.map((e) => [e.event, e.data.event, e.data.username]), users.map((u) => ['hotspot.voucher', 'created', u.username]), 'one created event per voucher')
})

t.test('without prefix or fullname: bare usernames and a random name each; the preset validity', async (t) => {
  const { ctx } = testContext(t, { defaultValidFor: () => '5 days' })
  const users = usersOf(await create(ctx, { count: 2 }))
  for (const u of users) {
    t.match(u.username, code(8))
    t.match(u.fullname, /^[A-Z][a-z]+ [A-Z][a-z]+$/)
    t.match(u, { valid_for: '5 days', valid_from: '2025-02-21 02:31:30', download_limit: '0', upload_limit: '0' })
  }
})

t.test('count must be 1 to 500; the settings are checked as create_voucher checks them', async (t) => {
  const { ctx } = testContext(t)
  const refused: Array<[Record<string, unknown>, string]> = [
    [{}, 'Invalid count: required'],
    [{ count: 0 }, `Invalid count: must be from 1 to ${BATCH_MAX}`],
    [{ count: BATCH_MAX + 1 }, `Invalid count: must be from 1 to ${BATCH_MAX}`],
    [{ count: 1, prefix: 'a\u0007' }, 'Invalid prefix: must not contain control characters'],
    [{ count: 1, prefix: 'p'.repeat(33) }, 'Invalid prefix: longer than 32 characters'],
    [{ count: 1, fullname: 'a\nb' }, 'Invalid fullname: must not contain control characters'],
    [{ count: 1, valid_for: '3 weeks' }, /^Invalid valid_for: must be one of/],
    [{ count: 1, valid_from: 'tomorrow' }, /^Invalid valid_from: /],
    [{ count: 1, username: 'x' }, 'Unknown parameter: username'],
  ] as Array<[Record<string, unknown>, string]>
  for (const [raw, message] of refused) await t.rejects(create(ctx, raw), { kind: 'invalid', message }, JSON.stringify(raw))
  t.equal(ctx.store.vouchers.count(), 0, 'nothing was written')
})

t.test('a batch of 500 is one transaction', async (t) => {
  const { ctx } = testContext(t)
  const users = usersOf(await create(ctx, { count: BATCH_MAX }))
  t.equal(users.length, BATCH_MAX)
  t.equal(ctx.store.vouchers.count(), BATCH_MAX)
  t.equal(new Set(users.map((u) => String(u.username).toLowerCase())).size, BATCH_MAX, 'no username twice')
})

t.test('all or nothing: a failure part way leaves no voucher and sends no event', async (t) => {
  const { ctx, events } = testContext(t)
  const insert = ctx.store.vouchers.insert
  let n = 0
  ctx.store.vouchers.insert = (v) => {
    if (++n === 3) throw new Error('disk full')
    return insert(v)
  }
  await t.rejects(create(ctx, { count: 5 }), { kind: 'internal', message: 'An error occurred' })
  t.equal(ctx.store.vouchers.count(), 0, 'the two written before the failure are rolled back')
  t.same(events, [])
})

t.test('a generated username that is taken (or drawn already) is drawn again; five taken draws give up', async (t) => {
  const { ctx } = testContext(t)
  const find = ctx.store.vouchers.find
  let finds = 0
  ctx.store.vouchers.find = (u) => (++finds <= 2 ? { id: 0 } as ReturnType<typeof find> : find(u))
  t.equal(usersOf(await create(ctx, { count: 1 })).length, 1, 'made after two taken draws')
  t.equal(finds, 3)
  ctx.store.vouchers.find = () => ({ id: 0 }) as ReturnType<typeof find>
  await t.rejects(create(ctx, { count: 2 }), { kind: 'conflict', message: 'Username already exists' })
  t.equal(ctx.store.vouchers.count(), 1, 'the failed batch left nothing')
})
