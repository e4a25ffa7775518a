/**
 * @module actions/list-vouchers
 * One page of the voucher list, searched and sorted (a hotspotd extension, for the admin panel
 * and any integration that pages): rows in get_voucher_users' shape, and the total that matches.
 * Each sort walks an index, so a page of 100,000 vouchers costs what a page of 100 does.
 */
import { defineAction } from './spec'
import { seedRow } from './rows'
import { invalidParam } from '../errors'
import { VOUCHER_SORTS, type VoucherSort } from '../store/vouchers'

export const LIST_LIMIT_MAX = 500
export const LIST_LIMIT_DEFAULT = 50

const ORDERS = ['asc', 'desc'] as const

export const listVouchers = defineAction({
  name: 'list_vouchers',
  summary: 'Fetch one page of the vouchers list, searched and sorted (hotspotd extension)',
  access: 'read',
  params: {
    search: { type: 'string', maxLength: 64, doc: 'Only vouchers whose username or fullname holds this text, in any case.' },
    sort: { type: 'string', maxLength: 16, doc: `The column to sort by: ${VOUCHER_SORTS.join(', ')}. Default: username.` },
    order: { type: 'string', maxLength: 4, doc: 'asc or desc. Default: asc.' },
    offset: { type: 'integer', doc: 'Rows to skip. Default: 0.' },
    limit: { type: 'integer', doc: `Rows in the page, 1 to ${LIST_LIMIT_MAX}. Default: ${LIST_LIMIT_DEFAULT}.` },
  },
  handler: (p, ctx) => {
    const sort = (p.sort ?? 'username').toLowerCase()
    if (!(VOUCHER_SORTS as readonly string[]).includes(sort)) throw invalidParam('sort', `must be one of ${VOUCHER_SORTS.join(', ')}`)
    const order = (p.order ?? 'asc').toLowerCase()
    if (!(ORDERS as readonly string[]).includes(order)) throw invalidParam('order', 'must be asc or desc')
    const offset = p.offset ?? 0
    if (offset < 0) throw invalidParam('offset', 'must be 0 or more')
    const limit = p.limit ?? LIST_LIMIT_DEFAULT
    if (limit < 1 || limit > LIST_LIMIT_MAX) throw invalidParam('limit', `must be from 1 to ${LIST_LIMIT_MAX}`)
    const page = ctx.store.vouchers.page({ search: p.search, sort: sort as VoucherSort, order: order as 'asc' | 'desc', offset, limit })
    return { total: page.total, users: page.rows.map((v) => seedRow(v, { passcode: 'password' })) }
  },
})
