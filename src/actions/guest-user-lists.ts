/**
 * @module actions/guest-user-lists
 * The seed's 2.1-2.4: the e-mail, Facebook, mobile and free user lists. They differ only in
 * which kind of guest they read, so one definition serves all four.
 */
import { defineAction, type Action } from './spec'
import { mapRows, seedRow } from './rows'
import type { GuestKind } from '../store/guest-users'

const guestUserList = (name: string, kind: GuestKind, summary: string): Action => defineAction({
  name,
  summary,
  access: 'read',
  params: {},
  handler: (_p, ctx) => ({ users: mapRows(ctx.store.guestUsers.list(kind), (row) => seedRow(row)) }),
})

export const getEmailUsers = guestUserList('get_email_users', 'email', 'Fetch Email users list')
export const getFbUsers = guestUserList('get_fb_users', 'facebook', 'Fetch Facebook users list')
export const getMobileUsers = guestUserList('get_mobile_users', 'mobile', 'Fetch Mobile users list')
export const getFreeUsers = guestUserList('get_free_users', 'free', 'Fetch Free users list')
