/**
 * @module admin/auth
 * The panel's sign-in and sessions. Credentials and ACLs are never hotspotd's own where rpcd
 * runs: `session login` and `session access` are asked of rpcd over ubus, so a LuCI user signs
 * in with LuCI's password and may do what its rpcd ACL grants. Where no rpcd answers, the
 * built-in sessions (ubus/sessions, user `admin`) are asked the same questions the same way.
 * The browser never sees either session id: it holds an opaque random cookie id of the panel's,
 * mapped here to the session, with a CSRF token of its own. A panel session ends after
 * `timeout` seconds without use, at logout (which ends the rpcd or built-in session too), or
 * when rpcd says its session is gone.
 */
import { randomBytes } from 'node:crypto'
import type { Logger } from '../log'
import { UbusStatus, type UbusObject, type UbusReply } from '../ubus/object'
import { HOTSPOT_OBJECT } from '../ubus/acl'
import type { SessionInfo } from './protocol'

/** One method call on an rpcd-style `session` object; never throws (failures are statuses). */
export type SessionCall = (method: 'login' | 'access' | 'destroy', args: Record<string, unknown>, address: string) => Promise<UbusReply>

export interface AdminAuthOptions {
  /** rpcd's `session` object over ubus while hotspotd is on the bus, else undefined. */
  rpcd: () => SessionCall | undefined
  /** The built-in sessions' `session` object. */
  builtin: SessionCall
  /** Names of every action of the table, in order (what `allowed` is chosen from). */
  actions: readonly string[]
  /** Seconds a session lives without use (asked of rpcd at login too). */
  timeout: () => number
  /** Milliseconds. */
  now: () => number
  log: Logger
  /** Panel sessions at most (default 64); a new sign-in ends the least recently used. */
  maxSessions?: number
}

export interface AdminSession {
  /** The cookie's value. */
  readonly id: string
  readonly csrf: string
  readonly username: string
  readonly via: 'rpcd' | 'builtin'
  /** The rpcd or built-in session id behind it. */
  readonly sid: string
  /** Seconds. */
  readonly timeout: number
  expiresAt: number
}

export type LoginOutcome = { ok: true; session: AdminSession } | { ok: false; why: 'refused' | 'unavailable' }

export const DEFAULT_MAX_SESSIONS = 64

const token = (): string => randomBytes(32).toString('base64url')

export class AdminAuth {
  private readonly sessions = new Map<string, AdminSession>()

  constructor (private readonly opts: AdminAuthOptions) {}

  /**
   * Asks rpcd (where its `session` object answers) or the built-in sessions whether the
   * credentials are good; opens a panel session when they are.
   */
  async login (username: string, password: string, address: string): Promise<LoginOutcome> {
    const args = { username, password, timeout: this.opts.timeout() }
    const rpcd = this.opts.rpcd()
    let via: AdminSession['via'] = 'rpcd'
    // NOT_FOUND: ubusd has no `session` object, so no rpcd runs (CONNECTION_FAILED: no ubusd).
    let reply = rpcd === undefined ? undefined : await rpcd('login', args, address)
    if (reply === undefined || reply.status === UbusStatus.NOT_FOUND || reply.status === UbusStatus.CONNECTION_FAILED) {
      via = 'builtin'
      reply = await this.opts.builtin('login', args, address)
    }
    const sid = reply.data?.ubus_rpc_session
    if (reply.status !== UbusStatus.OK || typeof sid !== 'string') {
      return { ok: false, why: reply.status === UbusStatus.PERMISSION_DENIED || reply.status === UbusStatus.OK ? 'refused' : 'unavailable' }
    }
    const timeout = typeof reply.data?.timeout === 'number' && reply.data.timeout > 0 ? reply.data.timeout : this.opts.timeout()
    const session: AdminSession = { id: token(), csrf: token(), username, via, sid, timeout, expiresAt: this.opts.now() + timeout * 1000 }
    this.prune()
    const max = this.opts.maxSessions ?? DEFAULT_MAX_SESSIONS
    if (this.sessions.size >= max) await this.end(this.sessions.values().next().value as AdminSession)
    this.sessions.set(session.id, session)
    this.opts.log.info(`admin: ${username} signed in from ${address} (${via})`)
    return { ok: true, session }
  }

  /** The live session of a cookie id, its idle expiry moved forward; undefined when there is none. */
  find (id: string | undefined): AdminSession | undefined {
    const s = id === undefined ? undefined : this.sessions.get(id)
    if (s === undefined) return undefined
    this.sessions.delete(s.id)
    const now = this.opts.now()
    if (now >= s.expiresAt) return undefined
    s.expiresAt = now + s.timeout * 1000
    this.sessions.set(s.id, s) // now the most recently used
    return s
  }

  /**
   * Whether the session may call `action`, asked of rpcd or the built-in sessions each time (so
   * an ACL change applies at once). Undefined when the session behind it is gone: the panel
   * session ends too.
   */
  async may (s: AdminSession, action: string): Promise<boolean | undefined> {
    const reply = await this.call(s, 'access', { ubus_rpc_session: s.sid, scope: 'ubus', object: HOTSPOT_OBJECT, function: action })
    if (reply.status === UbusStatus.OK) return reply.data?.access === true
    if (reply.status === UbusStatus.NOT_FOUND) {
      this.sessions.delete(s.id)
      this.opts.log.info(`admin: the ${s.via} session of ${s.username} has ended`)
      return undefined
    }
    return false
  }

  /** What the panel is told about a session: the actions it may call, or undefined when it is gone. */
  async info (s: AdminSession): Promise<SessionInfo | undefined> {
    const allowed: string[] = []
    for (const action of this.opts.actions) {
      const ok = await this.may(s, action)
      if (ok === undefined) return undefined
      if (ok) allowed.push(action)
    }
    return { username: s.username, csrf: s.csrf, timeout: s.timeout, via: s.via, allowed }
  }

  /** Ends the panel session and the session behind it. */
  async logout (s: AdminSession): Promise<void> {
    await this.end(s)
    this.opts.log.info(`admin: ${s.username} signed out`)
  }

  /** Panel sessions open (expired ones count until they are next looked at or a sign-in prunes them). */
  get size (): number {
    return this.sessions.size
  }

  private async end (s: AdminSession): Promise<void> {
    this.sessions.delete(s.id)
    await this.call(s, 'destroy', { ubus_rpc_session: s.sid })
  }

  private prune (): void {
    const now = this.opts.now()
    for (const [id, s] of this.sessions) if (now >= s.expiresAt) this.sessions.delete(id)
  }

  /** A call on the session object that made `s`; rpcd gone from the bus counts as a failure, not as the session's end. */
  private async call (s: AdminSession, method: 'access' | 'destroy', args: Record<string, unknown>): Promise<UbusReply> {
    const target = s.via === 'builtin' ? this.opts.builtin : this.opts.rpcd()
    return target === undefined ? { status: UbusStatus.CONNECTION_FAILED } : target(method, args, '')
  }
}

/** A SessionCall on an rpcd-style `session` object served in this process (the built-in sessions). */
export const objectSessionCall = (object: UbusObject): SessionCall => async (method, args, address) => {
  const m = object.methods.get(method)
  return m === undefined ? { status: UbusStatus.METHOD_NOT_FOUND } : m.handler(args, { address })
}

/**
 * A SessionCall on rpcd's `session` object through a ubus client's `call` (UbusClient.call), whose
 * failures are UbusErrors carrying the status.
 */
export const ubusSessionCall = (call: (path: string, method: string, args: Record<string, unknown>) => Promise<Record<string, unknown> | undefined>): SessionCall =>
  async (method, args) => {
    try {
      return { status: UbusStatus.OK, data: await call('session', method, args) ?? {} }
    } catch (err) {
      const status = (err as { status?: unknown }).status
      return { status: typeof status === 'number' ? status : UbusStatus.UNKNOWN_ERROR }
    }
  }
