import t from 'tap'
import { randomBytes } from 'node:crypto'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { MAX_FRAME } from '../../src/cloud/mux'
import { CLOSE_GOING_AWAY, CLOSE_REPLACED, SUBPROTOCOL, TUNNEL_PATH } from '../../src/cloud/protocol'
import { CLOSE_GRACE_MS } from '../../src/relay/tunnels'
import { until } from '../fixtures/bundle'
import { DOMAIN, Refused, startRelay, type Rig } from '../fixtures/stand-in-router'

const ID = '2b080b3af6'
const OTHER = '0123456789'
const ok = (_req: unknown, res: { end: (s: string) => void }): void => { res.end('from the router') }

/** What a refused upgrade answered. */
const refusal = async (p: Promise<unknown>): Promise<{ status: number; json: unknown; retryAfter: unknown }> => {
  try {
    await p
  } catch (err) {
    if (err instanceof Refused) return { status: err.status, json: JSON.parse(err.body), retryAfter: err.headers['retry-after'] }
    throw err
  }
  throw new Error('the tunnel was not refused')
}

/**
 * A tunnel opened by hand over TLS, which then reads nothing and answers nothing: a router gone
 * silent (no pongs, no close frame). Resolves once the relay switched protocols.
 */
const silentTunnel = (rig: Rig, id: string): Promise<TLSSocket> => new Promise((resolve, reject) => {
  const c = tlsConnect({ host: '127.0.0.1', port: rig.port, servername: `${id}.${DOMAIN}`, ca: rig.tls.ca })
  c.write([
    `GET ${TUNNEL_PATH} HTTP/1.1`, `Host: ${id}.${DOMAIN}:${rig.port}`, 'Connection: Upgrade', 'Upgrade: websocket',
    'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    `Sec-WebSocket-Protocol: ${SUBPROTOCOL}`, `Authorization: Bearer ${rig.credential(id)}`, '', '',
  ].join('\r\n'))
  let got = ''
  const onData = (d: Buffer): void => {
    got += d.toString('latin1')
    if (!got.includes('\r\n\r\n')) return
    c.off('data', onData)
    if (got.startsWith('HTTP/1.1 101 ')) resolve(c)
    else reject(new Error(got))
  }
  c.on('data', onData)
  c.on('error', () => { /* the relay cuts it */ })
})

/** A masked client frame (payload under 126 bytes), as a WebSocket client must send. */
const clientFrame = (opcode: number, payload: Buffer): Buffer => {
  const mask = randomBytes(4)
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)))
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked])
}

t.test('a genuine credential for the host\'s id opens the tunnel with a welcome', async (t) => {
  const rig = await startRelay(t)
  const s = await rig.connect(ID, ok)
  t.same(s.welcome, { type: 'welcome', id: ID, endpoint: `https://${ID}.${DOMAIN}:${rig.port}/api/` })
  t.equal(s.ws.protocol, SUBPROTOCOL)
  t.equal(rig.relay.tunnels.size, 1)
  t.equal(rig.relay.tunnels.get(ID)?.client, '127.0.0.1')
  t.equal((await rig.fetch(ID)).body, 'from the router')
  await s.close()
  await until(() => rig.relay.tunnels.size === 0, 2000, () => 'still open')
  t.match(rig.lines.join('\n'), new RegExp(`info: tunnel ${ID}: connected from 127\\.0\\.0\\.1\\n[^]*info: tunnel ${ID}: disconnected \\(1000\\)`))
  t.notOk(rig.lines.some((l) => l.includes(rig.credential(ID).slice(11))), 'the credential is never logged')
})

t.test('a forged, malformed or missing credential gets 401; a genuine one for another id 403', async (t) => {
  const rig = await startRelay(t)
  const genuine = rig.credential(ID)
  const invalid = { status: 401, json: { message: 'Device credential is not valid', error: true }, retryAfter: undefined }
  const forged = `${ID}.${'A'.repeat(43)}`
  t.same(await refusal(rig.connect(ID, ok, { credential: forged })), invalid, 'a forged signature')
  t.same(await refusal(rig.connect(ID, ok, { credential: `${ID}.short` })), invalid, 'a malformed credential')
  t.same(await refusal(rig.connect(ID, ok, { credential: '' })), invalid, 'an empty one')
  t.same(await refusal(rig.connect(OTHER, ok, { credential: genuine })), { status: 403, json: { message: 'Device credential is for another endpoint', error: true }, retryAfter: undefined },
    'a router claiming a foreign id')
  t.equal(rig.relay.tunnels.size, 0, 'no tunnel opened')
  t.match(rig.lines.join('\n'), new RegExp(`tunnel ${OTHER}: refused 127\\.0\\.0\\.1: credential of ${ID}`))
  t.notOk(rig.lines.some((l) => l.includes(genuine.slice(11)) || l.includes(forged.slice(11))), 'no credential is logged')
})

t.test('an address refused too often gets 429, but a genuine credential still gets in', async (t) => {
  const rig = await startRelay(t, { throttle: { limit: 2, lockMs: 30_000 } })
  const forged = `${ID}.${'B'.repeat(43)}`
  t.equal((await refusal(rig.connect(ID, ok, { credential: forged }))).status, 401)
  t.equal((await refusal(rig.connect(ID, ok, { credential: forged }))).status, 401, 'the second refusal locks the address')
  t.same(await refusal(rig.connect(ID, ok, { credential: forged })), { status: 429, json: { message: 'Too many failed attempts, try again later', error: true }, retryAfter: '30' })
  t.match(rig.lines.join('\n'), /warn: tunnel: 2 refused credentials from 127\.0\.0\.1; refusing it for 30 s/)
  const s = await rig.connect(ID, ok)
  t.equal(s.welcome.id, ID, 'routers sharing the address (carrier-grade NAT) are not locked out')
})

t.test('a tunnel without the subprotocol is refused with 400', async (t) => {
  const rig = await startRelay(t)
  const expected = { status: 400, json: { message: 'Unsupported tunnel protocol', error: true }, retryAfter: undefined }
  t.same(await refusal(rig.connect(ID, ok, { protocols: [] })), expected, 'none offered')
  t.same(await refusal(rig.connect(ID, ok, { protocols: ['hotspotd-tunnel.0'] })), expected, 'another version')
  const s = await rig.connect(ID, ok, { protocols: ['hotspotd-tunnel.0', SUBPROTOCOL] })
  t.equal(s.ws.protocol, SUBPROTOCOL, 'among others, the tunnel\'s is chosen')
})

t.test('a new tunnel for an id replaces the old one, which is closed with CLOSE_REPLACED', async (t) => {
  const rig = await startRelay(t)
  const first = await rig.connect(ID, (_req, res) => { res.end('first') })
  const second = await rig.connect(ID, (_req, res) => { res.end('second') })
  t.same(await first.closed, { code: CLOSE_REPLACED, reason: 'replaced by a newer tunnel' })
  t.equal(rig.relay.tunnels.size, 1)
  t.equal((await rig.fetch(ID)).body, 'second', 'requests go to the new tunnel')
  t.match(rig.lines.join('\n'), `tunnel ${ID}: connected from 127.0.0.1, replacing the one from 127.0.0.1`)
  t.equal(second.ws.readyState, second.ws.OPEN)
})

t.test('a broken protocol closes the tunnel with 1002', async (t) => {
  const rig = await startRelay(t)
  const cases: Array<[string, (ws: import('ws').WebSocket) => void]> = [
    ['a text message', (ws) => { ws.send('hello') }],
    ['an unknown frame type', (ws) => { ws.send(Buffer.from([9, 0, 0, 0, 1])) }],
    ['a frame too short', (ws) => { ws.send(Buffer.from([2, 0])) }],
    ['an OPEN from the router', (ws) => { ws.send(Buffer.from([1, 0, 0, 0, 1, 0x7b, 0x7d])) }],
  ]
  for (const [what, send] of cases) {
    const s = await rig.connect(ID, ok)
    send(s.ws)
    t.same((await s.closed).code, 1002, what)
  }
  await until(() => rig.relay.tunnels.size === 0, 2000, () => 'still open')
  t.match(rig.lines.join('\n'), new RegExp(`warn: tunnel ${ID}: protocol error from 127\\.0\\.0\\.1: unknown frame type 9`))
  const s = await rig.connect(ID, ok)
  s.ws.send(Buffer.alloc(MAX_FRAME + 1))
  t.equal((await s.closed).code, 1009, 'a message over MAX_FRAME: ws closes with 1009')
  await until(() => rig.lines.some((l) => l.startsWith(`warn: tunnel ${ID}: Max payload size exceeded`)), 2000, () => rig.lines.join('\n'))
})

t.test('pings keep a tunnel alive; a silent one is dropped', async (t) => {
  const rig = await startRelay(t, { pingIntervalMs: 40, deadAfterMs: 200 })
  const live = await rig.connect(ID, ok)
  let pings = 0
  live.ws.on('ping', () => { pings++ })
  live.ws.ping() // the router pings too
  const silent = await rig.connect(OTHER, ok, { autoPong: false })
  await silent.closed
  t.pass('the tunnel that answered no ping was dropped')
  t.match(rig.lines.join('\n'), `info: tunnel ${OTHER}: silent for 0.2 s, dropped`)
  t.ok(pings >= 4, `the live one got pings (${pings}) and stays`)
  t.equal(live.ws.readyState, live.ws.OPEN)
  t.equal(rig.relay.tunnels.get(ID)?.client, '127.0.0.1')
})

t.test('stopping closes every tunnel with CLOSE_GOING_AWAY, cutting a router that does not answer', async (t) => {
  const rig = await startRelay(t)
  const polite = await rig.connect(ID, ok)
  const mute = await silentTunnel(rig, OTHER)
  const cut = new Promise<void>((resolve) => { mute.on('close', () => { resolve() }) })
  const t0 = Date.now()
  await rig.relay.stop(50)
  t.same(await polite.closed, { code: CLOSE_GOING_AWAY, reason: 'relay shutting down' })
  await cut
  t.ok(Date.now() - t0 >= CLOSE_GRACE_MS - 100, 'the router that sent no close frame was cut after the grace')
})

t.test('a tunnel dropped for a protocol error and then stopped is cut once', async (t) => {
  const rig = await startRelay(t)
  const mute = await silentTunnel(rig, ID)
  const cut = new Promise<void>((resolve) => { mute.on('close', () => { resolve() }) })
  mute.write(clientFrame(0x1, Buffer.from('text'))) // a text frame: protocol error, close 1002 sent, no answer
  await until(() => rig.lines.some((l) => l.includes('protocol error')), 2000, () => rig.lines.join('\n'))
  t.equal(rig.relay.tunnels.size, 1, 'still listed until its socket closes')
  t.equal((await rig.fetch(ID)).status, 502, 'its streams are gone: a request gets 502')
  await rig.relay.stop(50)
  await cut
  t.equal(rig.relay.tunnels.size, 0)
  t.equal(rig.lines.filter((l) => l.includes(`tunnel ${ID}: disconnected`)).length, 1)
})
