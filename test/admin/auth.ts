import t from 'tap'
import { actions } from '../../src/actions/index'
import { objectSessionCall, ubusSessionCall, type SessionCall } from '../../src/admin/auth'
import { UbusError } from '../../src/ubus/client'
import { UbusStatus } from '../../src/ubus/object'
import { adminAuth, builtinSessions } from '../fixtures/admin'

const READS = actions.filter((a) => a.access === 'read').map((a) => a.name)

t.test('the built-in sessions: a good password opens a session with the table\'s actions it may call', async (t) => {
  const { auth, sessions, lines } = adminAuth()
  const out = await auth.login('admin', 'adminpass', '10.0.0.5')
  if (!out.ok) throw new Error('login refused')
  const s = out.session
  t.match(s, { username: 'admin', via: 'builtin', timeout: 600 })
  t.match(s.id, /^[\w-]{43}$/, 'an opaque cookie id, 256 random bits')
  t.not(s.id, s.sid, 'not the session id behind it')
  t.not(s.csrf, s.id)
  t.equal(sessions.userOf(s.sid), 'admin', 'a built-in session stands behind it')
  t.same(await auth.info(s), { username: 'admin', csrf: s.csrf, timeout: 600, via: 'builtin', allowed: actions.map((a) => a.name) })
  t.ok(lines.includes('info: admin: admin signed in from 10.0.0.5 (builtin)'))
})

t.test('an ACL that grants reading only allows only the read actions', async (t) => {
  const { auth } = adminAuth()
  const out = await auth.login('viewer', 'viewpass', '10.0.0.5')
  if (!out.ok) throw new Error('login refused')
  t.same((await auth.info(out.session))?.allowed, READS)
  t.equal(await auth.may(out.session, 'create_voucher'), false)
  t.equal(await auth.may(out.session, 'get_voucher_users'), true)
})

t.test('wrong passwords and unknown users are refused', async (t) => {
  const { auth } = adminAuth()
  t.same(await auth.login('admin', 'nope', '10.0.0.5'), { ok: false, why: 'refused' })
  t.same(await auth.login('nobody', 'adminpass', '10.0.0.5'), { ok: false, why: 'refused' })
  t.equal(auth.size, 0)
})

t.test('sessions end after the timeout without use; use moves the end forward', async (t) => {
  const { auth, clock } = adminAuth()
  const out = await auth.login('admin', 'adminpass', 'a')
  if (!out.ok) throw new Error('login refused')
  clock.now += 599_000
  t.equal(auth.find(out.session.id), out.session, 'used just before the end')
  clock.now += 599_000
  t.equal(auth.find(out.session.id), out.session, 'still alive: the end moved')
  clock.now += 600_000
  t.equal(auth.find(out.session.id), undefined, 'idle for the timeout: gone')
  t.equal(auth.find('nonsense'), undefined)
  t.equal(auth.find(undefined), undefined)
})

t.test('when the session behind it is gone, the panel session ends too', async (t) => {
  const { auth, sessions, lines } = adminAuth()
  const out = await auth.login('admin', 'adminpass', 'a')
  if (!out.ok) throw new Error('login refused')
  sessions.endSessionsOf('admin')
  t.equal(await auth.info(out.session), undefined)
  t.equal(auth.find(out.session.id), undefined)
  t.ok(lines.includes('info: admin: the builtin session of admin has ended'))
})

t.test('logout ends the session behind it', async (t) => {
  const { auth, sessions, lines } = adminAuth()
  const out = await auth.login('admin', 'adminpass', 'a')
  if (!out.ok) throw new Error('login refused')
  await auth.logout(out.session)
  t.equal(auth.find(out.session.id), undefined)
  t.equal(sessions.userOf(out.session.sid), undefined, 'the built-in session is destroyed')
  t.ok(lines.includes('info: admin: admin signed out'))
})

t.test('at most maxSessions live; expired ones are pruned first, then the least recently used goes', async (t) => {
  const { auth, clock, sessions } = adminAuth({ maxSessions: 2 })
  const login = async (): Promise<string> => {
    const out = await auth.login('admin', 'adminpass', 'a')
    if (!out.ok) throw new Error('login refused')
    return out.session.id
  }
  const first = await login()
  clock.now += 700_000
  const second = await login()
  t.equal(auth.size, 1, 'the expired one was pruned')
  const third = await login()
  const fourth = await login()
  t.equal(auth.size, 2)
  t.equal(auth.find(second), undefined, 'the least recently used went')
  t.ok(auth.find(third) !== undefined && auth.find(fourth) !== undefined)
  t.equal(auth.find(first), undefined)
  t.equal(sessions.size <= 3, true)
})

/** rpcd over ubus, played by the built-in sessions behind ubusd's error statuses. */
const rpcdOver = (calls: string[], up = true): SessionCall => {
  const sessions = builtinSessions({ now: 1_000_000 })
  return ubusSessionCall(async (path, method, args) => {
    calls.push(`${path}.${method}`)
    if (!up) throw new UbusError(UbusStatus.NOT_FOUND, `call ${path}.${method}`)
    const reply = await sessions.object.methods.get(method)!.handler(args, {})
    if (reply.status !== 0) throw new UbusError(reply.status)
    return reply.data
  })
}

t.test('where rpcd answers, it is asked: login, access per action, destroy', async (t) => {
  const calls: string[] = []
  const rpcd = rpcdOver(calls)
  const { auth } = adminAuth({ rpcd: () => rpcd })
  const out = await auth.login('admin', 'adminpass', 'a')
  if (!out.ok) throw new Error('login refused')
  t.equal(out.session.via, 'rpcd')
  t.equal(await auth.may(out.session, 'get_status'), true)
  await auth.logout(out.session)
  t.same(calls, ['session.login', 'session.access', 'session.destroy'])
  t.same(await auth.login('admin', 'wrong', 'a'), { ok: false, why: 'refused' }, 'rpcd\'s refusal is final: no fallback')
})

t.test('no session object on the bus: the built-in sessions are asked', async (t) => {
  const calls: string[] = []
  const { auth } = adminAuth({ rpcd: () => rpcdOver(calls, false) })
  const out = await auth.login('admin', 'adminpass', 'a')
  t.match(out, { ok: true, session: { via: 'builtin' } })
  t.same(calls, ['session.login'])
})

t.test('a session rpcd made, with rpcd gone from the bus: denied, not ended', async (t) => {
  let up = true
  const rpcd = rpcdOver([])
  const { auth } = adminAuth({ rpcd: () => up ? rpcd : undefined })
  const out = await auth.login('admin', 'adminpass', 'a')
  if (!out.ok) throw new Error('login refused')
  up = false
  t.equal(await auth.may(out.session, 'get_status'), false)
  t.equal(auth.find(out.session.id), out.session, 'kept for when rpcd is back')
})

t.test('a session object failing otherwise is unavailable, not a wrong password', async (t) => {
  const failing: SessionCall = async () => ({ status: UbusStatus.UNKNOWN_ERROR })
  const { auth } = adminAuth({ builtin: failing })
  t.same(await auth.login('admin', 'adminpass', 'a'), { ok: false, why: 'unavailable' })
  const odd: SessionCall = async () => ({ status: UbusStatus.OK, data: {} })
  t.same(await adminAuth({ builtin: odd }).auth.login('admin', 'x', 'a'), { ok: false, why: 'refused' }, 'OK without a session id')
  const noTimeout: SessionCall = async (m) => m === 'login' ? { status: 0, data: { ubus_rpc_session: 'f'.repeat(32) } } : { status: UbusStatus.INVALID_ARGUMENT }
  const { auth: a3 } = adminAuth({ builtin: noTimeout })
  const out = await a3.login('admin', 'x', 'a')
  t.match(out, { ok: true, session: { timeout: 600 } }, 'no timeout in the reply: the configured one')
  if (out.ok) t.equal(await a3.may(out.session, 'get_status'), false, 'an access failure denies')
})

t.test('objectSessionCall: an unknown method; ubusSessionCall: a non-ubus failure', async (t) => {
  const call = objectSessionCall(builtinSessions({ now: 0 }).object)
  t.same(await call('nosuch' as 'login', {}, ''), { status: UbusStatus.METHOD_NOT_FOUND })
  const broken = ubusSessionCall(async () => { throw new Error('boom') })
  t.same(await broken('login', {}, ''), { status: UbusStatus.UNKNOWN_ERROR })
  const empty = ubusSessionCall(async () => undefined)
  t.same(await empty('destroy', {}, ''), { status: 0, data: {} })
})
