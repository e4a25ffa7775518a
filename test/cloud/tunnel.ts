// The router's tunnel against a scriptable relay on 127.0.0.1: real TLS (a throwaway CA from
// openssl), a real `ws` server, and the real stream multiplexer on the relay's side. The relay
// here is a stand-in so each misbehaviour (a refusal, no welcome, a broken frame, silence) can
// be played on cue; the real relay and the tunnel meet in test/integration/cloud.ts.
import t, { type Test } from 'tap'
import { createServer as createHttpsServer, type Server } from 'node:https'
import { request, type IncomingMessage, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { CloudTunnel, connectOptions, fixedLookup, parseRelay, type TunnelOptions } from '../../src/cloud/tunnel'
import { Mux } from '../../src/cloud/mux'
import { signCredential } from '../../src/cloud/credential'
import { CLOSE_REPLACED, ENROLL_PATH, SUBPROTOCOL, TUNNEL_PATH } from '../../src/cloud/protocol'
import type { CloudConfig } from '../../src/config/config'
import { createLogger } from '../../src/log'
import { makeTls, type Tls } from '../fixtures/tls'

const DOMAIN = 'relay.test'
const SECRET = Buffer.alloc(32, 1)
const ID = '2b080b3af6'
const CREDENTIAL = signCredential(SECRET, ID)

const dir = t.testdir({})
let tls: Tls
try {
  tls = makeTls(dir, DOMAIN)
} catch (err) {
  t.plan(0, `openssl is needed to make the test certificates: ${(err as Error).message}`)
  process.exit(0)
}

interface Upgrade { host: string | undefined; auth: string | undefined; protocol: string | undefined; url: string | undefined }

/** What the stand-in relay does with the next tunnel; changed by the tests between attempts. */
interface Script {
  refuse?: { status: number; body: string }
  welcome?: 'none' | 'garbage' | 'wrong-id' | 'frames-first' | 'ok'
  autoPong?: boolean
  enroll?: { status: number; body: string }
}

const relay = async (t: Test, script: Script = {}) => {
  const upgrades: Upgrade[] = []
  const enrolls: Array<{ auth: string | undefined; host: string | undefined }> = []
  const sockets: WebSocket[] = []
  const muxes: Mux[] = []
  const server: Server = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    if (req.url === ENROLL_PATH && req.method === 'POST') {
      enrolls.push({ auth: req.headers.authorization, host: req.headers.host })
      const e = script.enroll ?? { status: 200, body: JSON.stringify({ id: ID, credential: CREDENTIAL, endpoint: `https://${ID}.${DOMAIN}/api/` }) }
      res.writeHead(e.status, { 'Content-Type': 'application/json' }).end(e.body)
      return
    }
    res.writeHead(404).end()
  })
  const wss = new WebSocketServer({ noServer: true, autoPong: script.autoPong ?? true, handleProtocols: (p) => p.has(SUBPROTOCOL) ? SUBPROTOCOL : false })
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    upgrades.push({ host: req.headers.host, auth: req.headers.authorization, protocol: req.headers['sec-websocket-protocol'], url: req.url })
    if (script.refuse !== undefined) {
      socket.end(`HTTP/1.1 ${script.refuse.status} No\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(script.refuse.body)}\r\nConnection: close\r\n\r\n${script.refuse.body}`)
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws)
      const mux = new Mux({ role: 'opener', send: (f, done) => { ws.send(f, { binary: true }, done) } })
      muxes.push(mux)
      ws.on('message', (data: Buffer) => { mux.receive(data) })
      ws.on('close', () => { mux.close('gone') })
      const welcome = script.welcome ?? 'ok'
      if (welcome === 'garbage') ws.send('hello')
      if (welcome === 'wrong-id') ws.send(JSON.stringify({ type: 'welcome', id: 'ffffffffff', endpoint: 'x' }))
      if (welcome === 'frames-first') ws.send(Buffer.from([2, 0, 0, 0, 1]))
      if (welcome === 'ok') ws.send(JSON.stringify({ type: 'welcome', id: ID, endpoint: `https://${ID}.${DOMAIN}:443/api/` }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const close = async (): Promise<void> => {
    for (const ws of sockets) ws.terminate()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  t.teardown(close)
  /** A request through the newest tunnel, as the relay would forward it. */
  const forward = (path: string, body: string, client = '198.51.100.7'): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const mux = muxes[muxes.length - 1] as Mux
      const req = request({ method: 'POST', path, headers: { host: `${ID}.${DOMAIN}` }, createConnection: () => mux.open({ client }) }, (res) => {
        let text = ''
        res.on('data', (d: Buffer) => { text += d.toString() })
        res.on('end', () => { resolve({ status: res.statusCode as number, body: text }) })
      })
      req.on('error', reject)
      req.end(body)
    })
  return { port, upgrades, enrolls, sockets, muxes, script, forward, close, server }
}

const echo: RequestListener = (req, res) => {
  let body = ''
  req.on('data', (d: Buffer) => { body += d.toString() })
  req.on('end', () => { res.end(JSON.stringify({ url: req.url, body, from: req.socket.remoteAddress })) })
}

const until = async (what: () => boolean, ms = 5000, why = 'condition'): Promise<void> => {
  const end = Date.now() + ms
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${why}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const rig = (t: Test, port: number, over: Partial<CloudConfig> = {}, opts: Partial<TunnelOptions> = {}) => {
  const config: CloudConfig = {
    enabled: true, relay: `wss://${DOMAIN}:${port}`, relayAddress: '127.0.0.1', credential: CREDENTIAL, enrollKey: '', caFile: tls.caFile, allowGet: false, ...over,
  }
  const lines: string[] = []
  const saved: string[] = []
  const tunnel = new CloudTunnel({
    config: () => config,
    handler: echo,
    log: createLogger((l) => { lines.push(l) }, 'debug'),
    saveCredential: (c) => { saved.push(c) },
    random: () => 0.5,
    backoff: { baseMs: 40, maxMs: 200, refusedMs: 400, stableMs: 60_000 },
    handshakeTimeoutMs: 1000,
    ...opts,
  })
  t.teardown(() => tunnel.stop())
  return { tunnel, config, lines, saved }
}

t.test('the tunnel dials <id>.<domain> with its credential, is welcomed, and carries /api/ requests', async (t) => {
  const r = await relay(t)
  const { tunnel, lines } = rig(t, r.port)
  t.match(tunnel.status(), { enabled: true, state: 'off', endpoint: `https://${ID}.${DOMAIN}:${r.port}/api/`, error: null, requests: 0 }, 'before start: the endpoint the credential names')
  tunnel.start()
  tunnel.start() // a second start is no second tunnel
  await until(() => tunnel.status().state === 'up', 5000, 'the tunnel')
  t.same(r.upgrades, [{ host: `${ID}.${DOMAIN}:${r.port}`, auth: `Bearer ${CREDENTIAL}`, protocol: SUBPROTOCOL, url: TUNNEL_PATH }], 'one upgrade, to the id\'s host name, with the credential')
  t.equal(tunnel.status().endpoint, `https://${ID}.${DOMAIN}:443/api/`, 'the endpoint is the one the relay announced')
  t.ok(lines.includes(`info: cloud: tunnel up: https://${ID}.${DOMAIN}:443/api/`))
  const answers = await Promise.all([1, 2, 3].map((n) => r.forward(`/api/?n=${n}`, `{"n":${n}}`, `203.0.113.${n}`)))
  t.same(answers.map((a) => JSON.parse(a.body)), [1, 2, 3].map((n) => ({ url: `/api/?n=${n}`, body: `{"n":${n}}`, from: `203.0.113.${n}` })),
    'each request reaches the handler with its client\'s address')
  const odd = await r.forward('/api/', '', 'not an address')
  t.equal(JSON.parse(odd.body).from, 'cloud', 'a client that is not an address is named "cloud"')
  t.equal(tunnel.status().requests, 4)
  await tunnel.stop()
  t.equal(tunnel.status().state, 'off')
  await until(() => r.sockets[0]?.readyState === 3, 2000, 'the relay to see the close')
})

t.test('without a credential it enrolls with the enrollment key, saves the credential and keeps it', async (t) => {
  const r = await relay(t)
  const { tunnel, config, saved, lines } = rig(t, r.port, { credential: '', enrollKey: 'enroll-me' }, { handshakeTimeoutMs: undefined })
  t.equal(tunnel.status().endpoint, null, 'no endpoint before an id')
  tunnel.start()
  await until(() => tunnel.status().state === 'up', 5000, 'the tunnel')
  t.same(r.enrolls, [{ auth: 'Bearer enroll-me', host: `${DOMAIN}:${r.port}` }], 'enrolled once, at the relay\'s own host')
  t.same(saved, [CREDENTIAL], 'the credential is saved')
  t.equal(r.upgrades[0]?.auth, `Bearer ${CREDENTIAL}`, 'and used')
  t.ok(lines.includes(`info: cloud: enrolled with ${DOMAIN}: endpoint https://${ID}.${DOMAIN}/api/`))
  // The relay drops the tunnel: the redial uses the credential it has, no second enrollment.
  r.sockets[0]?.close(1012, 'restart')
  await until(() => r.upgrades.length === 2 && tunnel.status().state === 'up', 5000, 'the redial')
  t.equal(r.enrolls.length, 1)
  t.match(lines.find((l) => l.startsWith('info: cloud: tunnel down')), /^info: cloud: tunnel down \(closed by the relay \(1012 restart\)\) after \d+ s; reconnecting in 1 s$/)
  // A reload that reads the saved credential back from the file changes nothing.
  config.credential = CREDENTIAL
  await tunnel.reload()
  t.equal(r.upgrades.length, 2, 'no redial for the credential it enrolled')
})

t.test('enrollment refused: the message of the relay, a long wait; a broken answer: a short one', async (t) => {
  const r = await relay(t, { enroll: { status: 401, body: '{"message":"Enrollment key is incorrect","error":true}' } })
  const { tunnel, lines, saved } = rig(t, r.port, { credential: '', enrollKey: 'wrong' })
  tunnel.start()
  await until(() => tunnel.status().state === 'refused', 5000, 'the refusal')
  t.equal(tunnel.status().error, 'the relay refused to enroll: 401 Enrollment key is incorrect')
  t.ok(lines.includes('error: cloud: the relay refused to enroll: 401 Enrollment key is incorrect; trying again in 1 s'), 'logged as an error, with the wait (refusedMs 400 × 0.75)')
  // The relay has the second request before the tunnel has its answer: wait for the log line.
  await until(() => lines.some((l) => l.startsWith('debug: cloud: the relay refused to enroll')), 3000, 'the second refusal logged')
  t.equal(lines.filter((l) => l.startsWith('error: cloud: the relay refused to enroll')).length, 1, 'the same refusal again is logged at debug only')
  r.script.enroll = { status: 503, body: 'busy' }
  await until(() => tunnel.status().error === 'the relay refused to enroll: 503', 3000, 'a relay error')
  t.equal(tunnel.status().state, 'waiting', 'a relay in trouble is retried soon')
  r.script.enroll = { status: 200, body: '{"id":"2b080b3af6","credential":"nope","endpoint":"x"}' }
  await until(() => tunnel.status().error === 'the relay answered the enrollment with something else than a credential', 3000, 'a bad answer')
  r.script.enroll = { status: 200, body: 'not json' }
  await until(() => r.enrolls.length >= 6, 3000, 'another try')
  t.equal(tunnel.status().error, 'the relay answered the enrollment with something else than a credential')
  t.same(saved, [])
})

t.test('a credential the relay refuses: 401/403 wait long, other refusals short', async (t) => {
  const r = await relay(t, { refuse: { status: 403, body: '{"message":"Device credential is for another endpoint","error":true}' } })
  const { tunnel } = rig(t, r.port)
  tunnel.start()
  await until(() => tunnel.status().state === 'refused', 5000, 'the refusal')
  t.equal(tunnel.status().error, 'the relay refused the tunnel: 403 Device credential is for another endpoint')
  r.script.refuse = { status: 502, body: 'Bad gateway' }
  await until(() => tunnel.status().error === 'the relay refused the tunnel: 502', 3000, 'the 502')
  t.equal(tunnel.status().state, 'waiting')
  r.script.refuse = undefined
  await until(() => tunnel.status().state === 'up', 3000, 'the tunnel once the relay lets it in')
  t.equal(tunnel.status().error, null, 'the error is cleared once up')
})

t.test('a relay that cannot be reached is retried with backoff, and the failure is logged once', async (t) => {
  const r = await relay(t)
  await r.close()
  const { tunnel, lines } = rig(t, r.port)
  tunnel.start()
  await until(() => lines.filter((l) => l.startsWith('debug: cloud: cannot open the tunnel')).length >= 2, 5000, 'three attempts')
  t.equal(tunnel.status().state, 'waiting')
  t.match(tunnel.status().error, /^cannot open the tunnel to 2b080b3af6\.relay\.test: .*ECONNREFUSED/)
  t.equal(lines.filter((l) => l.startsWith('warn: cloud: cannot open the tunnel')).length, 1, 'warned once')
  const waits = lines.filter((l) => l.includes('cannot open the tunnel')).map((l) => Number(/trying again in (\d+) s/.exec(l)?.[1]))
  t.ok(waits.every((w) => w >= 1), 'every wait is said')
  await tunnel.stop()
  t.equal(tunnel.status().state, 'off', 'stop ends the waiting at once')
})

t.test('a relay that does not welcome, welcomes wrongly, or sends frames first is dropped', async (t) => {
  for (const [welcome, why] of [
    ['none', 'no welcome from the relay within 1 s'],
    ['garbage', 'the relay sent something else than its welcome'],
    ['wrong-id', 'the relay sent something else than its welcome'],
    ['frames-first', 'the relay sent frames before its welcome'],
  ] as const) {
    const r = await relay(t, { welcome })
    const { tunnel } = rig(t, r.port)
    tunnel.start()
    await until(() => tunnel.status().error !== null, 5000, `the drop (${welcome})`)
    t.equal(tunnel.status().error, `cannot open the tunnel to ${ID}.${DOMAIN}: ${why}`, welcome)
    await tunnel.stop()
    await r.close()
  }
})

t.test('a broken frame closes the tunnel with 1002; a replaced tunnel says so', async (t) => {
  const r = await relay(t)
  const { tunnel, lines } = rig(t, r.port)
  tunnel.start()
  await until(() => tunnel.status().state === 'up', 5000, 'the tunnel')
  const closed = new Promise<number>((resolve) => r.sockets[0]?.once('close', resolve))
  r.sockets[0]?.send(Buffer.from([9, 0, 0, 0, 1]))
  t.equal(await closed, 1002, 'closed as a protocol error')
  await until(() => lines.some((l) => l.includes('tunnel down (protocol error: unknown frame type 9)')), 3000, 'the log')
  await until(() => tunnel.status().state === 'up' && r.sockets.length === 2, 5000, 'the redial')
  r.sockets[1]?.close(CLOSE_REPLACED, 'replaced')
  await until(() => lines.some((l) => l.includes("tunnel down (another connection with this credential took the tunnel's place)")), 3000, 'the replaced log')
})

t.test('a relay gone silent is dropped after deadAfterMs and dialled again', async (t) => {
  const r = await relay(t, { autoPong: false })
  const { tunnel, lines } = rig(t, r.port, {}, { pingIntervalMs: 50, deadAfterMs: 200 })
  tunnel.start()
  await until(() => tunnel.status().state === 'up', 5000, 'the tunnel')
  await until(() => lines.some((l) => /tunnel down \(no answer from the relay for 0 s\)|tunnel down \(no answer from the relay for \d+ s\)/.test(l)), 3000, 'the drop')
  t.pass('dropped')
  r.script.autoPong = true
  await until(() => r.upgrades.length >= 2, 3000, 'the redial')
  // A relay that answers pings keeps the tunnel: pongs and its own pings count as heard.
  const r2 = await relay(t)
  const kept = rig(t, r2.port, {}, { pingIntervalMs: 50, deadAfterMs: 400 })
  kept.tunnel.start()
  await until(() => kept.tunnel.status().state === 'up', 5000, 'the second tunnel')
  r2.sockets[0]?.ping()
  await new Promise((resolve) => setTimeout(resolve, 700))
  t.equal(r2.upgrades.length, 1, 'no redial while pongs come back')
  t.equal(kept.tunnel.status().state, 'up')
})

t.test('configuration that cannot work is refused, and reload applies changes', async (t) => {
  const r = await relay(t)
  const noRelay = rig(t, r.port, { relay: '' })
  noRelay.tunnel.start()
  await until(() => noRelay.tunnel.status().state === 'refused', 3000, 'refusal')
  t.equal(noRelay.tunnel.status().error, 'cloud.relay is not set')
  t.equal(noRelay.tunnel.status().endpoint, null)
  const noKey = rig(t, r.port, { credential: '' })
  noKey.tunnel.start()
  await until(() => noKey.tunnel.status().state === 'refused', 3000, 'refusal')
  t.equal(noKey.tunnel.status().error, 'no cloud.credential, and no cloud.enroll_key to obtain one with')
  const bad = rig(t, r.port, { credential: 'garbage' })
  bad.tunnel.start()
  await until(() => bad.tunnel.status().state === 'refused', 3000, 'refusal')
  t.equal(bad.tunnel.status().error, 'cloud.credential is not a device credential (<id>.<signature>)')
  const noCa = rig(t, r.port, { caFile: join(dir, 'missing.pem') })
  noCa.tunnel.start()
  await until(() => noCa.tunnel.status().error !== null, 3000, 'the error')
  t.equal(noCa.tunnel.status().error, `cannot read cloud.ca_file ${join(dir, 'missing.pem')}: ENOENT`)
  // Another CA than the relay's: the certificate is refused.
  const other = makeTls(dir, 'other.test', 'other-')
  const wrongCa = rig(t, r.port, { caFile: other.caFile })
  wrongCa.tunnel.start()
  await until(() => wrongCa.tunnel.status().error !== null, 3000, 'the error')
  t.match(wrongCa.tunnel.status().error, /certificate/, 'a relay certificate from another CA is refused')

  const { tunnel, config } = rig(t, r.port, { enabled: false })
  tunnel.start()
  t.equal(tunnel.status().state, 'off', 'disabled: start does nothing')
  config.enabled = true
  await tunnel.reload()
  await until(() => tunnel.status().state === 'up', 5000, 'enabled by reload')
  const before = r.upgrades.length
  await tunnel.reload()
  t.equal(r.upgrades.length, before, 'a reload that changes nothing keeps the tunnel')
  const r2 = await relay(t)
  config.relay = `wss://${DOMAIN}:${r2.port}`
  await tunnel.reload()
  await until(() => tunnel.status().state === 'up' && r2.upgrades.length === 1, 5000, 'the tunnel on the new relay')
  config.enabled = false
  await tunnel.reload()
  t.equal(tunnel.status().state, 'off', 'disabled by reload')
})

t.test('stop during an enrollment or a dial ends it at once', async (t) => {
  // A relay that takes the connection but never answers.
  const hang = createHttpsServer({ cert: tls.cert, key: tls.key }, () => {})
  hang.on('upgrade', () => {})
  await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { hang.closeAllConnections(); hang.close() })
  const port = (hang.address() as AddressInfo).port
  for (const over of [{ credential: '', enrollKey: 'k' }, {}]) {
    const { tunnel } = rig(t, port, over, { handshakeTimeoutMs: 10_000 })
    tunnel.start()
    await until(() => ['enrolling', 'connecting'].includes(tunnel.status().state), 3000, 'the attempt')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const t0 = Date.now()
    await tunnel.stop()
    t.ok(Date.now() - t0 < 2000, `stopped while ${over.enrollKey === undefined ? 'dialling' : 'enrolling'} in ${Date.now() - t0} ms`)
    t.equal(tunnel.status().state, 'off')
  }
})

t.test('an enrolled credential that cannot be saved is kept in memory, with an error', async (t) => {
  const r = await relay(t)
  const { tunnel, lines } = rig(t, r.port, { credential: '', enrollKey: 'k' }, { saveCredential: () => { throw new Error('cannot save the cloud credential to /etc/config/hotspotd: EROFS') } })
  tunnel.start()
  await until(() => tunnel.status().state === 'up', 5000, 'the tunnel')
  t.ok(lines.includes('error: cloud: cannot save the cloud credential to /etc/config/hotspotd: EROFS; the endpoint id is kept until hotspotd stops'))
  t.equal(tunnel.status().endpoint, `https://${ID}.${DOMAIN}:443/api/`)
})

t.test('the relay URL and the fixed lookup', async (t) => {
  t.same(parseRelay('wss://relay.example.net'), { domain: 'relay.example.net', port: 443 })
  t.same(parseRelay('wss://relay.example.net:8443/'), { domain: 'relay.example.net', port: 8443 })
  const lookup = fixedLookup('127.0.0.1')
  const one = await new Promise((resolve) => { lookup('x.test', {}, (err, address, family) => { resolve([err, address, family]) }) })
  t.same(one, [null, '127.0.0.1', 4])
  const all = await new Promise((resolve) => { fixedLookup('::1')('x.test', { all: true }, (err, addresses) => { resolve([err, addresses]) }) })
  t.same(all, [null, [{ address: '::1', family: 6 }]])
})

t.test('with the default timings: up, and a close without a reason is said as such', async (t) => {
  const r = await relay(t)
  const { tunnel, lines } = rig(t, r.port, {}, { random: undefined, handshakeTimeoutMs: undefined, backoff: undefined, pingIntervalMs: undefined, deadAfterMs: undefined })
  tunnel.start()
  await until(() => tunnel.status().state === 'up', 5000, 'the tunnel')
  r.sockets[0]?.close(1012)
  await until(() => lines.some((l) => l.startsWith('info: cloud: tunnel down (closed by the relay (1012)) after 0 s; reconnecting in ')), 3000, 'the log')
  t.equal(tunnel.status().state, 'waiting')
  t.equal(tunnel.status().error, 'closed by the relay (1012)')
  const wait = Number(/reconnecting in (\d+) s/.exec(lines.find((l) => l.includes('tunnel down')) as string)?.[1])
  t.ok(wait >= 1 && wait <= 2, `the first redial waits up to 2 s (${wait} s): full jitter over 1 s × 2^1`)
})

t.test('a tunnel that stayed up past stableMs starts the backoff over', async (t) => {
  const r = await relay(t)
  const stable = rig(t, r.port, {}, { random: () => 0.999, backoff: { baseMs: 1000, maxMs: 60_000, refusedMs: 60_000, stableMs: 50 } })
  stable.tunnel.start()
  await until(() => stable.tunnel.status().state === 'up', 5000, 'the tunnel')
  await new Promise((resolve) => setTimeout(resolve, 100))
  r.sockets[0]?.close(1012, 'restart')
  await until(() => stable.lines.some((l) => l.includes('tunnel down')), 3000, 'the log')
  t.match(stable.lines.find((l) => l.includes('tunnel down')), /reconnecting in 1 s$/, 'up long enough: the count of failures starts over (1 s × 2^0)')
  await stable.tunnel.stop()
  const r2 = await relay(t)
  const brief = rig(t, r2.port, {}, { random: () => 0.999, backoff: { baseMs: 1000, maxMs: 60_000, refusedMs: 60_000, stableMs: 60_000 } })
  brief.tunnel.start()
  await until(() => brief.tunnel.status().state === 'up', 5000, 'the tunnel')
  r2.sockets[0]?.close(1012, 'restart')
  await until(() => brief.lines.some((l) => l.includes('tunnel down')), 3000, 'the log')
  t.match(brief.lines.find((l) => l.includes('tunnel down')), /reconnecting in 2 s$/, 'a brief tunnel counts as a failure (1 s × 2^1)')
})

t.test('connect options: the CA file and the fixed address only when set', async (t) => {
  const base: CloudConfig = { enabled: true, relay: 'wss://relay.test', relayAddress: '', credential: '', enrollKey: '', caFile: '', allowGet: false }
  t.same(connectOptions(base), {}, "neither: Node's CAs and DNS")
  const both = connectOptions({ ...base, caFile: tls.caFile, relayAddress: '127.0.0.1' })
  t.same(both.ca, tls.ca, 'the CA file read')
  t.type(both.lookup, 'function', 'and the fixed lookup')
})
