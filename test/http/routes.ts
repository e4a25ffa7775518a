import t from 'tap'
import { createServer } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type AddressInfo } from 'node:net'
import { actions } from '../../src/actions/index'
import { defineAction, type Action, type ActionContext } from '../../src/actions/spec'
import { createNoneBackend } from '../../src/backend/none'
import type { ApiDoor, ApiSettings } from '../../src/http/api'
import { createRequestListener } from '../../src/http/routes'
import { Throttle } from '../../src/http/throttle'
import { createLogger } from '../../src/log'
import { openStore } from '../../src/store/db'
import type { JsonRpcDoor } from '../../src/ubus/jsonrpc'
import { Sessions } from '../../src/ubus/sessions'
import { daemonInfo, memoryAdmin } from '../fixtures/context'
import type { AdminDoor } from '../../src/admin/door'
import { adminAuth } from '../fixtures/admin'

const KEY = 'routes-test-key-0123456789'
const NOT_FOUND = '{"message":"Not found","error":true}'

/** The real door behind the real request listener, on 127.0.0.1 port 0. */
const serve = async (t: tap.Test, table: readonly Action[] = actions, jsonrpc?: () => JsonRpcDoor | undefined, admin?: (ctx: ActionContext) => AdminDoor): Promise<{ port: number; base: string; lines: string[] }> => {
  const lines: string[] = []
  const log = createLogger(lines.push.bind(lines))
  const store = openStore(t.testdir(), log)
  const ctx: ActionContext = {
    store,
    backend: createNoneBackend(),
    log,
    now: () => new Date(2025, 1, 21, 2, 31, 30),
    defaultValidFor: () => '1 day',
    daemon: daemonInfo({ version: 'test', startedAt: new Date(2025, 1, 21), listening: () => [] }),
    admin: memoryAdmin(),
    emit: () => {},
  }
  const settings: ApiSettings = { enabled: true, get: true, post: true, key: KEY }
  const door: ApiDoor = { actions: table, ctx, settings: () => settings, throttle: new Throttle(), log }
  const server = createServer(createRequestListener(door, jsonrpc, admin?.(ctx)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => { resolve() })
      server.closeAllConnections()
    })
    store.close()
  })
  const { port } = server.address() as AddressInfo
  return { port, base: `http://127.0.0.1:${port}`, lines }
}

/** Sends `head` as raw bytes (one request, Connection: close) and resolves with the raw answer. */
const raw = (port: number, head: string): Promise<string> => new Promise((resolve, reject) => {
  const socket = connect(port, '127.0.0.1', () => { socket.write(head) })
  let got = ''
  socket.setEncoding('latin1')
  socket.on('data', (d: string) => { got += d })
  socket.on('end', () => { resolve(got) })
  socket.on('error', reject)
})

const statusLine = (answer: string): string => answer.slice(0, answer.indexOf('\r\n'))
/** The body of a chunked answer, as one string. */
const bodyOf = (answer: string): string => {
  let rest = answer.slice(answer.indexOf('\r\n\r\n') + 4)
  let body = ''
  for (;;) {
    const eol = rest.indexOf('\r\n')
    const size = parseInt(rest.slice(0, eol), 16)
    if (!(size > 0)) return body
    body += rest.slice(eol + 2, eol + 2 + size)
    rest = rest.slice(eol + 2 + size + 2)
  }
}

t.test('/api and /api/ reach the API door', async (t) => {
  const { base } = await serve(t)
  const cases = ['/api', '/api/', `/api?api-key=${KEY}&action=get_voucher_users`, `/api/?api-key=${KEY}&action=get_voucher_users`]
  for (const path of cases) {
    const res = await fetch(`${base}${path}`)
    const body = await res.json() as { message?: string; users?: unknown[] }
    t.not(body.message, 'Not found', `${path}: not the 404 envelope`)
    if (path.includes('action=')) {
      t.equal(res.status, 200, `${path}: 200 from the door`)
      t.strictSame(body, { users: [] }, `${path}: the action's answer`)
    } else {
      t.equal(res.status, 403, `${path}: the door's 403 (no key)`)
      t.equal(body.message, 'API Key not set or method not allowed', `${path}: the door's message`)
    }
  }
})

t.test('any other path is 404 in the seed\'s envelope', async (t) => {
  const { base } = await serve(t)
  const cases: Array<[string, string]> = [
    ['GET', '/'],
    ['GET', '/api/x'],
    ['GET', '/apix'],
    ['GET', '/API/'],
    ['GET', '/api//'],
    ['GET', '/admin'],
    ['GET', '/admin/'],
    ['GET', '/ubus'],
    ['GET', '/index.html?api-key=x'],
    ['POST', '/cgi-bin/luci'],
    ['DELETE', '/api/x'],
  ]
  for (const [method, path] of cases) {
    const res = await fetch(`${base}${path}`, { method })
    t.equal(res.status, 404, `${method} ${path}: 404`)
    t.equal(await res.text(), NOT_FOUND, `${method} ${path}: the envelope`)
    t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', `${method} ${path}: JSON`)
  }
})

t.test('/ubus reaches the JSON-RPC door while it is on, and is a 404 while it is off', async (t) => {
  const log = createLogger(() => {})
  const sessions = new Sessions({ acl: {}, users: () => new Map(), now: Date.now, throttle: new Throttle(), log })
  let on = true
  const { base } = await serve(t, actions, () => on ? { objects: () => [sessions.object], sessions, log } : undefined)
  const list = async () => fetch(`${base}/ubus`, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"list"}' })
  t.same(await (await list()).json(), { jsonrpc: '2.0', id: 1, result: ['session'] })
  on = false
  const off = await list()
  t.equal(off.status, 404)
  t.equal(await off.text(), NOT_FOUND)
})

t.test('a request-target that is not a URL is answered, never a crash', async (t) => {
  const { port } = await serve(t)
  const cases: Array<[string, string, RegExp]> = [
    ['an absolute URL with a broken IPv6 host', 'http://[', /^HTTP\/1\.1 404 /],
    ['a broken host in absolute form with a path', 'http://[::1/api', /^HTTP\/1\.1 404 /],
    ['a protocol-relative target with a broken host', '//[', /^HTTP\/1\.1 404 /],
    ['a port out of range', '//a:99999/api', /^HTTP\/1\.1 404 /],
    ['a space inside the target (refused by node\'s parser)', 'http://a b/api', /^HTTP\/1\.1 400 /],
  ]
  for (const [name, target, status] of cases) {
    const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
    t.match(statusLine(answer), status, `${name}: ${statusLine(answer)}`)
    if (status.source.includes('404')) t.equal(bodyOf(answer), NOT_FOUND, `${name}: the envelope`)
  }
  const after = await fetch(`http://127.0.0.1:${port}/api/?api-key=${KEY}&action=get_logins`)
  t.equal(after.status, 200, 'the server still answers afterwards')
})

t.test('an absolute-form request-target is routed by its path', async (t) => {
  const { port } = await serve(t)
  const api = await raw(port, `GET http://hotspotd.lan/api/?api-key=${KEY}&action=get_logins HTTP/1.1\r\nHost: hotspotd.lan\r\nConnection: close\r\n\r\n`)
  t.match(statusLine(api), /^HTTP\/1\.1 200 /, 'http://host/api/: the door answers 200')
  const other = await raw(port, 'GET http://hotspotd.lan/admin HTTP/1.1\r\nHost: hotspotd.lan\r\nConnection: close\r\n\r\n')
  t.match(statusLine(other), /^HTTP\/1\.1 404 /, 'http://host/admin: 404')
})

t.test('even a thrown non-object mid-answer is logged, the connection cut, and serving goes on', async (t) => {
  const table = [defineAction({
    name: 'throws_undefined', summary: 'a lazy list that throws undefined', access: 'read', params: {},
    handler: () => ({
      users: (function * () {
        for (let i = 0; i < 500; i++) yield { id: i, note: 'x'.repeat(90) }
        throw undefined
      })(),
    }),
  }), ...actions]
  const { base, lines } = await serve(t, table)
  const res = await fetch(`${base}/api/?api-key=${KEY}&action=throws_undefined`)
  t.equal(res.status, 200, 'the answer had begun')
  await t.rejects(res.text(), 'reading the body fails: the connection was cut')
  const errors = lines.filter((l) => l.startsWith('error:'))
  t.equal(errors.length, 1, 'one error line')
  t.equal(errors[0], 'error: api: answer cut short: undefined', 'logged as what was thrown')
  const after = await fetch(`${base}/api/?api-key=${KEY}&action=get_logins`)
  t.equal(after.status, 200, 'the server goes on answering')
})

t.test('/admin and /admin/... reach the admin door where it is given (LAN/MGMT), and are 404 without it (the cloud tunnel\'s listener)', async (t) => {
  const staticDir = mkdtempSync(join(tmpdir(), 'hotspotd-routes-')) // not t.testdir(): serve() makes the store there
  writeFileSync(join(staticDir, 'index.html'), 'panel')
  t.teardown(() => { rmSync(staticDir, { recursive: true, force: true }) })
  const admin = (ctx: ActionContext): AdminDoor => ({ actions, ctx, auth: adminAuth().auth, throttle: new Throttle(), staticDir, log: createLogger(() => {}) })
  const lan = await serve(t, actions, undefined, admin)
  t.equal((await fetch(`${lan.base}/admin`, { redirect: 'manual' })).status, 301)
  t.equal(await (await fetch(`${lan.base}/admin/`)).text(), 'panel')
  t.equal((await fetch(`${lan.base}/admin/api/session`)).status, 401, 'the door\'s own answer')
  t.equal((await fetch(`${lan.base}/administrator`)).status, 404, 'not under /admin/')
  const cloud = await serve(t)
  for (const path of ['/admin', '/admin/', '/admin/index.html', '/admin/api/session', '/admin/api/export/vouchers.csv']) {
    const res = await fetch(`${cloud.base}${path}`, { redirect: 'manual' })
    t.equal(res.status, 404, `without the admin door: ${path} is 404`)
    t.equal(await res.text(), NOT_FOUND)
  }
  const login = await fetch(`${cloud.base}/admin/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"admin","password":"adminpass"}' })
  t.equal(login.status, 404, 'no sign-in either')
})
