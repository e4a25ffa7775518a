/**
 * @module portal/login
 * The portal's sign-in service: checks one sign-in of a guest (voucher, e-mail, mobile number,
 * Facebook or free click-through), authorizes the client with `ndsctl auth`, and records it. The portal server
 * calls it with the client as openNDS knows it (IP from the TCP peer, MAC from `ndsctl json
 * <ip>`), never with an address or MAC the guest sent.
 *
 * Rules and the choices behind them:
 *
 * - **One at a time.** Attempts (and automatic re-logins) are handled one after the other, from
 *   reading the voucher to recording the login. Two devices starting the same voucher at once
 *   could otherwise both pass the device limit, and the guest-user row a session points to could
 *   change under it. ndsctl runs one call at a time anyway, so nothing is lost.
 * - **Throttle.** Every attempt of a client that is locked out is refused with
 *   'too_many_attempts' before anything else is looked at. A client is locked out when its MAC
 *   or its IP address is: each wrong voucher code counts a failure for both, so changing one of
 *   them does not start afresh. Only wrong codes count (an unknown username and a wrong passcode
 *   alike); an expired voucher, a bad e-mail address or openNDS trouble do not. The attempt that
 *   reaches the limit is answered 'too_many_attempts' (logged as 'wrong_credentials').
 *   A good code does not clear the count: a guest holding one voucher could otherwise
 *   sign in, out and in again to reset it between guesses. With the throttle's `limit` failures
 *   per `windowMs` and a lock of `lockMs`, one client guesses at most about `limit` codes per
 *   `lockMs`.
 * - **Codes.** Usernames are matched regardless of case (the store's), passcodes exactly, after
 *   trimming both. The passcode is compared in constant time (SHA-256 of both, `timingSafeEqual`),
 *   against a decoy when the username is unknown, so neither the time nor the answer tells an
 *   unknown username from a wrong passcode.
 * - **Vouchers.** The decisions are {@link decideLogin}'s: validity, quotas, device binding, clock;
 *   openNDS gets the session minutes and the remaining quotas (`loginGrant`) and, as
 *   `custom`, which voucher the session belongs to. Nothing is recorded as a sign-in until openNDS
 *   has let the client through: then, in one transaction, the device is bound, last_login (and on
 *   the first login first_login) is stamped and the login log gets 'success'.
 * - **Guest users** (e-mail, mobile, Facebook, free: every method without a voucher). The session's
 *   `custom` names the guest-user row, so its id is needed before `ndsctl auth`; yet a visit must
 *   be counted only when the guest really got through. So the sign-in is first written in a
 *   transaction that is rolled back (a dry run: it yields the row's id, the existing one or the one
 *   a new row will get, and leaves nothing behind), then openNDS is asked, and only then is the
 *   sign-in written for real. Since attempts run one at a time and only the portal writes guest
 *   users, the real write gets the same id. A refused or failed auth thus leaves visits,
 *   last_login and consent as they were, and a guest cannot fill the table with addresses without
 *   getting through each time.
 * - **E-mail addresses** are trimmed, their domain lower-cased (NFC), and checked: at most 254
 *   bytes (64 before the '@'), a dot-atom local part, a domain of at least two labels with an
 *   alphabetic (or `xn--`) top-level label; Unicode letters are allowed (internationalized
 *   addresses). Nothing is sent to the address.
 * - **Mobile numbers** are verified by a one-time code sent by SMS ({@link requestMobileCode},
 *   then a sign-in with the code; the rules of codes and sends are portal/mobile's). A wrong code
 *   counts against the client like a wrong voucher code, so the throttle bounds guessing; the code
 *   itself takes 5 tries. A refused code request (bad number, too soon, too many, gateway
 *   failure) is in the login log too, under the number as typed.
 * - **Facebook** sign-ins arrive verified (the server did the OAuth exchange, portal/facebook):
 *   the app-scoped user id is the identity, with the name and e-mail address Facebook gave.
 *   A flow that failed is logged with {@link noteRefusal}.
 * - **Login log.** Every attempt, accepted or refused, throttled or with its method switched off,
 *   is written to it: method, identity (the username or address as typed, control characters
 *   replaced and cut to length, or the MAC for free sign-ins; never a passcode), MAC, address, and
 *   'success' or the refusal. Store errors before the client is let through propagate (the server
 *   answers with an error page); once openNDS has let it through, a failure to record is logged
 *   and the guest stays online.
 * - **Coming back.** A bound device of a started voucher that is still valid and has quota left is
 *   let back in without the code when openNDS has forgotten it ({@link autoReauth},
 *   {@link mayAutoReauth}); that is logged as a voucher 'success' too.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { clockIsSet, decideLogin, mayAutoReauth, type LoginRefusal, type Usage } from '../domain/enforcement'
import { NdsctlError, type NdsGrant, type Ndsctl } from '../backend/ndsctl'
import { encodeIdentity } from '../backend/identity'
import type { ActionContext } from '../actions/spec'
import type { Throttle } from '../http/throttle'
import type { Store } from '../store/db'
import type { GuestKind, SignIn } from '../store/guest-users'
import type { LoginEntry } from '../store/logins'
import type { VoucherRow } from '../store/vouchers'
import type { Logger } from '../log'
import { normalizePhone, type OtpBook } from './mobile'

/** The portal's sign-in settings (UCI hotspotd.portal). */
export interface PortalSettings {
  /** Which sign-in methods are switched on. */
  voucher: boolean
  email: boolean
  mobile: boolean
  facebook: boolean
  free: boolean
  /** Default country calling code for mobile numbers typed without one ('' for none). */
  countryCode: string
  /** SMS codes sent at most per hour in all. */
  smsPerHour: number
  /** Distinct devices per voucher (0: no limit). */
  maxDevices: number
  /** The longest openNDS session granted at once (`loginGrant`). */
  maxSessionMinutes: number
  /** Session length of e-mail and free sign-ins (at least 1 is granted). */
  guestMinutes: number
  /** Rate limits of e-mail and free guests, kbit/s; left out (or below 1): openNDS' default. */
  guestDownloadKbit?: number
  guestUploadKbit?: number
}

/** The client as openNDS knows it: IP from the TCP peer, MAC (upper case) from `ndsctl json <ip>`. */
export interface PortalClient {
  ip: string
  mac: string
}

/** What the guest submitted. Strings as typed (they are trimmed here). */
export type LoginRequest =
  | { method: 'voucher'; username: string; passcode: string }
  | { method: 'email'; email: string; marketing: boolean; comments?: string }
  | { method: 'mobile'; phone: string; code: string; marketing: boolean }
  | { method: 'facebook'; id: string; name: string; email: string | null }
  | { method: 'free'; marketing: boolean }

/** Why a sign-in is refused: {@link decideLogin}'s reasons and the portal's own. */
export type PortalRefusal =
  | LoginRefusal
  | 'method_off'
  | 'wrong_credentials'
  | 'bad_email'
  | 'bad_phone'
  | 'wrong_code'
  | 'code_expired'
  | 'otp_wait'
  | 'too_many_codes'
  | 'sms_failed'
  | 'facebook_failed'
  | 'too_many_attempts'
  | 'already_connected'
  | 'portal_unavailable'

/**
 * The outcome of a sign-in. `login` is the username, e-mail address or MAC signed in with;
 * `minutes` the session length openNDS was given. `retryAfterSeconds` comes with
 * 'too_many_attempts', and only with it.
 */
export type LoginResult =
  | { ok: true; login: string; minutes: number }
  | { ok: false; reason: PortalRefusal; retryAfterSeconds?: number }

/** What the sign-in service works with. */
export interface PortalLoginDeps {
  store: Store
  ndsctl: Pick<Ndsctl, 'auth'>
  /** What a voucher has used, counted but not yet flushed included (`Enforcer.usage`). */
  usage: (voucherId: number) => Usage
  /** Tells the enforcer that a first_login was stamped with the current clock (`Enforcer.noteFirstLogin`). */
  noteFirstLogin: (voucherId: number) => void
  log: Logger
  emit: ActionContext['emit']
  /** Epoch seconds. */
  now: () => number
  settings: () => PortalSettings
  /** The portal's own throttle (not the API's). */
  throttle: Throttle
  /** The one-time codes of mobile sign-in. */
  otp: OtpBook
  /** Sends a text message (portal/sms' sendSms with the UCI gateway). */
  sendSms: (to: string, text: string, code: string) => Promise<void>
}

/** Longest username or passcode a voucher can have (create_voucher's limit). */
export const MAX_CODE_LENGTH = 64
/** Longest e-mail address, in UTF-8 bytes (RFC 5321's path limit less the brackets). */
export const MAX_EMAIL_BYTES = 254
const MAX_LOCAL_BYTES = 64
/** Longest comment kept from the sign-in form. */
export const MAX_COMMENTS_LENGTH = 500

const ATEXT = "[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-]"
const LOCAL = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`, 'u')
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?'
const DOMAIN = new RegExp(`^(?:${LABEL}\\.)+(?:\\p{L}{2,63}|xn--[a-z0-9-]{1,59})$`, 'u')
// Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu

/**
 * An e-mail address as it is stored: trimmed, NFC, the domain lower-cased; undefined when it is
 * not a plausible address (see the module doc).
 */
export const normalizeEmail = (raw: string): string | undefined => {
  const s = raw.trim().normalize('NFC')
  const at = s.lastIndexOf('@')
  const local = s.slice(0, Math.max(0, at))
  const domain = s.slice(at + 1).toLowerCase()
  const email = `${local}@${domain}`
  const fits = Buffer.byteLength(email) <= MAX_EMAIL_BYTES && Buffer.byteLength(local) <= MAX_LOCAL_BYTES
  return at > 0 && fits && LOCAL.test(local) && DOMAIN.test(domain) ? email : undefined
}

/** A guest-typed text for the logs and tables: trimmed, control characters replaced, at most `max` characters. */
const cleanText = (s: string, max: number, replacement: string): string =>
  [...s.trim().replace(CONTROLS, replacement)].slice(0, max).join('').trim()

/** A form comment as it is stored: cleaned, at most {@link MAX_COMMENTS_LENGTH}; undefined when empty (the stored one is kept). */
const cleanComments = (raw: string | undefined): string | undefined => {
  const s = cleanText(raw ?? '', MAX_COMMENTS_LENGTH, ' ')
  return s === '' ? undefined : s
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()
/** Compared with when the username is unknown, so the work done is the same. */
const DECOY = digest('hotspotd: no such voucher')
const sameSecret = (stored: Buffer, typed: string): boolean => timingSafeEqual(stored, digest(typed))

/** Attempts run one at a time per store (see the module doc). */
const queues = new WeakMap<Store, Promise<unknown>>()
const serialized = <T>(store: Store, fn: () => Promise<T>): Promise<T> => {
  const run = (queues.get(store) ?? Promise.resolve()).then(fn)
  queues.set(store, run.catch(() => undefined))
  return run
}

/** One attempt: who, how, when, as the login log names them. */
interface Attempt {
  deps: PortalLoginDeps
  client: PortalClient
  now: number
  method: LoginEntry['method']
  identity: string
}

const record = (a: Attempt, result: PortalRefusal | 'success'): void => {
  a.deps.store.logins.record({ time: a.now, method: a.method, identity: a.identity, mac: a.client.mac, address: a.client.ip, result })
}

const describe = (a: Attempt): string => `${a.method} ${a.identity} on ${a.client.mac} (${a.client.ip})`

/** Logs a refusal and answers it. */
const refuse = (a: Attempt, reason: PortalRefusal): LoginResult => {
  record(a, reason)
  a.deps.log.debug(`portal: ${describe(a)} refused: ${reason}`)
  return { ok: false, reason }
}

const throttleKeys = (c: PortalClient): [string, string] => [`mac ${c.mac}`, `ip ${c.ip}`]

/** Seconds until the client (its MAC or its address) may try again; 0 when it may now. */
const lockedFor = (a: Attempt): number =>
  Math.max(...throttleKeys(a.client).map((k) => a.deps.throttle.retryAfter(k, a.now * 1000)))

/** Asks openNDS to let the client through; undefined when it did, else why not. */
const authorize = async (a: Attempt, grant: NdsGrant): Promise<'already_connected' | 'portal_unavailable' | undefined> => {
  try {
    await a.deps.ndsctl.auth(a.client.ip, grant)
    return undefined
  } catch (err) {
    if (err instanceof NdsctlError && err.reason === 'refused') return 'already_connected'
    a.deps.log.warn(`portal: ${describe(a)} not let through: ${err instanceof Error ? err.message : String(err)}`)
    return 'portal_unavailable'
  }
}

/**
 * Runs the writes that follow a granted sign-in in one transaction and returns what they return;
 * undefined when they failed (logged: the guest is online already, so nothing is thrown).
 */
const recordGranted = <T>(a: Attempt, writes: () => T): T | undefined => {
  try {
    return a.deps.store.db.transaction(writes)
  } catch (err) {
    a.deps.log.error(`portal: ${describe(a)} is online, but the sign-in was not recorded: ${(err as Error).message}`)
    return undefined
  }
}

/** Authorizes a voucher whose code was checked (or whose device came back) and records the login. */
const voucherSession = async (a: Attempt, v: VoucherRow, settings: PortalSettings, auto: boolean): Promise<LoginResult> => {
  const { deps, client, now } = a
  const decision = decideLogin(v, deps.usage(v.id), client.mac, deps.store.usage.devices(v.id), {
    maxDevices: settings.maxDevices, now, clockSet: clockIsSet(now), maxSessionMinutes: settings.maxSessionMinutes,
  })
  if (!decision.ok) return refuse(a, decision.reason)
  const failed = await authorize(a, { ...decision.grant, custom: encodeIdentity({ kind: 'voucher', id: v.id }) })
  if (failed !== undefined) return refuse(a, failed)
  const stamped = recordGranted(a, () => {
    if (decision.bind !== undefined) deps.store.usage.bind(v.id, decision.bind, now)
    const first = deps.store.vouchers.recordLogin(v.id, now, decision.firstLogin !== undefined)
    record(a, 'success')
    return first
  }) === true
  if (stamped) deps.noteFirstLogin(v.id)
  const minutes = decision.grant.minutes
  deps.emit('hotspot.session', { event: 'login', method: 'voucher', username: v.username, mac: client.mac, ...(auto ? { auto: true } : {}) })
  deps.log.info(`portal: ${describe(a)} ${auto ? 'let back in (automatic re-login)' : 'signed in'} for ${minutes} min` +
    `${decision.bind === undefined ? '' : ', device bound'}${stamped ? ', voucher started' : ''}`)
  return { ok: true, login: v.username, minutes }
}

/** A wrong voucher or SMS code: counted for the client's MAC and address; the one that locks it out is answered 'too_many_attempts'. */
const wrongCode = (a: Attempt, reason: 'wrong_credentials' | 'wrong_code'): LoginResult => {
  const locks = throttleKeys(a.client).map((k) => a.deps.throttle.fail(k, a.now * 1000))
  if (!locks.includes(true)) return refuse(a, reason)
  record(a, reason)
  const retryAfterSeconds = lockedFor(a)
  a.deps.log.info(`portal: ${a.client.mac} (${a.client.ip}) locked out for ${retryAfterSeconds} s after too many wrong codes`)
  return { ok: false, reason: 'too_many_attempts', retryAfterSeconds }
}

const voucherLogin = async (a: Attempt, req: Extract<LoginRequest, { method: 'voucher' }>, settings: PortalSettings): Promise<LoginResult> => {
  const found = a.deps.store.vouchers.find(req.username.trim())
  const good = sameSecret(found === undefined ? DECOY : digest(found.passcode), req.passcode.trim())
  if (found === undefined || !good) return wrongCode(a, 'wrong_credentials')
  return voucherSession({ ...a, identity: found.username }, found, settings, false)
}

/** The session a guest user (no voucher) gets: the guest minutes and rates, and its row as `custom`. */
const guestGrant = (settings: PortalSettings, kind: GuestKind, id: number): NdsGrant => {
  const grant: NdsGrant = { minutes: Math.max(1, Math.floor(settings.guestMinutes)), custom: encodeIdentity({ kind, id }) }
  const rate = (kbit: number | undefined): number | undefined => kbit !== undefined && kbit >= 1 ? Math.floor(kbit) : undefined
  const down = rate(settings.guestDownloadKbit)
  const up = rate(settings.guestUploadKbit)
  if (down !== undefined) grant.downloadKbit = down
  if (up !== undefined) grant.uploadKbit = up
  return grant
}

const ROLLBACK = Symbol('rollback')

/** The id the sign-in's row has or will get, from a write that is rolled back (see the module doc). */
const rowIdFor = (store: Store, kind: GuestKind, s: SignIn): number => {
  let id = 0
  try {
    store.db.transaction(() => {
      id = store.guestUsers.recordSignIn(kind, s).id
      throw ROLLBACK
    })
  } catch (err) {
    if (err !== ROLLBACK) throw err
  }
  return id
}

/**
 * Authorizes a guest user and records the sign-in (a visit) once openNDS has let it through. The
 * path of every method without a voucher, once its verification (if any) has passed.
 */
const guestSession = async (a: Attempt, kind: GuestKind, s: SignIn, settings: PortalSettings): Promise<LoginResult> => {
  const grant = guestGrant(settings, kind, rowIdFor(a.deps.store, kind, s))
  const failed = await authorize(a, grant)
  if (failed !== undefined) return refuse(a, failed)
  recordGranted(a, () => {
    a.deps.store.guestUsers.recordSignIn(kind, s)
    record(a, 'success')
  })
  a.deps.emit('hotspot.session', { event: 'login', method: kind, login: s.identity, mac: a.client.mac })
  a.deps.log.info(`portal: ${describe(a)} signed in for ${grant.minutes} min`)
  return { ok: true, login: s.identity, minutes: grant.minutes }
}

/** What the login log names an attempt by before it is checked. */
const typedIdentity = (req: LoginRequest, client: PortalClient): string => {
  switch (req.method) {
    case 'voucher': return cleanText(req.username, MAX_CODE_LENGTH, '?')
    case 'email': return cleanText(req.email, MAX_EMAIL_BYTES, '?')
    case 'mobile': return cleanText(req.phone, MAX_PHONE_LENGTH, '?')
    case 'facebook': return req.id
    case 'free': return client.mac
  }
}

/** Longest mobile number kept as typed (in the login log). */
const MAX_PHONE_LENGTH = 32

const mobileLogin = async (a: Attempt, req: Extract<LoginRequest, { method: 'mobile' }>, settings: PortalSettings, signIn: Omit<SignIn, 'identity'>): Promise<LoginResult> => {
  const phone = normalizePhone(req.phone, settings.countryCode)
  if (phone === undefined) return refuse(a, 'bad_phone')
  const b = { ...a, identity: phone }
  const verdict = a.deps.otp.check(phone, a.client.mac, req.code, a.now * 1000)
  if (verdict === 'wrong_code') return wrongCode(b, 'wrong_code')
  if (verdict !== 'ok') return refuse(b, verdict)
  return guestSession(b, 'mobile', { ...signIn, identity: phone, verified: true }, settings)
}

const attempt = async (deps: PortalLoginDeps, client: PortalClient, req: LoginRequest): Promise<LoginResult> => {
  const settings = deps.settings()
  const a: Attempt = { deps, client, now: Math.floor(deps.now()), method: req.method, identity: typedIdentity(req, client) }
  if (!settings[req.method]) return refuse(a, 'method_off')
  const wait = lockedFor(a)
  if (wait > 0) {
    record(a, 'too_many_attempts')
    return { ok: false, reason: 'too_many_attempts', retryAfterSeconds: wait }
  }
  const signIn = { mac: client.mac, time: a.now, marketing: 'marketing' in req && req.marketing }
  switch (req.method) {
    case 'voucher':
      return voucherLogin(a, req, settings)
    case 'email': {
      const email = normalizeEmail(req.email)
      if (email === undefined) return refuse(a, 'bad_email')
      return guestSession({ ...a, identity: email }, 'email', { ...signIn, identity: email, comments: cleanComments(req.comments) }, settings)
    }
    case 'mobile':
      return mobileLogin(a, req, settings, signIn)
    case 'facebook':
      return guestSession(a, 'facebook', { ...signIn, identity: req.id, name: cleanText(req.name, 200, ' '), email: req.email }, settings)
    case 'free':
      return guestSession(a, 'free', { ...signIn, identity: client.mac }, settings)
  }
}

/**
 * One sign-in at the portal: refuses it (method off, client locked out, wrong code, bad e-mail
 * address, voucher not valid for this device now, openNDS said no or failed) or authorizes the
 * client with `ndsctl auth` and records it; either way the attempt is in the login log (see the
 * module doc).
 * @throws what the store throws before the client is let through
 */
export const portalLogin = async (deps: PortalLoginDeps, client: PortalClient, req: LoginRequest): Promise<LoginResult> =>
  serialized(deps.store, () => attempt(deps, client, req))

/**
 * A bound device of a still-valid voucher that openNDS forgot: authorize it again without the
 * code (the portal calls this before showing the form, for a client openNDS holds as
 * Preauthenticated). Of the vouchers the device is bound to, the most recently bound one that
 * {@link mayAutoReauth} allows is used. Returns the result (a refusal only when openNDS said no or
 * failed), or undefined when the device has no such voucher or voucher sign-in is switched off.
 * @throws what the store throws before the client is let through
 */
export const autoReauth = async (deps: PortalLoginDeps, client: PortalClient): Promise<LoginResult | undefined> =>
  serialized(deps.store, async () => {
    const settings = deps.settings()
    if (!settings.voucher) return undefined
    const now = Math.floor(deps.now())
    const clockSet = clockIsSet(now)
    for (const id of deps.store.usage.vouchersOf(client.mac)) {
      const v = deps.store.vouchers.byId(id)
      if (v === undefined || !mayAutoReauth(v, client.mac, deps.store.usage.devices(id), deps.usage(id), now, clockSet)) continue
      return voucherSession({ deps, client, now, method: 'voucher', identity: v.username }, v, settings, true)
    }
    return undefined
  })

/** The answer to a request for a mobile sign-in code: the number it went to, or why none was sent. */
export type CodeResult =
  | { ok: true; phone: string }
  | { ok: false; reason: 'method_off' | 'too_many_attempts' | 'bad_phone' | 'otp_wait' | 'too_many_codes' | 'sms_failed'; retryAfterSeconds?: number }

/**
 * Sends a one-time sign-in code to a mobile number (the first step of mobile sign-in), unless
 * mobile sign-in is off, the client is locked out, the number is not plausible, a sending limit
 * is reached (portal/mobile) or the gateway fails. A refusal is in the login log.
 * @param message the text to send, holding the code
 */
export const requestMobileCode = async (deps: PortalLoginDeps, client: PortalClient, rawPhone: string, message: (code: string) => string): Promise<CodeResult> => {
  const settings = deps.settings()
  const now = Math.floor(deps.now())
  const a: Attempt = { deps, client, now, method: 'mobile', identity: cleanText(rawPhone, MAX_PHONE_LENGTH, '?') }
  const no = (reason: Extract<CodeResult, { ok: false }>['reason'], retryAfterSeconds?: number): CodeResult => {
    refuse(a, reason)
    return retryAfterSeconds === undefined ? { ok: false, reason } : { ok: false, reason, retryAfterSeconds }
  }
  if (!settings.mobile) return no('method_off')
  const wait = lockedFor(a)
  if (wait > 0) return no('too_many_attempts', wait)
  const phone = normalizePhone(rawPhone, settings.countryCode)
  if (phone === undefined) return no('bad_phone')
  a.identity = phone
  const issued = deps.otp.issue(phone, client.mac, client.ip, deps.now() * 1000, settings.smsPerHour)
  if (!issued.ok) return no(issued.reason, issued.retryAfterSeconds)
  try {
    await deps.sendSms(phone, message(issued.code), issued.code)
  } catch (err) {
    deps.otp.forget(phone, client.mac)
    deps.log.warn(`portal: no code sent to ${phone} for ${client.mac}: ${(err as Error).message}`)
    return no('sms_failed')
  }
  deps.log.info(`portal: sign-in code sent to ${phone} for ${client.mac} (${client.ip})`)
  return { ok: true, phone }
}

/** Writes a sign-in that failed before the login service saw it (e.g. a Facebook flow that did not complete) to the login log. */
export const noteRefusal = (deps: PortalLoginDeps, client: PortalClient, method: LoginEntry['method'], identity: string, reason: PortalRefusal): void => {
  refuse({ deps, client, now: Math.floor(deps.now()), method, identity: cleanText(identity, MAX_CODE_LENGTH, '?') }, reason)
}
