/**
 * @module portal/server
 * The guest side: hotspotd as openNDS' FAS, on the guest interface addresses only. openNDS
 * sends every guest it holds to `<path>?<query>`; the portal checks that the TCP peer is the
 * guest openNDS named and sits in a guest subnet, learns its MAC from `ndsctl json <ip>` (never
 * from the guest), lets a bound device of a valid voucher back in without the code, and
 * otherwise shows the sign-in page. `<path>login` takes the forms (and sends mobile sign-in
 * codes) and authorizes through `ndsctl auth`; `<path>facebook` starts Facebook sign-in
 * (`?sid=`) and takes Facebook's answer (`?state=&code=`, the redirect URI). Nothing else is
 * served here: no API, no ubus, no admin action.
 */
import { randomBytes } from 'node:crypto'
import type { FacebookConfig, PortalMethods } from '../config/config'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Ndsctl } from '../backend/ndsctl'
import { inSubnet, type Subnet } from '../backend/guest-hosts'
import { isRandomizedMac } from '../domain/enforcement'
import { credentialProblem } from '../domain/credentials'
import { ApiError, stackOf } from '../errors'
import { formatLocal } from '../domain/local-time'
import { NdsctlError } from '../backend/ndsctl'
import { isOnline, NdsOutputError } from '../backend/nds-json'
import { clientAddress } from '../http/api'
import { readBody } from '../http/body'
import type { Logger } from '../log'
import { landingUrl, parseFasQuery, peerMatches, type FasClient } from './fas'
import { dialogUrl, facebookProfile, type FacebookError } from './facebook'
import { autoReauth, noteRefusal, portalLogin, requestMobileCode, type LoginRequest, type LoginResult, type PortalClient, type PortalLoginDeps } from './login'
import { connectedPage, messagePage, SECURITY_HEADERS, splashPage, type PageBase, type SplashOptions } from './pages'
import type { Fetch } from './sms'
import { pickLang, t, type Lang, type StringKey } from './strings'


export interface PortalServerSettings {
  /** openNDS' faspath, e.g. '/portal/'. */
  path: string
  /** openNDS' gateway address (`<guest ip>:<gatewayport>`), where /login lives. */
  gateway: string
  methods: PortalMethods
  /** Continue link when the guest's own page cannot be used; '' for none. */
  landing: string
  /** The SMS text template holding `{code}`; '' for the portal's own text in the guest's language. */
  smsMessage: string
  /** The Facebook app, with the redirect URI to use (the configured one or the portal's own). */
  facebook: FacebookConfig
}

export interface PortalDoor {
  login: PortalLoginDeps
  ndsctl: Pick<Ndsctl, 'client'>
  settings: () => PortalServerSettings
  /** The guest subnets: only peers inside them are served. */
  subnets: () => Subnet[]
  log: Logger
  /** Milliseconds; tests pass their own clock. */
  nowMs?: () => number
  /** Visits remembered at most (default 4096); the oldest go first. */
  maxVisits?: number
  /** The fetch Facebook is asked with (tests pass their own). */
  fetch?: Fetch
}

/**
 * A visit between the sign-in page and its forms: bound to the guest's address and MAC. It
 * remembers the number a sign-in code was sent to and the state of a Facebook sign-in under way.
 */
interface Visit { client: PortalClient; fas: FasClient | undefined; lang: Lang; expires: number; codeSentTo?: string; facebookState?: string }

/**
 * The query parameter of a printed voucher's QR link (`<path>?code=<username>`): the sign-in
 * page shows with the username filled in. It is kept in a cookie for the hop through openNDS'
 * /login, whose redirect back carries only openNDS' own query.
 */
export const PORTAL_CODE_PARAM = 'code'

/** The cookie that carries a QR link's code through openNDS' /login (on the guest address, any port). */
export const CODE_COOKIE = 'hotspotd_code'

const VISIT_MS = 15 * 60_000

/**
 * A QR link's voucher code, from the query's `code` or, after the hop through openNDS, the
 * cookie; and the query without it (openNDS' own, read raw). A code that is no acceptable
 * username is ignored.
 */
export const voucherCodeOf = (rawQuery: string, cookieHeader: string | undefined): { code: string | undefined; fromQuery: boolean; rest: string } => {
  const parts = rawQuery === '' ? [] : rawQuery.split('&')
  const mine = parts.filter((p) => p.startsWith(`${PORTAL_CODE_PARAM}=`))
  const rest = parts.filter((p) => !p.startsWith(`${PORTAL_CODE_PARAM}=`)).join('&')
  const fromCookie = (cookieHeader ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${CODE_COOKIE}=`))
  const raw = mine.length > 0 ? (mine[mine.length - 1] as string).slice(PORTAL_CODE_PARAM.length + 1) : fromCookie?.slice(CODE_COOKIE.length + 1)
  let code: string | undefined
  try {
    code = raw === undefined ? undefined : decodeURIComponent(raw.replace(/\+/g, ' ')).trim()
  } catch {
    code = undefined
  }
  const usable = code !== undefined && code !== '' && [...code].length <= 64 && credentialProblem(code) === null
  return { code: usable ? code : undefined, fromQuery: mine.length > 0 && usable, rest }
}
const FORM_LIMIT = 4096

const send = (res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void => {
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra })
  res.end(html)
}

/** The request listener's portal part; `handle` answers every request and never throws. */
export const createPortal = (door: PortalDoor): { handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>; visits: () => number } => {
  const visits = new Map<string, Visit>()
  const nowMs = door.nowMs ?? Date.now
  const maxVisits = door.maxVisits ?? 4096
  const remember = (v: Visit): string => {
    const now = nowMs()
    for (const [sid, old] of visits) if (old.expires < now || visits.size >= maxVisits) visits.delete(sid)
    const sid = randomBytes(16).toString('hex')
    visits.set(sid, v)
    return sid
  }
  const page = (lang: Lang, sid: string, fas?: FasClient): PageBase => ({ lang, gatewayName: fas?.gatewayName ?? null, sid, action: `${door.settings().path}login` })

  /** Who the peer is to openNDS: its MAC and whether it is through already. */
  const lookup = async (ip: string): Promise<{ client: PortalClient; authorized: boolean } | undefined> => {
    const c = await door.ndsctl.client(ip)
    return c === undefined ? undefined : { client: { ip, mac: c.mac }, authorized: isOnline(c.state) }
  }

  const landing = (fas: FasClient | undefined): string | undefined => {
    const { landing: fallback, gateway } = door.settings()
    const url = fas === undefined ? fallback : landingUrl(fas, fallback, [gateway.replace(/:\d+$/, '')])
    return url === '' ? undefined : url
  }

  const connected = (res: ServerResponse, lang: Lang, result: Extract<LoginResult, { ok: true }> | undefined, fas: FasClient | undefined): void => {
    send(res, 200, connectedPage({ ...page(lang, '', fas), minutes: result?.minutes, landing: landing(fas), already: result === undefined }))
  }

  const entry = async (res: ServerResponse, peer: string, rawQuery: string, lang: Lang, code: string | undefined): Promise<void> => {
    let fas: FasClient | undefined
    try {
      fas = rawQuery === '' ? undefined : parseFasQuery(rawQuery)
    } catch (err) {
      door.log.debug(`portal: ${peer}: unusable redirect query (${(err as Error).message})`)
    }
    if (fas !== undefined && fas.status !== 'authenticated' && !peerMatches(fas, peer, door.subnets())) {
      door.log.warn(`portal: ${peer} brought a redirect for ${String(fas.clientIp)}; refused`)
      send(res, 403, messagePage({ ...page(lang, '', fas), key: 'portal_unavailable' }))
      return
    }
    const known = await lookup(peer)
    if (known === undefined) {
      // openNDS does not hold this guest yet: its /login takes it in and sends it back here.
      res.writeHead(302, { ...SECURITY_HEADERS, Location: `http://${door.settings().gateway}/login` })
      res.end()
      return
    }
    if (known.authorized) {
      connected(res, lang, undefined, fas)
      return
    }
    const again = await autoReauth(door.login, known.client)
    if (again?.ok === true) {
      connected(res, lang, again, fas)
      return
    }
    const visit: Visit = { client: known.client, fas, lang, expires: nowMs() + VISIT_MS }
    const sid = remember(visit)
    send(res, 200, splash(sid, visit, { hint: isRandomizedMac(known.client.mac), ...(code === undefined ? {} : { values: { username: code } }) }))
  }

  const requestOf = (form: URLSearchParams): LoginRequest | undefined => {
    const method = form.get('method')
    const marketing = form.get('marketing') === '1'
    if (method === 'voucher') return { method, username: (form.get('username') ?? '').trim(), passcode: (form.get('passcode') ?? '').trim() }
    if (method === 'email') return { method, email: form.get('email') ?? '', marketing }
    if (method === 'mobile') return { method, phone: form.get('phone') ?? '', code: form.get('code') ?? '', marketing }
    if (method === 'free') return { method, marketing }
    return undefined
  }

  /** The splash page of a visit, with what it remembers. */
  const splash = (sid: string, visit: Visit, extra: Partial<SplashOptions> = {}): string => {
    const settings = door.settings()
    const options: SplashOptions = { ...page(visit.lang, sid, visit.fas), methods: settings.methods, facebookHref: `${settings.path}facebook?sid=${sid}`, ...extra }
    if (visit.codeSentTo !== undefined) options.codeSentTo = visit.codeSentTo
    return splashPage(options)
  }

  /** Answers a refusal with the splash page: the error, the guest's input back, and Retry-After when there is a wait. */
  const refused = (res: ServerResponse, sid: string, visit: Visit, result: { reason: StringKey; retryAfterSeconds?: number }, extra: Partial<SplashOptions> = {}, vars: Record<string, string | number> = {}): void => {
    const retry = result.retryAfterSeconds
    const wait = { minutes: Math.ceil((retry ?? 0) / 60), seconds: retry ?? 0 }
    send(res, retry === undefined ? 200 : 429, splash(sid, visit, { ...extra, error: { key: result.reason, vars: { ...wait, ...vars } } }),
      retry === undefined ? {} : { 'Retry-After': String(retry) })
  }

  /** Sends a mobile sign-in code (a mobile form without a code) and asks for it. */
  const requestCode = async (res: ServerResponse, sid: string, visit: Visit, phone: string): Promise<void> => {
    const template = door.settings().smsMessage
    const message = (code: string): string => template === '' ? t(visit.lang, 'smsText', { code }) : template.replaceAll('{code}', code)
    const result = await requestMobileCode(door.login, visit.client, phone, message)
    if (!result.ok) {
      refused(res, sid, visit, result, { values: { phone } })
      return
    }
    visit.codeSentTo = result.phone
    send(res, 200, splash(sid, visit))
  }

  /** The words a refusal needs beyond the wait: since when a voucher is valid. */
  const varsOf = (result: Extract<LoginResult, { ok: false }>, request: LoginRequest): Record<string, string | number> => {
    const v = result.reason === 'not_yet_valid' && request.method === 'voucher' ? door.login.store.vouchers.find(request.username) : undefined
    return { date: v === undefined ? '' : formatLocal(v.valid_from) as string }
  }

  const submit = async (req: IncomingMessage, res: ServerResponse, peer: string, lang: Lang): Promise<void> => {
    const form = new URLSearchParams((await readBody(req, FORM_LIMIT)).toString('utf8'))
    const sid = form.get('sid') ?? ''
    const visit = visitOf(sid, peer)
    const request = requestOf(form)
    if (visit === undefined || request === undefined) {
      send(res, 200, messagePage({ ...page(lang, ''), key: 'sessionExpired' }))
      return
    }
    if (request.method === 'free' && form.get('terms') !== '1') {
      send(res, 200, splash(sid, visit, { error: { key: 'terms_required' } }))
      return
    }
    if (request.method === 'mobile' && !form.has('code')) {
      await requestCode(res, sid, visit, request.phone)
      return
    }
    await finish(res, sid, visit, request)
  }

  /** Signs the visit's client in and answers with the connected page, or the refusal. */
  const finish = async (res: ServerResponse, sid: string, visit: Visit, request: LoginRequest): Promise<void> => {
    const result = await portalLogin(door.login, visit.client, request)
    if (result.ok) {
      visits.delete(sid)
      res.setHeader('Set-Cookie', `${CODE_COOKIE}=; Path=${door.settings().path}; Max-Age=0; HttpOnly; SameSite=Lax`)
      connected(res, visit.lang, result, visit.fas)
      return
    }
    const values = request.method === 'voucher' ? { username: request.username } : request.method === 'email' ? { email: request.email } : {}
    refused(res, sid, visit, result, { values, hint: result.reason === 'other_device' && isRandomizedMac(visit.client.mac) }, varsOf(result, request))
  }

  /** The visit of `sid` when it is still open and belongs to `peer`. */
  const visitOf = (sid: string, peer: string): Visit | undefined => {
    const visit = visits.get(sid)
    return visit === undefined || visit.expires < nowMs() || visit.client.ip !== peer ? undefined : visit
  }

  /**
   * `<path>facebook`: with `sid`, sends the guest to Facebook's login dialog with a new state;
   * with `state`, takes Facebook's answer for the visit that state belongs to (once).
   */
  const facebook = async (res: ServerResponse, peer: string, query: URLSearchParams, lang: Lang): Promise<void> => {
    const settings = door.settings()
    const state = query.get('state')
    if (state === null) {
      const sid = query.get('sid') ?? ''
      const visit = visitOf(sid, peer)
      if (visit === undefined || !settings.methods.facebook) {
        send(res, 200, messagePage({ ...page(lang, ''), key: visit === undefined ? 'sessionExpired' : 'method_off' }))
        return
      }
      visit.facebookState = randomBytes(16).toString('hex')
      res.writeHead(302, { ...SECURITY_HEADERS, Location: dialogUrl(settings.facebook, settings.facebook.redirectUri, visit.facebookState) })
      res.end()
      return
    }
    const found = [...visits].find(([, v]) => v.facebookState !== undefined && v.facebookState === state)
    const visit = found === undefined ? undefined : visitOf(found[0], peer)
    if (found === undefined || visit === undefined) {
      send(res, 200, messagePage({ ...page(lang, ''), key: 'sessionExpired' }))
      return
    }
    const sid = found[0]
    delete visit.facebookState
    const code = query.get('code') ?? ''
    if (code === '') {
      const why = query.get('error_reason') ?? query.get('error') ?? 'no code'
      door.log.info(`portal: Facebook sign-in of ${visit.client.mac} (${visit.client.ip}) did not complete: ${why}`)
      noteRefusal(door.login, visit.client, 'facebook', why, 'facebook_failed')
      refused(res, sid, visit, { reason: 'facebook_failed' })
      return
    }
    let profile
    try {
      profile = await facebookProfile(settings.facebook, settings.facebook.redirectUri, code, door.fetch)
    } catch (err) {
      // facebookProfile throws only FacebookErrors: whatever fails on the way is Facebook's failure.
      door.log.warn(`portal: Facebook sign-in of ${visit.client.mac} (${visit.client.ip}): ${(err as FacebookError).message}`)
      noteRefusal(door.login, visit.client, 'facebook', 'exchange failed', 'facebook_failed')
      refused(res, sid, visit, { reason: 'facebook_failed' })
      return
    }
    await finish(res, sid, visit, { method: 'facebook', ...profile })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const peer = clientAddress(req)
    const lang = pickLang(req.headers['accept-language'])
    try {
      if (!door.subnets().some((s) => inSubnet(peer, s))) {
        send(res, 403, messagePage({ ...page(lang, ''), key: 'portal_unavailable' }))
        return
      }
      const target = req.url as string // node:http always sets it on a server's request
      const q = target.indexOf('?')
      const path = q < 0 ? target : target.slice(0, q)
      const { path: base } = door.settings()
      if (path === base && (req.method === 'GET' || req.method === 'HEAD')) {
        const { code, fromQuery, rest } = voucherCodeOf(q < 0 ? '' : target.slice(q + 1), req.headers.cookie)
        // Kept for the hop through openNDS' /login: a cookie on the guest address survives the change of port.
        if (fromQuery) res.setHeader('Set-Cookie', `${CODE_COOKIE}=${encodeURIComponent(code as string)}; Path=${base}; Max-Age=900; HttpOnly; SameSite=Lax`)
        await entry(res, peer, rest, lang, code)
      }
      else if (path === `${base}login` && req.method === 'POST') await submit(req, res, peer, lang)
      else if (path === `${base}facebook` && req.method === 'GET') await facebook(res, peer, new URLSearchParams(q < 0 ? '' : target.slice(q + 1)), lang)
      else if (path === base || path === `${base}login` || path === `${base}facebook`) {
        send(res, 405, messagePage({ ...page(lang, ''), key: 'portal_unavailable' }), { Allow: path === `${base}login` ? 'POST' : 'GET' })
      }
      else send(res, 404, messagePage({ ...page(lang, ''), key: 'portal_unavailable' }))
    } catch (err) {
      const tooLarge = err instanceof ApiError && err.kind === 'too_large'
      if (err instanceof NdsctlError || err instanceof NdsOutputError) door.log.warn(`portal: ${peer}: openNDS cannot be asked: ${err.message}`)
      else if (!tooLarge) door.log.error(`portal: ${peer} ${String(req.method)}: ${stackOf(err)}`)
      // Every answer above is the last thing its path does, so nothing was sent yet.
      send(res, tooLarge ? 413 : 503, messagePage({ ...page(lang, ''), key: 'portal_unavailable' }), { Connection: 'close' })
    }
  }
  return { handle, visits: () => visits.size }
}
