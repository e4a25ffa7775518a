// The cloud API endpoint end to end, on loopback: the built relay (dist/hotspotd-relay.js) with a
// throwaway CA and wildcard certificate made by openssl, the built daemon (dist/hotspotd.js)
// holding a tunnel to it, and curl as the integrator outside the LAN, reaching
// https://<id>.relay.test:PORT/api/ through `--resolve`. Covers the seed's answers through the
// tunnel, the switches, the router going offline, the tunnel dropping mid-request, the relay
// restarting, 100 requests at once, a forged credential, an oversized body and a path outside
// /api/.
import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join, resolve } from 'node:path'
import { bundleProblem, runBundle, until, waitForLine, type BundleProcess } from '../fixtures/bundle'
import { freePort } from '../fixtures/ports'
import { uci } from '../fixtures/reliability'
import { makeTls, type Tls } from '../fixtures/tls'

const RELAY = resolve('dist/hotspotd-relay.js')
const DOMAIN = 'relay.test'
const KEY = 'c'.repeat(32)

const problem = bundleProblem() ?? (existsSync(RELAY) ? null : `${RELAY} is missing: run make build`) ??
  (spawnSync('curl', ['--version']).status === 0 ? null : 'curl is not installed (make test installs it)') ??
  (spawnSync('openssl', ['version']).status === 0 ? null : 'openssl is not installed (make test installs it)')
if (problem !== null) {
  t.plan(0, problem)
  process.exit(0)
}

const dir = t.testdir({})
const tls: Tls = makeTls(dir, DOMAIN)
const secretFile = join(dir, 'secret')
writeFileSync(secretFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })

interface RelayProcess { lines: string[]; port: number; stop: (signal?: NodeJS.Signals) => Promise<void> }

/** Runs the built relay on `port` until the test ends. */
const runRelay = async (t: Test, port: number, extra: string[] = []): Promise<RelayProcess> => {
  const child = spawn(process.execPath, [RELAY, '--domain', DOMAIN, '--listen', `127.0.0.1:${port}`, '--cert', tls.certFile, '--key', tls.keyFile,
    '--secret-file', secretFile, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const collect = (chunk: Buffer): void => { lines.push(...chunk.toString().split('\n').filter(Boolean)) }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  t.teardown(() => { child.kill('SIGKILL') })
  await waitForLine({ child, lines }, new RegExp(`127\\.0\\.0\\.1:${port}`))
  return { lines, port, stop: async (signal = 'SIGTERM') => { child.kill(signal); await exited } }
}

/** A credential from the relay's own command, as an operator provisions one. */
const provision = (id?: string): string => {
  const out = spawnSync(process.execPath, [RELAY, 'credential', '--secret-file', secretFile, ...(id === undefined ? [] : [id])], { encoding: 'utf8' })
  if (out.status !== 0) throw new Error(`hotspotd-relay credential failed: ${out.stderr}`)
  return out.stdout.trim()
}

type Options = Record<string, string | number>
const routerConfig = (file: string, relayPort: number, credential: string, api: Options = {}, extra: Record<string, [string, Options]> = {}, cloud: Options = {}): void => {
  writeFileSync(file, uci({
    main: ['hotspotd', { backend: 'none', sqlite: 'native' }],
    api: ['api', { enabled: 1, post: 1, get: 1, key: KEY, ...api }],
    ubus: ['ubus', { socket: join(dir, 'no-ubusd.sock'), jsonrpc: 0 }],
    cloud: ['cloud', { enabled: 1, relay: `wss://${DOMAIN}:${relayPort}`, relay_address: '127.0.0.1', credential, ca_file: tls.caFile, ...cloud }],
    ...extra,
  }), { mode: 0o600 })
}

const runRouter = async (t: Test, file: string, state: string): Promise<BundleProcess> =>
  runBundle(t, ['--config', file, '--state-dir', state, '--listen', '127.0.0.1:0'])

const tunnelUp = async (router: BundleProcess, id: string): Promise<void> => {
  await until(() => router.lines.some((l) => l.includes(`cloud: tunnel up: https://${id}.${DOMAIN}`)), 10_000, () => router.lines.join('\n'))
}

interface Curl { status: number; body: string; json: unknown }

/** curl as the integrator: https://<id>.relay.test:PORT<path>, resolved to 127.0.0.1, trusting the test CA. */
const curl = (id: string, port: number, path: string, args: string[] = []): Curl => {
  const host = `${id}.${DOMAIN}`
  const out = spawnSync('curl', ['-sS', '--max-time', '20', '--resolve', `${host}:${port}:127.0.0.1`, '--cacert', tls.caFile,
    '-w', '\n%{http_code}', ...args, `https://${host}:${port}${path}`], { encoding: 'utf8' })
  const text = out.stdout
  const cut = text.lastIndexOf('\n')
  const body = text.slice(0, cut)
  let json: unknown
  try { json = JSON.parse(body) } catch { json = undefined }
  return { status: Number(text.slice(cut + 1)), body, json }
}
const post = (id: string, port: number, body: Record<string, unknown>): Curl =>
  curl(id, port, '/api/', ['-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body)])

t.test('through the relay: the seed\'s answers, the switches, and nothing but /api/', async (t) => {
  const relayPort = await freePort()
  const relay = await runRelay(t, relayPort)
  const id = 'a1b2c3d4e5'
  const file = join(dir, 'router-a')
  const credential = provision(id)
  routerConfig(file, relayPort, credential)
  // GET through the relay is opt-in: first off, then on.
  const router = await runRouter(t, file, join(dir, 'state-a'))
  await tunnelUp(router, id)

  const created = post(id, relayPort, { 'api-key': KEY, action: 'create_voucher', username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', valid_from: '2025-01-17 10:00:00', download_limit: 1024, upload_limit: 512 })
  t.equal(created.status, 200)
  t.match(created.json, { message: 'User added successfully', error: false, user: { username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', download_limit: 1024, upload_limit: 512 } }, "the seed's create answer")
  const listed = post(id, relayPort, { 'api-key': KEY, action: 'get_voucher_users' })
  t.match(listed.json, { users: [{ username: 'user123', password: 'pass123', valid_from: '2025-01-17 10:00:00' }] }, 'and the voucher listed, as the seed shows it')
  const form = curl(id, relayPort, '/api', ['-d', `api-key=${KEY}`, '-d', 'action=remove_voucher', '-d', 'username=nobody'])
  t.same([form.status, form.json], [404, { message: "Username doesn't exist", error: true }], 'a form POST to /api, with the seed\'s error')
  t.same(post(id, relayPort, { 'api-key': 'wrong', action: 'get_voucher_users' }).json, { message: 'API Key is incorrect', error: true }, 'a wrong key')
  const get = curl(id, relayPort, `/api/?api-key=${KEY}&action=get_voucher_users`)
  t.same([get.status, get.json], [405, { message: 'API Key not set or method not allowed', error: true }], 'GET is refused through the relay while cloud.allow_get is off')
  t.same(curl(id, relayPort, '/ubus', ['-d', '{}']).json, { message: 'Not found', error: true }, 'a path outside /api/ is not forwarded')
  t.equal(curl(id, relayPort, '/admin/').status, 404)
  writeFileSync(join(dir, 'big.json'), `{"api-key":"${KEY}","action":"get_status","pad":"${'x'.repeat(1100 * 1024)}"}`)
  const big = curl(id, relayPort, '/api/', ['-H', 'Content-Type: application/json', '--data-binary', `@${join(dir, 'big.json')}`])
  t.same([big.status, big.json], [413, { message: 'Request body too large', error: true }], 'an oversized body is refused by the relay')

  // The owner turns GET on for the relay too, then POST off, then the API off: each applies at once.
  const settings = { api: {} as Options, cloud: {} as Options }
  const edit = (api: Options, cloud: Options = {}): void => {
    Object.assign(settings.api, api)
    Object.assign(settings.cloud, cloud)
    routerConfig(file, relayPort, credential, settings.api, {}, settings.cloud)
  }
  const reload = async (): Promise<void> => {
    const n = router.lines.filter((l) => l.startsWith('info: reloaded')).length
    router.child.kill('SIGHUP')
    await until(() => router.lines.filter((l) => l.startsWith('info: reloaded')).length > n, 5000, () => router.lines.join('\n'))
  }
  edit({}, { allow_get: 1 })
  await reload()
  await tunnelUp(router, id)
  t.match(curl(id, relayPort, `/api/?api-key=${KEY}&action=get_voucher_users`).json, { users: [{ username: 'user123' }] }, 'with cloud.allow_get, GET works through the relay')
  edit({ post: 0 })
  await reload()
  const refused = post(id, relayPort, { 'api-key': KEY, action: 'get_voucher_users' })
  t.same([refused.status, refused.json], [405, { message: 'API Key not set or method not allowed', error: true }], 'POST switched off')
  edit({ enabled: 0 })
  await reload()
  t.same(curl(id, relayPort, `/api/?api-key=${KEY}&action=get_voucher_users`).json, { message: 'API is not enabled', error: true }, 'the API switched off')

  // The router's status names its endpoint; the relay's log has no key.
  const status = await (await fetch(`http://${/on (127\.0\.0\.1:\d+)/.exec(router.started)?.[1] as string}/api/?api-key=${KEY}&action=get_status`)).json() as { message?: string }
  t.same(status, { message: 'API is not enabled', error: true }, '(the LAN door is off too)')
  t.notOk(relay.lines.some((l) => l.includes(KEY)), 'the API key never appears in the relay\'s log')
  t.ok(relay.lines.some((l) => l.includes('api-key=') && l.includes(id)), 'though the GET requests are logged, redacted')
})

t.test('the router offline, the tunnel dropping mid-request, the relay restarting', async (t) => {
  const relayPort = await freePort()
  let relay = await runRelay(t, relayPort, ['--timeout', '5'])
  const id = 'f0e1d2c3b4'
  // openNDS' ndsctl that hangs: get_active_guests waits on it while the router is killed.
  const ndsctl = join(dir, 'slow-ndsctl')
  writeFileSync(ndsctl, '#!/bin/sh\nsleep 30\n')
  chmodSync(ndsctl, 0o755)
  const file = join(dir, 'router-b')
  routerConfig(file, relayPort, provision(id), {}, { opennds: ['opennds', { ndsctl, poll_interval: 3600 }], portal: ['portal', { enabled: 0 }] })
  writeFileSync(file, readFileSync(file, 'utf8').replace("option backend 'none'", "option backend 'opennds'"))
  let router = await runRouter(t, file, join(dir, 'state-b'))
  await tunnelUp(router, id)
  t.match(post(id, relayPort, { 'api-key': KEY, action: 'create_voucher', username: 'keep', passcode: 'keep' }).json, { error: false })

  // Mid-request: the answer is waiting on ndsctl when the router dies.
  const pending = new Promise<{ status: number; body: string; ms: number }>((resolve) => {
    const t0 = Date.now()
    const c = spawn('curl', ['-sS', '--max-time', '20', '--resolve', `${id}.${DOMAIN}:${relayPort}:127.0.0.1`, '--cacert', tls.caFile, '-w', '\n%{http_code}',
      '-H', 'Content-Type: application/json', '-d', JSON.stringify({ 'api-key': KEY, action: 'get_active_guests' }), `https://${id}.${DOMAIN}:${relayPort}/api/`])
    let out = ''
    c.stdout.on('data', (d: Buffer) => { out += d.toString() })
    c.on('exit', () => {
      const cut = out.lastIndexOf('\n')
      resolve({ status: Number(out.slice(cut + 1)), body: out.slice(0, cut), ms: Date.now() - t0 })
    })
  })
  await new Promise((resolve) => setTimeout(resolve, 700))
  router.child.kill('SIGKILL')
  const dropped = await pending
  t.equal(dropped.status, 502, `the request under way is answered 502 (in ${dropped.ms} ms)`)
  t.same(JSON.parse(dropped.body), { message: 'Connection to the router was lost', error: true })
  t.ok(dropped.ms < 5000, 'at once, not at the relay\'s timeout')

  // Offline: a fast 502 in the seed's envelope.
  await until(() => relay.lines.some((l) => l.includes(`tunnel ${id}: disconnected`)), 10_000, () => relay.lines.join('\n'))
  const t0 = Date.now()
  const offline = post(id, relayPort, { 'api-key': KEY, action: 'get_voucher_users' })
  t.same([offline.status, offline.json], [502, { message: 'Router is offline', error: true }], 'the router offline')
  t.ok(Date.now() - t0 < 3000, `answered in ${Date.now() - t0} ms`)
  t.same(curl('0000000000', relayPort, '/api/').json, { message: 'Router is offline', error: true }, 'an id nobody holds is offline too')
  t.same(curl('not-an-id', relayPort, '/api/').json, { message: 'Not found', error: true }, 'a host that is no id is not found')

  // The router comes back; then the relay restarts: the router reconnects, with the same id.
  router = await runRouter(t, file, join(dir, 'state-b'))
  await tunnelUp(router, id)
  await relay.stop()
  await until(() => router.lines.some((l) => l.startsWith('info: cloud: tunnel down')), 10_000, () => router.lines.join('\n'))
  relay = await runRelay(t, relayPort, ['--timeout', '5'])
  await until(() => router.lines.filter((l) => l.includes('cloud: tunnel up')).length >= 2, 60_000, () => router.lines.join('\n'))
  t.match(post(id, relayPort, { 'api-key': KEY, action: 'get_voucher_users' }).json, { users: [{ username: 'keep' }] }, 'the same endpoint answers after the relay restarted')
})

t.test('100 requests at once through one tunnel, all answered, none lost', async (t) => {
  const relayPort = await freePort()
  await runRelay(t, relayPort, ['--rate', '1000', '--burst', '1000'])
  const id = '1234567890'
  const file = join(dir, 'router-c')
  routerConfig(file, relayPort, provision(id))
  const router = await runRouter(t, file, join(dir, 'state-c'))
  await tunnelUp(router, id)
  const one = (n: number): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    const body = JSON.stringify({ 'api-key': KEY, action: 'create_voucher', username: `u${n}`, passcode: `p${n}` })
    const req = request({
      host: `${id}.${DOMAIN}`, port: relayPort, path: '/api/', method: 'POST', ca: tls.ca, agent: false,
      lookup: (_h, _o, cb) => { cb(null, [{ address: '127.0.0.1', family: 4 }] as never, 4) },
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => { text += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode as number, body: text }) })
    })
    req.on('error', reject)
    req.end(body)
  })
  const answers = await Promise.all(Array.from({ length: 100 }, (_, n) => one(n)))
  t.same(answers.map((a) => a.status).filter((s) => s !== 200), [], 'every one 200')
  t.ok(answers.every((a, n) => JSON.parse(a.body).user?.username === `u${n}`), 'each answer is its own request\'s')
  const listed = post(id, relayPort, { 'api-key': KEY, action: 'get_voucher_users' }).json as { users: Array<{ username: string }> }
  t.equal(listed.users.length, 100, 'and all 100 vouchers exist')
})

t.test('a forged credential is refused, and the router says why', async (t) => {
  const relayPort = await freePort()
  const relay = await runRelay(t, relayPort)
  const genuine = provision('abcabcabca')
  const forged = `abcabcabcb${genuine.slice(10)}`
  const file = join(dir, 'router-d')
  routerConfig(file, relayPort, forged)
  const router = await runRouter(t, file, join(dir, 'state-d'))
  await until(() => router.lines.some((l) => l.startsWith('error: cloud: the relay refused the tunnel')), 10_000, () => router.lines.join('\n'))
  t.ok(router.lines.some((l) => l.startsWith('error: cloud: the relay refused the tunnel: 401 Device credential is not valid; trying again in ')), 'the router logs the relay\'s refusal')
  t.notOk(relay.lines.some((l) => l.includes(forged.slice(11))), 'the relay does not log the credential')
  const status = await (await fetch(`http://${/on (127\.0\.0\.1:\d+)/.exec(router.started)?.[1] as string}/api/`, { method: 'POST', body: new URLSearchParams({ 'api-key': KEY, action: 'get_status' }) })).json() as { data: { cloud: unknown } }
  t.match(status.data.cloud, { enabled: true, state: 'refused', endpoint: `https://abcabcabcb.${DOMAIN}:${relayPort}/api/`, error: 'the relay refused the tunnel: 401 Device credential is not valid' }, 'get_status shows the refusal')
})
