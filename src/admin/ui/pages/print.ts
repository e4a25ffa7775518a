/**
 * @module admin/ui/pages/print
 * The printable voucher sheet: the selected vouchers as cards, several to an A4 page (the print
 * stylesheet hides the panel around them and keeps each card whole), each with its code,
 * passcode, validity, limits and a QR code that opens the portal with the code filled in.
 */
import { h, put } from '../dom'
import { formatLimitMb } from '../format'
import { qrSvg } from '../qr'
import { portalLink, routeHash } from '../route'
import type { PageContext } from '../main'
import { passcodeOf, selection, type Voucher } from '../selection'
import { S, fill } from '../strings'

/**
 * The link a voucher's QR code opens, from `get_status`' `portal.url` (the portal's sign-in page
 * with `{username}` standing for the code); '' while the portal serves nowhere.
 */
export const portalOf = (status: Record<string, unknown> | undefined): string => {
  const portal = status?.portal as { url?: unknown } | undefined
  return typeof portal?.url === 'string' ? portal.url : ''
}

const svgNode = (svg: string): Node => {
  const t = document.createElement('template')
  t.innerHTML = svg
  return t.content
}

const card = (v: Voucher, portal: string): HTMLElement => {
  const code = v.username
  const pass = passcodeOf(v)
  const validFor = v.valid_for === 'always' ? S.always : v.valid_for ?? ''
  return h('article', { className: 'voucher-card', 'data-username': code },
    h('h2', null, S.cardTitle),
    h('dl', null,
      h('dt', null, S.cardCode), h('dd', { className: 'code' }, code),
      h('dt', null, S.cardPasscode), h('dd', { className: 'code' }, pass),
      h('dt', null, S.cardValid), h('dd', null, validFor, v.valid_from !== undefined && v.valid_from !== null && v.valid_from !== '' && [h('br'), fill(S.cardFrom, { when: v.valid_from })]),
      h('dt', null, S.cardDown), h('dd', null, formatLimitMb(v.download_limit)),
      h('dt', null, S.cardUp), h('dd', null, formatLimitMb(v.upload_limit))),
    portal !== '' && h('div', { className: 'qr', 'data-url': portalLink(portal, code, pass) },
      svgNode(qrSvg(portalLink(portal, code, pass), fill(S.qrLabel, { code })).svg)))
}

export const printPage = async ({ client, main }: PageContext): Promise<void> => {
  const vouchers = [...selection.values()]
  if (vouchers.length === 0) {
    put(main, h('h1', null, S.printHeading), h('p', null, S.printNothing), h('p', null, h('a', { href: routeHash('vouchers') }, S.back)))
    return
  }
  const status = await client.call<{ data?: Record<string, unknown> }>('get_status').catch(() => ({ data: undefined }))
  const portal = portalOf(status.data)
  put(main,
    h('div', { className: 'no-print' },
      h('h1', null, S.printHeading),
      h('p', null, fill(S.printLead, { n: vouchers.length })),
      portal === '' && h('p', { className: 'warn' }, S.noPortal),
      h('p', { className: 'toolbar' },
        h('button', { type: 'button', className: 'primary', id: 'print', onclick: () => { window.print() } }, S.print),
        h('a', { href: routeHash('vouchers'), className: 'button' }, S.back))),
    h('div', { className: 'sheet', id: 'sheet' }, vouchers.map((v) => card(v, portal))))
}
