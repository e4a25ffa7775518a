/**
 * @module admin/ui/pages/users
 * The seed's stored user data: the e-mail, Facebook, mobile and free user lists and the login
 * log, one at a time (`#/users/<list>`), each with its CSV export (the admin door's
 * `/admin/api/export/<list>.csv`). The lists come whole from their actions; the page shows them
 * a hundred rows at a time.
 */
import { API_EXPORT, type ExportList } from '../../protocol'
import { h, put, scrollTable } from '../dom'
import { formatCount } from '../format'
import { routeHash } from '../route'
import type { PageContext } from '../main'
import { S, fill } from '../strings'

/** The lists, the action each comes from, in the seed's order. */
export const LISTS: Array<[ExportList, string]> = [
  ['email_users', 'get_email_users'], ['fb_users', 'get_fb_users'], ['mobile_users', 'get_mobile_users'],
  ['free_users', 'get_free_users'], ['logins', 'get_logins'],
]

const ROWS_PER_PAGE = 100

export const usersPage = async ({ client, main, route }: PageContext): Promise<void> => {
  const [list, action] = LISTS.find(([l]) => l === route.sub) ?? LISTS[0] as [ExportList, string]
  const answer = await client.call<{ users: Array<Record<string, unknown>> }>(action)
  const rows = answer.users
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  const title = S.lists[list] as string
  const start = Math.max(0, Math.floor(Number(route.query.from ?? 0)) || 0)
  const shown = rows.slice(start, start + ROWS_PER_PAGE)
  put(main,
    h('h1', null, S.usersHeading),
    h('nav', { className: 'tabs', 'aria-label': S.usersHeading },
      LISTS.map(([l]) => h('a', { href: routeHash('users', l), 'aria-current': l === list ? 'page' : null }, S.lists[l] as string))),
    h('section', { className: 'card', 'aria-labelledby': 'list-h' },
      h('div', { className: 'toolbar' },
        h('h2', { id: 'list-h' }, title, ' ', h('span', { className: 'muted' }, fill(S.rows, { n: formatCount(rows.length) }))),
        h('a', { className: 'button', id: 'export-csv', href: `${API_EXPORT}${list}.csv`, download: `${list}.csv`, 'aria-label': fill(S.exportWhat, { list: title }) }, S.exportCsv)),
      rows.length === 0
        ? h('p', { className: 'empty' }, S.noRows)
        : scrollTable(title, columns.map((c) => h('th', { scope: 'col' }, c)), shown.map((r) => h('tr', null, columns.map((c) => h('td', null, r[c] === null || r[c] === undefined ? '' : String(r[c]))))), true),
      rows.length > ROWS_PER_PAGE && h('nav', { className: 'pager', 'aria-label': title },
        start > 0 ? h('a', { className: 'button', href: routeHash('users', list, { from: String(Math.max(0, start - ROWS_PER_PAGE)) }) }, S.prev) : h('span'),
        h('span', null, fill(S.showingFirst, { from: formatCount(start + 1), to: formatCount(start + shown.length), total: formatCount(rows.length) })),
        start + ROWS_PER_PAGE < rows.length ? h('a', { className: 'button', href: routeHash('users', list, { from: String(start + ROWS_PER_PAGE) }) }, S.next) : h('span'))))
}
