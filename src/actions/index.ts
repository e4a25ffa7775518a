/**
 * @module actions/index
 * THE table: everything hotspotd can be asked to do. Every door (HTTP /api/, ubus, the cloud
 * tunnel, the admin panel) dispatches into this list and nothing else.
 */
import type { Action } from './spec'
import { createVoucher } from './create-voucher'
import { removeVoucher } from './remove-voucher'
import { getVoucherUsers } from './get-voucher-users'
import { getEmailUsers, getFbUsers, getFreeUsers, getMobileUsers } from './guest-user-lists'
import { getLogins } from './get-logins'
import { getGuestHosts } from './get-guest-hosts'
import { getActiveGuests } from './get-active-guests'
import { getStatus } from './get-status'
import { getApiSettings, rotateApiKey, setApiSettings, showApiKey } from './api-settings'
import { listVouchers } from './list-vouchers'
import { createVouchers } from './create-vouchers'
import { disconnectGuest } from './disconnect-guest'
import { apiDocsAction } from './get-api-docs'

export const actions: readonly Action[] = [
  createVoucher,
  removeVoucher,
  getVoucherUsers,
  getEmailUsers,
  getFbUsers,
  getMobileUsers,
  getFreeUsers,
  getLogins,
  getGuestHosts,
  getActiveGuests,
  getStatus,
  listVouchers,
  createVouchers,
  disconnectGuest,
  getApiSettings,
  setApiSettings,
  showApiKey,
  rotateApiKey,
  apiDocsAction(() => apiActions),
]

/** The seed's /api/ door serves every action but the admin ones. */
export const apiActions: readonly Action[] = actions.filter((a) => a.admin !== true)
