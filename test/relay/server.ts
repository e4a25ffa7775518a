import t from 'tap'
import { X509Certificate } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { verifyCredential } from '../../src/cloud/credential'
import { CLOSE_GOING_AWAY, ENROLL_PATH, HEALTH_PATH, SUBPROTOCOL, TUNNEL_PATH } from '../../src/cloud/protocol'
import { createLogger } from '../../src/log'
import { apiPath, idOfHost, Relay, splitHost } from '../../src/relay/server'
import { until } from '../fixtures/bundle'
import { connectStandIn, DOMAIN, SECRET, startRelay, type Rig, type StandIn } from '../fixtures/stand-in-router'
import { makeTls } from '../fixtures/tls'

const ID = '2b080b3af6'
const KEY = 'enroll-key-0123456789'
const envelope = (message: string): string => JSON.stringify({ message, error: true })

/** Sends `text` over TLS to the relay as `servername`; resolves with everything read until the relay closes. */
const raw = (rig: Rig, text: string, servername = `${ID}.${DOMAIN}`): Promise<string> => new Promise((resolve, reject) => {
  const c = tlsConnect({ host: '127.0.0.1', port: rig.port, servername, ca: rig.tls.ca })
  let got = ''
  c.on('data', (d: Buffer) => { got += d.toString() })
  c.on('close', () => { resolve(got) })
  c.on('error', reject)
  c.write(text)
})

/** A router answering with its client's address and the path it was asked for. */
const whoAsked = (req: IncomingMessage, res: ServerResponse): void => { res.end(`${req.socket.remoteAddress as string} ${req.url as string}`) }

t.test('host names: <10 hex>.<domain> is a router, anything else is not', async (t) => {
  const hosts: Array<[string | undefined, { name: string; port: number } | undefined]> = [
    [`${ID}.relay.localhost`, { name: `${ID}.relay.localhost`, port: 443 }],
    [`${ID}.Relay.Localhost:8443`, { name: `${ID}.relay.localhost`, port: 8443 }],
    ['relay.localhost.', { name: 'relay.localhost', port: 443 }],
    ['[::1]:8443', undefined], ['a b', undefined], ['', undefined], [undefined, undefined], ['x:port', undefined],
  ]
  for (const [host, split] of hosts) t.same(splitHost(host), split, `split ${JSON.stringify(host)}`)
  const ids: Array<[string, string | undefined]> = [
    [`${ID}.relay.localhost`, ID], ['relay.localhost', undefined], [`${ID}0.relay.localhost`, undefined],
    [`x${ID}.relay.localhost`, undefined], [`a.${ID}.relay.localhost`, undefined], [`${ID}.other.localhost`, undefined],
    [`${ID}.evilrelay.localhost`, undefined], ['abcdefghij.relay.localhost', undefined],
  ]
  for (const [name, id] of ids) t.equal(idOfHost(name, 'relay.localhost'), id, name)
})

t.test('only /api and paths under /api/ are forwarded, dot segments resolved', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['/api', '/api'], ['/api/', '/api/'], ['/api/?action=x&api-key=k', '/api/?action=x&api-key=k'], ['/api/x/../y', '/api/y'],
    ['/api?x=1', '/api?x=1'], ['/', undefined], ['/apix', undefined], ['/api/../ubus', undefined], ['/api/%2e%2e/ubus', undefined],
    ['/%61pi/', undefined], ['//api/', undefined], ['/API/', undefined], ['https://evil/api/', undefined], ['*', undefined],
    ['/ubus', undefined], ['/.hotspotd/tunnel', undefined],
  ]
  for (const [url, path] of cases) t.equal(apiPath(url), path, url)
})

t.test('the health check answers 200 on any host, logged only at debug', async (t) => {
  const rig = await startRelay(t)
  await rig.connect(ID, whoAsked)
  for (const host of [DOMAIN, `${ID}.${DOMAIN}`, '127.0.0.1']) {
    const a = await rig.fetch(host, { path: HEALTH_PATH, options: { servername: DOMAIN } })
    t.same([a.status, JSON.parse(a.body)], [200, { status: 'ok', tunnels: 1 }], host)
  }
  t.equal((await rig.fetch(DOMAIN, { path: HEALTH_PATH, method: 'HEAD' })).status, 200, 'HEAD too')
  t.equal((await rig.fetch(DOMAIN, { path: HEALTH_PATH, method: 'POST' })).status, 404, 'not POST')
  t.ok(rig.lines.some((l) => l.startsWith('debug: access ') && l.includes(HEALTH_PATH)), 'at debug')
  t.notOk(rig.lines.some((l) => l.startsWith('info: access ') && l.includes(HEALTH_PATH)), 'not at info')
})

t.test('anything but a router\'s /api is not found, in the seed\'s envelope', async (t) => {
  const rig = await startRelay(t)
  await rig.connect(ID, whoAsked)
  const notFound = [
    [ID, '/'], [ID, '/admin/'], [ID, '/api/../ubus'], [ID, '/apix'], [ID, '/ubus'], [ID, TUNNEL_PATH], [ID, ENROLL_PATH],
    [DOMAIN, '/api/'], [`${ID}0.${DOMAIN}`, '/api/'], ['other.localhost', '/api/'], ['127.0.0.1', '/api/'],
  ]
  for (const [host, path] of notFound) {
    // TLS for the relay's own name; the Host header says what the test is about.
    const a = await rig.fetch(host as string, { path, options: { servername: DOMAIN } })
    t.same([a.status, a.body], [404, envelope('Not found')], `${host as string}${path as string}`)
    t.equal(a.headers['content-type'], 'application/json; charset=utf-8')
  }
  const upper = await rig.fetch(`${ID.toUpperCase()}.${DOMAIN.toUpperCase()}`, { path: '/api/' })
  t.equal(upper.body, `127.0.0.1 /api/`, 'host names are read without regard to case')
  const absolute = await raw(rig, `GET https://${ID}.${DOMAIN}/api/ HTTP/1.1\r\nHost: ${ID}.${DOMAIN}\r\nConnection: close\r\n\r\n`)
  t.match(absolute, /^HTTP\/1\.1 404 /, 'an absolute-form target is not forwarded')
  const noHost = await raw(rig, 'GET /api/ HTTP/1.0\r\n\r\n')
  t.match(noHost, /^HTTP\/1\.1 404 /, 'a request without a Host header')
})

t.test('a router with no tunnel here gets a fast 502', async (t) => {
  const rig = await startRelay(t)
  const a = await rig.fetch('0000000000')
  t.same([a.status, a.body], [502, envelope('Router is offline')])
  t.match(rig.lines.join('\n'), /info: access \S+ 127\.0\.0\.1 0000000000 GET \/api\/ 502 \d+ \d+ms/)
})

t.test('requests per router are rate limited: 429 with Retry-After', async (t) => {
  const rig = await startRelay(t, { rate: 1, burst: 3 })
  await rig.connect(ID, whoAsked)
  await rig.connect('0123456789', whoAsked)
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push((await rig.fetch(ID)).status)
  t.same(statuses, [200, 200, 200, 429], 'the burst, then refused')
  const a = await rig.fetch(ID)
  t.same([a.status, a.body, a.headers['retry-after']], [429, envelope('Too many requests, try again later'), '1'])
  t.equal((await rig.fetch('0123456789')).status, 200, 'another router is not slowed down')
})

t.test('the access log has one line per request and never the api-key', async (t) => {
  const rig = await startRelay(t)
  await rig.connect(ID, whoAsked)
  const secret = 'the-api-key-0123456789'
  await rig.fetch(ID, { path: `/api/?action=get_logins&api-key=${secret}`, headers: { Authorization: `Bearer ${secret}` } })
  await rig.fetch(ID, { method: 'POST', path: '/api/', body: JSON.stringify({ 'api-key': secret }) })
  await until(() => rig.lines.filter((l) => l.startsWith('info: access ')).length === 2, 2000, () => rig.lines.join('\n'))
  const access = rig.lines.filter((l) => l.startsWith('info: access '))
  t.match(access[0], new RegExp(`^info: access \\d{4}-\\d\\d-\\d\\dT\\S+Z 127\\.0\\.0\\.1 ${ID} GET /api/\\?action=get_logins&api-key=\\[redacted\\] 200 \\d+ \\d+ms$`))
  t.match(access[1], new RegExp(`^info: access \\S+ 127\\.0\\.0\\.1 ${ID} POST /api/ 200 \\d+ \\d+ms$`))
  t.notOk(rig.lines.some((l) => l.includes(secret)), 'the key appears nowhere: query, body and Authorization are not logged')
})

t.test('X-Forwarded-For is believed only from a trusted proxy', async (t) => {
  const trusting = await startRelay(t, { trustProxy: ['127.0.0.1'] })
  await trusting.connect(ID, whoAsked)
  const a = await trusting.fetch(ID, { headers: { 'X-Forwarded-For': '10.1.1.1, 198.51.100.7' } })
  t.equal(a.body, '198.51.100.7 /api/', 'the router is told the last hop')
  t.match(trusting.lines.join('\n'), new RegExp(`access \\S+ 198\\.51\\.100\\.7 ${ID} GET`), 'and so is the log')
  const plain = await startRelay(t, {}, trusting.tls)
  await plain.connect(ID, whoAsked)
  t.equal((await plain.fetch(ID, { headers: { 'X-Forwarded-For': '198.51.100.7' } })).body, '127.0.0.1 /api/', 'without a trust list, the socket\'s address')
})

t.test('enrollment on the domain or a router\'s host, when a key is configured', async (t) => {
  const rig = await startRelay(t, { enrollKey: Buffer.from(KEY) })
  const a = await rig.fetch(DOMAIN, { method: 'POST', path: ENROLL_PATH, headers: { Authorization: `Bearer ${KEY}` } })
  t.equal(a.status, 200)
  const e = JSON.parse(a.body) as { id: string; credential: string; endpoint: string }
  t.equal(verifyCredential(SECRET, e.credential), e.id)
  t.equal(e.endpoint, `https://${e.id}.${DOMAIN}:${rig.port}/api/`, 'the port of the Host the router used')
  const s = await rig.connect(e.id, whoAsked, { credential: e.credential })
  t.equal(s.welcome.endpoint, e.endpoint, 'the credential opens its tunnel')
  t.equal((await rig.fetch(e.id)).status, 200)
  const wrong = await rig.fetch(`${ID}.${DOMAIN}`, { method: 'POST', path: ENROLL_PATH, headers: { Authorization: 'Bearer nope' } })
  t.same([wrong.status, wrong.body], [401, envelope('Enrollment key is incorrect')], 'any host of the relay')
  const http10 = await raw(rig, `POST ${ENROLL_PATH} HTTP/1.0\r\nAuthorization: Bearer ${KEY}\r\n\r\n`)
  t.match(http10, /"endpoint":"https:\/\/[0-9a-f]{10}\.relay\.localhost\/api\/"/, 'no Host header: the default port')
  t.equal((await rig.fetch(DOMAIN, { path: ENROLL_PATH, headers: { Authorization: `Bearer ${KEY}` } })).status, 404, 'only POST')
  const off = await startRelay(t, {}, rig.tls)
  const o = await off.fetch(DOMAIN, { method: 'POST', path: ENROLL_PATH, headers: { Authorization: `Bearer ${KEY}` } })
  t.same([o.status, o.body], [404, envelope('Not found')], 'off without a key')
})

t.test('an upgrade anywhere but a router\'s tunnel path is not found', async (t) => {
  const rig = await startRelay(t)
  for (const [host, what] of [[`${ID}.${DOMAIN}`, 'the wrong path'], [DOMAIN, 'the domain itself'], [`nothex0000.${DOMAIN}`, 'no id']] as const) {
    const answer = await raw(rig, [`GET ${what === 'the wrong path' ? '/api/' : TUNNEL_PATH} HTTP/1.1`, `Host: ${host}`, 'Connection: Upgrade', 'Upgrade: websocket',
      'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `Sec-WebSocket-Protocol: ${SUBPROTOCOL}`,
      `Authorization: Bearer ${rig.credential(ID)}`, '', ''].join('\r\n'))
    t.match(answer, /^HTTP\/1\.1 404 Not Found\r\n/, what)
    t.ok(answer.endsWith(envelope('Not found')), what)
  }
  const noHost = await raw(rig, [`GET ${TUNNEL_PATH} HTTP/1.0`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', '', ''].join('\r\n'))
  t.match(noHost, /^HTTP\/1\.1 404 Not Found\r\n/, 'no Host header')
  t.match(rig.lines.join('\n'), /upgrade refused: 404/)
})

t.test('an unexpected failure is answered 500, or closes the connection after the answer, and is logged', async (t) => {
  const lines: string[] = []
  // A logger that fails on enrollment lines (stdout gone), as a bug would throw.
  const write = (line: string): void => {
    if (line.includes('enroll:')) throw new Error('log write failed')
    lines.push(line)
  }
  const rig = await startRelay(t, { enrollKey: Buffer.from(KEY), log: createLogger(write) })
  const refused = await rig.fetch(DOMAIN, { method: 'POST', path: ENROLL_PATH, headers: { Authorization: 'Bearer nope' } })
  t.same([refused.status, refused.body], [500, envelope('An error occurred')], 'before the answer: 500')
  const enrolled = await rig.fetch(DOMAIN, { method: 'POST', path: ENROLL_PATH, headers: { Authorization: `Bearer ${KEY}` } })
  t.equal(enrolled.status, 200, 'a failure after the whole answer was written: the client has it, the connection is closed')
  t.match(lines.join('\n'), /error: relay: Error: log write failed\n\s+at /)
  t.equal((await rig.fetch(DOMAIN, { path: HEALTH_PATH })).status, 200, 'the relay goes on')
})

t.test('stopping lets requests under way finish, then closes the tunnels', async (t) => {
  const rig = await startRelay(t)
  const s = await rig.connect(ID, (_req, res) => { setTimeout(() => { res.end('finished') }, 150) })
  const pending = rig.fetch(ID)
  await until(() => s.opened.length === 1, 2000, () => 'not forwarded')
  const stopped = rig.relay.stop(2000)
  t.equal(rig.relay.stop(), stopped, 'stop is asked once however often it is called')
  t.equal((await pending).body, 'finished', 'the request under way is answered')
  t.same(await s.closed, { code: CLOSE_GOING_AWAY, reason: 'relay shutting down' })
  await stopped
  await t.rejects(rig.fetch(ID), { code: 'ECONNREFUSED' }, 'no longer listening')
})

t.test('past the grace, what is still under way is lost with the tunnels', async (t) => {
  const rig = await startRelay(t)
  const s = await rig.connect(ID, () => { /* never answers */ })
  const pending = rig.fetch(ID)
  await until(() => s.opened.length === 1, 2000, () => 'not forwarded')
  await rig.relay.stop(100)
  t.same([(await pending).status, (await pending).body], [502, envelope('Connection to the router was lost')])
})

t.test('stopping does not wait for a connection that never finished its TLS handshake', async (t) => {
  const rig = await startRelay(t)
  const silent = connect(rig.port, '127.0.0.1')
  await new Promise((resolve) => silent.once('connect', resolve))
  const closed = new Promise((resolve) => silent.once('close', resolve))
  const t0 = Date.now()
  await rig.relay.stop(100)
  await closed
  t.ok(Date.now() - t0 < 3000, `stopped in ${Date.now() - t0} ms, not at node's 120 s handshake timeout`)
})

t.test('a tunnel asked for while the relay stops is not found', async (t) => {
  const rig = await startRelay(t)
  const s = await rig.connect(ID, () => { /* holds the request */ })
  // One connection: a request the router holds, then (pipelined) an upgrade, sent once stopping began.
  const c = tlsConnect({ host: '127.0.0.1', port: rig.port, servername: `${ID}.${DOMAIN}`, ca: rig.tls.ca })
  let got = ''
  c.on('data', (d: Buffer) => { got += d.toString() })
  c.on('error', () => {})
  c.write(`GET /api/ HTTP/1.1\r\nHost: ${ID}.${DOMAIN}\r\n\r\n`)
  await until(() => s.opened.length === 1, 2000, () => 'not forwarded')
  const stopped = rig.relay.stop(300)
  c.write([`GET ${TUNNEL_PATH} HTTP/1.1`, `Host: ${ID}.${DOMAIN}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', `Sec-WebSocket-Protocol: ${SUBPROTOCOL}`, `Authorization: Bearer ${rig.credential(ID)}`, '', ''].join('\r\n'))
  await stopped
  await until(() => got.includes('404 Not Found'), 2000, () => got)
  t.match(got, /HTTP\/1\.1 404 Not Found\r\n[^]*"Not found"/)
})

t.test('the relay restarts and the router reconnects with the same id', async (t) => {
  const first = await startRelay(t)
  const port = first.port
  let standIn: StandIn = await first.connect(ID, whoAsked)
  // The router's loop: when its tunnel closes, it dials again until the relay is back.
  let reconnected: Promise<StandIn> | undefined
  const redial = async (): Promise<StandIn> => {
    for (;;) {
      try {
        return await connectStandIn({ host: `${ID}.${DOMAIN}`, port, credential: first.credential(ID), ca: first.tls.ca, handler: whoAsked })
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  }
  void standIn.closed.then(() => { reconnected = redial() })
  await first.relay.stop(100)
  t.equal((await standIn.closed).code, CLOSE_GOING_AWAY)
  const second = await startRelay(t, {}, first.tls, port)
  standIn = await (reconnected as Promise<StandIn>)
  t.teardown(() => { standIn.ws.terminate() })
  t.equal(standIn.welcome.id, ID, 'the same id')
  t.equal((await second.fetch(ID)).body, '127.0.0.1 /api/', 'and its requests are served again')
})

t.test('SIGHUP\'s reload: new connections get the new certificate', async (t) => {
  const rig = await startRelay(t)
  const fingerprint = (): Promise<string> => new Promise((resolve, reject) => {
    const c = tlsConnect({ host: '127.0.0.1', port: rig.port, servername: DOMAIN, rejectUnauthorized: false }, () => {
      resolve(c.getPeerX509Certificate()?.fingerprint256 as string)
      c.destroy()
    })
    c.on('error', reject)
  })
  t.equal(await fingerprint(), new X509Certificate(rig.tls.cert).fingerprint256)
  const renewed = makeTls(t.testdir(), DOMAIN, 'renewed-')
  rig.relay.reloadTls(renewed.cert, renewed.key)
  t.equal(await fingerprint(), new X509Certificate(renewed.cert).fingerprint256, 'the renewed certificate')
  t.throws(() => { rig.relay.reloadTls(renewed.cert, rig.tls.key) }, 'a key that does not match is refused')
  t.equal(await fingerprint(), new X509Certificate(renewed.cert).fingerprint256, 'and the one before stays')
})

t.test('listening: the port, and an address in use', async (t) => {
  const rig = await startRelay(t)
  const other = new Relay({ domain: DOMAIN, cert: rig.tls.cert, key: rig.tls.key, secret: SECRET, log: createLogger(() => {}) })
  t.equal(other.port, 0, 'not listening yet')
  await t.rejects(other.listen(rig.port, '127.0.0.1'), { code: 'EADDRINUSE' })
  t.ok(rig.relay.port > 0)
  await t.rejects(connectStandIn({ host: `${ID}.${DOMAIN}`, port: rig.port, credential: 'x', ca: rig.tls.ca, handler: whoAsked }), { status: 401, message: /^refused with 401/ })
})
