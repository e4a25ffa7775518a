import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { getEmailUsers, getFbUsers, getFreeUsers, getMobileUsers } from '../../src/actions/guest-user-lists'
import { parseLocal } from '../../src/domain/local-time'
import { materialize, testContext } from '../fixtures/context'

const table = [getEmailUsers, getFbUsers, getMobileUsers, getFreeUsers]
const list = async (ctx: Parameters<typeof dispatch>[3], name: string) =>
  materialize(await dispatch(table, name, {}, ctx)) as { users: Array<Record<string, unknown>> }

t.test('the seed\'s e-mail users example, field for field', async (t) => {
  const { ctx } = testContext(t)
  const at = (s: string) => parseLocal(s) as number
  ctx.store.guestUsers.recordSignIn('email', { identity: 'john.doe@gmail.com', mac: '98:01:A7:CB:BB:00', time: at('2025-01-14 08:38:10'), comments: 'John', comments1: 'New York', comments2: 'Male', verified: true })
  for (const when of ['2025-01-15 08:00:00', '2025-01-15 09:00:00', '2025-01-15 10:00:00', '2025-01-15 11:00:00', '2025-01-16 08:00:00', '2025-01-16 09:41:27']) {
    ctx.store.guestUsers.recordSignIn('email', { identity: 'john.doe@gmail.com', mac: '98:01:A7:CB:BB:00', time: at(when), verified: true })
  }
  const { users } = await list(ctx, 'get_email_users')
  t.same(users, [{
    id: 1, email: 'john.doe@gmail.com', created_at: '2025-01-14 08:38:10', last_login: '2025-01-16 09:41:27',
    MAC: '98:01:A7:CB:BB:00', visits: 7, comments: 'John', comments1: 'New York', comments2: 'Male',
    last_modified: '2025-01-16 09:41:27', marketing: 0, verified: 1,
  }])
  t.same(Object.keys(users[0] as object), ['id', 'email', 'created_at', 'last_login', 'MAC', 'visits', 'comments',
    'comments1', 'comments2', 'last_modified', 'marketing', 'verified'], 'the seed\'s field order')
})

t.test('each list reads its own kind of guest', async (t) => {
  const { ctx } = testContext(t)
  ctx.store.guestUsers.recordSignIn('facebook', { identity: '10001', name: 'Jane', email: 'jane@example.com', mac: '74:D2:46:AC:EE:11', time: 0, marketing: true })
  ctx.store.guestUsers.recordSignIn('mobile', { identity: '15559876543', mac: 'F6:E5:D4:C3:B2:A1', time: 0, verified: true })
  ctx.store.guestUsers.recordSignIn('free', { identity: 'A1:B2:C3:D4:E5:F6', mac: 'A1:B2:C3:D4:E5:F6', time: 0 })
  t.same((await list(ctx, 'get_email_users')).users, [], 'no e-mail users')
  t.match((await list(ctx, 'get_fb_users')).users, [{ id: 1, facebook_id: '10001', name: 'Jane', email: 'jane@example.com', MAC: '74:D2:46:AC:EE:11', marketing: 1 }])
  t.match((await list(ctx, 'get_mobile_users')).users, [{ id: 1, mobile: '15559876543', verified: 1, visits: 1 }])
  t.match((await list(ctx, 'get_free_users')).users, [{ id: 1, MAC: 'A1:B2:C3:D4:E5:F6', visits: 1 }])
})

t.test('the four actions carry the seed\'s names and take no parameters', async (t) => {
  t.same(table.map((a) => a.name), ['get_email_users', 'get_fb_users', 'get_mobile_users', 'get_free_users'])
  for (const a of table) t.same(a.params, {}, a.name)
  const { ctx } = testContext(t)
  await t.rejects(dispatch(table, 'get_free_users', { page: 2 }, ctx), { message: 'Unknown parameter: page' })
})
