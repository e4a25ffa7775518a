import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { getVoucherUsers } from '../../src/actions/get-voucher-users'
import { LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, listVouchers } from '../../src/actions/list-vouchers'
import { materialize, testContext } from '../fixtures/context'

const list = (ctx: Parameters<typeof dispatch>[3], raw: Record<string, unknown>) =>
  dispatch([listVouchers], 'list_vouchers', raw, ctx)

const seed = (ctx: Parameters<typeof dispatch>[3], n: number): void => {
  ctx.store.db.transaction(() => {
    for (let i = 1; i <= n; i++) {
      ctx.store.vouchers.insert({ username: `user${String(i).padStart(3, '0')}`, passcode: `p${i}`, fullname: i % 2 === 0 ? 'Even Guest' : 'Odd Guest', valid_for: '1 day', valid_from: 1_700_000_000 + i, created_at: 1_700_000_000 - i, download_limit: 0, upload_limit: 0 })
    }
  })
}

t.test('rows are exactly get_voucher_users\' rows, with the total', async (t) => {
  const { ctx } = testContext(t)
  seed(ctx, 3)
  const all = materialize(await dispatch([getVoucherUsers], 'get_voucher_users', {}, ctx)) as { users: unknown[] }
  t.same(await list(ctx, {}), { total: 3, users: all.users })
})

t.test('defaults: username order, 50 rows from the first', async (t) => {
  const { ctx } = testContext(t)
  seed(ctx, 60)
  const reply = await list(ctx, {}) as { total: number; users: Array<{ username: string }> }
  t.equal(reply.total, 60)
  t.equal(reply.users.length, LIST_LIMIT_DEFAULT)
  t.equal(reply.users[0]?.username, 'user001')
})

t.test('search, sort, order, offset and limit', async (t) => {
  const { ctx } = testContext(t)
  seed(ctx, 10)
  const names = async (raw: Record<string, unknown>): Promise<string[]> =>
    ((await list(ctx, raw)).users as Array<{ username: string }>).map((u) => u.username)
  t.same(await names({ sort: 'created_at', limit: 3 }), ['user010', 'user009', 'user008'], 'created_at ascending')
  t.same(await names({ sort: 'VALID_FROM', order: 'DESC', limit: 2 }), ['user010', 'user009'], 'case forgiven')
  t.same(await names({ search: 'even', offset: 1, limit: 2 }), ['user004', 'user006'], 'search the fullname, then page')
  t.equal((await list(ctx, { search: 'EVEN' })).total, 5, 'total of what matches')
  t.same(await names({ search: 'user01' }), ['user010'], 'search the username')
})

t.test('bad values are refused, naming the parameter', async (t) => {
  const { ctx } = testContext(t)
  const refused: Array<[Record<string, unknown>, string]> = [
    [{ sort: 'passcode' }, 'Invalid sort: must be one of username, fullname, created_at, valid_from, first_login, last_login'],
    [{ order: 'up' }, 'Invalid order: must be asc or desc'],
    [{ offset: -1 }, 'Invalid offset: must be 0 or more'],
    [{ limit: 0 }, `Invalid limit: must be from 1 to ${LIST_LIMIT_MAX}`],
    [{ limit: LIST_LIMIT_MAX + 1 }, `Invalid limit: must be from 1 to ${LIST_LIMIT_MAX}`],
    [{ limit: 'ten' }, 'Invalid limit: expected an integer'],
  ]
  for (const [raw, message] of refused) await t.rejects(list(ctx, raw), { kind: 'invalid', message }, JSON.stringify(raw))
  t.same((await list(ctx, { limit: LIST_LIMIT_MAX })).users, [], 'the largest page is allowed')
})
