import t from 'tap'
import { connect } from 'node:net'
import { createServer, request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BODY_LIMIT, formParams, parseBody, readBody } from '../../src/http/body'

const TOO_LARGE = { name: 'ApiError', kind: 'too_large', message: 'Request body too large' }
const MALFORMED = { name: 'ApiError', kind: 'invalid', message: 'Malformed request body' }
const UNSUPPORTED = { name: 'ApiError', kind: 'invalid', message: 'Unsupported content type' }

/**
 * A real server on 127.0.0.1 whose handler runs readBody(req, limit) and hands the promise to the
 * test; it answers 200 with the body's length, or 413 and closes.
 */
const bodyServer = async (t: tap.Test, limit?: number): Promise<{ port: number; next: () => Promise<{ body: Promise<Buffer> }> }> => {
  const waiting: Array<(read: { body: Promise<Buffer> }) => void> = []
  const server = createServer((req, res) => {
    const p = limit === undefined ? readBody(req) : readBody(req, limit)
    waiting.shift()?.({ body: p })
    p.then((b) => { res.end(String(b.length)) }, () => {
      res.writeHead(413, { Connection: 'close' })
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => { resolve() })
    server.closeAllConnections()
  }))
  return {
    port: (server.address() as AddressInfo).port,
    next: () => new Promise((resolve) => waiting.push(resolve)),
  }
}

/**
 * POSTs `chunks` (each written separately; chunked unless a Content-Length is given) and resolves
 * with the response. With `holdBody`, only the headers are sent.
 */
const post = (port: number, chunks: Buffer[], headers: OutgoingHttpHeaders = {}, holdBody = false): Promise<IncomingMessage> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      res.resume()
      resolve(res)
    })
    req.on('error', reject)
    if (holdBody) {
      req.flushHeaders()
      return
    }
    for (const c of chunks) req.write(c)
    req.end()
  })

t.test('readBody over a real connection', async (t) => {
  const limit = 100
  const { port, next } = await bodyServer(t, limit)

  await t.test('returns a normal body whole', async (t) => {
    const read = next()
    const res = post(port, [Buffer.from('{"action":'), Buffer.from('"get_logins"}')])
    t.same((await (await read).body).toString(), '{"action":"get_logins"}', 'both chunks, in order')
    t.equal((await res).statusCode, 200, 'the server answered')
  })

  await t.test('accepts a body of exactly the limit', async (t) => {
    const read = next()
    const body = Buffer.alloc(limit, 'a')
    const res = post(port, [body], { 'Content-Length': String(limit) })
    t.equal((await (await read).body).length, limit, `${limit} bytes with Content-Length ${limit}`)
    await res
    const read2 = next()
    const res2 = post(port, [body.subarray(0, 60), body.subarray(60)])
    t.equal((await (await read2).body).length, limit, `${limit} bytes chunked`)
    await res2
  })

  await t.test('refuses a declared Content-Length over the limit before reading the body', async (t) => {
    const read = next()
    // Only the headers are sent: the refusal cannot have come from reading the body.
    const res = post(port, [], { 'Content-Length': String(limit + 1) }, true)
    await t.rejects((await read).body, TOO_LARGE, 'Content-Length limit+1')
    const answer = await res
    t.equal(answer.statusCode, 413, 'the handler could still answer')
    answer.socket.destroy()
  })

  await t.test('refuses a chunked body as soon as it grows over the limit', async (t) => {
    const read = next()
    const res = post(port, [Buffer.alloc(60, 'a'), Buffer.alloc(60, 'b'), Buffer.alloc(60, 'c')])
    await t.rejects((await read).body, TOO_LARGE, '60 + 60 bytes chunked, no Content-Length')
    t.equal((await res).statusCode, 413, 'the handler could still answer')
  })

  await t.test('reads an empty body as no bytes', async (t) => {
    const read = next()
    const res = post(port, [])
    t.equal((await (await read).body).length, 0, 'an empty POST')
    await res
  })
})

t.test('readBody defaults to BODY_LIMIT (64 KiB)', async (t) => {
  t.equal(BODY_LIMIT, 64 * 1024, 'BODY_LIMIT is 64 KiB')
  const { port, next } = await bodyServer(t)
  const read = next()
  const ok = post(port, [Buffer.alloc(BODY_LIMIT, 'x')], { 'Content-Length': String(BODY_LIMIT) })
  t.equal((await (await read).body).length, BODY_LIMIT, 'exactly 64 KiB is read')
  await ok
  const read2 = next()
  const res = post(port, [], { 'Content-Length': String(BODY_LIMIT + 1) }, true)
  await t.rejects((await read2).body, TOO_LARGE, '64 KiB + 1 declared')
  ;(await res).socket.destroy()
})

const text = (s: string): Buffer => Buffer.from(s, 'utf8')

t.test('parseBody turns bodies into parameters', async (t) => {
  const cases: Array<[string, string | undefined, Buffer, Record<string, unknown>]> = [
    ['a JSON object', 'application/json', text('{"api-key":"k","action":"create_voucher","download_limit":1024}'),
      { 'api-key': 'k', action: 'create_voucher', download_limit: 1024 }],
    ['JSON with a charset', 'application/json; charset=utf-8', text('{"username":"é"}'), { username: 'é' }],
    ['JSON with the type in capitals', 'Application/JSON', text('{"a":null}'), { a: null }],
    ['a form (repeated name: last wins, + is a space, %-escapes decoded)', 'application/x-www-form-urlencoded',
      text('action=get_logins&fullname=John+Doe&fullname=Jane+Doe&valid_for=1%20day&x=%C3%A9'),
      { action: 'get_logins', fullname: 'Jane Doe', valid_for: '1 day', x: 'é' }],
    ['a form with a charset', 'application/x-www-form-urlencoded; charset=UTF-8', text('a=1'), { a: '1' }],
    ['no Content-Type, a body starting with {: JSON', undefined, text('{"action":"get_logins"}'), { action: 'get_logins' }],
    ['no Content-Type, JSON after blanks', undefined, text('\n  {"a":1}'), { a: 1 }],
    ['an empty Content-Type counts as none', '', text('{"a":1}'), { a: 1 }],
    ['no Content-Type otherwise: a form', undefined, text('api-key=k&action=get_logins'), { 'api-key': 'k', action: 'get_logins' }],
    ['a blank body', 'application/json', text(' \r\n\t'), {}],
    ['an empty body', undefined, Buffer.alloc(0), {}],
    ['a blank body of an unsupported type', 'text/plain', text(''), {}],
  ]
  for (const [name, type, body, expected] of cases) {
    t.strictSame(parseBody(type, body), expected, name)
  }
})

t.test('parseBody refuses what is not a JSON object or a form', async (t) => {
  const cases: Array<[string, string | undefined, Buffer, typeof MALFORMED]> = [
    ['a JSON array', 'application/json', text('[{"action":"get_logins"}]'), MALFORMED],
    ['a JSON number', 'application/json', text('42'), MALFORMED],
    ['a JSON string', 'application/json', text('"get_logins"'), MALFORMED],
    ['JSON null', 'application/json', text('null'), MALFORMED],
    ['JSON true', 'application/json', text('true'), MALFORMED],
    ['malformed JSON', 'application/json', text('{"action":'), MALFORMED],
    ['malformed JSON with no Content-Type', undefined, text('{action: get_logins}'), MALFORMED],
    ['invalid UTF-8 bytes in JSON', 'application/json', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), MALFORMED],
    ['invalid UTF-8 bytes in a form', 'application/x-www-form-urlencoded', Buffer.from([0x61, 0x3d, 0xc3, 0x28]), MALFORMED],
    ['text/plain', 'text/plain', text('api-key=k&action=get_logins'), UNSUPPORTED],
    ['multipart/form-data', 'multipart/form-data; boundary=x', text('--x\r\n'), UNSUPPORTED],
  ]
  for (const [name, type, body, expected] of cases) {
    t.throws(() => parseBody(type, body), expected, name)
  }
})

t.test('formParams keeps the last value of a repeated name', async (t) => {
  t.strictSame(formParams('a=1&b=2&a=3'), { a: '3', b: '2' }, 'a repeated, b once')
  t.strictSame(formParams(''), {}, 'an empty form')
})

t.test('a client that hangs up mid-body is a malformed request, not a failure of ours', async (t) => {
  const { port, next } = await bodyServer(t)
  const read = next()
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"api-key":')
  const { body } = await read
  socket.destroy()
  await t.rejects(body, MALFORMED, 'the unfinished body')
})
