/**
 * @module ubus/sessions
 * rpcd's `session` ubus object, in memory, for hosts without rpcd: `login` with a user name
 * and password (scrypt hashes from hotspotd's config) opens a session with a random id;
 * `access` tells whether a session may call an object's method; `destroy` ends a session.
 * The grants follow rpcd: a user's `read`/`write` patterns pick groups from an acl.d file
 * (write implies read), each picked group grants its `read` or `write` section, and the
 * session's `acls` list them as rpcd does (`access-group`, then `ubus`). The null session
 * (32 zeros) has only the `unauthenticated` group: session.access and session.login.
 *
 * Deliberate differences from rpcd: a user without a usable hash cannot log in (rpcd lets
 * an empty password in); timeout 0 means the default (rpcd: never expires); every logged-in
 * session may destroy itself (unless `selfDestroy: false`); failed logins are rate limited
 * per client address; at most `maxSessions` sessions live, the least recently used goes first.
 */
import { randomBytes } from 'node:crypto'
import { isPasswordHash, verifyPassword } from '../config/password'
import type { Throttle } from '../http/throttle'
import type { Logger } from '../log'
import type { AclFile, AclGroup } from './acl'
import { BlobmsgType } from './blobmsg'
import { UbusStatus, type UbusCaller, type UbusMethod, type UbusObject, type UbusReply } from './object'

/** One login, like rpcd's `config login`: its password hash and the groups (or patterns) it gets. */
export interface LoginUser {
  /** From config/password's hashPassword; anything else (or '') means the user cannot log in. */
  hash: string
  /** Group names or fnmatch patterns (`*`, `?`) whose `read` section the user gets. */
  read: readonly string[]
  /** Group names or patterns whose `write` section the user gets; write implies read. */
  write: readonly string[]
}

export interface SessionsOptions {
  /** The groups available (hotspotd's own, see acl.ts aclOf); `unauthenticated` is added if missing. */
  acl: AclFile
  /** Read at each login, so a changed password or grant applies to the next login at once. */
  users: () => ReadonlyMap<string, LoginUser>
  /** The clock, in ms. */
  now: () => number
  /** Counts failed logins per client address and refuses a locked-out address. */
  throttle: Throttle
  log: Logger
  /** Live sessions at most (default 256); a new login drops the least recently used. */
  maxSessions?: number
  /** Whether every logged-in session may call session.destroy on itself (default true). */
  selfDestroy?: boolean
}

/** rpcd's default session: the one a client uses before it has logged in. */
export const NULL_SESSION = '00000000000000000000000000000000'

/** The group the null session gets, as in rpcd's unauthenticated.json. */
export const UNAUTHENTICATED_GROUP = 'unauthenticated'

/** rpcd's unauthenticated.json, used when the ACL file does not define the group itself. */
export const UNAUTHENTICATED_ACL: AclGroup = {
  description: 'Access controls for unauthenticated requests',
  read: { ubus: { session: ['access', 'login'] } },
}

/** Seconds a session lives without use when login asks for no (or a zero) timeout. */
export const DEFAULT_SESSION_TIMEOUT = 300

export const DEFAULT_MAX_SESSIONS = 256

/** Hash of a password nobody knows: unknown users are checked against it, so they cost the same time. */
const DECOY_HASH = '$scrypt$ln=14,r=8,p=1$XUWnybIXJU3pSkiOQvaXRA$o4dDnC09BbW3fgABVdHv2KNkuihHaF8/aCsw4/fdweM'

/** Largest timeout a ubus INT32 can carry. */
const MAX_TIMEOUT = 0x7fffffff

/** fnmatch(3) without flags for `*` and `?`; every other character matches itself. */
const glob = (pattern: string): RegExp =>
  new RegExp(`^${[...pattern].map((c) => c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.+()[\]{}|/]/, '\\$&')).join('')}$`, 'su')

interface Grant {
  scope: string
  object: string
  fn: string
  objectRe: RegExp
  fnRe: RegExp
}

interface Session {
  id: string
  username: string
  /** Seconds. */
  timeout: number
  /** ms, on the options' clock. */
  expiresAt: number
  grants: readonly Grant[]
}

/** A user's grant collector that keeps rpcd's order and skips exact duplicates. */
class Grants {
  readonly list: Grant[] = []

  add (scope: string, object: string, fn: string): void {
    if (this.list.some((g) => g.scope === scope && g.object === object && g.fn === fn)) return
    this.list.push({ scope, object, fn, objectRe: glob(object), fnRe: glob(fn) })
  }

  /** Every section of `groups` that `may` allows, in file order, as rpcd's rpc_login_setup_acl_file. */
  addGroups (groups: AclFile, may: (perm: 'read' | 'write', group: string) => boolean): void {
    for (const [group, def] of Object.entries(groups)) {
      for (const perm of Object.keys(def)) {
        if ((perm !== 'read' && perm !== 'write') || !may(perm, group)) continue
        const scopes = Object.entries(def[perm] ?? {}) as Array<[string, Record<string, readonly string[]>]>
        for (const [scope, objects] of scopes) {
          for (const [object, fns] of Object.entries(objects)) {
            for (const fn of fns) this.add(scope, object, fn)
          }
          this.add('access-group', group, perm)
        }
      }
    }
  }
}

const permits = (grants: readonly Grant[], scope: string, object: string, fn: string): boolean =>
  grants.some((g) => g.scope === scope && g.objectRe.test(object) && g.fnRe.test(fn))

const strcmp = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0

/** rpcd sorts an ACL by the object name up to its first wildcard, keeping grant order among equals. */
const sortKey = (object: string): string => object.replace(/[*?[][^]*$/, '')

/** The `acls` table of a session, as rpcd's rpc_session_dump_acls writes it. */
const aclsOf = (grants: readonly Grant[]): Record<string, Record<string, string[]>> => {
  const sorted = [...grants].sort((a, b) => strcmp(a.scope, b.scope) || strcmp(sortKey(a.object), sortKey(b.object)))
  const scopes = new Map<string, Map<string, string[]>>()
  for (const g of sorted) {
    const objects = scopes.get(g.scope) ?? new Map<string, string[]>()
    scopes.set(g.scope, objects)
    const fns = objects.get(g.object) ?? []
    objects.set(g.object, fns)
    fns.push(g.fn)
  }
  return Object.fromEntries([...scopes].map(([scope, objects]) => [scope, Object.fromEntries(objects)]))
}

/** login's timeout argument in seconds: a positive INT32, else the default. */
const timeoutOf = (v: unknown): number =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_TIMEOUT ? v : DEFAULT_SESSION_TIMEOUT

const { STRING, INT32 } = BlobmsgType
const DENIED: UbusReply = { status: UbusStatus.PERMISSION_DENIED }
const INVALID: UbusReply = { status: UbusStatus.INVALID_ARGUMENT }

/** rpcd's sessions: the `session` ubus object and the access check the JSON-RPC door makes. */
export class Sessions {
  /** The `session` ubus object: access, destroy and login, with rpcd's policies. */
  readonly object: UbusObject
  private readonly opts: SessionsOptions
  private readonly groups: AclFile
  private readonly nullGrants: readonly Grant[]
  /** Live sessions by id, least recently used first. */
  private readonly sessions = new Map<string, Session>()
  /** Login attempts still running, per client address: each waits for the one before. */
  private readonly pending = new Map<string, Promise<UbusReply>>()

  constructor (opts: SessionsOptions) {
    this.opts = opts
    this.groups = Object.hasOwn(opts.acl, UNAUTHENTICATED_GROUP)
      ? opts.acl
      : { ...opts.acl, [UNAUTHENTICATED_GROUP]: UNAUTHENTICATED_ACL }
    const nullGrants = new Grants()
    nullGrants.addGroups(this.groups, (_perm, group) => group === UNAUTHENTICATED_GROUP)
    this.nullGrants = nullGrants.list
    this.object = {
      path: 'session',
      methods: new Map<string, UbusMethod>([
        ['access', {
          policy: { ubus_rpc_session: STRING, scope: STRING, object: STRING, function: STRING },
          handler: async (args) => this.access(args),
        }],
        ['destroy', { policy: { ubus_rpc_session: STRING }, handler: async (args) => this.destroy(args) }],
        ['login', {
          policy: { username: STRING, password: STRING, timeout: INT32 },
          handler: async (args, caller) => this.login(args, caller),
        }],
      ]),
    }
  }

  /**
   * Whether `sid` may call `object`.`method` (scope "ubus"). Looking a live session up
   * refreshes its expiry, as rpcd's session.access does; an expired one is gone.
   */
  allowed (sid: string, object: string, method: string): boolean {
    const grants = this.grantsOf(sid)
    return grants !== undefined && permits(grants, 'ubus', object, method)
  }

  /** The user name of a live session (undefined for the null session or an unknown one); no refresh. */
  userOf (sid: string): string | undefined {
    const s = this.sessions.get(sid)
    return s !== undefined && this.opts.now() < s.expiresAt ? s.username : undefined
  }

  /** Ends every session of `username` (say, after its password changed); returns how many. */
  endSessionsOf (username: string): number {
    let ended = 0
    for (const [id, s] of this.sessions) {
      if (s.username !== username) continue
      this.sessions.delete(id)
      ended++
    }
    return ended
  }

  /** Live sessions (expired ones count until they are next looked at or a login prunes them). */
  get size (): number {
    return this.sessions.size
  }

  /** The grants of the null session or of a live session (refreshed), else undefined. */
  private grantsOf (sid: string): readonly Grant[] | undefined {
    return sid === NULL_SESSION ? this.nullGrants : this.find(sid)?.grants
  }

  private find (sid: string): Session | undefined {
    const s = this.sessions.get(sid)
    if (s === undefined) return undefined
    this.sessions.delete(sid)
    const now = this.opts.now()
    if (now >= s.expiresAt) return undefined
    s.expiresAt = now + s.timeout * 1000
    this.sessions.set(sid, s) // now the most recently used
    return s
  }

  private access (args: Record<string, unknown>): UbusReply {
    const { ubus_rpc_session: sid, scope, object, function: fn } = args
    if (typeof sid !== 'string' || typeof object !== 'string' || typeof fn !== 'string') return INVALID
    const grants = this.grantsOf(sid)
    if (grants === undefined) return { status: UbusStatus.NOT_FOUND }
    return { status: UbusStatus.OK, data: { access: permits(grants, typeof scope === 'string' ? scope : 'ubus', object, fn) } }
  }

  private destroy (args: Record<string, unknown>): UbusReply {
    const sid = args.ubus_rpc_session
    if (typeof sid !== 'string') return INVALID
    if (sid === NULL_SESSION) return DENIED
    const s = this.find(sid)
    if (s === undefined) return { status: UbusStatus.NOT_FOUND }
    this.sessions.delete(sid)
    this.opts.log.info(`ubus: session logout by ${s.username}`)
    return { status: UbusStatus.OK }
  }

  private async login (args: Record<string, unknown>, caller: UbusCaller): Promise<UbusReply> {
    const { username, password } = args
    if (typeof username !== 'string' || typeof password !== 'string') return INVALID
    const address = caller.address ?? 'unknown'
    const attempt = async (): Promise<UbusReply> => this.attempt(username, password, timeoutOf(args.timeout), address)
    // One attempt at a time per address: parallel guesses cannot all pass the throttle before one fails.
    const run = (this.pending.get(address) ?? Promise.resolve(DENIED)).then(attempt, attempt)
    this.pending.set(address, run)
    const settled = (): void => { if (this.pending.get(address) === run) this.pending.delete(address) }
    void run.then(settled, settled)
    return run
  }

  private async attempt (username: string, password: string, timeout: number, address: string): Promise<UbusReply> {
    const { throttle, log, now } = this.opts
    if (throttle.retryAfter(address, now()) > 0) return DENIED
    const user = this.opts.users().get(username)
    const usable = user !== undefined && isPasswordHash(user.hash)
    // An unknown user costs the same scrypt time as a known one: timing does not tell names.
    const match = await verifyPassword(password, usable ? user.hash : DECOY_HASH)
    if (!match || !usable) {
      if (throttle.fail(address, now())) {
        const { limit, lockMs } = throttle.options
        log.warn(`ubus: ${limit} failed logins from ${address}; refusing it for ${lockMs / 1000} s`)
      }
      return DENIED
    }
    throttle.succeed(address)
    const s = this.open(username, user, timeout)
    log.info(`ubus: session login by ${username} from ${address}`)
    return {
      status: UbusStatus.OK,
      data: { ubus_rpc_session: s.id, timeout: s.timeout, expires: s.timeout, acls: aclsOf(s.grants), data: { username } },
    }
  }

  /** A new session for `user`, after pruning expired ones and, when full, the least recently used. */
  private open (username: string, user: LoginUser, timeout: number): Session {
    const now = this.opts.now()
    for (const [id, s] of this.sessions) if (now >= s.expiresAt) this.sessions.delete(id)
    const max = this.opts.maxSessions ?? DEFAULT_MAX_SESSIONS
    if (this.sessions.size >= max) {
      this.sessions.delete(this.sessions.keys().next().value as string)
      this.opts.log.info(`ubus: ${max} sessions open; ended the least recently used`)
    }
    const grants = new Grants()
    if (this.opts.selfDestroy ?? true) grants.add('ubus', 'session', 'destroy')
    const may = (perm: 'read' | 'write', group: string): boolean =>
      (perm === 'read' ? [...user.read, ...user.write] : user.write).some((p) => glob(p).test(group))
    grants.addGroups(this.groups, may)
    const s: Session = { id: randomBytes(16).toString('hex'), username, timeout, expiresAt: now + timeout * 1000, grants: grants.list }
    this.sessions.set(s.id, s)
    return s
  }
}
