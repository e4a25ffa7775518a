import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { Mux } from '../../src/cloud/mux'
import { forwardRequest, requestHeaders, responseHeaders } from '../../src/relay/forward'
import { until } from '../fixtures/bundle'
import { relayRequest, startRelay, type Rig, type StandIn } from '../fixtures/stand-in-router'

const ID = '2b080b3af6'
const envelope = (message: string): string => JSON.stringify({ message, error: true })

/** A router that echoes what it got: method, url, headers, client, body length and hash. */
const echo = (req: IncomingMessage, res: ServerResponse): void => {
  const hash = createHash('sha256')
  let length = 0
  req.on('data', (c: Buffer) => { hash.update(c); length += c.length })
  req.on('end', () => {
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, client: req.socket.remoteAddress, length, sha256: hash.digest('hex') }))
  })
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex')

/** A relay and a stand-in router for ID answering with `handler`. */
const rigWith = async (t: Test, handler: (req: IncomingMessage, res: ServerResponse) => void, opts: Parameters<typeof startRelay>[1] = {}): Promise<Rig> => {
  const rig = await startRelay(t, { rate: 10_000, burst: 10_000, ...opts })
  await rig.connect(ID, handler)
  return rig
}

/** Settles once `req` is closed on the router's side (its stream reset or ended). */
const closedOnRouter = (req: IncomingMessage): Promise<void> => new Promise((resolve) => { req.socket.on('close', () => { resolve() }) })

t.test('a GET reaches the router with its path, query, host and client, and its answer comes back', async (t) => {
  const rig = await rigWith(t, echo)
  const a = await rig.fetch(ID, { path: '/api/?action=get_voucher_users&api-key=k1' })
  t.equal(a.status, 200)
  const got = JSON.parse(a.body) as { method: string; url: string; headers: Record<string, string>; client: string; length: number }
  t.match(got, { method: 'GET', url: '/api/?action=get_voucher_users&api-key=k1', client: '127.0.0.1', length: 0 })
  t.equal(got.headers.host, `${ID}.relay.localhost:${rig.port}`, 'the Host header is the client\'s')
  t.equal(a.headers['content-type'], 'application/json')
  const bare = await rig.fetch(ID, { path: '/api' })
  t.equal(JSON.parse(bare.body).url, '/api', '/api without the slash is forwarded too')
  const deeper = await rig.fetch(ID, { path: '/api/x/./y?z=1' })
  t.equal(JSON.parse(deeper.body).url, '/api/x/y?z=1', 'paths under /api/ are forwarded, dot segments resolved')
})

t.test('a POST body of 300 KiB goes up and an answer of 1 MiB comes down, intact (flow control both ways)', async (t) => {
  const down = Buffer.alloc(1024 * 1024, 'x')
  const rig = await rigWith(t, (req, res) => {
    const hash = createHash('sha256')
    let length = 0
    req.on('data', (c: Buffer) => { hash.update(c); length += c.length })
    req.on('end', () => {
      res.writeHead(200, { 'X-Length': String(length), 'X-Sha256': hash.digest('hex') })
      res.end(down)
    })
  })
  const body = Buffer.alloc(300 * 1024)
  for (let i = 0; i < body.length; i++) body[i] = i % 251
  const a = await rig.fetch(ID, { method: 'POST', body, headers: { 'Content-Type': 'application/octet-stream' } })
  t.equal(a.status, 200)
  t.equal(a.headers['x-length'], String(body.length), 'the router got every byte')
  t.equal(a.headers['x-sha256'], sha256(body), 'in order')
  t.equal(a.body.length, down.length, 'the client got the whole answer')
  t.equal(sha256(a.body), sha256(down))
  const chunked = await rig.fetch(ID, { method: 'POST', body, headers: { 'Transfer-Encoding': 'chunked' } })
  t.equal(chunked.headers['x-sha256'], sha256(body), 'a chunked body arrives whole too')
})

t.test('100 requests at once through one tunnel each get their own answer', async (t) => {
  const rig = await rigWith(t, echo)
  const answers = await Promise.all(Array.from({ length: 100 }, (_, i) =>
    rig.fetch(ID, { method: 'POST', path: `/api/?n=${i}`, body: `body ${i} `.repeat(i * 10) })))
  answers.forEach((a, i) => {
    const got = JSON.parse(a.body) as { url: string; sha256: string }
    t.equal(got.url, `/api/?n=${i}`, `request ${i} answered by its own`)
    t.equal(got.sha256, sha256(`body ${i} `.repeat(i * 10)), `request ${i} body`)
  })
  t.equal(rig.relay.tunnels.get(ID)?.mux.size, 0, 'every stream is done with')
})

t.test('hop-by-hop and forwarding headers stay behind, both ways; end-to-end ones pass', async (t) => {
  const rig = await rigWith(t, (req, res) => {
    res.writeHead(200, [
      'Content-Type', 'application/json', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Keep-Alive', 'timeout=77',
      'Proxy-Authenticate', 'Basic', 'X-Hop', 'private', 'Connection', 'X-Hop', 'X-End', 'kept',
    ])
    res.end(JSON.stringify(req.headers))
  })
  const a = await rig.fetch(ID, {
    headers: {
      Connection: 'keep-alive, X-Drop-Me', 'X-Drop-Me': '1', 'Keep-Alive': 'timeout=9', 'Proxy-Authorization': 'Basic eA==',
      'Proxy-Connection': 'keep-alive', TE: 'trailers', Upgrade: 'h2c', Forwarded: 'for=10.9.9.9', 'X-Forwarded-For': '10.9.9.9',
      'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'http', 'X-Real-IP': '10.9.9.9', Expect: '100-continue',
      Authorization: 'Bearer end-to-end', 'X-Custom': 'kept', 'Content-Type': 'application/json',
    },
  })
  const seen = JSON.parse(a.body) as Record<string, string>
  for (const h of ['x-drop-me', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'upgrade', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'expect']) {
    t.notOk(h in seen, `${h} does not reach the router`)
  }
  t.equal(seen.connection, 'close', 'the router sees the relay\'s own Connection (one request per stream)')
  t.match(seen, { authorization: 'Bearer end-to-end', 'x-custom': 'kept', 'content-type': 'application/json' }, 'end-to-end headers pass')
  t.same(a.headers['set-cookie'], ['a=1', 'b=2'], 'repeated answer headers stay repeated')
  t.equal(a.headers['x-end'], 'kept')
  for (const h of ['x-hop', 'proxy-authenticate']) t.notOk(h in a.headers, `${h} does not reach the client`)
  t.not(a.headers['keep-alive'], 'timeout=77', 'the router\'s Keep-Alive is not the client\'s')
})

t.test('the header filters work on raw header lists', async (t) => {
  t.same(requestHeaders(['Host', 'h', 'CONNECTION', 'close, X-A', 'x-a', '1', 'X-Forwarded-Port', '80', 'X-B', '2']), ['Host', 'h', 'X-B', '2'])
  t.same(responseHeaders(['Transfer-Encoding', 'chunked', 'Trailer', 'X-T', 'Content-Length', '5', 'Expect', 'kept in answers']), ['Content-Length', '5', 'Expect', 'kept in answers'])
})

t.test('a Content-Length over the cap is refused at once with 413, the router never asked', async (t) => {
  const rig = await rigWith(t, echo, { maxBody: 1000 })
  const standIn = rig.relay.tunnels.get(ID)
  t.ok(standIn)
  // The head alone, as a client about to send 2 MB would: the 413 comes without the body.
  const answer = await new Promise<string>((resolve, reject) => {
    const c = tlsConnect({ host: '127.0.0.1', port: rig.port, servername: `${ID}.relay.localhost`, ca: rig.tls.ca })
    let got = ''
    c.on('data', (d: Buffer) => { got += d.toString() })
    c.on('end', () => { resolve(got) })
    c.on('error', reject)
    c.write(`POST /api/ HTTP/1.1\r\nHost: ${ID}.relay.localhost\r\nContent-Length: 2000000\r\nContent-Type: application/json\r\n\r\n{"a":`)
  })
  t.match(answer, /^HTTP\/1\.1 413 /)
  t.match(answer, /\r\nConnection: close\r\n/i, 'the connection is closed rather than the body read')
  t.ok(answer.endsWith(envelope('Request body too large')))
  const small = await rig.fetch(ID, { method: 'POST', body: 'x'.repeat(1000) })
  t.equal(JSON.parse(small.body).length, 1000, 'a body of exactly the cap passes')
})

t.test('a chunked body going over the cap is cut: 413 before the answer, a cut connection after', async (t) => {
  let routerGotClose: Promise<void> | undefined
  const rig = await rigWith(t, (req, res) => {
    routerGotClose = closedOnRouter(req)
    // Reads the body; answers at once on /api/early, else never (the cap decides first).
    req.resume()
    if (req.url === '/api/early') res.writeHead(200).write('started')
  }, { maxBody: 100_000 })
  const big = Buffer.alloc(150_000, 'y')
  const a = await rig.fetch(ID, { method: 'POST', body: big, headers: { 'Transfer-Encoding': 'chunked' } })
  t.equal(a.status, 413)
  t.equal(a.body, envelope('Request body too large'))
  await routerGotClose
  t.pass('the router\'s request was cut')
  await t.rejects(rig.fetch(ID, { method: 'POST', path: '/api/early', body: big, headers: { 'Transfer-Encoding': 'chunked' } }),
    'after the answer began, the client\'s connection is cut')
})

t.test('a router that does not answer in time gets a 504, and its request is dropped', async (t) => {
  let routerGotClose: Promise<void> | undefined
  const rig = await rigWith(t, (req) => { routerGotClose = closedOnRouter(req) }, { timeoutMs: 150 })
  const a = await rig.fetch(ID)
  t.equal(a.status, 504)
  t.equal(a.body, envelope('Router did not answer in time'))
  await routerGotClose
  t.pass('the router\'s side of the stream is closed')
})

t.test('a tunnel lost before the answer gives 502; lost mid-answer, the client\'s connection is cut', async (t) => {
  const rig = await startRelay(t)
  let current: StandIn | undefined
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const standIn = current as StandIn
    if (req.url === '/api/mid') {
      res.writeHead(200, { 'Content-Type': 'text/plain' })
      res.write('partial', () => { setTimeout(() => { standIn.ws.terminate() }, 50) })
    } else standIn.ws.terminate()
  }
  current = await rig.connect(ID, handler)
  const a = await rig.fetch(ID)
  t.equal(a.status, 502)
  t.equal(a.body, envelope('Connection to the router was lost'))
  current = await rig.connect(ID, handler)
  await t.rejects(rig.fetch(ID, { path: '/api/mid' }), 'the answer began: the connection is cut, not completed')
})

t.test('an answer that stops for longer than the timeout is cut', async (t) => {
  const rig = await rigWith(t, (req, res) => {
    res.writeHead(200)
    if (req.url === '/api/slow') {
      // Bytes every 100 ms keep it going past the 250 ms timeout.
      let n = 0
      const tick = setInterval(() => { if (++n === 5) { clearInterval(tick); res.end('.') } else res.write('.') }, 100)
    } else res.write('then nothing')
  }, { timeoutMs: 250 })
  const slow = await rig.fetch(ID, { path: '/api/slow' })
  t.equal(slow.body, '.....', 'an answer that keeps coming is not cut')
  await t.rejects(rig.fetch(ID, { path: '/api/stalled' }), 'a stalled one is')
  await until(() => rig.lines.some((l) => / GET \/api\/stalled /.test(l)), 2000, () => 'no access line')
  t.match(rig.lines.join('\n'), /GET \/api\/stalled 200 12 \d+ms cut$/m, 'the access log says it was cut')
})

t.test('a client gone before the answer, or during it, drops the router\'s request', async (t) => {
  const gone: Array<Promise<void>> = []
  const rig = await rigWith(t, (req, res) => {
    gone.push(closedOnRouter(req))
    if (req.url === '/api/mid') {
      res.writeHead(200)
      res.write('x'.repeat(1000))
    }
  })
  for (const path of ['/api/', '/api/mid']) {
    await new Promise<void>((resolve) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: rig.port, servername: `${ID}.relay.localhost`, ca: rig.tls.ca, agent: false, path,
        headers: { Host: `${ID}.relay.localhost` },
      }, (res: IncomingMessage) => { res.once('data', () => { req.destroy() }) })
      req.on('error', () => { resolve() })
      req.on('close', () => { resolve() })
      req.end()
      if (path === '/api/') setTimeout(() => { req.destroy() }, 100)
    })
  }
  await Promise.all(gone)
  t.equal(gone.length, 2, 'both requests reached the router and were closed there')
})

t.test('a tunnel carrying its most streams answers 503, and so does a router refusing a stream', async (t) => {
  const hold: Array<() => void> = []
  const handler = (req: IncomingMessage, res: ServerResponse): void => { hold.push(() => { res.end(req.url) }) }
  const rig = await rigWith(t, handler, { maxStreams: 2 })
  const first = [rig.fetch(ID, { path: '/api/1' }), rig.fetch(ID, { path: '/api/2' })]
  while (hold.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  const third = await rig.fetch(ID, { path: '/api/3' })
  t.equal(third.status, 503)
  t.equal(third.body, envelope('Router is busy, try again later'))
  for (const h of hold) h()
  t.same((await Promise.all(first)).map((a) => a.body), ['/api/1', '/api/2'], 'the streams under way finish')

  // The router's own limit: its Mux resets the stream it cannot take.
  const rig2 = await startRelay(t)
  hold.length = 0
  await rig2.connect(ID, handler, { maxStreams: 1 })
  const held = rig2.fetch(ID, { path: '/api/held' })
  while (hold.length < 1) await new Promise((resolve) => setTimeout(resolve, 10))
  const refused = await rig2.fetch(ID, { path: '/api/more' })
  t.equal(refused.status, 503, 'the router said too many streams')
  hold[0]?.()
  t.equal((await held).body, '/api/held')
})

t.test('an answer that is not HTTP enough to pass on gets 502, and the tunnel stays up', async (t) => {
  const rig = await startRelay(t, { timeoutMs: 500 })
  let answer = ''
  const standIn = await rig.connect(ID, (req) => {
    req.socket.write(Buffer.from(answer, 'latin1'))
    req.socket.end()
  })
  const cases: Array<[string, number, string, string]> = [
    ['HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n', 502, envelope('Connection to the router was lost'), 'a status under 100'],
    ['HTTP/1.1 200 OK\r\nX-A: a\x7fb\r\nContent-Length: 0\r\n\r\n', 502, envelope('Connection to the router was lost'), 'a header value node will not write'],
    ['not http at all\r\n\r\n', 502, envelope('Connection to the router was lost'), 'no HTTP'],
    ['HTTP/1.1 200 O\x01K\r\nContent-Length: 2\r\n\r\nok', 200, 'ok', 'a reason phrase node will not write: node\'s own is sent'],
    ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n', 504, envelope('Router did not answer in time'), 'an upgrade is no answer'],
  ]
  for (const [raw, status, body, what] of cases) {
    answer = raw
    const a = await rig.fetch(ID)
    t.same([a.status, a.body], [status, body], what)
  }
  t.equal(standIn.ws.readyState, standIn.ws.OPEN, 'none of it took the tunnel down')
  t.match(rig.lines.join('\n'), new RegExp(`GET /api/ 502 60 \\d+ms\\n[^]*GET /api/ 200 2 `), 'logged as answered')
})

t.test('a tunnel already closing is offline to new requests', async (t) => {
  // A Mux whose channel is closed, as a tunnel is between its drop and its close event.
  const mux = new Mux({ role: 'opener', send: (_f, done) => { done() } })
  mux.close('protocol error')
  const server = createServer((req, res) => { forwardRequest(mux, req, res, '/api/', '127.0.0.1', { maxBody: 10, timeoutMs: 1000 }, { bytes: 0 }) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const { port } = server.address() as AddressInfo
  const a = await fetch(`http://127.0.0.1:${port}/api/`)
  t.equal(a.status, 502)
  t.equal(await a.text(), envelope('Router is offline'))
})

t.test('the access log counts the bytes forwarded', async (t) => {
  const rig = await rigWith(t, (_req, res) => { res.end('x'.repeat(1234)) })
  await rig.fetch(ID, { path: '/api/?api-key=abc' })
  t.match(rig.lines.join('\n'), new RegExp(`access \\S+ 127\\.0\\.0\\.1 ${ID} GET /api/\\?api-key=\\[redacted\\] 200 1234 \\d+ms$`, 'm'))
})

t.test('the relayRequest helper reaches any name on the relay', async (t) => {
  const rig = await rigWith(t, echo)
  const a = await relayRequest(rig.port, `${ID}.relay.localhost`, rig.tls.ca, { path: '/api/' })
  t.equal(a.status, 200)
})
