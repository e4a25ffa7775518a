import t from 'tap'
import { request } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cookieOf, isAdminPath, sameOrigin } from '../../src/admin/door'
import { objectSessionCall, type SessionCall } from '../../src/admin/auth'
import { CSRF_HEADER, type SessionInfo } from '../../src/admin/protocol'
import { actions } from '../../src/actions/index'
import type { IncomingMessage } from 'node:http'
import { adminAuth, serveAdmin, type ServedDoor } from '../fixtures/admin'

const HTML = '<!doctype html><title>panel</title>'
/** The panel's files, in a directory of their own (the store's t.testdir() would wipe a fixture there). */
const files = (t: tap.Test): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-admin-'))
  writeFileSync(join(dir, 'index.html'), HTML)
  writeFileSync(join(dir, 'app.js'), 'app()')
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

interface Signed { cookie: string; csrf: string; info: SessionInfo }

const login = async (d: ServedDoor, username = 'admin', password = 'adminpass', headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${d.base}/admin/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ username, password }) })

const signIn = async (t: tap.Test, d: ServedDoor, username = 'admin', password = username === 'admin' ? 'adminpass' : 'viewpass'): Promise<Signed> => {
  const res = await login(d, username, password)
  t.equal(res.status, 200, `${username} signs in`)
  const cookie = (res.headers.get('set-cookie') as string).split(';')[0] as string
  const info = await res.json() as SessionInfo
  return { cookie, csrf: info.csrf, info }
}

const call = async (d: ServedDoor, s: Signed | undefined, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${d.base}/admin/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(s === undefined ? {} : { Cookie: s.cookie, [CSRF_HEADER]: s.csrf }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

const envelope = (message: string): { message: string; error: true } => ({ message, error: true })

t.test('/admin redirects to /admin/, which serves the panel\'s files', async (t) => {
  const d = await serveAdmin(t, files(t))
  const redirect = await fetch(`${d.base}/admin`, { redirect: 'manual' })
  t.equal(redirect.status, 301)
  t.equal(redirect.headers.get('location'), '/admin/')
  const page = await fetch(`${d.base}/admin/`)
  t.equal(await page.text(), HTML)
  t.match(page.headers.get('content-security-policy'), /default-src 'self'/)
  t.equal(await (await fetch(`${d.base}/admin/app.js`)).text(), 'app()')
  const missing = await fetch(`${d.base}/admin/nothing.js`)
  t.equal(missing.status, 404)
  t.same(await missing.json(), envelope('Not found'))
  t.same(await (await fetch(`${d.base}/admin/api/nothing`)).json(), envelope('Not found'), 'an unknown API path')
})

t.test('sign-in: a session cookie (HttpOnly, SameSite=Strict, Path=/admin/) and the session\'s facts', async (t) => {
  const d = await serveAdmin(t, files(t))
  const res = await login(d)
  t.equal(res.status, 200)
  t.match(res.headers.get('set-cookie'), /^hotspotd_admin=[\w-]{43}; Path=\/admin\/; HttpOnly; SameSite=Strict$/)
  t.equal(res.headers.get('cache-control'), 'no-store')
  const info = await res.json() as SessionInfo
  t.match(info, { username: 'admin', timeout: 600, via: 'builtin' })
  t.same(info.allowed, actions.map((a) => a.name))
  const cookie = (res.headers.get('set-cookie') as string).split(';')[0] as string
  const again = await fetch(`${d.base}/admin/api/session`, { headers: { Cookie: `theme=dark; ${cookie}` } })
  t.same(await again.json(), info, 'GET session answers the same')
  const none = await fetch(`${d.base}/admin/api/session`)
  t.equal(none.status, 401)
  t.same(await none.json(), envelope('Not signed in'))
  t.match(none.headers.get('set-cookie'), /^hotspotd_admin=; Path=\/admin\/; HttpOnly; SameSite=Strict; Max-Age=0$/, 'a stale cookie is cleared')
})

t.test('failed sign-ins: 401, then 429 with Retry-After for the address', async (t) => {
  const d = await serveAdmin(t, files(t))
  for (let i = 1; i <= 3; i++) {
    const res = await login(d, 'admin', 'wrong')
    t.equal(res.status, 401, `failure ${i}`)
    t.same(await res.json(), envelope('Wrong username or password'))
  }
  const locked = await login(d)
  t.equal(locked.status, 429, 'the right password too, while locked')
  t.same(await locked.json(), envelope('Too many failed attempts, try again later'))
  t.equal(locked.headers.get('retry-after'), '600')
  t.ok(d.lines.includes('warn: admin: 3 failed sign-ins from 127.0.0.1; refusing it for 600 s'))
})

t.test('a good sign-in clears the failures; malformed sign-ins are 400', async (t) => {
  const d = await serveAdmin(t, files(t))
  await login(d, 'admin', 'wrong')
  await login(d, 'admin', 'wrong')
  await signIn(t, d)
  t.equal((await login(d, 'admin', 'wrong')).status, 401, 'counting starts again')
  t.equal((await login(d, 'admin', 'wrong')).status, 401)
  const bad = await fetch(`${d.base}/admin/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":1}' })
  t.equal(bad.status, 400)
  t.same(await bad.json(), envelope('Malformed request body'))
  const form = await fetch(`${d.base}/admin/api/login`, { method: 'POST', body: 'username=admin&password=adminpass' })
  t.equal(form.status, 400, 'only JSON')
})

t.test('calls run any action the ACL grants, answered as /api/ answers', async (t) => {
  const d = await serveAdmin(t, files(t))
  const s = await signIn(t, d)
  const created = await call(d, s, { action: 'create_voucher', params: { username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', valid_from: '2025-01-17 10:00:00', download_limit: 1024, upload_limit: 512 } })
  t.equal(created.status, 200)
  t.same(await created.json(), { message: 'User added successfully', user: { id: 1, username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', valid_from: '2025-01-17 10:00:00', download_limit: '1024', upload_limit: '512' }, error: false })
  const list = await call(d, s, { action: 'get_voucher_users' })
  t.match(await list.json(), { users: [{ username: 'user123', password: 'pass123' }] }, 'a lazy list, streamed')
  t.match(await (await call(d, s, { action: 'show_api_key', params: {} })).json(), { key: 'k'.repeat(32) }, 'admin actions too')
  const taken = await call(d, s, { action: 'create_voucher', params: { username: 'USER123' } })
  t.equal(taken.status, 409, 'an action\'s error keeps its kind\'s status')
  t.same(await taken.json(), envelope('Username already exists'))
  const cases: Array<[unknown, number, string]> = [
    [{ action: 'nosuch' }, 400, 'Unknown action'],
    [{}, 400, 'No action set'],
    [{ action: 'get_status', params: [] }, 400, 'Malformed request body'],
    [{ action: 'remove_voucher', params: { username: 'nobody' } }, 404, "Username doesn't exist"],
    ['not json', 400, 'Malformed request body'],
  ]
  for (const [body, status, message] of cases) {
    const res = await call(d, s, body)
    t.equal(res.status, status, JSON.stringify(body))
    t.same(await res.json(), envelope(message), JSON.stringify(body))
  }
})

t.test('a user whose ACL grants reading only is refused the writes', async (t) => {
  const d = await serveAdmin(t, files(t))
  const s = await signIn(t, d, 'viewer')
  t.notOk(s.info.allowed.includes('create_voucher'))
  const res = await call(d, s, { action: 'create_voucher', params: {} })
  t.equal(res.status, 403)
  t.same(await res.json(), envelope('Not allowed'))
  t.equal(d.ctx.store.vouchers.count(), 0, 'nothing was created')
  t.equal((await call(d, s, { action: 'get_status' })).status, 200)
})

t.test('state-changing requests need the session\'s CSRF token and no foreign Origin', async (t) => {
  const d = await serveAdmin(t, files(t))
  const s = await signIn(t, d)
  const refused = async (res: Response, what: string): Promise<void> => {
    t.equal(res.status, 403, what)
    t.same(await res.json(), envelope('Request did not come from the panel'), what)
  }
  await refused(await call(d, s, { action: 'get_status' }, { [CSRF_HEADER]: '' }), 'no token')
  await refused(await call(d, s, { action: 'get_status' }, { [CSRF_HEADER]: `${s.csrf}x` }), 'a wrong token')
  await refused(await call(d, s, { action: 'get_status' }, { Origin: 'http://evil.example' }), 'another site\'s Origin')
  await refused(await login(d, 'admin', 'adminpass', { Origin: 'http://evil.example' }), 'sign-in from another site')
  const host = new URL(d.base).host
  t.equal((await call(d, s, { action: 'get_status' }, { Origin: `http://${host}` })).status, 200, 'the panel\'s own Origin')
  const anon = await call(d, undefined, { action: 'get_status' })
  t.equal(anon.status, 401, 'no session at all: 401')
})

t.test('wrong methods are 405 with Allow', async (t) => {
  const d = await serveAdmin(t, files(t))
  const cases: Array<[string, string, string]> = [
    ['GET', '/admin/api/login', 'POST'], ['GET', '/admin/api/call', 'POST'], ['GET', '/admin/api/logout', 'POST'],
    ['POST', '/admin/api/session', 'GET'], ['POST', '/admin/api/export/vouchers.csv', 'GET'], ['POST', '/admin/app.js', 'GET'],
    ['DELETE', '/admin/', 'GET'],
  ]
  for (const [method, path, allow] of cases) {
    const res = await fetch(`${d.base}${path}`, { method })
    t.equal(res.status, 405, `${method} ${path}`)
    t.equal(res.headers.get('allow'), allow, `${method} ${path}: Allow`)
  }
})

t.test('logout ends the session, here and behind it', async (t) => {
  const d = await serveAdmin(t, files(t))
  const s = await signIn(t, d)
  const noToken = await fetch(`${d.base}/admin/api/logout`, { method: 'POST', headers: { Cookie: s.cookie } })
  t.equal(noToken.status, 403, 'logout needs the token too')
  const res = await fetch(`${d.base}/admin/api/logout`, { method: 'POST', headers: { Cookie: s.cookie, [CSRF_HEADER]: s.csrf } })
  t.equal(res.status, 204)
  t.match(res.headers.get('set-cookie'), /Max-Age=0/)
  t.equal((await fetch(`${d.base}/admin/api/session`, { headers: { Cookie: s.cookie } })).status, 401)
  t.equal(d.sessions.size, 0, 'the built-in session is gone too')
})

t.test('a session ended behind the panel\'s back is 401 at the next request', async (t) => {
  const d = await serveAdmin(t, files(t))
  const s = await signIn(t, d)
  d.sessions.endSessionsOf('admin')
  const res = await call(d, s, { action: 'get_status' })
  t.equal(res.status, 401)
  t.same(await res.json(), envelope('Not signed in'))
  const s2 = await signIn(t, d)
  d.sessions.endSessionsOf('admin')
  t.equal((await fetch(`${d.base}/admin/api/session`, { headers: { Cookie: s2.cookie } })).status, 401)
})

t.test('CSV exports: the list\'s rows, as an attachment; the ACL applies', async (t) => {
  const d = await serveAdmin(t, files(t))
  const s = await signIn(t, d)
  await call(d, s, { action: 'create_voucher', params: { username: 'user123', passcode: '=1+1', fullname: 'Doe, John', valid_from: '2025-01-17 10:00:00' } })
  const res = await fetch(`${d.base}/admin/api/export/vouchers.csv`, { headers: { Cookie: s.cookie } })
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8; header=present')
  t.equal(res.headers.get('content-disposition'), 'attachment; filename="hotspotd-vouchers.csv"')
  t.equal(await res.text(), 'id,username,password,fullname,created_at,last_modified,first_login,last_login,valid_for,valid_from,MAC,download_limit,upload_limit\r\n' +
    "1,user123,'=1+1,\"Doe, John\",2025-02-21 02:31:30,2025-02-21 02:31:30,,,1 day,2025-01-17 10:00:00,,0,0\r\n")
  t.equal(await (await fetch(`${d.base}/admin/api/export/logins.csv`, { headers: { Cookie: s.cookie } })).text(), 'id,time,method,identity,MAC,address,result\r\n', 'an empty list: the header')
  t.equal((await fetch(`${d.base}/admin/api/export/passwords.csv`, { headers: { Cookie: s.cookie } })).status, 404)
  t.equal((await fetch(`${d.base}/admin/api/export/vouchers`, { headers: { Cookie: s.cookie } })).status, 404)
  t.equal((await fetch(`${d.base}/admin/api/export/vouchers.csv`)).status, 401, 'no session')
  const denied = adminAuth({ builtin: async (m, a) => m === 'login' ? { status: 0, data: { ubus_rpc_session: 'x', timeout: 60 } } : m === 'access' ? { status: 0, data: { access: a.function !== 'get_logins' } } : { status: 0 } })
  const d2 = await serveAdmin(t, files(t), {}, denied)
  const s2 = await signIn(t, d2)
  t.equal((await fetch(`${d2.base}/admin/api/export/logins.csv`, { headers: { Cookie: s2.cookie } })).status, 403, 'get_logins not granted')
})

t.test('a 100,000-row export streams; a client that leaves stops it without a log line', async (t) => {
  const d = await serveAdmin(t, files(t))
  const s = await signIn(t, d)
  d.ctx.store.db.transaction(() => {
    for (let i = 0; i < 100_000; i++) d.ctx.store.vouchers.insert({ username: `u${i}`, passcode: 'p', fullname: 'f', valid_for: '1 day', valid_from: 0, created_at: 0, download_limit: 0, upload_limit: 0 })
  })
  const text = await (await fetch(`${d.base}/admin/api/export/vouchers.csv`, { headers: { Cookie: s.cookie } })).text()
  t.equal(text.split('\r\n').length, 100_002, 'header, every voucher, and the end')
  await new Promise<void>((resolve) => {
    const req = request(`${d.base}/admin/api/export/vouchers.csv`, { headers: { Cookie: s.cookie } }, (res) => {
      res.once('data', () => { req.destroy(); setTimeout(resolve, 100) })
    })
    req.end()
  })
  t.notOk(d.lines.some((l) => l.includes('cut short')), 'leaving is not an error')
})

t.test('a list failing mid-answer cuts the connection and is logged', async (t) => {
  const d = await serveAdmin(t, files(t))
  const s = await signIn(t, d)
  d.ctx.store.vouchers.list = function * () {
    yield* [] as never[]
    throw new Error('disk gone')
  }
  await t.rejects(fetch(`${d.base}/admin/api/export/vouchers.csv`, { headers: { Cookie: s.cookie } }).then((r) => r.text()))
  t.ok(d.lines.some((l) => l.startsWith('error: admin: answer cut short: Error: disk gone')))
})

t.test('sign-in failures that are not a wrong password', async (t) => {
  const down: SessionCall = async () => ({ status: 9 })
  const d = await serveAdmin(t, files(t), {}, adminAuth({ builtin: down }))
  const res = await login(d)
  t.equal(res.status, 500, 'the session object fails: an error, not counted against the address')
  t.same(await res.json(), envelope('An error occurred'))
  t.ok(d.lines.includes('error: admin: sign-in of admin from 127.0.0.1: the session object failed'))
  const gone: SessionCall = async (m) => m === 'login' ? { status: 0, data: { ubus_rpc_session: 'x', timeout: 60 } } : { status: 4 }
  const d2 = await serveAdmin(t, files(t), {}, adminAuth({ builtin: gone }))
  t.equal((await login(d2)).status, 401, 'a session gone at once')
  const thrower: SessionCall = async () => { throw new Error('bug') }
  const d3 = await serveAdmin(t, files(t), {}, adminAuth({ builtin: thrower }))
  const boom = await login(d3)
  t.equal(boom.status, 500)
  t.same(await boom.json(), envelope('An error occurred'))
  t.ok(d3.lines.some((l) => l.startsWith('error: admin: Error: bug')))
})

t.test('isAdminPath, cookieOf, sameOrigin', async (t) => {
  t.ok(isAdminPath('/admin'))
  t.ok(isAdminPath('/admin/api/call'))
  t.notOk(isAdminPath('/administrator'))
  t.notOk(isAdminPath('/api/'))
  t.equal(cookieOf('a=1; hotspotd_admin=xyz; b', 'hotspotd_admin'), 'xyz')
  t.equal(cookieOf('=x; b', 'hotspotd_admin'), undefined)
  t.equal(cookieOf(undefined, 'hotspotd_admin'), undefined)
  const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage
  t.ok(sameOrigin(req({ host: '10.0.0.1:8080' })), 'no Origin')
  t.ok(sameOrigin(req({ host: '10.0.0.1:8080', origin: 'http://10.0.0.1:8080' })))
  t.ok(sameOrigin(req({ host: '10.0.0.1:8080', origin: 'https://10.0.0.1:8080' })), 'behind a TLS proxy')
  t.notOk(sameOrigin(req({ host: '10.0.0.1:8080', origin: 'http://10.0.0.1:9090' })))
  t.notOk(sameOrigin(req({ origin: 'http://10.0.0.1:8080' })), 'no Host')
  t.ok(objectSessionCall)
})
