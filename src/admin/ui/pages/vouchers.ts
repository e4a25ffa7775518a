/**
 * @module admin/ui/pages/vouchers
 * The voucher list, paged, sorted and searched by the server (`list_vouchers`: only one page
 * ever crosses the wire, so 100,000 vouchers list as fast as ten), the create form above it,
 * removal, and picking the vouchers the printable sheet is made from.
 */
import { API_EXPORT } from '../../protocol'
import { button, h, put, say, scrollTable } from '../dom'
import { formatCount, formatLimitMb } from '../format'
import { lastPage, listParams, PAGE_SIZES, routeHash, SORTABLE, sortBy, viewQuery, voucherView, type SortColumn, type VoucherView } from '../route'
import type { PageContext } from '../main'
import { passcodeOf, selection, type Voucher } from '../selection'
import { S, fill } from '../strings'
import { createForm } from './voucher-form'

const COLUMNS = ['username', 'passcode', 'fullname', 'valid_for', 'valid_from', 'download_limit', 'upload_limit', 'created_at', 'first_login', 'last_login'] as const

const cell = (v: Voucher, c: typeof COLUMNS[number]): string => {
  if (c === 'passcode') return passcodeOf(v)
  if (c === 'download_limit' || c === 'upload_limit') return formatLimitMb(v[c])
  if (c === 'first_login' || c === 'last_login') return v[c] ?? S.never
  return String(v[c] ?? '')
}

export const vouchersPage = async (ctx: PageContext): Promise<void> => {
  const { client, main, route, go } = ctx
  let view: VoucherView = voucherView(route.query)
  let rows: Voucher[] = []
  let total = 0
  const tableHolder = h('div', { id: 'voucher-table' })
  const pager = h('nav', { className: 'pager', 'aria-label': S.vouchersHeading })
  const count = h('span', { id: 'selected-count' })
  const printButton = h('button', { type: 'button', className: 'primary', id: 'print-selected', onclick: () => { go(routeHash('print')) } }, S.printSelected)
  const clearButton = button(S.clearSelection, () => { selection.clear(); renderTable() }, { id: 'clear-selection' })

  const updateSelection = (): void => {
    count.textContent = fill(S.selected, { n: selection.size })
    printButton.disabled = selection.size === 0
    clearButton.disabled = selection.size === 0
  }

  const setView = async (v: VoucherView): Promise<void> => {
    view = v
    history.replaceState(null, '', routeHash('vouchers', '', viewQuery(v)))
    await refresh()
  }

  const header = (c: typeof COLUMNS[number]): HTMLElement => {
    const label = S.col[c] as string
    if (!(SORTABLE as readonly string[]).includes(c)) return h('th', { scope: 'col' }, label)
    const sorted = view.sort === c
    return h('th', { scope: 'col', 'aria-sort': sorted ? (view.order === 'asc' ? 'ascending' : 'descending') : 'none' },
      h('button', {
        type: 'button', className: 'sort', id: `sort-${c}`, 'aria-label': fill(S.sortBy, { column: label }),
        onclick: () => { void setView(sortBy(view, c as SortColumn)) },
      }, label, h('span', { 'aria-hidden': 'true', className: 'arrow' }, sorted ? (view.order === 'asc' ? ' ▲' : ' ▼') : '')))
  }

  const renderTable = (): void => {
    const focused = document.activeElement?.id ?? ''
    const pageBox = h('input', {
      type: 'checkbox', id: 'select-page', 'aria-label': S.selectPage,
      checked: rows.length > 0 && rows.every((r) => selection.has(r.username)),
      onchange: (e: Event) => {
        const on = (e.target as HTMLInputElement).checked
        for (const r of rows) { if (on) selection.set(r.username, r); else selection.delete(r.username) }
        renderTable()
      },
    })
    const body = rows.map((v) => h('tr', null,
      h('td', null, h('input', {
        type: 'checkbox', className: 'pick', 'aria-label': fill(S.selectVoucher, { code: v.username }), checked: selection.has(v.username),
        onchange: (e: Event) => { if ((e.target as HTMLInputElement).checked) selection.set(v.username, v); else selection.delete(v.username); updateSelection() },
      })),
      COLUMNS.map((c, i) => i === 0 ? h('th', { scope: 'row' }, h('code', null, v.username)) : h('td', { className: c === 'passcode' ? 'mono' : null }, cell(v, c))),
      h('td', null, client.may('remove_voucher') && button(S.remove, async () => {
        if (!window.confirm(fill(S.removeConfirm, { code: v.username }))) return
        await client.call('remove_voucher', { username: v.username })
        selection.delete(v.username)
        say(fill(S.removed, { code: v.username }))
        await refresh()
      }, { className: 'danger small', 'aria-label': fill(S.removeVoucher, { code: v.username }) }))))
    put(tableHolder, rows.length === 0
      ? h('p', { className: 'empty' }, view.search === '' ? S.noRows : S.noMatch)
      : scrollTable(S.vouchersHeading, [h('th', { scope: 'col', className: 'keep' }, pageBox), COLUMNS.map(header), h('th', { scope: 'col' }, S.actions)], body, true))
    const last = lastPage(total, view.limit)
    const from = total === 0 ? 0 : (view.page - 1) * view.limit + 1
    put(pager,
      h('button', { type: 'button', id: 'page-prev', disabled: view.page <= 1, onclick: () => { void setView({ ...view, page: view.page - 1 }) } }, S.prev),
      h('span', { id: 'page-info', 'aria-live': 'polite' }, fill(S.page, { from: formatCount(from), to: formatCount(Math.min(total, view.page * view.limit)), total: formatCount(total) })),
      h('button', { type: 'button', id: 'page-next', disabled: view.page >= last, onclick: () => { void setView({ ...view, page: view.page + 1 }) } }, S.next))
    updateSelection()
    if (focused !== '') document.getElementById(focused)?.focus()
  }

  const refresh = async (): Promise<void> => {
    const answer = await client.call<{ total: number; users: Voucher[] }>('list_vouchers', listParams(view))
    total = answer.total
    rows = answer.users
    const last = lastPage(total, view.limit)
    if (view.page > last) return setView({ ...view, page: last })
    renderTable()
  }

  let typing: number | undefined
  const search = h('input', { type: 'search', id: 'search', value: view.search, 'aria-describedby': 'search-help', autocomplete: 'off', spellcheck: 'false' })
  search.addEventListener('input', () => {
    window.clearTimeout(typing)
    typing = window.setTimeout(() => { void setView({ ...view, search: search.value, page: 1 }).catch((err: Error) => { say(err.message, 'error') }) }, 250)
  })
  const perPage = h('select', { id: 'per-page', onchange: (e: Event) => { void setView({ ...view, limit: Number((e.target as HTMLSelectElement).value), page: 1 }) } },
    [...PAGE_SIZES].sort((a, b) => a - b).map((n) => h('option', { value: n, selected: n === view.limit }, String(n))))

  await refresh()
  put(main,
    h('h1', null, S.vouchersHeading),
    client.may('create_voucher') && createForm(ctx, refresh, total === 0 && view.search === ''),
    h('section', { className: 'card', 'aria-labelledby': 'list-h' },
      h('h2', { id: 'list-h', className: 'visually-hidden' }, S.vouchersHeading),
      h('div', { className: 'toolbar' },
        h('div', { className: 'field' }, h('label', { for: 'search' }, S.search), search, h('p', { className: 'muted', id: 'search-help' }, S.searchHelp)),
        h('div', { className: 'field narrow' }, h('label', { for: 'per-page' }, S.perPage), perPage)),
      h('div', { className: 'toolbar selection' }, count, printButton, clearButton,
        h('a', { className: 'button', id: 'export-csv', href: `${API_EXPORT}vouchers.csv`, download: 'vouchers.csv', 'aria-label': fill(S.exportWhat, { list: S.vouchersHeading }) }, S.exportCsv)),
      tableHolder,
      pager))
}
