/**
 * @module admin/ui/pages/voucher-form
 * The form that creates one voucher (`create_voucher`: username and passcode optional) or a
 * batch with shared settings (`create_vouchers`: a username prefix, validity, start, limits),
 * then offers the new vouchers' printable sheet.
 */
import { button, h, put, say } from '../dom'
import { seedDateTime } from '../format'
import { routeHash } from '../route'
import type { PageContext } from '../main'
import { selection, type Voucher } from '../selection'
import { S, fill } from '../strings'

/** The seed's validity periods, as create_voucher accepts them. */
export const VALID_FOR = ['always', ...Array.from({ length: 23 }, (_, i) => `${i + 1} hour${i === 0 ? '' : 's'}`),
  ...Array.from({ length: 30 }, (_, i) => `${i + 1} day${i === 0 ? '' : 's'}`),
  ...[35, 40, 45, 50, 55, 60, 90, 120, 150, 180, 365].map((d) => `${d} days`)]

/** Most vouchers one batch makes. */
export const MAX_BATCH = 500 // create_vouchers' BATCH_MAX

const field = (id: string, label: string, input: HTMLElement, help?: string): HTMLElement =>
  h('div', { className: 'field' }, h('label', { for: id }, label), input, help !== undefined && h('p', { className: 'muted', id: `${id}-help` }, help))

export const createForm = (ctx: PageContext, refresh: () => Promise<void>, open: boolean): HTMLElement => {
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
