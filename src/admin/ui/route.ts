/**
 * @module admin/ui/route
 * The panel's hash routes (`#/vouchers?q=ab&sort=username&order=asc&page=2`) and what they
 * turn into: the page to show, and for the voucher list the parameters of `list_vouchers`, so
 * the browser's back button and a bookmark keep the list as it was. Pure.
 */

export const PAGES = ['signin', 'api', 'vouchers', 'print', 'guests', 'users'] as const
export type Page = typeof PAGES[number]

export interface Route {
  /** null for a hash that names no page. */
  page: Page | null
  /** The part after the page (`#/users/logins` → "logins"). */
  sub: string
  query: Record<string, string>
}

/** The route of `location.hash`; an empty hash is the API Access page. */
export const parseRoute = (hash: string): Route => {
  const text = hash.replace(/^#\/?/, '')
  const q = text.indexOf('?')
  const path = q === -1 ? text : text.slice(0, q)
  const query: Record<string, string> = {}
  new URLSearchParams(q === -1 ? '' : text.slice(q + 1)).forEach((value, key) => { query[key] = value })
  const [first = '', ...rest] = path.split('/')
  const name = first === '' ? 'api' : first
  const page = (PAGES as readonly string[]).includes(name) ? name as Page : null
  return { page, sub: rest.join('/'), query }
}

/** The hash of a route; query entries that are "" are left out. */
export const routeHash = (page: Page, sub = '', query: Record<string, string> = {}): string => {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString()
  return `#/${page}${sub === '' ? '' : `/${sub}`}${qs === '' ? '' : `?${qs}`}`
}

/** Rows per page the list offers; the first is the default. */
export const PAGE_SIZES = [50, 25, 100, 200] as const
/** Columns `list_vouchers` sorts by (each walks an index of the store's). */
export const SORTABLE = ['username', 'fullname', 'created_at', 'valid_from', 'first_login', 'last_login'] as const
export type SortColumn = typeof SORTABLE[number]
export type Order = 'asc' | 'desc'

/** How the voucher list is shown: kept in the hash. */
export interface VoucherView { search: string; sort: SortColumn; order: Order; page: number; limit: number }

const DEFAULT_VIEW: VoucherView = { search: '', sort: 'created_at', order: 'desc', page: 1, limit: PAGE_SIZES[0] }

/** The view a route's query asks for, every value checked (a hand-edited hash falls back to the defaults). */
export const voucherView = (query: Record<string, string>): VoucherView => {
  const sort = (SORTABLE as readonly string[]).includes(query.sort ?? '') ? query.sort as SortColumn : DEFAULT_VIEW.sort
  const order = query.order === 'asc' || query.order === 'desc' ? query.order : sort === DEFAULT_VIEW.sort ? DEFAULT_VIEW.order : 'asc'
  const page = Math.max(1, Math.floor(Number(query.page)) || 1)
  const limit = (PAGE_SIZES as readonly number[]).includes(Number(query.limit)) ? Number(query.limit) : DEFAULT_VIEW.limit
  return { search: query.q ?? '', sort, order, page, limit }
}

/** The query of a view, defaults left out. */
export const viewQuery = (v: VoucherView): Record<string, string> => ({
  q: v.search,
  sort: v.sort === DEFAULT_VIEW.sort ? '' : v.sort,
  order: v.order === DEFAULT_VIEW.order && v.sort === DEFAULT_VIEW.sort ? '' : v.order,
  page: v.page === 1 ? '' : String(v.page),
  limit: v.limit === DEFAULT_VIEW.limit ? '' : String(v.limit),
})

/** The parameters of `list_vouchers` for a view: the server pages, sorts and searches. */
export const listParams = (v: VoucherView): Record<string, string | number> => ({
  ...(v.search.trim() === '' ? {} : { search: v.search.trim() }),
  sort: v.sort,
  order: v.order,
  offset: (v.page - 1) * v.limit,
  limit: v.limit,
})

/** The view after a click on a column's header: the same column flips its order, another starts ascending. */
export const sortBy = (v: VoucherView, column: SortColumn): VoucherView => ({
  ...v, sort: column, order: v.sort === column ? (v.order === 'asc' ? 'desc' : 'asc') : 'asc', page: 1,
})

/** The last page of `total` rows (at least 1). */
export const lastPage = (total: number, limit: number): number => Math.max(1, Math.ceil(total / limit))

/**
 * The portal address a voucher's QR code opens, with the code filled in: `{username}` and
 * `{passcode}` in `portal` are replaced when it has them, else both are added to its query.
 */
export const portalLink = (portal: string, username: string, passcode: string): string => {
  if (portal.includes('{username}')) return portal.replace(/\{username\}/g, encodeURIComponent(username)).replace(/\{passcode\}/g, encodeURIComponent(passcode))
  const qs = new URLSearchParams({ username, passcode }).toString()
  return `${portal}${portal.includes('?') ? '&' : '?'}${qs}`
}
