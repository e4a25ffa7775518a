import t, { type Test } from 'tap'
import { randomBytes, scryptSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Throttle } from '../../src/http/throttle'
import { createLogger } from '../../src/log'
import type { AclFile } from '../../src/ubus/acl'
import { BlobmsgType } from '../../src/ubus/blobmsg'
import {
  DEFAULT_TIMEOUT_MS, handleJsonRpc, isJsonRpcPath, POST_LIMIT, RPC_ERRORS, statusText, type JsonRpcDoor,
} from '../../src/ubus/jsonrpc'
import type { UbusCaller, UbusMethod, UbusObject, UbusReply } from '../../src/ubus/object'
import { NULL_SESSION, Sessions, type LoginUser, type SessionsOptions } from '../../src/ubus/sessions'

const { INT8, INT32, STRING, ARRAY, TABLE, DOUBLE } = BlobmsgType

// ---------------------------------------------------------------------------------------------
// The transcript's rig: uhttpd + rpcd with libubus' example server (`test`), rpcd's file, rc and
// uci plugins, and these acl.d groups and logins.

interface Vector {
  scenario: string
  method: string
  path: string
  request_headers?: Record<string, string>
  request_body?: string
  http_status: number
  response_headers: Array<[string, string]>
  response_body: string
  response_json: unknown
}

const VECTORS = JSON.parse(readFileSync('test/fixtures/ubus/jsonrpc-vectors.json', 'utf8')) as Vector[]

const RIG_ACL: AclFile = {
  'hotspot.test': { description: 'hotspot test', read: { ubus: { test: ['hello'] } } },
  'rig-session': { description: 'rig session', write: { ubus: { session: ['destroy'] } } },
  'rig-test': { description: 'rig test', read: { ubus: { test: ['hello', 'count'] } } },
  unauthenticated: { description: 'unauthenticated', read: { ubus: { session: ['access', 'login'] } } },
}

/** A stored hash at the lowest accepted cost, so the tests stay quick. */
const hashOf = (pw: string): string => {
  const salt = randomBytes(16)
  const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '')
  return `$scrypt$ln=10,r=8,p=1$${b64(salt)}$${b64(scryptSync(pw, salt, 32, { N: 1024, r: 8, p: 1 }))}`
}

const USERS = new Map<string, LoginUser>([
  ['admin', { hash: hashOf('rigpass'), read: ['*'], write: ['*'] }],
  ['hotspot', { hash: hashOf('hotpass'), read: ['hotspot.*'], write: [] }],
])

const reply = (status: number, data?: Record<string, unknown>): UbusReply => data === undefined ? { status } : { status, data }

/** What the `test` object of the rig saw, and a switch that freezes it (the rig SIGSTOPped it). */
interface TestState { frozen: boolean; calls: Array<{ method: string; args: Record<string, unknown>; caller: UbusCaller }> }

/** libubus' example server, as far as the transcript shows it (hello answers at once here, not after 1 s). */
const exampleServer = (state: TestState): UbusObject => {
  const seen = (method: string, args: Record<string, unknown>, caller: UbusCaller): void => { state.calls.push({ method, args, caller }) }
  return {
    path: 'test',
    methods: new Map<string, UbusMethod>([
      ['hello', {
        policy: { id: INT32, msg: STRING },
        handler: async (args, caller) => {
          seen('hello', args, caller)
          return reply(0, { message: `test received a message: ${typeof args.msg === 'string' ? args.msg : '(unknown)'}` })
        },
      }],
      ['watch', { policy: { id: INT32, counter: INT32 }, handler: async (args) => reply(typeof args.id === 'number' ? 0 : 2) }],
      ['count', {
        policy: { to: INT32, string: STRING },
        handler: async (args, caller) => {
          seen('count', args, caller)
          if (state.frozen) return new Promise<UbusReply>(() => {})
          // The example server answered rc 63 to every well-formed count in the transcript.
          return typeof args.to === 'number' && typeof args.string === 'string' ? reply(0, { rc: 63 }) : reply(2)
        },
      }],
    ]),
  }
}

/** rpcd's file, rc and uci objects are not hotspotd's: stand-ins with their recorded signatures. */
const standIns = (): UbusObject[] => {
  const recorded = VECTORS.find((v) => v.path === '/ubus/list')?.response_json as Record<string, Record<string, Record<string, string>>>
  const types: Record<string, number> = { boolean: INT8, number: INT32, string: STRING, array: ARRAY, object: TABLE }
  return ['file', 'rc', 'uci'].map((path) => ({
    path,
    methods: new Map(Object.entries(recorded[path] ?? {}).map(([name, args]) => [name, {
      policy: Object.fromEntries(Object.entries(args).map(([arg, type]) => [arg, types[type] as number])),
      handler: async () => reply(8),
    }])),
  }))
}

/** The methods hotspotd's session object has, of rpcd's. */
const OUR_SESSION_METHODS = ['access', 'destroy', 'login']

// ---------------------------------------------------------------------------------------------
// A real server on 127.0.0.1:0 with the door behind it.

interface Harness {
  base: string
  port: number
  door: JsonRpcDoor
  sessions: Sessions
  state: TestState
  lines: string[]
  clock: { now: number }
  /** Resolves once the door has finished with the n-th request (from 1). */
  finished: (n: number) => Promise<void>
}

interface HarnessOptions {
  acl?: AclFile
  objects?: (h: { sessions: Sessions; state: TestState }) => UbusObject[]
  sessions?: Partial<SessionsOptions>
  timeoutMs?: number
}

const harness = async (t: Test, opts: HarnessOptions = {}): Promise<Harness> => {
  const lines: string[] = []
  const log = createLogger((l) => lines.push(l))
  const clock = { now: 1_700_000_000_000 }
  const sessions = new Sessions({
    acl: opts.acl ?? RIG_ACL, users: () => USERS, now: () => clock.now, throttle: new Throttle(), log, ...opts.sessions,
  })
  const state: TestState = { frozen: false, calls: [] }
  const objects = opts.objects?.({ sessions, state }) ?? [sessions.object, exampleServer(state)]
  const door: JsonRpcDoor = { objects: () => objects, sessions, log, ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) }
  const done: Array<() => void> = []
  const waits: Array<Promise<void>> = []
  const server = createServer((req, res) => {
    const url = new URL(req.url as string, 'http://hotspotd')
    if (!isJsonRpcPath(url.pathname)) {
      res.writeHead(404).end()
      return
    }
    const i = waits.length
    waits.push(new Promise<void>((resolve) => { done[i] = resolve }))
    void handleJsonRpc(door, req, res, url).then(() => done[i]?.())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => { resolve() })
      server.closeAllConnections()
    })
  })
  const port = (server.address() as AddressInfo).port
  const finished = async (n: number): Promise<void> => {
    while (waits.length < n) await new Promise((resolve) => setImmediate(resolve))
    await waits[n - 1]
  }
  return { base: `http://127.0.0.1:${port}`, port, door, sessions, state, lines, clock, finished }
}

interface Answer { status: number; headers: Headers; text: string }

const fetchText = async (url: string, init: RequestInit = {}): Promise<Answer> => {
  const res = await fetch(url, init)
  return { status: res.status, headers: res.headers, text: await res.text() }
}

const post = async (h: Harness, path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> =>
  fetchText(h.base + path, { method: 'POST', body, headers })

/** One legacy JSON-RPC request; its answer parsed. */
const rpc = async (h: Harness, request: unknown): Promise<unknown> =>
  JSON.parse((await post(h, '/ubus', JSON.stringify(request))).text) as unknown

const callRequest = (id: unknown, sid: string, object: string, method: string, args: Record<string, unknown> = {}): unknown =>
  ({ jsonrpc: '2.0', id, method: 'call', params: [sid, object, method, args] })

/** Logs in over the door; returns the session id. */
const login = async (h: Harness, username = 'admin', password = 'rigpass', more: Record<string, unknown> = {}): Promise<string> => {
  const answer = await rpc(h, callRequest(1, NULL_SESSION, 'session', 'login', { username, password, ...more })) as { result: [number, { ubus_rpc_session: string }] }
  if (answer.result[0] !== 0) throw new Error(`login failed: ${JSON.stringify(answer)}`)
  return answer.result[1].ubus_rpc_session
}

/** A raw request, for what fetch cannot do (declare a body and not send it, hang up mid-body). */
const raw = (h: Harness, opts: { method: string; path: string; headers?: Record<string, string | number>; body?: string; end?: boolean }):
Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.port, method: opts.method, path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({ status: res.statusCode as number, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') })
        req.destroy()
      })
    })
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    if (opts.end !== false) req.end()
  })

// ---------------------------------------------------------------------------------------------

t.test('the door\'s paths', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['/ubus', true],
    ['/ubus/', true],
    ['/ubus/call/test', true],
    ['/ubus/call/network.interface.lan', true],
    ['/ubus/list', true],
    ['/ubus/list/', true],
    ['/ubus/list/test', true],
    ['/ubus/call/', false],
    ['/ubus/call', false],
    ['/ubus//', false],
    ['/ubus/subscribe/test', false],
    ['/ubusx', false],
    ['/api/', false],
    ['/', false],
  ]
  for (const [path, expected] of cases) t.equal(isJsonRpcPath(path), expected, `${path}: ${expected}`)
  t.equal(DEFAULT_TIMEOUT_MS, 30_000, 'calls time out after 30 s by default')
  t.equal(POST_LIMIT, 65_536, 'bodies up to 64 KiB, as uhttpd')
})

t.test('statusText: libubus\' ubus_strerror', async (t) => {
  t.equal(statusText(0), 'Success')
  t.equal(statusText(2), 'Invalid argument')
  t.equal(statusText(13), 'System error')
  t.equal(statusText(14), 'Unknown error: 14')
  t.equal(statusText(-1), 'Unknown error: -1')
})

t.test('replays the uhttpd + rpcd transcript: every answer byte for byte', async (t) => {
  // selfDestroy off: the rig's rpcd grants session.destroy only through its rig-session group.
  const h = await harness(t, {
    sessions: { selfDestroy: false },
    objects: ({ sessions, state }) => [...standIns(), sessions.object, exampleServer(state)],
  })
  /** Recorded session id to the one this server handed out in its place. */
  const ids = new Map<string, string>()
  const swap = (text: string): string => text.replace(/[0-9a-f]{32}/g, (id) => ids.get(id) ?? id)
  const SID = /"ubus_rpc_session":"([0-9a-f]{32})"/
  for (const v of VECTORS) {
    if (v.scenario.startsWith('call with expired session')) h.clock.now += 2_500 // the rig waited 2.5 s
    if (v.scenario.startsWith('call while server is frozen')) {
      h.state.frozen = true
      h.door.timeoutMs = 20 // the rig ran uhttpd -t 10
    }
    const headers = Object.fromEntries(Object.entries(v.request_headers ?? {}).map(([k, x]) => [k, swap(x)]))
    const body = v.request_body === undefined ? undefined : swap(v.request_body)
    const answer = await fetchText(h.base + v.path, body === undefined ? { method: v.method, headers } : { method: v.method, headers, body })
    const recorded = SID.exec(v.response_body)?.[1]
    const ours = SID.exec(answer.text)?.[1]
    if (recorded !== undefined && ours !== undefined) ids.set(recorded, ours)
    let expected = v.response_body
    if (v.path === '/ubus/list' || (body ?? '').includes('"method":"list"')) {
      // rpcd's session object has more methods than hotspotd's: compare the ones both have.
      const json = v.response_json as { result?: unknown }
      const root = (v.path === '/ubus/list' ? json : json.result) as Record<string, Record<string, unknown>> | string[]
      if (!Array.isArray(root) && root.session !== undefined) {
        root.session = Object.fromEntries(Object.entries(root.session).filter(([m]) => OUR_SESSION_METHODS.includes(m)))
      }
      expected = JSON.stringify(json)
    }
    t.equal(answer.status, v.http_status, `${v.scenario}: HTTP ${v.http_status}`)
    t.equal(answer.headers.get('content-type'), 'application/json', `${v.scenario}: application/json`)
    t.equal(answer.text, swap(expected), v.scenario)
  }
  t.equal(ids.size, 4, 'four logins, four session ids mapped')
  const admin = ids.get('dcfeda6b65c78ecad5e6ebeafc4d2d66')
  const hello = h.state.calls[0]
  t.same(Object.keys(hello?.args ?? {}), ['id', 'msg', 'ubus_rpc_session'], 'ubus_rpc_session is appended last, as uhttpd does')
  t.same(hello, { method: 'hello', args: { id: 1, msg: 'hi', ubus_rpc_session: admin }, caller: { user: 'admin', address: '127.0.0.1' } },
    'the method gets the args, the session and who calls')
  t.ok(h.lines.includes('warn: ubus: test.count did not answer within 20 ms'), 'a frozen method is logged')
})

t.test('every logged-in session may destroy itself (selfDestroy default)', async (t) => {
  const h = await harness(t)
  const sid = await login(h, 'hotspot', 'hotpass')
  t.same(await rpc(h, callRequest(60, sid, 'session', 'destroy')), { jsonrpc: '2.0', id: 60, result: [0] }, 'the hotspot user destroys its session')
  t.same(await rpc(h, callRequest(61, sid, 'test', 'hello', { msg: 'x' })), { jsonrpc: '2.0', id: 61, error: RPC_ERRORS.ACCESS }, 'and it is gone')
  t.same(await rpc(h, callRequest(62, NULL_SESSION, 'session', 'destroy')), { jsonrpc: '2.0', id: 62, error: RPC_ERRORS.ACCESS },
    'the null session may not call destroy')
  t.ok(h.lines.includes('info: ubus: session logout by hotspot'), 'logged')
})

t.test('failed logins lock the client address out: then the right password is [6] too', async (t) => {
  const h = await harness(t, { sessions: { throttle: new Throttle({ limit: 2, lockMs: 60_000 }) } })
  const attempt = async (id: number, pw: string): Promise<unknown> =>
    rpc(h, callRequest(id, NULL_SESSION, 'session', 'login', { username: 'admin', password: pw }))
  t.same(await attempt(1, 'guess1'), { jsonrpc: '2.0', id: 1, result: [6] })
  t.same(await attempt(2, 'guess2'), { jsonrpc: '2.0', id: 2, result: [6] })
  t.same(await attempt(3, 'rigpass'), { jsonrpc: '2.0', id: 3, result: [6] }, 'locked')
  t.same(h.lines, ['warn: ubus: 2 failed logins from 127.0.0.1; refusing it for 60 s'], 'the door passes the client\'s address')
  h.clock.now += 60_000
  const answer = await attempt(4, 'rigpass') as { result: [number] }
  t.equal(answer.result[0], 0, 'after the lock: logged in')
})

t.test('the session cap: a login beyond maxSessions ends the least recently used', async (t) => {
  const h = await harness(t, { sessions: { maxSessions: 1 } })
  const first = await login(h)
  const second = await login(h)
  t.same(await rpc(h, callRequest(1, first, 'test', 'count', { to: 1, string: 'one' })), { jsonrpc: '2.0', id: 1, error: RPC_ERRORS.ACCESS }, 'the first is gone')
  t.same(await rpc(h, callRequest(2, second, 'test', 'count', { to: 1, string: 'one' })), { jsonrpc: '2.0', id: 2, result: [0, { rc: 63 }] }, 'the second works')
})

/** Objects for the door's own cases: replies the example server never gives. */
const oddities = (state: { gone?: () => void } = {}): UbusObject => {
  const m = (handler: UbusMethod['handler'], policy: Record<string, number> = {}): UbusMethod => ({ policy, handler })
  return {
    path: 'odd',
    methods: new Map<string, UbusMethod>([
      ['whoami', m(async (args, caller) => reply(0, { caller, args }))],
      ['empty', m(async () => reply(0, {}))],
      ['partial', m(async () => reply(4, { why: 'no such voucher' }))],
      ['weird', m(async () => reply(42))],
      ['crash', m(async () => { throw new Error('boom') })],
      ['crashSync', m(() => { throw new TypeError('sync boom') })],
      ['slow', m(async () => new Promise<UbusReply>(() => {}))],
      ['lazy', m(async () => reply(0, {
        count: 3000,
        rows: (function * () { for (let i = 1; i <= 3000; i++) yield { id: i, username: `user${i}`, note: 'x'.repeat(20) } })(),
      }))],
      ['broken', m(async () => reply(0, {
        rows: (function * () { yield { id: 1 }; yield 'x'.repeat(40_000); throw new Error('cursor failed') })(),
      }))],
      ['endless', m(async () => reply(0, {
        rows: (function * () { for (let i = 0; ; i++) { if (i === 3) state.gone?.(); yield 'y'.repeat(20_000) } })(),
      }))],
      ['types', m(async () => reply(0), { b: INT8, n: INT32, s: STRING, a: ARRAY, o: TABLE, d: DOUBLE })],
    ]),
  }
}

const ODD_ACL: AclFile = { ...RIG_ACL, 'odd-all': { description: 'odd', write: { ubus: { odd: ['*'], test: ['*'] } } } }

t.test('what a method answers becomes [status] or [status, data]', async (t) => {
  const h = await harness(t, { acl: ODD_ACL, objects: ({ sessions, state }) => [sessions.object, exampleServer(state), oddities()] })
  const sid = await login(h)
  const cases: Array<[string, string, string, unknown]> = [
    ['no data', 'test', 'watch', [0]],
    ['an empty data table is no data (uhttpd sends no table)', 'odd', 'empty', [0]],
    ['a failure with data keeps it', 'odd', 'partial', [4, { why: 'no such voucher' }]],
    ['a status libubus does not know', 'odd', 'weird', [42]],
    ['a method the object lacks, with the ACL allowing it', 'odd', 'nosuch', [3]],
    ['a throwing method (a bug) is UNKNOWN_ERROR', 'odd', 'crash', [9]],
    ['one throwing before it returns a promise, too', 'odd', 'crashSync', [9]],
  ]
  for (const [name, object, method, result] of cases) {
    t.same(await rpc(h, callRequest(7, sid, object, method, { id: 1 })), { jsonrpc: '2.0', id: 7, result }, name)
  }
  t.match(h.lines.filter((l) => l.startsWith('error:')), [/^error: ubus: odd\.crash failed: Error: boom\n/, /^error: ubus: odd\.crashSync failed: TypeError: sync boom\n/], 'crashes are logged with their stack')
  const who = await rpc(h, callRequest(8, sid, 'odd', 'whoami', { b: true, n: null, nested: { deep: [1, 'two'] } }))
  t.same(who, {
    jsonrpc: '2.0',
    id: 8,
    result: [0, { caller: { user: 'admin', address: '127.0.0.1' }, args: { b: true, n: null, nested: { deep: [1, 'two'] }, ubus_rpc_session: sid } }],
  }, 'any JSON args reach the method as sent, plus the session')
})

t.test('a method that does not answer in time is -32003, on both endpoints', async (t) => {
  const h = await harness(t, { acl: ODD_ACL, timeoutMs: 10, objects: ({ sessions }) => [sessions.object, oddities()] })
  h.door.timeoutMs = undefined
  const sid = await login(h) // scrypt may take longer than 10 ms
  h.door.timeoutMs = 10
  t.same(await rpc(h, callRequest(1, sid, 'odd', 'slow')), { jsonrpc: '2.0', id: 1, error: { code: -32003, message: 'ubus request timed out' } }, 'legacy')
  const answer = await post(h, '/ubus/call/odd', '{"jsonrpc":"2.0","id":2,"method":"slow"}', { Authorization: `Bearer ${sid}` })
  t.equal(answer.text, '{"jsonrpc":"2.0","id":2,"error":{"code":-32003,"message":"ubus request timed out"}}', 'non-legacy: the same JSON-RPC error')
  t.same(h.lines.filter((l) => l.startsWith('warn:')), [
    'warn: ubus: odd.slow did not answer within 10 ms', 'warn: ubus: odd.slow did not answer within 10 ms',
  ], 'each logged')
})

t.test('requests uhttpd refuses as parse errors, and other JSON-RPC errors', async (t) => {
  const h = await harness(t, { objects: ({ sessions, state }) => [sessions.object, exampleServer(state)] })
  const sid = await login(h)
  const PARSE = RPC_ERRORS.PARSE
  const cases: Array<[string, string | Uint8Array, unknown]> = [
    ['a number', '42', { jsonrpc: '2.0', id: null, error: PARSE }],
    ['a string', '"call"', { jsonrpc: '2.0', id: null, error: PARSE }],
    ['null', 'null', { jsonrpc: '2.0', id: null, error: PARSE }],
    ['an empty body', '', { jsonrpc: '2.0', id: null, error: PARSE }],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), { jsonrpc: '2.0', id: null, error: PARSE }],
    ['jsonrpc "1.0"', '{"jsonrpc":"1.0","id":1,"method":"list"}', { jsonrpc: '2.0', id: 1, error: PARSE }],
    ['jsonrpc as a number', '{"jsonrpc":2.0,"id":1,"method":"list"}', { jsonrpc: '2.0', id: 1, error: PARSE }],
    ['no method', '{"jsonrpc":"2.0","id":"a"}', { jsonrpc: '2.0', id: 'a', error: PARSE }],
    ['a method that is not a string', '{"jsonrpc":"2.0","id":[1],"method":7}', { jsonrpc: '2.0', id: [1], error: PARSE }],
    ['call without params', '{"jsonrpc":"2.0","id":1,"method":"call"}', { jsonrpc: '2.0', id: 1, error: PARSE }],
    ['call with params as an object', '{"jsonrpc":"2.0","id":1,"method":"call","params":{"a":1}}', { jsonrpc: '2.0', id: 1, error: PARSE }],
    ['call with args as an array', `{"jsonrpc":"2.0","id":1,"method":"call","params":["${sid}","test","hello",[]]}`, { jsonrpc: '2.0', id: 1, error: PARSE }],
    ['call with null args', `{"jsonrpc":"2.0","id":1,"method":"call","params":["${sid}","test","hello",null]}`, { jsonrpc: '2.0', id: 1, error: PARSE }],
    ['call with a numeric session', '{"jsonrpc":"2.0","id":1,"method":"call","params":[0,"test","hello",{}]}', { jsonrpc: '2.0', id: 1, error: PARSE }],
    ['call with a numeric method', `{"jsonrpc":"2.0","id":1,"method":"call","params":["${sid}","test",5,{}]}`, { jsonrpc: '2.0', id: 1, error: PARSE }],
    ['no id: answered with id null', '{"jsonrpc":"2.0","method":"frobnicate"}', { jsonrpc: '2.0', id: null, error: RPC_ERRORS.METHOD }],
    ['an object id is echoed', '{"jsonrpc":"2.0","id":{"n":1},"method":"x"}', { jsonrpc: '2.0', id: { n: 1 }, error: RPC_ERRORS.METHOD }],
    ['id 0 is echoed', '{"jsonrpc":"2.0","id":0,"method":"x"}', { jsonrpc: '2.0', id: 0, error: RPC_ERRORS.METHOD }],
    ['extra params are ignored', `{"jsonrpc":"2.0","id":1,"method":"call","params":["${sid}","test","hello",{"msg":"m"},"extra"]}`,
      { jsonrpc: '2.0', id: 1, result: [0, { message: 'test received a message: m' }] }],
    ['an empty session id', '{"jsonrpc":"2.0","id":1,"method":"call","params":["","test","hello",{}]}', { jsonrpc: '2.0', id: 1, error: RPC_ERRORS.ACCESS }],
    ['object lookup before the session: an unknown object with a bad session',
      '{"jsonrpc":"2.0","id":1,"method":"call","params":["bad","nosuch","x",{}]}', { jsonrpc: '2.0', id: 1, error: RPC_ERRORS.OBJECT }],
    ['the session before the args check: ubus_rpc_session with a bad session',
      '{"jsonrpc":"2.0","id":1,"method":"call","params":["bad","test","count",{"ubus_rpc_session":"x"}]}', { jsonrpc: '2.0', id: 1, error: RPC_ERRORS.ACCESS }],
  ]
  for (const [name, body, expected] of cases) {
    const answer = await post(h, '/ubus', body)
    t.equal(answer.status, 200, `${name}: HTTP 200`)
    t.same(JSON.parse(answer.text), expected, name)
  }
  t.equal(h.state.calls.length, 1, 'only the well-formed hello reached the method')
})

t.test('list: names, or signatures of names and patterns, with uhttpd\'s type names', async (t) => {
  const h = await harness(t, { acl: ODD_ACL, objects: ({ sessions, state }) => [oddities(), exampleServer(state), sessions.object] })
  const result = async (params?: unknown): Promise<unknown> =>
    ((await rpc(h, params === undefined ? { jsonrpc: '2.0', id: 1, method: 'list' } : { jsonrpc: '2.0', id: 1, method: 'list', params })) as { result: unknown }).result
  t.same(await result(), ['odd', 'session', 'test'], 'no params: the names, sorted as ubusd keeps them')
  t.same(await result({ test: 1 }), ['odd', 'session', 'test'], 'params that are not an array: names too')
  const test = { hello: { id: 'number', msg: 'string' }, watch: { id: 'number', counter: 'number' }, count: { to: 'number', string: 'string' } }
  t.same(await result(['test']), { test }, 'one name')
  t.same(await result(['te*']), { test }, 'a prefix pattern')
  t.same(await result(['test', 'test']), { test }, 'a name twice: once')
  t.same(await result(['nosuch', 7, null, 'tes', '']), {}, 'unknown names, non-strings, a partial name without *: nothing')
  const all = await result(['*']) as Record<string, Record<string, unknown>>
  t.same(Object.keys(all), ['odd', 'session', 'test'], '*: every object, sorted')
  t.same(all.odd?.types, { b: 'boolean', n: 'number', s: 'string', a: 'array', o: 'object', d: 'unknown' }, 'type names; double is unknown')
  t.same(all.odd?.empty, {}, 'a method without arguments: {}')
  t.same(all.session, {
    access: { ubus_rpc_session: 'string', scope: 'string', object: 'string', function: 'string' },
    destroy: { ubus_rpc_session: 'string' },
    login: { username: 'string', password: 'string', timeout: 'number' },
  }, 'the session object')
})

t.test('GET /ubus/list and /ubus/list/<object>', async (t) => {
  const h = await harness(t)
  const all = await fetchText(`${h.base}/ubus/list`)
  t.equal(all.status, 200)
  t.same(Object.keys(JSON.parse(all.text) as object), ['session', 'test'], 'every object with its signature')
  const slash = await fetchText(`${h.base}/ubus/list/`)
  t.equal(slash.text, all.text, '/ubus/list/ is the same')
  const one = await fetchText(`${h.base}/ubus/list/test`)
  t.equal(one.text, '{"hello":{"id":"number","msg":"string"},"watch":{"id":"number","counter":"number"},"count":{"to":"number","string":"string"}}',
    'one object: its methods, without the object around them (as uhttpd)')
  t.equal(one.headers.get('content-type'), 'application/json')
  const merged = JSON.parse((await fetchText(`${h.base}/ubus/list/*`)).text) as object
  t.same(Object.keys(merged), ['access', 'destroy', 'login', 'hello', 'watch', 'count'], 'a pattern: the methods of every match, merged')
  const missing = await fetchText(`${h.base}/ubus/list/nosuch`)
  t.same([missing.status, missing.text], [404, '{"code":4,"message":"Not found"}'], 'no such object: 404 with the ubus status')
})

t.test('batches: one answer per member, in order, each member run after the one before', async (t) => {
  const h = await harness(t)
  const sid = await login(h)
  const empty = await post(h, '/ubus', '[]')
  t.same([empty.status, empty.headers.get('content-type'), empty.text], [200, 'application/json', '[]'], 'an empty batch: []')
  const answer = await post(h, '/ubus', JSON.stringify([
    callRequest(1, sid, 'test', 'hello', { msg: 'first' }),
    42,
    { jsonrpc: '2.0', id: 3, method: 'list' },
    [callRequest(4, sid, 'test', 'hello', { msg: 'nested' })],
    callRequest(5, sid, 'test', 'hello', { msg: 'last' }),
    callRequest(6, sid, 'session', 'destroy'),
    callRequest(7, sid, 'test', 'hello', { msg: 'after destroy' }),
  ]))
  t.equal(answer.text, [
    '[{"jsonrpc":"2.0","id":1,"result":[0,{"message":"test received a message: first"}]}',
    '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}',
    '{"jsonrpc":"2.0","id":3,"result":["session","test"]}',
    '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}',
    '{"jsonrpc":"2.0","id":5,"result":[0,{"message":"test received a message: last"}]}',
    '{"jsonrpc":"2.0","id":6,"result":[0]}',
    '{"jsonrpc":"2.0","id":7,"error":{"code":-32002,"message":"Access denied"}}]',
  ].join(','), 'members answered in order; a nested array is not a request; a destroy applies to the members after it')
  t.same(h.state.calls.map((c) => c.args.msg), ['first', 'last'], 'the methods ran in order')
})

t.test('POST /ubus/call/<object>: plain results, ubus statuses as error codes', async (t) => {
  const h = await harness(t, { acl: ODD_ACL, objects: ({ sessions, state }) => [sessions.object, exampleServer(state), oddities()] })
  const sid = await login(h)
  const bearer = { Authorization: `Bearer ${sid}` }
  const cases: Array<[string, string, string, Record<string, string>, string]> = [
    ['data: the result', 'test', '{"jsonrpc":"2.0","id":1,"method":"hello","params":{"msg":"x"}}', bearer,
      '{"jsonrpc":"2.0","id":1,"result":{"message":"test received a message: x"}}'],
    ['no data: result null', 'test', '{"jsonrpc":"2.0","id":1,"method":"watch","params":{"id":1}}', bearer,
      '{"jsonrpc":"2.0","id":1,"result":null}'],
    ['params absent: no args', 'test', '{"jsonrpc":"2.0","id":1,"method":"count"}', bearer,
      '{"jsonrpc":"2.0","id":1,"error":{"code":2,"message":"Invalid argument"}}'],
    ['params null: no args', 'test', '{"jsonrpc":"2.0","id":1,"method":"watch","params":null}', bearer,
      '{"jsonrpc":"2.0","id":1,"error":{"code":2,"message":"Invalid argument"}}'],
    ['params as an array: invalid', 'test', '{"jsonrpc":"2.0","id":1,"method":"watch","params":[1]}', bearer,
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Invalid parameters"}}'],
    ['params with ubus_rpc_session: invalid', 'test', `{"jsonrpc":"2.0","id":1,"method":"watch","params":{"ubus_rpc_session":"${sid}"}}`, bearer,
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Invalid parameters"}}'],
    ['a failure with data: the status only', 'odd', '{"jsonrpc":"2.0","id":1,"method":"partial"}', bearer,
      '{"jsonrpc":"2.0","id":1,"error":{"code":4,"message":"Not found"}}'],
    ['an unknown status', 'odd', '{"jsonrpc":"2.0","id":1,"method":"weird"}', bearer,
      '{"jsonrpc":"2.0","id":1,"error":{"code":42,"message":"Unknown error: 42"}}'],
    ['a missing method the ACL allows', 'odd', '{"jsonrpc":"2.0","id":1,"method":"nosuch"}', bearer,
      '{"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"Method not found"}}'],
    ['an unknown object', 'nosuch', '{"jsonrpc":"2.0","id":1,"method":"x"}', bearer,
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"Object not found"}}'],
    ['"bearer" in any case', 'test', '{"jsonrpc":"2.0","id":1,"method":"watch","params":{"id":1}}', { Authorization: `bEaReR ${sid}` },
      '{"jsonrpc":"2.0","id":1,"result":null}'],
    ['Basic auth is no session: the null session', 'test', '{"jsonrpc":"2.0","id":1,"method":"watch","params":{"id":1}}', { Authorization: 'Basic YTpi' },
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"Access denied"}}'],
    ['the null session may log in here too', 'session', '{"jsonrpc":"2.0","id":1,"method":"login","params":{"username":"admin","password":"wrong"}}', {},
      '{"jsonrpc":"2.0","id":1,"error":{"code":6,"message":"Permission denied"}}'],
    ['an array body is not a request', 'test', '[{"jsonrpc":"2.0","id":1,"method":"watch"}]', bearer,
      '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}'],
    ['bad JSON', 'test', '{"jsonrpc":', bearer, '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}'],
    ['no jsonrpc member', 'test', '{"id":9,"method":"watch"}', bearer, '{"jsonrpc":"2.0","id":9,"error":{"code":-32700,"message":"Parse error"}}'],
    ['no id: answered with id null', 'test', '{"jsonrpc":"2.0","method":"watch","params":{"id":1}}', bearer, '{"jsonrpc":"2.0","id":null,"result":null}'],
  ]
  for (const [name, object, body, headers, expected] of cases) {
    const answer = await post(h, `/ubus/call/${object}`, body, headers)
    t.same([answer.status, answer.headers.get('content-type'), answer.text], [200, 'application/json', expected], name)
  }
  const loggedIn = JSON.parse((await post(h, '/ubus/call/session', '{"jsonrpc":"2.0","id":2,"method":"login","params":{"username":"admin","password":"rigpass"}}')).text) as
    { result: { ubus_rpc_session: string } }
  t.match(loggedIn.result.ubus_rpc_session, /^[0-9a-f]{32}$/, 'a login here answers the session dump as the result')
})

t.test('a lazy list in a method\'s data is streamed, not built whole', async (t) => {
  const h = await harness(t, { acl: ODD_ACL, objects: ({ sessions }) => [sessions.object, oddities()] })
  const sid = await login(h)
  const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i + 1, username: `user${i + 1}`, note: 'x'.repeat(20) }))
  const legacy = await post(h, '/ubus', JSON.stringify(callRequest(1, sid, 'odd', 'lazy')))
  t.equal(legacy.headers.get('transfer-encoding'), 'chunked', 'chunked, as uhttpd sends it')
  t.equal(legacy.text, JSON.stringify({ jsonrpc: '2.0', id: 1, result: [0, { count: 3000, rows }] }), 'legacy: every row, exactly')
  const plain = await post(h, '/ubus/call/odd', '{"jsonrpc":"2.0","id":2,"method":"lazy"}', { Authorization: `Bearer ${sid}` })
  t.equal(plain.text, JSON.stringify({ jsonrpc: '2.0', id: 2, result: { count: 3000, rows } }), 'non-legacy too')
  const batch = await post(h, '/ubus', JSON.stringify([callRequest(3, sid, 'odd', 'lazy'), callRequest(4, sid, 'odd', 'empty')]))
  t.equal(batch.text, JSON.stringify([{ jsonrpc: '2.0', id: 3, result: [0, { count: 3000, rows }] }, { jsonrpc: '2.0', id: 4, result: [0] }]), 'in a batch too')
  t.same(h.lines, ['info: ubus: session login by admin from 127.0.0.1'], 'nothing else logged')
})

t.test('a lazy list that fails mid-answer cuts the connection and is logged', async (t) => {
  const h = await harness(t, { acl: ODD_ACL, objects: ({ sessions }) => [sessions.object, oddities()] })
  const sid = await login(h)
  await t.rejects(post(h, '/ubus', JSON.stringify(callRequest(1, sid, 'odd', 'broken'))), 'the client sees a cut answer, not valid JSON')
  await h.finished(2)
  t.match(h.lines.at(-1), /^error: ubus: answer cut short: Error: cursor failed\n/, 'logged with its stack')
})

t.test('a client that goes away mid-answer stops the stream quietly', async (t) => {
  const state: { gone?: () => void } = {}
  const h = await harness(t, { acl: ODD_ACL, objects: ({ sessions }) => [sessions.object, oddities(state)] })
  const sid = await login(h)
  const body = JSON.stringify(callRequest(1, sid, 'odd', 'endless'))
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/ubus' }, (res) => {
      res.once('data', () => undefined)
    })
    state.gone = () => { req.destroy(); resolve() }
    req.on('error', () => undefined)
    req.end(body)
  })
  await h.finished(2)
  t.same(h.lines, ['info: ubus: session login by admin from 127.0.0.1'], 'nothing logged: a client hanging up is not our failure')
})

t.test('a client that hangs up mid-body gets nothing and nothing is logged', async (t) => {
  const h = await harness(t)
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/ubus', headers: { 'Content-Length': 1000 } })
    req.on('error', () => { resolve() })
    req.write('{"jsonrpc":"2.0",', () => { setImmediate(() => req.destroy()) })
  })
  await h.finished(1)
  t.same(h.lines, [], 'quiet')
})

t.test('a body over 64 KiB is a parse error, and the connection closes', async (t) => {
  const h = await harness(t)
  const declared = await raw(h, { method: 'POST', path: '/ubus', headers: { 'Content-Length': POST_LIMIT + 1 }, body: '{"jsonrpc"', end: false })
  t.same([declared.status, declared.headers.connection, declared.text], [200, 'close', '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}'],
    'declared too large: answered at once')
  const sent = await post(h, '/ubus', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'list', pad: 'x'.repeat(POST_LIMIT) }))
  t.same([sent.status, sent.text], [200, '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}'], 'sent too large: the same')
  const fits = await post(h, '/ubus', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'list', pad: 'x'.repeat(POST_LIMIT - 60) }))
  t.equal(fits.text, '{"jsonrpc":"2.0","id":1,"result":["session","test"]}', 'just under the limit: answered')
})

t.test('methods and paths the door does not serve', async (t) => {
  const h = await harness(t)
  const cases: Array<[string, string, number, string]> = [
    ['GET', '/ubus', 405, 'POST, OPTIONS'],
    ['GET', '/ubus/', 405, 'POST, OPTIONS'],
    ['GET', '/ubus/call/test', 405, 'POST, OPTIONS'],
    ['PUT', '/ubus', 405, 'POST, OPTIONS'],
    ['DELETE', '/ubus/call/test', 405, 'POST, OPTIONS'],
    ['POST', '/ubus/list', 405, 'GET, OPTIONS'],
    ['OPTIONS', '/ubus', 200, 'POST, OPTIONS'],
    ['OPTIONS', '/ubus/call/test', 200, 'POST, OPTIONS'],
    ['OPTIONS', '/ubus/list', 200, 'GET, OPTIONS'],
  ]
  for (const [method, path, status, allow] of cases) {
    const answer = await fetchText(h.base + path, { method })
    t.same([answer.status, answer.headers.get('allow'), answer.text], [status, allow, ''], `${method} ${path}: ${status}, Allow: ${allow}`)
  }
  const unread = await raw(h, { method: 'PUT', path: '/ubus', headers: { 'Content-Length': 100_000 }, body: 'x', end: false })
  t.same([unread.status, unread.headers.connection], [405, 'close'], 'a body left unread: the connection closes')
})

t.test('a broken object table is an internal error, logged', async (t) => {
  const h = await harness(t)
  h.door.objects = () => { throw new Error('table gone') }
  const answer = await post(h, '/ubus', JSON.stringify(callRequest(1, NULL_SESSION, 'session', 'login', {})))
  t.same([answer.status, answer.text], [200, '{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Internal error"}}'])
  t.match(h.lines, [/^error: ubus: Error: table gone\n/], 'logged with its stack')
})

t.test('answers are not cached', async (t) => {
  const h = await harness(t)
  const answer = await post(h, '/ubus', '{"jsonrpc":"2.0","id":1,"method":"list"}')
  t.equal(answer.headers.get('cache-control'), 'no-store', 'a login answer carries a session id: no-store')
})
