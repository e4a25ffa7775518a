/**
 * @module admin/ui/pages/vouchers
 * The voucher list, paged, sorted and searched by the server (`list_vouchers`: only one page
 * ever crosses the wire, so 100,000 vouchers list as fast as ten), the form that creates one
 * voucher or a batch, removal, and the selection the printable sheet is made from.
 */
import { API_EXPORT } from '../../protocol'
import { button, h, put, say, scrollTable } from '../dom'
import { formatCount, formatLimitMb, seedDateTime } from '../format'
import { lastPage, listParams, PAGE_SIZES, routeHash, SORTABLE, sortBy, viewQuery, voucherView, type SortColumn, type VoucherView } from '../route'
import type { PageContext } from '../main'
import { S, fill } from '../strings'

/** A voucher as the lists and create actions answer (the seed's fields; the list calls the passcode `password`). */
export interface Voucher {
  id?: number
  username: string
  passcode?: string
  password?: string
  fullname?: string
  valid_for?: string
  valid_from?: string | null
  download_limit?: number | string
  upload_limit?: number | string
  created_at?: string
  first_login?: string | null
  last_login?: string | null
}

/** The vouchers picked for the printable sheet, kept while the panel is open. */
export const selection = new Map<string, Voucher>()

export const passcodeOf = (v: Voucher): string => v.passcode ?? v.password ?? ''

/** The seed's validity periods, as create_voucher accepts them. */
export const VALID_FOR = ['always', ...Array.from({ length: 23 }, (_, i) => `${i + 1} hour${i === 0 ? '' : 's'}`),
  ...Array.from({ length: 30 }, (_, i) => `${i + 1} day${i === 0 ? '' : 's'}`),
  ...[35, 40, 45, 50, 55, 60, 90, 120, 150, 180, 365].map((d) => `${d} days`)]

/** Most vouchers one batch makes. */
export const MAX_BATCH = 500 // create_vouchers' BATCH_MAX

const COLUMNS = ['username', 'passcode', 'fullname', 'valid_for', 'valid_from', 'download_limit', 'upload_limit', 'created_at', 'first_login', 'last_login'] as const

const cell = (v: Voucher, c: typeof COLUMNS[number]): string => {
  if (c === 'passcode') return passcodeOf(v)
  if (c === 'download_limit' || c === 'upload_limit') return formatLimitMb(v[c])
  if (c === 'first_login' || c === 'last_login') return v[c] ?? S.never
  return String(v[c] ?? '')
}

const field = (id: string, label: string, input: HTMLElement, help?: string): HTMLElement =>
  h('div', { className: 'field' }, h('label', { for: id }, label), input, help !== undefined && h('p', { className: 'muted', id: `${id}-help` }, help))

const createForm = (ctx: PageContext, refresh: () => Promise<void>, open: boolean): HTMLElement => {
  const { client, go } = ctx
  const input = (id: string, props: Record<string, string | number | boolean> = {}): HTMLInputElement =>
    h('input', { id, name: id, 'aria-describedby': `${id}-help`, ...props })
  const count = input('count', { type: 'number', min: 1, max: MAX_BATCH, value: 1, inputmode: 'numeric', required: true })
  const username = input('new-username', { autocomplete: 'off', maxlength: 64, spellcheck: 'false' })
  const passcode = input('new-passcode', { autocomplete: 'off', maxlength: 64, spellcheck: 'false' })
  const prefix = input('new-prefix', { autocomplete: 'off', maxlength: 32, spellcheck: 'false', disabled: true })
  const fullname = input('new-fullname', { autocomplete: 'off', maxlength: 128 })
  const validFor = h('select', { id: 'valid-for', name: 'valid_for' }, h('option', { value: '' }, S.validForDefault), VALID_FOR.map((v) => h('option', { value: v }, v)))
  const validFrom = input('valid-from', { type: 'datetime-local', step: 1 })
  const down = input('download-limit', { type: 'number', min: 1, max: 9437184, inputmode: 'numeric' })
  const up = input('upload-limit', { type: 'number', min: 1, max: 9437184, inputmode: 'numeric' })
  const singleOnly = [username, passcode]
  count.addEventListener('input', () => {
    for (const i of singleOnly) i.disabled = Number(count.value) > 1
    prefix.disabled = Number(count.value) <= 1
  })
  const result = h('div', { className: 'result', 'aria-live': 'polite' })
  const submit = h('button', { type: 'submit', className: 'primary', id: 'create-submit' }, S.create)
  const form = h('form', { className: 'grid', id: 'create-form' },
    field('count', S.count, count, fill(S.countHelp, { max: MAX_BATCH })),
    field('new-username', S.username, username, S.usernameHelp),
    field('new-passcode', S.col.passcode as string, passcode, S.passcodeHelp),
    field('new-prefix', S.prefix, prefix, S.prefixHelp),
    field('new-fullname', S.col.fullname as string, fullname, S.fullnameHelp),
    field('valid-for', S.validFor, validFor),
    field('valid-from', S.validFrom, validFrom, S.validFromHelp),
    field('download-limit', S.downloadLimit, down, S.limitHelp),
    field('upload-limit', S.uploadLimit, up, S.limitHelp),
    h('div', { className: 'field wide' }, submit))
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const n = Math.floor(Number(count.value))
    const shared: Record<string, unknown> = {}
    if (fullname.value.trim() !== '') shared.fullname = fullname.value.trim()
    if (validFor.value !== '') shared.valid_for = validFor.value
    if (validFrom.value !== '') shared.valid_from = seedDateTime(validFrom.value)
    if (down.value !== '') shared.download_limit = Number(down.value)
    if (up.value !== '') shared.upload_limit = Number(up.value)
    if (n > 1 && prefix.value.trim() !== '') shared.prefix = prefix.value.trim()
    if (n <= 1) {
      if (username.value.trim() !== '') shared.username = username.value.trim()
      if (passcode.value.trim() !== '') shared.passcode = passcode.value.trim()
    }
    submit.disabled = true
    submit.textContent = S.creating
    const made = n <= 1
      ? client.call<{ user: Voucher }>('create_voucher', shared).then((a) => [a.user])
      : client.call<{ users: Voucher[] }>('create_vouchers', { ...shared, count: n }).then((a) => a.users)
    made.then(async (users) => {
      const text = users.length === 1 ? fill(S.createdOne, { code: users[0]?.username ?? '' }) : fill(S.createdMany, { n: users.length })
      say(text)
      put(result, h('p', null, text, ' ', button(S.printCreated, () => {
        selection.clear()
        for (const u of users) selection.set(u.username, u)
        go(routeHash('print'))
      }, { id: 'print-created' })))
      username.value = ''
      passcode.value = ''
      await refresh()
    }, (err: Error) => {
      say(err.message, 'error')
      put(result, h('p', { className: 'error' }, err.message))
    }).finally(() => {
      submit.disabled = false
      submit.textContent = S.create
    })
  })
  return h('details', { className: 'card', id: 'create', open },
    h('summary', null, h('h2', null, S.createHeading)), form, result)
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
