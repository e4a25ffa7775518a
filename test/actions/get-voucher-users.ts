import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { getVoucherUsers } from '../../src/actions/get-voucher-users'
import { parseLocal } from '../../src/domain/local-time'
import { materialize, testContext } from '../fixtures/context'

t.test('lists vouchers in the seed\'s fields and order', async (t) => {
  const { ctx } = testContext(t)
  const created = parseLocal('2025-02-21 02:31:30') as number
  ctx.store.vouchers.insert({
    username: 'user1234', passcode: 'pass1234', fullname: 'John Doe2', valid_for: '1 day',
    valid_from: parseLocal('2025-01-17 10:00:00') as number, created_at: created, download_limit: 1024, upload_limit: 512,
  })
  ctx.store.vouchers.insert({
    username: 'user12345', passcode: 'pass12345', fullname: 'John Doe3', valid_for: '5 days',
    valid_from: parseLocal('2025-01-18 10:00:00') as number, created_at: created + 42, download_limit: 0, upload_limit: 0,
  })
  const result = materialize(await dispatch([getVoucherUsers], 'get_voucher_users', {}, ctx)) as { users: Array<Record<string, unknown>> }
  t.same(result.users[0], {
    id: 1, username: 'user1234', password: 'pass1234', fullname: 'John Doe2',
    created_at: '2025-02-21 02:31:30', last_modified: '2025-02-21 02:31:30', first_login: null, last_login: null,
    valid_for: '1 day', valid_from: '2025-01-17 10:00:00', MAC: null, download_limit: 1024, upload_limit: 512,
  })
  t.same(Object.keys(result.users[0] as object), ['id', 'username', 'password', 'fullname', 'created_at', 'last_modified',
    'first_login', 'last_login', 'valid_for', 'valid_from', 'MAC', 'download_limit', 'upload_limit'], 'the seed\'s field order')
  t.match(result.users[1], { id: 2, created_at: '2025-02-21 02:32:12', valid_for: '5 days', download_limit: 0 })
})

t.test('an empty store lists no users', async (t) => {
  const { ctx } = testContext(t)
  t.same(materialize(await dispatch([getVoucherUsers], 'get_voucher_users', {}, ctx)), { users: [] })
})

t.test('the list is lazy: rows are read as it is consumed', async (t) => {
  const { ctx } = testContext(t)
  const result = await dispatch([getVoucherUsers], 'get_voucher_users', {}, ctx)
  t.notOk(Array.isArray(result.users), 'not built as an array')
  ctx.store.vouchers.insert({ username: 'late', passcode: 'p', fullname: 'f', valid_for: 'always', valid_from: 0, created_at: 0, download_limit: 0, upload_limit: 0 })
  t.equal([...(result.users as Iterable<unknown>)].length, 1, 'a row added before reading is seen')
})
