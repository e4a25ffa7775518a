/**
 * @module portal/server
 * The guest side: hotspotd as openNDS' FAS, on the guest interface addresses only. openNDS
 * sends every guest it holds to `<path>?<query>`; the portal checks that the TCP peer is the
 * guest openNDS named and sits in a guest subnet, learns its MAC from `ndsctl json <ip>` (never
 * from the guest), lets a bound device of a valid voucher back in without the code, and
 * otherwise shows the sign-in page. `<path>login` takes the form and authorizes through
 * `ndsctl auth`. Nothing else is served here: no API, no ubus, no admin action.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Ndsctl } from '../backend/ndsctl'
import { inSubnet, type Subnet } from '../backend/guest-hosts'
import { isRandomizedMac } from '../domain/enforcement'
import { ApiError, stackOf } from '../errors'
import { formatLocal } from '../domain/local-time'
import { NdsctlError } from '../backend/ndsctl'
import { isOnline, NdsOutputError } from '../backend/nds-json'
import { clientAddress } from '../http/api'
import { readBody } from '../http/body'
import type { Logger } from '../log'
import { landingUrl, parseFasQuery, peerMatches, type FasClient } from './fas'
import { autoReauth, portalLogin, type LoginRequest, type LoginResult, type PortalClient, type PortalLoginDeps } from './login'
import { connectedPage, messagePage, SECURITY_HEADERS, splashPage, type PageBase } from './pages'
import { pickLang, type Lang } from './strings'

export interface PortalServerSettings {
  /** openNDS' faspath, e.g. '/portal/'. */
  path: string
  /** openNDS' gateway address (`<guest ip>:<gatewayport>`), where /login lives. */
  gateway: string
  methods: { voucher: boolean; email: boolean; free: boolean }
  /** Continue link when the guest's own page cannot be used; '' for none. */
  landing: string
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
}

/** A visit between the sign-in page and its form: bound to the guest's address and MAC. */
interface Visit { client: PortalClient; fas: FasClient | undefined; lang: Lang; expires: number }

const VISIT_MS = 15 * 60_000
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

  const entry = async (res: ServerResponse, peer: string, rawQuery: string, lang: Lang): Promise<void> => {
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
    const sid = remember({ client: known.client, fas, lang, expires: nowMs() + VISIT_MS })
    send(res, 200, splashPage({ ...page(lang, sid, fas), methods: door.settings().methods, hint: isRandomizedMac(known.client.mac) }))
  }

  const requestOf = (form: URLSearchParams): LoginRequest | undefined => {
    const method = form.get('method')
    const marketing = form.get('marketing') === '1'
    if (method === 'voucher') return { method, username: (form.get('username') ?? '').trim(), passcode: (form.get('passcode') ?? '').trim() }
    if (method === 'email') return { method, email: form.get('email') ?? '', marketing }
    if (method === 'free') return { method, marketing }
    return undefined
  }

  /** The words a refusal needs: how long to wait, since when a voucher is valid. */
  const varsOf = (result: Extract<LoginResult, { ok: false }>, request: LoginRequest): Record<string, string | number> => {
    const v = result.reason === 'not_yet_valid' && request.method === 'voucher' ? door.login.store.vouchers.find(request.username) : undefined
    return { minutes: Math.ceil((result.retryAfterSeconds ?? 0) / 60), date: v === undefined ? '' : formatLocal(v.valid_from) as string }
  }

  const submit = async (req: IncomingMessage, res: ServerResponse, peer: string, lang: Lang): Promise<void> => {
    const form = new URLSearchParams((await readBody(req, FORM_LIMIT)).toString('utf8'))
    const sid = form.get('sid') ?? ''
    const visit = visits.get(sid)
    const request = requestOf(form)
    if (visit === undefined || visit.expires < nowMs() || visit.client.ip !== peer || request === undefined) {
      send(res, 200, messagePage({ ...page(lang, ''), key: 'sessionExpired' }))
      return
    }
    const base = { ...page(visit.lang, sid, visit.fas), methods: door.settings().methods }
    if (request.method === 'free' && form.get('terms') !== '1') {
      send(res, 200, splashPage({ ...base, error: { key: 'terms_required' } }))
      return
    }
    const result = await portalLogin(door.login, visit.client, request)
    if (result.ok) {
      visits.delete(sid)
      connected(res, visit.lang, result, visit.fas)
      return
    }
    const values = request.method === 'voucher' ? { username: request.username } : request.method === 'email' ? { email: request.email } : {}
    const retry = result.retryAfterSeconds
    send(res, retry === undefined ? 200 : 429, splashPage({
      ...base,
      error: { key: result.reason, vars: varsOf(result, request) },
      values,
      hint: result.reason === 'other_device' && isRandomizedMac(visit.client.mac),
    }), retry === undefined ? {} : { 'Retry-After': String(retry) })
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
      if (path === base && (req.method === 'GET' || req.method === 'HEAD')) await entry(res, peer, q < 0 ? '' : target.slice(q + 1), lang)
      else if (path === `${base}login` && req.method === 'POST') await submit(req, res, peer, lang)
      else if (path === base || path === `${base}login`) send(res, 405, messagePage({ ...page(lang, ''), key: 'portal_unavailable' }), { Allow: path === base ? 'GET' : 'POST' })
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
