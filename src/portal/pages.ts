/**
 * @module portal/pages
 * The captive portal's HTML pages, rendered on the server: the splash page with a form per login
 * method, the "you are connected" page and a plain message page, and the headers to send with
 * them. Pure: no I/O.
 *
 * Built for the browsers guests really have: captive-portal mini-browsers (iOS' Captive Network
 * Assistant, Android's portal login) that may block JavaScript, old WebViews, small screens.
 * - **No JavaScript**: plain forms POSTed to the portal; validation is the browser's own
 *   (`required`, `type=email`) and is never trusted (the server checks again).
 * - **No external assets**: one inline `<style>`, system fonts, no images. The CSP allows that
 *   style by its sha256 ({@link STYLE_HASH}), plus `'unsafe-inline'` for CSP 1 browsers, which
 *   CSP 2 browsers ignore once a hash is present.
 * - **Small**: well under 6 KB a page before gzip.
 * - **Phones**: viewport meta, a fluid single column, 3rem tap targets, system colors with a dark
 *   scheme, text contrast ≥ 4.5:1, focus rings.
 * - **Accessible**: `lang`, one `h1`, an `h2` per method, every input labelled by `for`/`id`, the
 *   error in a `role="alert"` live region that the fields it concerns point to
 *   (`aria-describedby`, `aria-invalid`).
 * - **Safe**: every dynamic value (the gateway name comes from openNDS' config and may hold
 *   markup, form values and the landing URL come from the guest) goes through {@link escapeHtml},
 *   attributes are always double-quoted, every form carries the hidden `sid`, and nothing leaks a
 *   referrer (`<meta name="referrer">`, the Referrer-Policy header, `rel="noreferrer"`).
 *
 * Form fields the portal receives (all `application/x-www-form-urlencoded`): `sid` and `method`
 * (`voucher`, `email`, `mobile` or `free`) always; voucher: `username`, `passcode`; email:
 * `email`, `marketing=1` when ticked (unticked by default); mobile: `phone` alone asks for a code,
 * `phone` with `code` (and `marketing`) signs in; free: `terms=1` (the box is `required`, but a
 * browser that ignores that sends the form without it: refuse with `terms_required`). Facebook is
 * a link (GET `<path>facebook?sid=…`), not a form: the portal answers it with a redirect to
 * Facebook, which the CSP's `form-action 'self'` would block after a form submission.
 */
import { createHash } from 'node:crypto'
import type { PortalMethods } from '../config/config'
import { formatDuration, t, type Lang, type StringKey } from './strings'

/** What every page needs. */
export interface PageBase {
  /** The language to render in (see pickLang). */
  lang: Lang
  /** openNDS' gatewayname (untrusted text: escaped here); null or blank when unknown. */
  gatewayName: string | null
  /** The portal session id, sent back in every form as the hidden field `sid`. */
  sid: string
  /** The path the forms POST to, e.g. `/portal/login`. */
  action: string
}

/** The splash page: the enabled login methods, an optional error and the guest's previous input. */
export interface SplashOptions extends PageBase {
  /** Which forms to show (at least one should be on; with none the page says the portal is unavailable). */
  methods: PortalMethods
  /** A refusal to show above the forms. */
  error?: { key: StringKey; vars?: Record<string, string | number> }
  /** Values to put back into the fields after a refusal (never the passcode or SMS code). */
  values?: { username?: string; email?: string; phone?: string }
  /** The number a sign-in code was sent to: the mobile section then asks for the code. */
  codeSentTo?: string
  /** The link that starts Facebook sign-in (shown while the method is on). */
  facebookHref?: string
  /** Show the hint about rotating private Wi-Fi addresses (privateAddressHint). */
  hint?: boolean
}

/** The page's one stylesheet. Colors keep a fixed fallback where a custom property is used for anything that must stay readable. */
const CSS = [
  ':root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--mut:#4a4a4a;--ring:#0b57d0}',
  '@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--bg:#131314;--mut:#bdbdbd;--ring:#8ab4f8}}',
  '*{box-sizing:border-box}',
  'body{margin:0;background:var(--bg);color:var(--fg);font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:30rem;margin:0 auto;padding:1rem;overflow-wrap:anywhere}',
  'h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem;overflow-wrap:anywhere}',
  'h2{font-size:1.15rem;margin:0 0 .5rem}',
  'section{border:1px solid #8e8e8e;border-radius:.75rem;padding:1rem;margin:0 0 1rem}',
  'label{display:block;font-weight:600;margin:.75rem 0 .25rem}',
  '.c{display:flex;gap:.75rem;align-items:flex-start;margin:1rem 0 0}',
  '.c label{font-weight:400;margin:0}',
  '.c input{width:1.5rem;height:1.5rem;margin:0;flex:none}',
  'input[type=text],input[type=email],input[type=tel]{display:block;width:100%;min-height:3rem;padding:.5rem .75rem;font:inherit;color:inherit;background:var(--bg);border:2px solid #767676;border-radius:.5rem}',
  'button,.b{display:block;width:100%;min-height:3rem;margin:1rem 0 0;padding:.75rem 1rem;border:0;border-radius:.5rem;background:#0b57d0;color:#fff;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}',
  '.s{background:transparent;color:inherit;border:2px solid #767676}',
  ':focus{outline:3px solid #0b57d0;outline-color:var(--ring);outline-offset:2px}',
  ':focus:not(:focus-visible){outline:none}',
  '.e{margin:0 0 1rem;padding:.75rem 1rem;border-left:4px solid #b3261e;border-radius:.5rem;background:#fce8e6;color:#5c0f0a}',
  '.h{color:var(--mut);font-size:.95rem}',
].join('')

/** The CSP source that allows the inline stylesheet: `'sha256-…'` of its exact text. */
export const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS, 'utf8').digest('base64')}'`

/**
 * Headers for every portal page: a CSP that allows nothing but the inline style and form posts to
 * the portal's own origin (note: `form-action` also applies to redirects after a POST, so a login
 * answer must not redirect to another origin), no sniffing, no framing, no referrer, no caching
 * (pages hold a session id and the guest's input).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': `default-src 'none'; style-src ${STYLE_HASH} 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
})

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** `s` safe as HTML text and inside a double- or single-quoted attribute: & < > " ' escaped. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string)

/** Which fields an error is about: they get aria-invalid and point at the error region. */
const ERROR_FIELDS: Partial<Record<StringKey, readonly string[]>> = {
  wrong_credentials: ['v-user', 'v-pass'],
  bad_email: ['e-mail'],
  terms_required: ['f-terms'],
  bad_phone: ['m-phone'],
  wrong_code: ['m-code'],
  code_expired: ['m-code'],
}

/** The gateway name to show, or null when there is none worth showing. */
const nameOf = (gatewayName: string | null): string | null => {
  const name = gatewayName?.trim() ?? ''
  return name === '' ? null : name
}

/** The whole document around `body`. */
const layout = (lang: Lang, title: string, body: string): string =>
  '<!DOCTYPE html>\n' +
  `<html lang="${lang}">\n<head>\n<meta charset="utf-8">\n` +
  '<meta name="viewport" content="width=device-width,initial-scale=1">\n' +
  '<meta name="referrer" content="no-referrer">\n' +
  `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>\n${body}</main>\n</body>\n</html>\n`

/** Document title: "Café – Wi-Fi login", or just the title without a gateway name. */
const titleOf = (o: PageBase): string => {
  const name = nameOf(o.gatewayName)
  return name === null ? t(o.lang, 'title') : `${name} – ${t(o.lang, 'title')}`
}

/** The splash and message pages' heading: "Welcome to Café", or the title without a gateway name. */
const headingOf = (o: PageBase): string => {
  const name = nameOf(o.gatewayName)
  return name === null ? t(o.lang, 'title') : t(o.lang, 'welcome', { name })
}

type FormMethod = 'voucher' | 'email' | 'mobile' | 'free'

/** One `<section>` of a method with its heading. */
const section = (o: PageBase, method: FormMethod | 'facebook', heading: StringKey, content: string): string => {
  const id = `h-${method}`
  return `<section aria-labelledby="${id}">\n<h2 id="${id}">${escapeHtml(t(o.lang, heading))}</h2>\n${content}</section>\n`
}

/** A POST form carrying sid and method, its fields and a submit button (`secondary`: the outlined kind). */
const postForm = (o: PageBase, method: FormMethod, fields: string, button: StringKey, secondary = false): string =>
  `<form method="post" action="${escapeHtml(o.action)}">\n` +
  `<input type="hidden" name="sid" value="${escapeHtml(o.sid)}">\n` +
  `<input type="hidden" name="method" value="${method}">\n` +
  `${fields}<button type="submit"${secondary ? ' class="s"' : ''}>${escapeHtml(t(o.lang, button))}</button>\n</form>\n`

/** One `<section>` with a heading and one POST form. */
const form = (o: PageBase, method: FormMethod, heading: StringKey, fields: string, button: StringKey): string =>
  section(o, method, heading, postForm(o, method, fields, button))

/**
 * The splash page: a heading with the gateway name, the error (if any) in an alert region, the
 * private-address hint (if asked), then one form per enabled method: voucher (username and
 * passcode, without autocomplete, capitalisation or spellcheck), e-mail (with an unticked,
 * optional marketing box), mobile (the number; or, once a code was sent, the code with the
 * optional marketing box and a second form to send a new code), Facebook (a link styled as a
 * button), free (one button and a required terms box).
 */
export const splashPage = (o: SplashOptions): string => {
  const lang = o.lang
  const invalid = o.error === undefined ? [] : (ERROR_FIELDS[o.error.key] ?? [])
  const aria = (id: string): string => (invalid.includes(id) ? ' aria-invalid="true" aria-describedby="err"' : '')
  const value = (v: string | undefined): string => (v === undefined || v === '' ? '' : ` value="${escapeHtml(v)}"`)
  const label = (id: string, key: StringKey): string => `<label for="${id}">${escapeHtml(t(lang, key))}</label>\n`
  const code = 'required maxlength="64" autocomplete="off" autocapitalize="none" autocorrect="off" spellcheck="false"'
  const check = (id: string, name: string, key: StringKey, required: boolean): string =>
    `<div class="c"><input type="checkbox" id="${id}" name="${name}" value="1"${required ? ' required' : ''}${aria(id)}>` +
    `${label(id, key).trimEnd()}</div>\n`

  let body = `<h1>${escapeHtml(headingOf(o))}</h1>\n`
  if (o.error !== undefined) {
    body += `<p id="err" class="e" role="alert" aria-live="assertive">${escapeHtml(t(lang, o.error.key, o.error.vars))}</p>\n`
  }
  if (o.hint === true) body += `<p class="h">${escapeHtml(t(lang, 'privateAddressHint'))}</p>\n`
  if (o.methods.voucher) {
    const fields =
      label('v-user', 'username') +
      `<input type="text" id="v-user" name="username"${value(o.values?.username)} ${code}${aria('v-user')}>\n` +
      label('v-pass', 'passcode') +
      `<input type="text" id="v-pass" name="passcode" ${code}${aria('v-pass')}>\n`
    body += form(o, 'voucher', 'voucherHeading', fields, 'connect')
  }
  if (o.methods.email) {
    const fields =
      label('e-mail', 'email') +
      `<input type="email" id="e-mail" name="email"${value(o.values?.email)} required maxlength="254" autocomplete="email"${aria('e-mail')}>\n` +
      check('e-mkt', 'marketing', 'marketing', false)
    body += form(o, 'email', 'emailHeading', fields, 'connect')
  }
  if (o.methods.mobile) {
    const sent = o.codeSentTo
    if (sent === undefined) {
      const fields =
        label('m-phone', 'phone') +
        `<input type="tel" id="m-phone" name="phone"${value(o.values?.phone)} required maxlength="32" autocomplete="tel"${aria('m-phone')}>\n`
      body += form(o, 'mobile', 'mobileHeading', fields, 'sendCode')
    } else {
      const phone = `<input type="hidden" name="phone" value="${escapeHtml(sent)}">\n`
      const fields = phone +
        label('m-code', 'smsCode') +
        `<input type="text" id="m-code" name="code" required maxlength="8" inputmode="numeric" autocomplete="one-time-code"${aria('m-code')}>\n` +
        check('m-mkt', 'marketing', 'marketing', false)
      body += section(o, 'mobile', 'mobileHeading',
        `<p>${escapeHtml(t(lang, 'codeSent', { phone: sent }))}</p>\n` + postForm(o, 'mobile', fields, 'connect') + postForm(o, 'mobile', phone, 'newCode', true))
    }
  }
  if (o.methods.facebook && o.facebookHref !== undefined) {
    body += section(o, 'facebook', 'facebookHeading', `<a class="b" href="${escapeHtml(o.facebookHref)}">${escapeHtml(t(lang, 'facebookButton'))}</a>\n`)
  }
  if (o.methods.free) body += form(o, 'free', 'freeHeading', check('f-terms', 'terms', 'terms', true), 'freeButton')
  if (!Object.values(o.methods).includes(true)) body += `<p>${escapeHtml(t(lang, 'portal_unavailable'))}</p>\n`
  return layout(lang, titleOf(o), body)
}

/**
 * The page after a successful login: "You are connected" ("You are already connected" with
 * `already`), the gateway's welcome, how long the access lasts when `minutes` is given (> 0), and
 * a Continue button linking to `landing` when given. The caller validates `landing`; a value that
 * is not an absolute http(s) URL is still never linked.
 */
export const connectedPage = (o: PageBase & { minutes?: number; landing?: string; already?: boolean }): string => {
  const name = nameOf(o.gatewayName)
  let body = `<h1>${escapeHtml(t(o.lang, o.already === true ? 'alreadyConnected' : 'connected'))}</h1>\n`
  if (name !== null) body += `<p>${escapeHtml(t(o.lang, 'welcome', { name }))}</p>\n`
  if (o.minutes !== undefined && Number.isFinite(o.minutes) && o.minutes > 0) {
    body += `<p>${escapeHtml(t(o.lang, 'connectedFor', { duration: formatDuration(o.lang, o.minutes) }))}</p>\n`
  }
  if (o.landing !== undefined && /^https?:\/\/[^\s]/i.test(o.landing)) {
    body += `<a class="b" href="${escapeHtml(o.landing)}" rel="noreferrer noopener">${escapeHtml(t(o.lang, 'continue'))}</a>\n`
  }
  return layout(o.lang, titleOf(o), body)
}

/** A page with one message under the gateway's heading, e.g. sessionExpired or portal_unavailable. */
export const messagePage = (o: PageBase & { key: StringKey; vars?: Record<string, string | number> }): string =>
  layout(o.lang, titleOf(o), `<h1>${escapeHtml(headingOf(o))}</h1>\n<p>${escapeHtml(t(o.lang, o.key, o.vars))}</p>\n`)
