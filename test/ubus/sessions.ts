import t from 'tap'
import { randomBytes, scryptSync } from 'node:crypto'
import * as password from '../../src/config/password'
import { Throttle } from '../../src/http/throttle'
import { createLogger } from '../../src/log'
import type { AclFile, AclGrants } from '../../src/ubus/acl'
import { BlobmsgType } from '../../src/ubus/blobmsg'
import type { UbusCaller, UbusReply } from '../../src/ubus/object'
import {
  DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_TIMEOUT, NULL_SESSION, Sessions, UNAUTHENTICATED_ACL, type LoginUser, type SessionsOptions,
} from '../../src/ubus/sessions'

const T0 = 1_700_000_000_000
const HERE: UbusCaller = { address: '127.0.0.1' }

/** A stored hash at the lowest accepted cost, so the tests stay quick. */
const hashOf = (pw: string): string => {
  const salt = randomBytes(16)
  const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '')
  return `$scrypt$ln=10,r=8,p=1$${b64(salt)}$${b64(scryptSync(pw, salt, 32, { N: 1024, r: 8, p: 1 }))}`
}

/** The groups of the transcript's rig (rpcd with these acl.d files). */
const RIG_ACL: AclFile = {
  'hotspot.test': { description: 'hotspot test', read: { ubus: { test: ['hello'] } } },
  'rig-session': { description: 'rig session', write: { ubus: { session: ['destroy'] } } },
  'rig-test': { description: 'rig test', read: { ubus: { test: ['hello', 'count'] } } },
  unauthenticated: { description: 'unauthenticated', read: { ubus: { session: ['access', 'login'] } } },
}

/** The rig's acls for admin, exactly as rpcd answered its login. */
const ADMIN_ACLS = {
  'access-group': { 'hotspot.test': ['read'], 'rig-session': ['write'], 'rig-test': ['read'], unauthenticated: ['read'] },
  ubus: { session: ['destroy', 'access', 'login'], test: ['hello', 'count'] },
}

interface Rig {
  sessions: Sessions
  lines: string[]
  clock: { now: number }
  users: Map<string, LoginUser>
  throttle: Throttle
  call: (method: string, args: Record<string, unknown>, caller?: UbusCaller) => Promise<UbusReply>
  login: (username: string, pw: string, more?: Record<string, unknown>, caller?: UbusCaller) => Promise<UbusReply>
  /** Logs in, expecting success; returns the session id. */
  sid: (username: string, pw: string, more?: Record<string, unknown>) => Promise<string>
}

const rig = (opts: Partial<SessionsOptions> = {}, S: typeof Sessions = Sessions): Rig => {
  const lines: string[] = []
  const clock = { now: T0 }
  const users = new Map<string, LoginUser>([
    ['admin', { hash: hashOf('rigpass'), read: ['*'], write: ['*'] }],
    ['hotspot', { hash: hashOf('hotpass'), read: ['hotspot.*'], write: [] }],
  ])
  const throttle = new Throttle({ limit: 3, windowMs: 60_000, lockMs: 120_000 })
  const sessions = new S({
    acl: RIG_ACL, users: () => users, now: () => clock.now, throttle, log: createLogger((l) => lines.push(l)), ...opts,
  })
  const call = async (method: string, args: Record<string, unknown>, caller: UbusCaller = HERE): Promise<UbusReply> => {
    const m = sessions.object.methods.get(method)
    if (m === undefined) throw new Error(`no method ${method}`)
    return m.handler(args, caller)
  }
  const login = async (username: string, pw: string, more: Record<string, unknown> = {}, caller: UbusCaller = HERE): Promise<UbusReply> =>
    call('login', { username, password: pw, ...more, ubus_rpc_session: NULL_SESSION }, caller)
  const sid = async (username: string, pw: string, more: Record<string, unknown> = {}): Promise<string> => {
    const r = await login(username, pw, more)
    if (r.status !== 0) throw new Error(`login of ${username} failed: ${r.status}`)
    return r.data?.ubus_rpc_session as string
  }
  return { sessions, lines, clock, users, throttle, call, login, sid }
}

t.test('the session object: access, destroy and login with rpcd\'s policies', async (t) => {
  const { sessions } = rig()
  const { STRING, INT32 } = BlobmsgType
  t.equal(sessions.object.path, 'session')
  t.same([...sessions.object.methods].map(([name, m]) => [name, m.policy]), [
    ['access', { ubus_rpc_session: STRING, scope: STRING, object: STRING, function: STRING }],
    ['destroy', { ubus_rpc_session: STRING }],
    ['login', { username: STRING, password: STRING, timeout: INT32 }],
  ], 'rpcd\'s methods and argument types, in rpcd\'s order')
  t.equal(NULL_SESSION, '0'.repeat(32), 'the null session is 32 zeros')
  t.equal(DEFAULT_SESSION_TIMEOUT, 300, 'sessions live 300 s by default')
  t.equal(DEFAULT_MAX_SESSIONS, 256, '256 sessions at most by default')
})

t.test('login answers rpcd\'s session dump, in rpcd\'s key order', async (t) => {
  const r = rig()
  const reply = await r.login('admin', 'rigpass', { timeout: 300 })
  t.equal(reply.status, 0, 'status OK')
  const data = reply.data as Record<string, unknown>
  t.same(Object.keys(data), ['ubus_rpc_session', 'timeout', 'expires', 'acls', 'data'], 'key order')
  t.match(data.ubus_rpc_session, /^[0-9a-f]{32}$/, 'the id: 32 lower-case hex characters')
  t.equal(JSON.stringify({ ...data, ubus_rpc_session: 'SID' }), JSON.stringify({
    ubus_rpc_session: 'SID', timeout: 300, expires: 300, acls: ADMIN_ACLS, data: { username: 'admin' },
  }), 'the rig\'s answer byte for byte, the random id aside')
  t.same(r.lines, ['info: ubus: session login by admin from 127.0.0.1'], 'one info line')
  t.notMatch(r.lines.join('\n'), data.ubus_rpc_session as string, 'the log never shows a session id')
  t.notMatch(r.lines.join('\n'), 'rigpass', 'nor a password')
  t.equal(r.sessions.size, 1, 'one session')
  const again = await r.login('admin', 'rigpass')
  t.not(again.data?.ubus_rpc_session, data.ubus_rpc_session, 'each login opens its own session')
})

t.test('the rig\'s hotspot user: groups by pattern; destroying itself is granted unless selfDestroy is off', async (t) => {
  const builtIn = await rig().login('hotspot', 'hotpass')
  t.same(builtIn.data?.acls, {
    'access-group': { 'hotspot.test': ['read'] },
    ubus: { session: ['destroy'], test: ['hello'] },
  }, 'default: session.destroy granted on top of its groups')
  const asRpcd = await rig({ selfDestroy: false }).login('hotspot', 'hotpass')
  t.equal(JSON.stringify(asRpcd.data?.acls), '{"access-group":{"hotspot.test":["read"]},"ubus":{"test":["hello"]}}',
    'selfDestroy false: exactly rpcd\'s answer')
  const admin = await rig({ selfDestroy: false }).login('admin', 'rigpass')
  t.same(admin.data?.acls, ADMIN_ACLS, 'admin gets destroy from rig-session either way, in the same place')
})

t.test('the timeout: a positive INT32 in seconds, anything else is the default 300', async (t) => {
  const cases: Array<[string, unknown, number]> = [
    ['1 s', 1, 1],
    ['the largest INT32', 0x7fffffff, 0x7fffffff],
    ['0 (rpcd: never expires)', 0, 300],
    ['absent', undefined, 300],
    ['negative', -5, 300],
    ['a fraction', 1.5, 300],
    ['a string', '60', 300],
    ['over INT32', 0x80000000, 300],
  ]
  const r = rig()
  for (const [name, timeout, expected] of cases) {
    const reply = await r.login('admin', 'rigpass', timeout === undefined ? {} : { timeout })
    t.same([reply.data?.timeout, reply.data?.expires], [expected, expected], `${name}: ${expected}`)
  }
})

t.test('a failed login is [6] and nothing else, whatever the reason', async (t) => {
  const r = rig({ throttle: new Throttle() })
  r.users.set('nohash', { hash: '', read: ['*'], write: ['*'] })
  r.users.set('badhash', { hash: 'rigpass', read: ['*'], write: ['*'] })
  const cases: Array<[string, string, string]> = [
    ['wrong password', 'admin', 'wrong'],
    ['unknown user', 'nobody', 'x'],
    ['the other user\'s password', 'hotspot', 'rigpass'],
    ['a user without a hash (rpcd would let anyone in)', 'nohash', ''],
    ['a user whose "hash" is a plain password', 'badhash', 'rigpass'],
    ['case matters in names', 'Admin', 'rigpass'],
  ]
  for (const [name, user, pw] of cases) {
    t.same(await r.login(user, pw), { status: 6 }, name)
  }
  t.same(r.lines, [], 'failures log nothing (under the lock limit)')
  t.equal(r.sessions.size, 0, 'no session opened')
})

t.test('an unknown user costs a scrypt run like a known one', async (t) => {
  const checked: string[] = []
  const { Sessions: Spied } = t.mockRequire<typeof import('../../src/ubus/sessions')>('../../src/ubus/sessions', {
    '../../src/config/password': {
      ...password,
      verifyPassword: async (pw: string, stored: string) => {
        checked.push(stored)
        return password.verifyPassword(pw, stored)
      },
    },
  })
  const r = rig({}, Spied)
  r.users.set('nohash', { hash: '', read: [], write: [] })
  await r.login('nobody', 'x')
  await r.login('nohash', 'x')
  await r.login('admin', 'wrong')
  t.equal(checked.length, 3, 'every attempt ran verifyPassword')
  t.ok(checked.every(password.isPasswordHash), 'always against a real hash (a decoy for the unknown and the hashless)')
  t.equal(checked[0], checked[1], 'the same decoy for both')
  t.equal(checked[2], r.users.get('admin')?.hash, 'a known user: against its own hash')
})

t.test('login needs a string username and password (else INVALID_ARGUMENT, as rpcd)', async (t) => {
  const r = rig()
  const cases: Array<[string, Record<string, unknown>]> = [
    ['no arguments', {}],
    ['no password', { username: 'admin' }],
    ['no username', { password: 'rigpass' }],
    ['a numeric password', { username: 'admin', password: 1234 }],
    ['a username array', { username: ['admin'], password: 'rigpass' }],
  ]
  for (const [name, args] of cases) t.same(await r.call('login', args), { status: 2 }, name)
  t.equal(r.throttle.size, 0, 'malformed requests are not counted as failed logins')
})

t.test('failed logins lock an address out: then even the right password is [6]', async (t) => {
  const r = rig()
  const OTHER: UbusCaller = { address: '192.168.1.50' }
  for (let i = 0; i < 2; i++) t.same(await r.login('admin', 'wrong'), { status: 6 }, `failure ${i + 1}`)
  t.same(r.lines, [], 'no warning under the limit')
  t.same(await r.login('nobody', 'x'), { status: 6 }, 'third failure (unknown users count too)')
  t.same(r.lines, ['warn: ubus: 3 failed logins from 127.0.0.1; refusing it for 120 s'], 'one warning when the address gets locked')
  t.same(await r.login('admin', 'rigpass'), { status: 6 }, 'locked: the right password is refused')
  t.same(await r.login('admin', 'wrong'), { status: 6 }, 'locked: wrong again')
  t.equal(r.lines.length, 1, 'no more warnings while locked')
  t.equal((await r.login('admin', 'rigpass', {}, OTHER)).status, 0, 'another address is not affected')
  r.clock.now += 120_000
  t.equal((await r.login('admin', 'rigpass')).status, 0, 'after the lock, the right password works')
  t.equal(r.throttle.retryAfter('127.0.0.1', r.clock.now), 0, 'and the address is forgiven')
})

t.test('parallel attempts from one address are checked one after another', async (t) => {
  const r = rig()
  // Without queueing, all four would pass the lock check before the first failure was counted.
  const replies = await Promise.all([
    r.login('admin', 'wrong1'), r.login('admin', 'wrong2'), r.login('admin', 'wrong3'), r.login('admin', 'rigpass'),
  ])
  t.same(replies.map((x) => x.status), [6, 6, 6, 6], 'the fourth ran after the third had locked the address')
  t.equal(r.lines.filter((l) => l.startsWith('warn:')).length, 1, 'locked once')
  r.clock.now += 120_000
  const later = await Promise.all([r.login('admin', 'rigpass'), r.login('hotspot', 'hotpass', {}, { address: '10.0.0.9' })])
  t.same(later.map((x) => x.status), [0, 0], 'the queue empties: later logins work')
})

t.test('a caller without an address is counted as "unknown"', async (t) => {
  const r = rig()
  t.equal((await r.login('admin', 'rigpass', {}, {})).status, 0)
  t.same(r.lines, ['info: ubus: session login by admin from unknown'])
})

t.test('users are read at each login: a new password applies at once', async (t) => {
  const r = rig()
  const old = await r.sid('admin', 'rigpass')
  const bystander = await r.sid('hotspot', 'hotpass')
  r.users.set('admin', { hash: hashOf('n3w'), read: ['*'], write: ['*'] })
  t.same(await r.login('admin', 'rigpass'), { status: 6 }, 'the old password no longer opens a session')
  t.equal((await r.login('admin', 'n3w')).status, 0, 'the new one does')
  t.equal(r.sessions.allowed(old, 'test', 'hello'), true, 'a session opened before the change lives on')
  t.equal(r.sessions.endSessionsOf('admin'), 2, 'until the admin\'s sessions are ended')
  t.equal(r.sessions.allowed(old, 'test', 'hello'), false, 'gone')
  t.equal(r.sessions.allowed(bystander, 'test', 'hello'), true, 'another user\'s session is not touched')
})

t.test('allowed: the session\'s ubus grants, nothing else', async (t) => {
  const r = rig()
  const admin = await r.sid('admin', 'rigpass')
  const hotspot = await r.sid('hotspot', 'hotpass')
  const cases: Array<[string, string, string, string, boolean]> = [
    ['admin', admin, 'test', 'hello', true],
    ['admin', admin, 'test', 'count', true],
    ['admin', admin, 'test', 'watch', false],
    ['admin', admin, 'uci', 'get', false],
    ['admin', admin, 'session', 'destroy', true],
    ['admin', admin, 'session', 'login', true],
    ['hotspot', hotspot, 'test', 'hello', true],
    ['hotspot', hotspot, 'test', 'count', false],
    ['hotspot', hotspot, 'session', 'login', false],
    ['the null session', NULL_SESSION, 'session', 'login', true],
    ['the null session', NULL_SESSION, 'session', 'access', true],
    ['the null session', NULL_SESSION, 'session', 'destroy', false],
    ['the null session', NULL_SESSION, 'test', 'hello', false],
    ['an unknown session', 'deadbeefdeadbeefdeadbeefdeadbeef', 'session', 'login', false],
    ['an empty session id', '', 'session', 'login', false],
    ['the upper-case id', admin.toUpperCase(), 'test', 'hello', false],
  ]
  for (const [who, sid, object, method, expected] of cases) {
    t.equal(r.sessions.allowed(sid, object, method), expected, `${who}: ${object}.${method} ${expected ? 'allowed' : 'denied'}`)
  }
})

t.test('sessions expire after their timeout without use; each use restarts it', async (t) => {
  const r = rig()
  const sid = await r.sid('admin', 'rigpass', { timeout: 1 })
  r.clock.now += 999
  t.equal(r.sessions.allowed(sid, 'test', 'hello'), true, 'used just before it expires: refreshed')
  r.clock.now += 999
  t.equal(r.sessions.allowed(sid, 'test', 'watch'), false, 'a denied call (still alive)...')
  r.clock.now += 999
  t.equal(r.sessions.allowed(sid, 'test', 'hello'), true, '...refreshes it too, as rpcd\'s access does')
  t.equal(r.sessions.userOf(sid), 'admin', 'userOf: the user')
  r.clock.now += 1000
  t.equal(r.sessions.userOf(sid), undefined, 'userOf: an expired session has none')
  t.equal(r.sessions.allowed(sid, 'test', 'hello'), false, '1 s without use: expired, like a bad id')
  r.clock.now -= 10_000
  t.equal(r.sessions.allowed(sid, 'test', 'hello'), false, 'and gone for good (the clock going back does not revive it)')
  t.equal(r.sessions.size, 0, 'pruned')
  t.equal(r.sessions.userOf(NULL_SESSION), undefined, 'the null session has no user')
})

t.test('session.access: about the session in its args, any scope', async (t) => {
  const r = rig()
  const admin = await r.sid('admin', 'rigpass', { timeout: 10 })
  const q = (sid: unknown, more: Record<string, unknown>): Promise<UbusReply> => r.call('access', { ubus_rpc_session: sid, ...more })
  t.same(await q(admin, { scope: 'ubus', object: 'test', function: 'watch' }), { status: 0, data: { access: false } }, 'the transcript\'s question')
  t.same(await q(admin, { object: 'test', function: 'count' }), { status: 0, data: { access: true } }, 'scope defaults to ubus (as uhttpd asks)')
  t.same(await q(admin, { scope: 7, object: 'test', function: 'count' }), { status: 0, data: { access: true } }, 'a non-string scope is ignored')
  t.same(await q(admin, { scope: 'access-group', object: 'rig-session', function: 'write' }), { status: 0, data: { access: true } }, 'another scope: access-group')
  t.same(await q(admin, { scope: 'access-group', object: 'rig-session', function: 'read' }), { status: 0, data: { access: false } }, 'a permission the group does not define')
  t.same(await q(admin, { scope: 'uci', object: 'test', function: 'count' }), { status: 0, data: { access: false } }, 'a scope without grants')
  t.same(await q(NULL_SESSION, { object: 'session', function: 'login' }), { status: 0, data: { access: true } }, 'the null session exists')
  t.same(await q('deadbeefdeadbeefdeadbeefdeadbeef', { object: 'session', function: 'login' }), { status: 4 }, 'unknown session: NOT_FOUND, no data')
  t.same(await q(undefined, { object: 'test', function: 'count' }), { status: 2 }, 'no session: INVALID_ARGUMENT')
  t.same(await q(admin, { function: 'count' }), { status: 2 }, 'no object')
  t.same(await q(admin, { object: 'test' }), { status: 2 }, 'no function')
  r.clock.now += 10_000
  t.same(await q(admin, { object: 'test', function: 'count' }), { status: 4 }, 'expired: NOT_FOUND')
})

t.test('session.destroy ends the session named in its args; never the null session', async (t) => {
  const r = rig()
  const admin = await r.sid('admin', 'rigpass')
  const other = await r.sid('admin', 'rigpass')
  t.same(await r.call('destroy', { ubus_rpc_session: admin }), { status: 0 }, 'OK, no data')
  t.equal(r.sessions.allowed(admin, 'test', 'hello'), false, 'the session is gone')
  t.same(await r.call('access', { ubus_rpc_session: admin, object: 'test', function: 'hello' }), { status: 4 }, 'unknown to access')
  t.equal(r.sessions.allowed(other, 'test', 'hello'), true, 'the user\'s other session lives on')
  t.same(await r.call('destroy', { ubus_rpc_session: admin }), { status: 4 }, 'twice: NOT_FOUND')
  t.same(await r.call('destroy', { ubus_rpc_session: NULL_SESSION }), { status: 6 }, 'the null session: PERMISSION_DENIED')
  t.equal(r.sessions.allowed(NULL_SESSION, 'session', 'login'), true, 'and it still works')
  t.same(await r.call('destroy', {}), { status: 2 }, 'no session: INVALID_ARGUMENT')
  t.same(r.lines.slice(-1), ['info: ubus: session logout by admin'], 'logged, without the id')
})

t.test('at most maxSessions live: a login ends the least recently used', async (t) => {
  const r = rig({ maxSessions: 2 })
  const a = await r.sid('admin', 'rigpass')
  const b = await r.sid('hotspot', 'hotpass')
  t.equal(r.sessions.allowed(a, 'test', 'hello'), true, 'a is used: b is now the least recently used')
  const c = await r.sid('admin', 'rigpass')
  t.same([a, b, c].map((sid) => r.sessions.allowed(sid, 'test', 'hello')), [true, false, true], 'b was ended')
  t.equal(r.sessions.size, 2, 'two sessions')
  t.ok(r.lines.includes('info: ubus: 2 sessions open; ended the least recently used'), 'logged')
})

t.test('expired sessions are pruned before the least recently used live one is ended', async (t) => {
  const r = rig({ maxSessions: 2 })
  const short = await r.sid('admin', 'rigpass', { timeout: 1 })
  const long = await r.sid('admin', 'rigpass')
  r.clock.now += 5_000
  const next = await r.sid('admin', 'rigpass')
  t.same([short, long, next].map((sid) => r.sessions.allowed(sid, 'test', 'hello')), [false, true, true], 'only the expired one went')
  t.notOk(r.lines.some((l) => l.includes('least recently used')), 'no live session was ended')
})

t.test('grants: fnmatch wildcards for objects, methods and group names; write implies read', async (t) => {
  const acl: AclFile = {
    wild: { description: 'wildcards', read: { ubus: { 'hot*': ['get_*'], file: ['re?d'], 'a+b': ['x.y'] } } },
    'ops-write': { description: 'write only', write: { ubus: { rc: ['init'] } } },
    'ops-read': { description: 'read only', read: { ubus: { rc: ['list'] } } },
  }
  const r = rig({ acl })
  r.users.set('wild', { hash: hashOf('pw'), read: ['wi?d'], write: [] })
  r.users.set('ops', { hash: hashOf('pw'), read: [], write: ['ops-*'] })
  const wild = await r.sid('wild', 'pw')
  const cases: Array<[string, string, boolean]> = [
    ['hotspot', 'get_logins', true],
    ['hot', 'get_', true],
    ['hotspot', 'create_voucher', false],
    ['xhotspot', 'get_logins', false],
    ['file', 'read', true],
    ['file', 'rexd', true],
    ['file', 'rea', false],
    ['file', 'reaad', false],
    ['a+b', 'x.y', true],
    ['aab', 'x.y', false],
    ['a+b', 'xzy', false],
  ]
  for (const [object, method, expected] of cases) {
    t.equal(r.sessions.allowed(wild, object, method), expected, `${object}.${method}: ${expected}`)
  }
  const ops = await r.login('ops', 'pw')
  t.same(ops.data?.acls, {
    'access-group': { 'ops-read': ['read'], 'ops-write': ['write'] },
    ubus: { rc: ['init', 'list'], session: ['destroy'] },
  }, 'write on ops-* gives ops-write\'s write section and, implied, every matching group\'s read section')
})

t.test('acls are ordered as rpcd orders them: by scope, then object name up to its first wildcard', async (t) => {
  const acl: AclFile = {
    first: { description: '', read: { ubus: { 'test*': ['a'], rc: ['b'], test: ['c'], 'te[s]': ['d'], '*': ['e'] } } },
    second: { description: '', read: { ubus: { 'test*': ['f', 'a'] } }, write: { ubus: { rc: ['g'] } } },
  }
  const reply = await rig({ acl, selfDestroy: false }).login('admin', 'rigpass')
  t.equal(JSON.stringify(reply.data?.acls), JSON.stringify({
    'access-group': { first: ['read'], second: ['read', 'write'], unauthenticated: ['read'] },
    ubus: { '*': ['e'], rc: ['b', 'g'], session: ['access', 'login'], 'te[s]': ['d'], 'test*': ['a', 'f'], test: ['c'] },
  }), 'sort keys "", rc, session, te, test, test; equal keys keep grant order; duplicates once')
})

t.test('odd groups: undefined or empty sections grant nothing, not even the access group', async (t) => {
  const acl: AclFile = {
    hollow: { description: 'nothing', read: undefined, write: {} },
    real: { description: 'something', write: { ubus: { rc: ['list'] } } },
  }
  const reply = await rig({ acl, selfDestroy: false }).login('admin', 'rigpass')
  t.same(reply.data?.acls, {
    'access-group': { real: ['write'], unauthenticated: ['read'] },
    ubus: { rc: ['list'], session: ['access', 'login'] },
  })
})

t.test('the unauthenticated group: built in unless the ACL file defines it', async (t) => {
  t.same(UNAUTHENTICATED_ACL.read, { ubus: { session: ['access', 'login'] } }, 'rpcd\'s unauthenticated.json')
  const builtIn = rig({ acl: {} })
  t.equal(builtIn.sessions.allowed(NULL_SESSION, 'session', 'login'), true, 'no groups at all: the null session may still log in')
  t.same((await builtIn.login('hotspot', 'hotpass')).data?.acls, { ubus: { session: ['destroy'] } },
    'a user whose patterns match no group gets no access-group table, only self-destroy')
  const own = rig({ acl: { unauthenticated: { description: 'mine', read: { ubus: { session: ['login'] }, info: { board: ['get'] } } as AclGrants } } })
  t.equal(own.sessions.allowed(NULL_SESSION, 'session', 'login'), true, 'the file\'s own group: login')
  t.equal(own.sessions.allowed(NULL_SESSION, 'session', 'access'), false, 'and not what the built-in group would add')
  t.same(await own.call('access', { ubus_rpc_session: NULL_SESSION, scope: 'info', object: 'board', function: 'get' }),
    { status: 0, data: { access: true } }, 'other scopes are granted as rpcd grants them')
})
