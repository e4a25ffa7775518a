/**
 * @module actions/get-voucher-users
 * The seed's 1.3 "Fetch vouchers list", streamed in id order. The stored passcode is shown as
 * `password`, as the seed's example does.
 */
import { defineAction } from './spec'
import { seedRows } from './rows'

export const getVoucherUsers = defineAction({
  name: 'get_voucher_users',
  summary: 'Fetch vouchers list',
  access: 'read',
  params: {},
  handler: (_p, ctx) => ({
    users: seedRows(() => ctx.store.vouchers.list(), { passcode: 'password' }),
  }),
})
