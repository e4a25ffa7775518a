/**
 * @module actions/get-logins
 * The seed's 2.5 "Fetch Login log list": every portal sign-in attempt, oldest first.
 */
import { defineAction } from './spec'
import { mapRows, seedRow } from './rows'

export const getLogins = defineAction({
  name: 'get_logins',
  summary: 'Fetch Login log list',
  access: 'read',
  params: {},
  handler: (_p, ctx) => ({ users: mapRows(ctx.store.logins.list(), (row) => seedRow(row)) }),
})
