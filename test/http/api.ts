import t from 'tap'
import { createServer, request } from 'node:http'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { actions } from '../../src/actions/index'
import { defineAction, type Action, type ActionContext } from '../../src/actions/spec'
import type { Backend } from '../../src/backend/backend'
import { unavailableBackend } from '../../src/backend/index'
import { createNoneBackend } from '../../src/backend/none'
import { epoch } from '../../src/domain/local-time'
import { HTTP_STATUS, keyMatches, type ApiDoor, type ApiSettings } from '../../src/http/api'
import { createRequestListener } from '../../src/http/routes'
import { Throttle } from '../../src/http/throttle'
import { createLogger } from '../../src/log'
import { openStore, type Store } from '../../src/store/db'
import { daemonInfo, memoryAdmin } from '../fixtures/context'

const KEY = 'k3y-Secret-0123456789abcdef'
/** The router's clock in these tests: the seed's voucher list shows this creation time. */
const NOW = new Date(2025, 1, 21, 2, 31, 30)

interface Harness {
  base: string
  lines: string[]
  settings: ApiSettings
  store: Store
  door: ApiDoor
}

interface HarnessOptions {
  settings?: Partial<ApiSettings>
  backend?: Backend
  actions?: readonly Action[]
  /** The door's clock for the throttle; the default door reads Date.now. */
  nowMs?: () => number
  /** Replaces the door's settings function (to make it fail). */
  settingsFn?: () => ApiSettings
  host?: string
}

/** The real door (action table, store, backend, throttle, logger) on a real server on 127.0.0.1:0. */
const harness = async (t: tap.Test, opts: HarnessOptions = {}): Promise<Harness> => {
  const lines: string[] = []
  const log = createLogger(lines.push.bind(lines))
  const store = openStore(t.testdir(), log)
  const ctx: ActionContext = {
    store,
    backend: opts.backend ?? createNoneBackend(),
    log,
    now: () => new Date(NOW),
    defaultValidFor: () => '1 day',
    daemon: daemonInfo({ version: 'test', startedAt: new Date(NOW), listening: () => [] }),
    admin: memoryAdmin(),
    emit: () => {},
  }
  const settings: ApiSettings = { enabled: true, get: true, post: true, key: KEY, ...opts.settings }
  const door: ApiDoor = {
    actions: opts.actions ?? actions,
    ctx,
    settings: opts.settingsFn ?? (() => settings),
    throttle: new Throttle(),
    log,
    ...(opts.nowMs === undefined ? {} : { nowMs: opts.nowMs }),
  }
  const server = createServer(createRequestListener(door))
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve))
  t.teardown(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => { resolve() })
      server.closeAllConnections()
    })
    store.close()
  })
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines, settings, store, door }
}

type Params = Record<string, string | number | boolean | null | object>

interface Answer { status: number; headers: Headers; text: string; json: unknown }

const answer = async (res: Response): Promise<Answer> => {
  const text = await res.text()
  let json: unknown
  try { json = JSON.parse(text) } catch { json = undefined }
  return { status: res.status, headers: res.headers, text, json }
}

const qs = (params: Params): string =>
  new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()

const getApi = async (h: Harness, params: Params | string = {}): Promise<Answer> =>
  answer(await fetch(`${h.base}/api/?${typeof params === 'string' ? params : qs(params)}`))

const postJson = async (h: Harness, body: Params | string, query = ''): Promise<Answer> =>
  answer(await fetch(`${h.base}/api/${query === '' ? '' : `?${query}`}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }))

const postForm = async (h: Harness, body: Params): Promise<Answer> =>
  answer(await fetch(`${h.base}/api/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: qs(body),
  }))

const send = async (h: Harness, method: string, body?: string): Promise<Answer> =>
  answer(await fetch(`${h.base}/api/`, { method, ...(body === undefined ? {} : { body }) }))

const envelope = (message: string): string => JSON.stringify({ message, error: true })

const TRANSPORTS: Array<[string, (h: Harness, p: Params) => Promise<Answer>]> = [
  ['GET', getApi],
  ['POST JSON', postJson],
  ['POST form', postForm],
]

t.test('a switched-off API refuses every request with 403, whatever the key', async (t) => {
  const h = await harness(t, { settings: { enabled: false } })
  const cases: Array<[string, () => Promise<Answer>]> = [
    ['GET without a key', () => getApi(h, { action: 'get_voucher_users' })],
    ['GET with the right key', () => getApi(h, { 'api-key': KEY, action: 'get_voucher_users' })],
    ['POST with the right key', () => postJson(h, { 'api-key': KEY, action: 'get_voucher_users' })],
    ['PUT', () => send(h, 'PUT', '{}')],
    ['DELETE', () => send(h, 'DELETE')],
  ]
  for (const [name, run] of cases) {
    const a = await run()
    t.equal(a.status, 403, `${name}: 403`)
    t.equal(a.text, '{"message":"API is not enabled","error":true}', `${name}: the seed's message`)
  }
  t.strictSame(h.store.vouchers.count(), 0, 'nothing was run')
})

t.test('a method that is switched off is refused with 405 and an Allow header', async (t) => {
  const cases: Array<[string, Partial<ApiSettings>, string, string]> = [
    ['GET while GET is off', { get: false }, 'GET', 'POST'],
    ['POST while POST is off', { post: false }, 'POST', 'GET'],
    ['PUT', {}, 'PUT', 'GET, POST'],
    ['DELETE', {}, 'DELETE', 'GET, POST'],
    ['PATCH', {}, 'PATCH', 'GET, POST'],
    ['GET with both methods off', { get: false, post: false }, 'GET', ''],
  ]
  for (const [name, settings, method, allow] of cases) {
    const h = await harness(t, { settings })
    const a = method === 'GET'
      ? await getApi(h, { 'api-key': KEY, action: 'get_voucher_users' })
      : await answer(await fetch(`${h.base}/api/?api-key=${KEY}&action=get_voucher_users`, {
        method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ 'api-key': KEY, action: 'get_voucher_users' }),
      }))
    t.equal(a.status, 405, `${name}: 405`)
    t.equal(a.text, envelope('API Key not set or method not allowed'), `${name}: the seed's message`)
    t.equal(a.headers.get('allow'), allow, `${name}: Allow: ${allow}`)
  }
})

t.test('a request without a key is refused with 403 "API Key not set or method not allowed"', async (t) => {
  const h = await harness(t)
  const cases: Array<[string, () => Promise<Answer>]> = [
    ['GET without api-key', () => getApi(h, { action: 'get_voucher_users' })],
    ['GET with an empty api-key', () => getApi(h, { 'api-key': '', action: 'get_voucher_users' })],
    ['POST JSON without api-key', () => postJson(h, { action: 'get_voucher_users' })],
    ['POST JSON with api-key null', () => postJson(h, { 'api-key': null, action: 'get_voucher_users' })],
    ['POST form with an empty api-key', () => postForm(h, { 'api-key': '', action: 'get_voucher_users' })],
    ['POST with no body at all', () => send(h, 'POST')],
  ]
  for (const [name, run] of cases) {
    const a = await run()
    t.equal(a.status, 403, `${name}: 403`)
    t.equal(a.text, envelope('API Key not set or method not allowed'), `${name}: the seed's message`)
    t.equal(a.headers.get('allow'), null, `${name}: no Allow header`)
  }
  t.equal(h.door.throttle.size, 0, 'a missing key is not counted as a wrong one')
})

t.test('parameters come only from the enabled methods', async (t) => {
  await t.test('a key in the query string of a POST is ignored while GET is off', async (t) => {
    const h = await harness(t, { settings: { get: false } })
    const a = await postJson(h, { action: 'get_voucher_users' }, `api-key=${KEY}`)
    t.equal(a.status, 403, 'key only in the query: 403')
    t.equal(a.text, envelope('API Key not set or method not allowed'), 'key only in the query: the seed\'s message')
  })

  await t.test('with GET on, a POST combines its query string and its body', async (t) => {
    const h = await harness(t)
    const a = await postJson(h, { action: 'get_voucher_users' }, `api-key=${KEY}`)
    t.equal(a.status, 200, 'key in the query, action in the JSON body: 200')
    t.strictSame(a.json, { users: [] }, 'the action ran')
  })

  await t.test('body values win over query values', async (t) => {
    const h = await harness(t)
    const a = await postJson(h, { 'api-key': KEY, action: 'create_voucher', username: 'fromBody' },
      qs({ 'api-key': 'wrong', action: 'remove_voucher', username: 'fromQuery', fullname: 'Query Name' }))
    t.equal(a.status, 200, 'the body\'s right key beats the query\'s wrong one')
    t.match(a.json, { message: 'User added successfully', user: { username: 'fromBody', fullname: 'Query Name' } },
      'the body\'s action and username; a name only in the query still counts')
  })

  await t.test('with POST off, a GET reads its query string', async (t) => {
    const h = await harness(t, { settings: { post: false } })
    const a = await getApi(h, { 'api-key': KEY, action: 'get_logins' })
    t.equal(a.status, 200, 'GET only: works')
    t.strictSame(a.json, { users: [] }, 'GET only: the action ran')
  })
})

t.test('a wrong key is refused with 403 "API Key is incorrect"', async (t) => {
  const h = await harness(t)
  const cases: Array<[string, () => Promise<Answer>]> = [
    ['GET with a wrong key', () => getApi(h, { 'api-key': 'wrong', action: 'get_voucher_users' })],
    ['GET with the key in another case', () => getApi(h, { 'api-key': KEY.toUpperCase(), action: 'get_voucher_users' })],
    ['GET with the key plus a character', () => getApi(h, { 'api-key': `${KEY}x`, action: 'get_voucher_users' })],
    ['POST JSON with a wrong key', () => postJson(h, { 'api-key': 'wrong', action: 'get_voucher_users' })],
    ['POST form with a wrong key', () => postForm(h, { 'api-key': 'wrong', action: 'get_voucher_users' })],
    ['POST JSON with a number as key', () => postJson(h, { 'api-key': 12345, action: 'get_voucher_users' })],
    ['POST JSON with true as key', () => postJson(h, { 'api-key': true, action: 'get_voucher_users' })],
    ['POST JSON with an array holding the key', () => postJson(h, { 'api-key': [KEY], action: 'get_voucher_users' })],
    ['POST JSON with an object as key', () => postJson(h, { 'api-key': { key: KEY }, action: 'get_voucher_users' })],
  ]
  for (const [name, run] of cases) {
    const a = await run()
    t.equal(a.status, 403, `${name}: 403`)
    t.equal(a.text, envelope('API Key is incorrect'), `${name}: the seed's message`)
  }
})

t.test('an API key set to the empty string matches nothing', async (t) => {
  const h = await harness(t, { settings: { key: '' } })
  const a = await postJson(h, { 'api-key': 'anything', action: 'get_voucher_users' })
  t.equal(a.status, 403, 'no key configured: every key is wrong')
  t.equal(a.text, envelope('API Key is incorrect'), 'no key configured: the seed\'s message')
})

t.test('keyMatches compares keys exactly and never matches an empty expected key', async (t) => {
  const cases: Array<[string, string, boolean, string]> = [
    [KEY, KEY, true, 'the same key'],
    ['', '', false, 'empty given and expected'],
    ['x', '', false, 'empty expected'],
    ['', KEY, false, 'empty given'],
    [KEY.slice(0, -1), KEY, false, 'a prefix of the key'],
    [`${KEY} `, KEY, false, 'the key with a trailing space'],
    ['é', 'é', true, 'non-ASCII keys'],
  ]
  for (const [given, expected, result, name] of cases) {
    t.equal(keyMatches(given, expected), result, name)
  }
})

t.test('an address that keeps sending wrong keys is locked out with 429', async (t) => {
  let now = Date.UTC(2025, 1, 21, 2, 31, 30)
  const h = await harness(t, { nowMs: () => now })
  const wrongKeys = Array.from({ length: 11 }, (_, i) => `Gq7-guess-${i + 1}-Zx`)
  for (let i = 1; i <= 10; i++) {
    const a = await getApi(h, { 'api-key': wrongKeys[i - 1] as string, action: 'get_voucher_users' })
    t.equal(a.status, 403, `wrong key ${i}: 403 API Key is incorrect`)
  }
  const warns = h.lines.filter((l) => l.startsWith('warn:'))
  t.equal(warns.length, 1, 'exactly one warn line, on the tenth wrong key')
  t.equal(warns[0], 'warn: api: 10 wrong API keys from 127.0.0.1; refusing it for 600 s', 'it names the address and the lock')

  const cases: Array<[string, () => Promise<Answer>]> = [
    ['the right key by GET', () => getApi(h, { 'api-key': KEY, action: 'get_voucher_users' })],
    ['the right key by POST', () => postJson(h, { 'api-key': KEY, action: 'get_voucher_users' })],
    ['a wrong key', () => getApi(h, { 'api-key': wrongKeys[10] as string, action: 'get_voucher_users' })],
    ['PUT', () => send(h, 'PUT')],
  ]
  for (const [name, run] of cases) {
    const a = await run()
    t.equal(a.status, 429, `locked, ${name}: 429`)
    t.equal(a.text, '{"message":"Too many failed attempts, try again later","error":true}', `locked, ${name}: the message`)
    t.equal(a.headers.get('retry-after'), '600', `locked, ${name}: Retry-After 600`)
  }
  now += 599_500
  t.equal((await getApi(h, { 'api-key': KEY, action: 'get_voucher_users' })).headers.get('retry-after'), '1',
    'Retry-After counts down, rounded up')
  now += 500
  const a = await getApi(h, { 'api-key': KEY, action: 'get_voucher_users' })
  t.equal(a.status, 200, 'after the lock the right key works again')
  t.equal(h.lines.filter((l) => l.startsWith('warn:')).length, 1, 'still one warn line: requests refused while locked are not counted')
  t.notOk(h.lines.some((l) => [KEY, ...wrongKeys].some((k) => l.includes(k))), 'no log line holds a key, right or wrong')
})

t.test('a right key forgets the address\'s wrong ones', async (t) => {
  const h = await harness(t)
  for (let i = 1; i <= 9; i++) await getApi(h, { 'api-key': 'wrong', action: 'get_logins' })
  t.equal((await getApi(h, { 'api-key': KEY, action: 'get_logins' })).status, 200, 'the right key after nine wrong ones')
  for (let i = 1; i <= 9; i++) await getApi(h, { 'api-key': 'wrong', action: 'get_logins' })
  t.equal((await getApi(h, { 'api-key': KEY, action: 'get_logins' })).status, 200, 'nine more wrong ones do not lock')
  t.notOk(h.lines.some((l) => l.startsWith('warn:')), 'no lockout was logged')
})

t.test('an IPv4 client on an IPv6 socket is named by its IPv4 address', async (t) => {
  const h = await harness(t, { host: '::ffff:127.0.0.1' })
  for (let i = 1; i <= 10; i++) await getApi(h, { 'api-key': 'wrong', action: 'get_logins' })
  t.strictSame(h.lines.filter((l) => l.startsWith('warn:')), ['warn: api: 10 wrong API keys from 127.0.0.1; refusing it for 600 s'],
    'the warn line says 127.0.0.1, not ::ffff:127.0.0.1')
  t.equal(h.door.throttle.retryAfter('127.0.0.1', Date.now()), 600, 'the throttle keys the plain IPv4 address')
})

t.test('a client with no IP address (a Unix socket) is throttled as "unknown"', async (t) => {
  const h = await harness(t)
  // The door does not care how a request arrives; over a Unix socket there is no remote address.
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-'))
  const server = createServer(createRequestListener(h.door))
  await new Promise<void>((resolve) => server.listen(join(dir, 'api.sock'), resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => { rmSync(dir, { recursive: true, force: true }); resolve() })
    server.closeAllConnections()
  }))
  const overSocket = (key: string): Promise<number | undefined> => new Promise((resolve, reject) => {
    const req = request({ socketPath: join(dir, 'api.sock'), path: `/api/?${qs({ 'api-key': key, action: 'get_logins' })}` }, (res) => {
      res.resume()
      res.on('end', () => { resolve(res.statusCode) })
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(await overSocket(KEY), 200, 'the right key works over the socket')
  for (let i = 1; i <= 10; i++) t.equal(await overSocket('Gq7-guess-Zx'), 403, `wrong key ${i} over the socket: 403`)
  t.strictSame(h.lines.filter((l) => l.startsWith('warn:')), ['warn: api: 10 wrong API keys from unknown; refusing it for 600 s'],
    'the lockout names the client "unknown"')
  t.equal(await overSocket(KEY), 429, 'the socket\'s clients are locked out together')
  t.equal((await getApi(h, { 'api-key': KEY, action: 'get_logins' })).status, 200, 'a TCP client from 127.0.0.1 is not')
})

t.test('a path outside /api is answered 404 in the seed\'s envelope', async (t) => {
  const h = await harness(t)
  const a = await answer(await fetch(`${h.base}/nothing-here?api-key=${KEY}&action=get_logins`))
  t.equal(a.status, 404, '404')
  t.equal(a.text, envelope('Not found'), 'the envelope')
  t.equal(a.headers.get('content-type'), 'application/json; charset=utf-8', 'JSON')
})

/** The seed's example request (section "API Usage Examples", 1). */
const SEED_CREATE = {
  action: 'create_voucher',
  username: 'user123',
  passcode: 'pass123',
  fullname: 'John Doe',
  valid_for: '1 day',
  valid_from: '2025-01-17 10:00:00',
  download_limit: 1024,
  upload_limit: 512,
}

/** The seed's example response to it. */
const SEED_CREATED = {
  message: 'User added successfully',
  user: {
    id: 1,
    username: 'user123',
    passcode: 'pass123',
    fullname: 'John Doe',
    valid_for: '1 day',
    valid_from: '2025-01-17 10:00:00',
    download_limit: '1024',
    upload_limit: '512',
  },
  error: false,
}

/** The voucher in get_voucher_users, in the seed's fields and order. */
const SEED_VOUCHER_ROW = {
  id: 1,
  username: 'user123',
  password: 'pass123',
  fullname: 'John Doe',
  created_at: '2025-02-21 02:31:30',
  last_modified: '2025-02-21 02:31:30',
  first_login: null,
  last_login: null,
  valid_for: '1 day',
  valid_from: '2025-01-17 10:00:00',
  MAC: null,
  download_limit: 1024,
  upload_limit: 512,
}

/** The seed's e-mail user example, and what the portal recorded for it. */
const SEED_EMAIL_ROW = {
  id: 1,
  email: 'john.doe@gmail.com',
  created_at: '2025-01-14 08:38:10',
  last_login: '2025-01-14 08:38:10',
  MAC: '98:01:A7:CB:BB:00',
  visits: 1,
  comments: 'John',
  comments1: 'New York',
  comments2: 'Male',
  last_modified: '2025-01-14 08:38:10',
  marketing: 0,
  verified: 1,
}

const seedGuests = (store: Store): void => {
  const time = epoch(new Date(2025, 0, 14, 8, 38, 10))
  store.guestUsers.recordSignIn('email', {
    identity: 'john.doe@gmail.com', mac: '98:01:A7:CB:BB:00', time, comments: 'John', comments1: 'New York', comments2: 'Male', verified: true,
  })
  store.guestUsers.recordSignIn('facebook', { identity: '10150000000000001', mac: '74:D2:46:AC:EE:11', time, name: 'Jane Smith' })
  store.guestUsers.recordSignIn('mobile', { identity: '15559876543', mac: 'F6:E5:D4:C3:B2:A1', time })
  store.guestUsers.recordSignIn('free', { identity: 'A1:B2:C3:D4:E5:F6', mac: 'A1:B2:C3:D4:E5:F6', time })
  store.logins.record({ time, method: 'voucher', identity: 'user123', mac: 'A1:B2:C3:D4:E5:F6', address: '192.168.0.200', result: 'success' })
}

t.test('every seed action answers in the seed\'s shapes', async (t) => {
  for (const [transport, call] of TRANSPORTS) {
    await t.test(`over ${transport}`, async (t) => {
      const h = await harness(t)
      seedGuests(h.store)
      const run = (params: Params): Promise<Answer> => call(h, { 'api-key': KEY, ...params })

      const created = await run(SEED_CREATE)
      t.equal(created.status, 200, 'create_voucher: 200')
      t.strictSame(created.json, SEED_CREATED, 'create_voucher: the seed\'s example response')

      const again = await run(SEED_CREATE)
      t.equal(again.status, 409, 'create_voucher with a taken username: 409')
      t.equal(again.text, envelope('Username already exists'), 'create_voucher with a taken username: the seed\'s message')

      const list = await run({ action: 'get_voucher_users' })
      t.equal(list.status, 200, 'get_voucher_users: 200')
      t.strictSame(list.json, { users: [SEED_VOUCHER_ROW] }, 'get_voucher_users: the seed\'s row')
      t.strictSame(Object.keys((list.json as { users: object[] }).users[0] as object), Object.keys(SEED_VOUCHER_ROW),
        'get_voucher_users: the seed\'s field order')

      const lists: Array<[string, (u: Record<string, unknown>) => boolean]> = [
        ['get_email_users', (u) => u.email === 'john.doe@gmail.com'],
        ['get_fb_users', (u) => u.facebook_id === '10150000000000001' && u.name === 'Jane Smith'],
        ['get_mobile_users', (u) => u.mobile === '15559876543'],
        ['get_free_users', (u) => u.MAC === 'A1:B2:C3:D4:E5:F6'],
        ['get_logins', (u) => u.identity === 'user123' && u.time === '2025-01-14 08:38:10' && u.result === 'success'],
      ]
      for (const [action, isRow] of lists) {
        const a = await run({ action })
        t.equal(a.status, 200, `${action}: 200`)
        const users = (a.json as { users?: Array<Record<string, unknown>> }).users
        t.equal(users?.length, 1, `${action}: {users: [one row]}`)
        t.ok(users !== undefined && isRow(users[0] as Record<string, unknown>), `${action}: the recorded row`)
      }
      const email = await run({ action: 'get_email_users' })
      t.strictSame(email.json, { users: [SEED_EMAIL_ROW] }, 'get_email_users: the seed\'s fields')
      t.strictSame(Object.keys((email.json as { users: object[] }).users[0] as object), Object.keys(SEED_EMAIL_ROW),
        'get_email_users: the seed\'s field order')

      for (const action of ['get_guest_hosts', 'get_active_guests']) {
        const a = await run({ action })
        t.equal(a.status, 200, `${action}: 200`)
        t.strictSame(a.json, { data: [] }, `${action}: {data: []} with no captive portal`)
      }

      const status = await run({ action: 'get_status' })
      t.match(status.json, { data: { version: 'test', vouchers: 1, backend: { name: 'none', available: true } } }, 'get_status: hotspotd\'s own status')

      const noName = await run({ action: 'remove_voucher' })
      t.equal(noName.status, 400, 'remove_voucher without username: 400')
      t.equal(noName.text, envelope('No username set'), 'remove_voucher without username: the seed\'s message')
      const removed = await run({ action: 'remove_voucher', username: 'user123' })
      t.equal(removed.status, 200, 'remove_voucher: 200')
      t.strictSame(removed.json, { message: 'User removed successfully', error: false }, 'remove_voucher: the seed\'s response')
      const missing = await run({ action: 'remove_voucher', username: 'user123' })
      t.equal(missing.status, 404, 'remove_voucher of a missing username: 404')
      t.equal(missing.text, envelope("Username doesn't exist"), 'remove_voucher of a missing username: the seed\'s message')
      t.strictSame((await run({ action: 'get_voucher_users' })).json, { users: [] }, 'the voucher is gone')
      t.ok(h.lines.some((l) => l.startsWith('info: voucher user123 created')), 'the creation was logged')
      t.notOk(h.lines.some((l) => l.includes(KEY) || l.includes('pass123')), 'no log line holds the API key or the passcode')
    })
  }
})

t.test('the seed\'s literal GET example creates the voucher', async (t) => {
  const h = await harness(t)
  const a = await getApi(h, `api-key=${KEY}&action=create_voucher&username=user123&passcode=pass123&fullname=John%20Doe` +
    '&valid_for=1%20day&valid_from=2025-01-17%2010:00:00&download_limit=1024&upload_limit=512')
  t.equal(a.status, 200, 'the seed\'s GET URL: 200')
  t.strictSame(a.json, SEED_CREATED, 'the seed\'s GET URL: the seed\'s example response')
})

t.test('requests the actions cannot take are refused with the catalog\'s messages', async (t) => {
  const h = await harness(t)
  const cases: Array<[string, () => Promise<Answer>, number, string]> = [
    ['no action', () => getApi(h, { 'api-key': KEY }), 400, 'No action set'],
    ['an empty action', () => postForm(h, { 'api-key': KEY, action: '' }), 400, 'No action set'],
    ['an action that is not a string', () => postJson(h, { 'api-key': KEY, action: 7 }), 400, 'No action set'],
    ['an unknown action', () => getApi(h, { 'api-key': KEY, action: 'drop_tables' }), 400, 'Unknown action'],
    ['an unknown parameter', () => getApi(h, { 'api-key': KEY, action: 'get_voucher_users', x: '1' }), 400, 'Unknown parameter: x'],
    ['an invalid valid_for', () => postJson(h, { 'api-key': KEY, action: 'create_voucher', valid_for: '3 weeks' }), 400,
      "Invalid valid_for: must be one of 'always', '1 hour' to '23 hours', '1 day' to '30 days', '35 days' to '60 days' in steps of 5 days, '90 days', '120 days', '150 days', '180 days', '365 days'"],
    ['malformed JSON', () => postJson(h, '{"api-key": "k", "action": '), 400, 'Malformed request body'],
    ['a JSON array', () => postJson(h, `[{"api-key":"${KEY}"}]`), 400, 'Malformed request body'],
    ['text/plain', async () => answer(await fetch(`${h.base}/api/`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: `api-key=${KEY}&action=get_logins`,
    })), 400, 'Unsupported content type'],
  ]
  for (const [name, run, status, message] of cases) {
    const a = await run()
    t.equal(a.status, status, `${name}: ${status}`)
    t.equal(a.text, envelope(message), `${name}: ${message}`)
  }
})

t.test('a body over 64 KiB is refused with 413 and the connection closed', async (t) => {
  const h = await harness(t)
  const body = JSON.stringify({ 'api-key': KEY, action: 'create_voucher', fullname: 'x'.repeat(64 * 1024) })
  const a = await answer(await fetch(`${h.base}/api/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }))
  t.equal(a.status, 413, 'declared Content-Length over 64 KiB: 413')
  t.equal(a.text, envelope('Request body too large'), 'the message')
  t.equal(a.headers.get('connection'), 'close', 'Connection: close (the unread body must not be read as a request)')

  const chunked = await new Promise<{ status: number | undefined; connection: string | undefined; text: string }>((resolve, reject) => {
    const req = request(`${h.base}/api/`, { method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { text += d })
      res.on('end', () => { resolve({ status: res.statusCode, connection: res.headers.connection, text }) })
    })
    req.on('error', reject)
    for (let i = 0; i < 20; i++) req.write('x'.repeat(4096))
    req.end()
  })
  t.strictSame(chunked, { status: 413, connection: 'close', text: envelope('Request body too large') },
    'a chunked body growing over 64 KiB: 413, closed')
  t.equal(h.store.vouchers.count(), 0, 'nothing was created')
})

t.test('a POST refused before its body is read closes the connection; a GET keeps it', async (t) => {
  const h = await harness(t, { settings: { enabled: false } })
  const post = await postJson(h, { 'api-key': KEY, action: 'get_logins' })
  t.equal(post.status, 403, 'POST to a disabled API: 403')
  t.equal(post.headers.get('connection'), 'close', 'POST with an unread body: Connection: close')
  const get = await getApi(h, { 'api-key': KEY, action: 'get_logins' })
  t.equal(get.status, 403, 'GET to a disabled API: 403')
  t.equal(get.headers.get('connection'), 'keep-alive', 'GET: the connection is kept')
})

t.test('a backend that is not available answers live actions with 503', async (t) => {
  const h = await harness(t, { backend: unavailableBackend('opennds', 'ndsctl not found') })
  for (const action of ['get_active_guests', 'get_guest_hosts']) {
    const a = await getApi(h, { 'api-key': KEY, action })
    t.equal(a.status, 503, `${action}: 503`)
    t.equal(a.text, envelope('Captive portal backend is not available'), `${action}: the message`)
  }
  const list = await getApi(h, { 'api-key': KEY, action: 'get_voucher_users' })
  t.equal(list.status, 200, 'stored lists still work')
})

t.test('a failing action is answered 500 "An error occurred" and its stack is logged', async (t) => {
  const explode = defineAction({
    name: 'explode', summary: 'fails', access: 'read', params: {},
    handler: () => { throw new Error('database disk image is malformed') },
  })
  const h = await harness(t, { actions: [explode] })
  const a = await getApi(h, { 'api-key': KEY, action: 'explode' })
  t.equal(a.status, 500, '500')
  t.equal(a.text, envelope('An error occurred'), 'the seed\'s message, no internals')
  const errors = h.lines.filter((l) => l.startsWith('error:'))
  t.equal(errors.length, 1, 'one error line')
  t.match(errors[0], /^error: action explode failed: Error: database disk image is malformed\n\s+at /, 'the error with its stack')
  t.equal((await getApi(h, { 'api-key': KEY, action: 'get_voucher_users' })).status, 400, 'the server goes on (get_voucher_users is not in this table)')
})

t.test('a settings source that fails is answered 500 and logged', async (t) => {
  const cases: Array<[string, () => never, RegExp]> = [
    ['an Error', () => { throw new Error('config unreadable') }, /^error: api: Error: config unreadable\n\s+at /],
    ['a value that is not an Error', () => { throw 'config unreadable' as unknown as Error }, /^error: api: config unreadable$/],
  ]
  for (const [name, settingsFn, logged] of cases) {
    const h = await harness(t, { settingsFn })
    const a = await getApi(h, { 'api-key': KEY, action: 'get_logins' })
    t.equal(a.status, 500, `${name}: 500`)
    t.equal(a.text, envelope('An error occurred'), `${name}: the seed's message`)
    const errors = h.lines.filter((l) => l.startsWith('error:'))
    t.equal(errors.length, 1, `${name}: one error line`)
    t.match(errors[0], logged, `${name}: logged`)
  }
})

t.test('a long list is streamed as valid JSON', async (t) => {
  const h = await harness(t)
  h.store.db.transaction(() => {
    for (let i = 1; i <= 2000; i++) {
      h.store.vouchers.insert({
        username: `user${i}`, passcode: `pass${i}`, fullname: `Guest ${i}`, valid_for: '1 day',
        valid_from: epoch(NOW), created_at: epoch(NOW), download_limit: 0, upload_limit: 0,
      })
    }
  })
  const res = await fetch(`${h.base}/api/?api-key=${KEY}&action=get_voucher_users`)
  t.equal(res.status, 200, '200')
  t.equal(res.headers.get('transfer-encoding'), 'chunked', 'streamed, not sent with a Content-Length')
  const body = await res.json() as { users: Array<{ id: number; username: string }> }
  t.equal(body.users.length, 2000, '2,000 vouchers')
  t.ok(body.users.every((u, i) => u.id === i + 1 && u.username === `user${i + 1}`), 'every voucher, in id order')
})

/** An action whose lazy list yields `rows` rows of about 100 bytes, then throws `error` if given. */
const listAction = (name: string, rows: number, error?: unknown, onClose?: () => void): Action => defineAction({
  name, summary: 'a lazy list', access: 'read', params: {},
  handler: () => ({
    users: (function * () {
      try {
        for (let i = 1; i <= rows; i++) yield { id: i, note: 'x'.repeat(90) }
        if (error !== undefined) throw error
      } finally {
        onClose?.()
      }
    })(),
  }),
})

t.test('a lazy list that fails mid-stream cuts the connection and is logged', async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['an Error', new Error('disk I/O error'), /^error: api: answer cut short: Error: disk I\/O error\n\s+at /],
    ['a string', 'disk gone', /^error: api: answer cut short: disk gone$/],
  ]
  for (const [name, error, logged] of cases) {
    const h = await harness(t, { actions: [listAction('broken_list', 1000, error)] })
    const res = await fetch(`${h.base}/api/?api-key=${KEY}&action=broken_list`)
    t.equal(res.status, 200, `${name}: the answer had begun`)
    await t.rejects(res.text(), `${name}: reading the body fails: the connection was cut`)
    const errors = h.lines.filter((l) => l.startsWith('error:'))
    t.equal(errors.length, 1, `${name}: one error line`)
    t.match(errors[0], logged, `${name}: logged as an answer cut short`)
  }
})

t.test('a client that goes away mid-answer stops the list quietly', async (t) => {
  let closed!: () => void
  const listClosed = new Promise<void>((resolve) => { closed = resolve })
  const h = await harness(t, { actions: [listAction('endless', Number.MAX_SAFE_INTEGER, undefined, () => { closed() }), ...actions] })
  await new Promise<void>((resolve, reject) => {
    const req = request(`${h.base}/api/?api-key=${KEY}&action=endless`, (res) => {
      t.equal(res.statusCode, 200, 'the answer began')
      res.once('data', () => {
        req.destroy()
        resolve()
      })
    })
    req.on('error', (err: NodeJS.ErrnoException) => { if (req.destroyed) return; reject(err) })
    req.end()
  })
  await listClosed
  t.pass('the lazy list was closed (its finally ran)')
  t.notOk(h.lines.some((l) => l.startsWith('error:')), 'a client going away is not an error')
  t.equal((await getApi(h, { 'api-key': KEY, action: 'get_logins' })).status, 200, 'the server goes on answering')
})

t.test('every answer is uncached JSON', async (t) => {
  const h = await harness(t)
  const cases: Array<[string, () => Promise<Answer>]> = [
    ['a list', () => getApi(h, { 'api-key': KEY, action: 'get_voucher_users' })],
    ['a created voucher', () => postJson(h, { 'api-key': KEY, ...SEED_CREATE })],
    ['an error', () => getApi(h, { 'api-key': 'wrong', action: 'get_voucher_users' })],
    ['a 405', () => send(h, 'PUT')],
  ]
  for (const [name, run] of cases) {
    const a = await run()
    t.equal(a.headers.get('content-type'), 'application/json; charset=utf-8', `${name}: Content-Type`)
    t.equal(a.headers.get('cache-control'), 'no-store', `${name}: Cache-Control`)
    t.equal(a.headers.get('x-content-type-options'), 'nosniff', `${name}: X-Content-Type-Options`)
    t.not(a.json, undefined, `${name}: the body is JSON`)
  }
})

t.test('each error kind has its HTTP status', async (t) => {
  t.strictSame(HTTP_STATUS, {
    invalid: 400, unauthorized: 403, disabled: 403, method: 405, not_found: 404, conflict: 409,
    too_large: 413, rate_limited: 429, unavailable: 503, internal: 500,
  }, 'the table')
})
