/**
 * @module actions/get-voucher-users
 * The seed's 1.3 "Fetch vouchers list", streamed in id order. The stored passcode is shown as
 * `password`, as the seed's example does.
 */
import { defineAction } from './spec'
import { mapRows, seedRow } from './rows'

export const getVoucherUsers = defineAction({
  name: 'get_voucher_users',
  summary: 'Fetch vouchers list',
  access: 'read',
  params: {},
  handler: (_p, ctx) => ({
    users: mapRows(ctx.store.vouchers.list(), (v) => seedRow(v, { passcode: 'password' })),
  }),
})
