import t, { type Test } from 'tap'
import { createServer, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { MESSAGES } from '../../src/errors'
import { JSON_HEADERS, REFUSALS, refuse, refuseUpgrade, sendJson, type Refusal } from '../../src/relay/reply'

/** A server on 127.0.0.1 answering with `answer`; resolves with what a raw client read for `request`. */
const exchange = async (t: Test, request: string, answer: (res: ServerResponse) => void, upgrade?: (socket: Duplex) => void): Promise<string> => {
  const server = createServer((_req, res) => { answer(res) })
  if (upgrade !== undefined) server.on('upgrade', (_req, socket) => { upgrade(socket) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  return new Promise((resolve, reject) => {
    const c = connect((server.address() as AddressInfo).port, '127.0.0.1')
    let got = ''
    c.on('data', (d: Buffer) => {
      got += d.toString()
      if (upgrade === undefined && /\r\n\r\n/.test(got)) {
        const length = Number(/content-length: (\d+)/i.exec(got)?.[1])
        if (got.length - got.indexOf('\r\n\r\n') - 4 >= length) { c.destroy(); resolve(got) }
      }
    })
    c.on('close', () => { resolve(got) })
    c.on('error', reject)
    c.write(request)
  })
}

t.test('every refusal has an HTTP status and a message from the catalog', async (t) => {
  const catalog = new Set<string>(Object.values(MESSAGES))
  for (const [name, [status, message]] of Object.entries(REFUSALS)) {
    t.ok(catalog.has(message), `${name}: "${message}" is in the catalog`)
    t.ok(status >= 400 && status < 600, `${name}: ${status} is an error status`)
  }
})

t.test('refuse answers in the seed\'s envelope, with the relay\'s JSON headers', async (t) => {
  const cases: Array<[Refusal, number, string]> = [['offline', 502, 'Router is offline'], ['rateLimited', 429, 'Too many requests, try again later']]
  for (const [refusal, status, message] of cases) {
    let bytes = 0
    const raw = await exchange(t, 'GET /api/ HTTP/1.1\r\nHost: x\r\n\r\n', (res) => { bytes = refuse(res, refusal, { 'Retry-After': '3' }) })
    const body = JSON.stringify({ message, error: true })
    t.match(raw, new RegExp(`^HTTP/1\\.1 ${status} `), `${refusal}: ${status}`)
    t.ok(raw.endsWith(`\r\n\r\n${body}`), `${refusal}: the envelope`)
    t.equal(bytes, body.length, 'the body\'s length is returned for the access log')
    for (const [k, v] of Object.entries(JSON_HEADERS)) t.match(raw, `\r\n${k}: ${v}\r\n`, `${k}`)
    t.match(raw, '\r\nRetry-After: 3\r\n', 'extra headers')
    t.notMatch(raw, /\r\nConnection: close\r\n/, 'a request without a body keeps its connection')
  }
})

t.test('a request whose body is still coming is answered with Connection: close', async (t) => {
  for (const head of ['Content-Length: 100000', 'Transfer-Encoding: chunked']) {
    const raw = await exchange(t, `POST /api/ HTTP/1.1\r\nHost: x\r\n${head}\r\n\r\n{`, (res) => { sendJson(res, 200, { ok: true }) })
    t.match(raw, /\r\nConnection: close\r\n/, head)
    t.ok(raw.endsWith('{"ok":true}'))
  }
  const raw = await exchange(t, 'POST /api/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', (res) => { sendJson(res, 200, {}) })
  t.notMatch(raw, /\r\nConnection: close\r\n/, 'an empty body is no body')
})

t.test('an upgrade is refused on the socket itself, which is then closed', async (t) => {
  const raw = await exchange(t, 'GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', () => {}, (socket) => {
    refuseUpgrade(socket, 'credentialForeign', { 'Retry-After': '9' })
  })
  const body = JSON.stringify({ message: 'Device credential is for another endpoint', error: true })
  t.match(raw, /^HTTP\/1\.1 403 Forbidden\r\n/)
  t.match(raw, `\r\nContent-Length: ${body.length}\r\n`)
  t.match(raw, '\r\nConnection: close\r\n')
  t.match(raw, '\r\nRetry-After: 9\r\n')
  t.ok(raw.endsWith(`\r\n\r\n${body}`))
})
