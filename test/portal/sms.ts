/**
 * @module test/portal/sms
 * The SMS gateway client against a real HTTP server on 127.0.0.1: fillTemplate (known and
 * unknown placeholders, replacement patterns in values); the request smsRequest builds; sendSms
 * with GET (values percent-encoded in the URL), POST with a form body, a JSON body (quotes,
 * backslashes, newlines, non-ASCII: the server parses exactly the values sent), a `+json` type
 * and a raw text/plain body; header templates (values raw, CR and LF turned into spaces);
 * success by status and by `successText` (found, missing, a body-less 204); failures as
 * SmsErrors that never hold the number, the code or the text: non-2xx statuses, a 302 that is
 * not followed, a gateway that never answers (timeout), a refused connection, a reply cut off,
 * an error without a code; and a huge reply read only up to 64 KiB.
 */
import t, { type Test } from 'tap'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { SmsConfig } from '../../src/config/config'
import { fillTemplate, sendSms, SmsError, smsRequest, type Fetch } from '../../src/portal/sms'

const TO = '+447700900123'
const CODE = '482915'
const TEXT = `Your Wi-Fi code: ${CODE}`

/** The gateway settings, with the defaults of the config where the test does not care. */
const smsConfig = (over: Partial<SmsConfig>): SmsConfig => ({
  url: 'http://127.0.0.1:9/',
  method: 'POST',
  body: 'to={to}&text={text}',
  contentType: 'application/x-www-form-urlencoded',
  headers: [],
  successText: '',
  countryCode: '',
  message: '',
  timeout: 5,
  maxPerHour: 100,
  ...over,
})

interface Seen { method: string; url: string; headers: IncomingHttpHeaders; body: string }

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

/**
 * A real gateway on 127.0.0.1 recording every request (with its whole body) and answering with
 * `handler` (200 'OK' by default).
 */
const gateway = async (t: Test, handler: Handler = (_req, res) => { res.end('OK') }): Promise<{ base: string; host: string; seen: Seen[] }> => {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      handler(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => { resolve() })
    server.closeAllConnections()
  }))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return { base: `http://${host}`, host, seen }
}

/** A port on 127.0.0.1 where nothing listens (a server was there and closed, never connected to). */
const closedPort = async (): Promise<number> => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

/** The SmsError sendSms rejects with; checks that its message gives away no number, code or text. */
const failure = async (t: Test, p: Promise<void>): Promise<string> => {
  const err = await p.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
  t.type(err, SmsError)
  const e = err as SmsError
  t.equal(e.code, 'SMS')
  for (const secret of [TO, TO.slice(1), CODE, 'Wi-Fi code']) t.notOk(e.message.includes(secret), `the message does not hold ${secret}`)
  return e.message
}

t.test('fillTemplate', async (t) => {
  const values = { to: '+44 1', text: 'a&b', code: '$&$1' }
  const upper = (v: string): string => `[${v.toUpperCase()}]`
  t.equal(fillTemplate('{to}|{text}|{code}', values, upper), '[+44 1]|[A&B]|[$&$1]', 'each value encoded; replacement patterns in values stay literal')
  t.equal(fillTemplate('{to}{to}', values, (v) => v), '+44 1+44 1', 'a placeholder used twice')
  t.equal(fillTemplate('{nope} {TO} {to_} {t o} {to {} {to}}', values, upper), '{nope} {TO} {to_} {t o} {to {} [+44 1]}',
    'unknown, upper-case and malformed placeholders stay as they are')
  t.equal(fillTemplate('{to_digits}', { to_digits: '44' }, (v) => v), '44', 'underscores in names')
  t.equal(fillTemplate('{tostring}{valueof}', values, upper), '{tostring}{valueof}', 'names that are no values')
  t.equal(fillTemplate('{constructor}{__proto__}{hasOwnProperty}', values, upper), '{constructor}{__proto__}{hasOwnProperty}',
    "inherited properties are no placeholders")
  t.equal(fillTemplate('', values, upper), '')
  const asked: string[] = []
  fillTemplate('{x}{to}', values, (v) => { asked.push(v); return v })
  t.same(asked, ['+44 1'], 'encode is called for known values only')
})

t.test('smsRequest', async (t) => {
  t.test('GET: the values in the URL, no body', async (t) => {
    const { url, init } = smsRequest(smsConfig({ method: 'GET', url: 'https://gw.example/send?to={to}&n={to_digits}&m={text}&c={code}', body: 'to={to}' }), TO, 'a b&c=d/é', CODE)
    t.equal(url, 'https://gw.example/send?to=%2B447700900123&n=447700900123&m=a%20b%26c%3Dd%2F%C3%A9&c=482915')
    t.same(Object.keys(init).sort(), ['headers', 'method', 'redirect', 'signal'])
    t.equal(init.method, 'GET')
    t.equal(init.redirect, 'manual')
    t.same(init.headers, {})
    t.type(init.signal, AbortSignal)
    t.equal(init.signal?.aborted, false)
  })
  t.test('POST: the body encoded by its type, and its Content-Type', async (t) => {
    const text = 'He said "hi" \\o/ é\nnext'
    const cases: Array<[contentType: string, body: string]> = [
      ['application/x-www-form-urlencoded', 'to=%2B447700900123&text=He%20said%20%22hi%22%20%5Co%2F%20%C3%A9%0Anext'],
      ['Application/X-WWW-Form-URLEncoded; charset=UTF-8', 'to=%2B447700900123&text=He%20said%20%22hi%22%20%5Co%2F%20%C3%A9%0Anext'],
      ['application/json', 'to=+447700900123&text=He said \\"hi\\" \\\\o/ é\\nnext'],
      ['application/JSON ; charset=utf-8', 'to=+447700900123&text=He said \\"hi\\" \\\\o/ é\\nnext'],
      ['application/vnd.api+json', 'to=+447700900123&text=He said \\"hi\\" \\\\o/ é\\nnext'],
      ['text/plain', 'to=+447700900123&text=He said "hi" \\o/ é\nnext'],
      ['application/jsonx', 'to=+447700900123&text=He said "hi" \\o/ é\nnext'],
      ['', 'to=+447700900123&text=He said "hi" \\o/ é\nnext'],
    ]
    for (const [contentType, body] of cases) {
      const { url, init } = smsRequest(smsConfig({ url: 'http://gw.example/{to}', contentType }), TO, text, CODE)
      t.equal(init.body, body, `body as ${JSON.stringify(contentType)}`)
      t.same(init.headers, { 'Content-Type': contentType })
      t.equal(url, 'http://gw.example/%2B447700900123', 'the URL is percent-encoded whatever the body')
    }
  })
  t.test('header templates: values raw, CR and LF made spaces, names trimmed', async (t) => {
    const { init } = smsRequest(smsConfig({
      method: 'GET',
      headers: ['Authorization: Bearer k-{to_digits}', 'X-To :{to}', 'X-Text:  {text}  ', 'X-Url: http://a.example/x?c={code}', 'X-Keep: {nope}', 'X-Empty:'],
    }), TO, 'line1\r\nline2\rline3\n', CODE)
    t.same(init.headers, {
      Authorization: 'Bearer k-447700900123',
      'X-To': '+447700900123',
      'X-Text': 'line1  line2 line3 ',
      'X-Url': 'http://a.example/x?c=482915',
      'X-Keep': '{nope}',
      'X-Empty': '',
    })
  })
  t.test('the Content-Type of the config overrides one in the headers', async (t) => {
    const { init } = smsRequest(smsConfig({ headers: ['Content-Type: text/plain'], contentType: 'application/json', body: '"{to}"' }), TO, TEXT, CODE)
    t.same(init.headers, { 'Content-Type': 'application/json' })
  })
  t.test('the timeout signal', async (t) => {
    const { init } = smsRequest(smsConfig({ timeout: 0.05 }), TO, TEXT, CODE)
    await new Promise((resolve) => setTimeout(resolve, 120))
    t.equal(init.signal?.aborted, true, 'aborts after the configured seconds')
    t.equal((init.signal?.reason as Error).name, 'TimeoutError')
  })
})

t.test('GET with the values percent-encoded in the URL', async (t) => {
  const gw = await gateway(t)
  const text = 'Code 482915 & more=é ü/?#+'
  await sendSms(smsConfig({ method: 'GET', url: `${gw.base}/send?to={to}&digits={to_digits}&text={text}&code={code}&keep={unknown}` }), TO, text, CODE)
  t.equal(gw.seen.length, 1)
  const [req] = gw.seen
  t.equal(req?.method, 'GET')
  t.equal(req?.url, '/send?to=%2B447700900123&digits=447700900123&text=Code%20482915%20%26%20more%3D%C3%A9%20%C3%BC%2F%3F%23%2B&code=482915&keep={unknown}')
  const q = new URL(req?.url ?? '', 'http://x').searchParams
  t.same([...q], [['to', TO], ['digits', '447700900123'], ['text', text], ['code', CODE], ['keep', '{unknown}']], 'the server reads the exact values')
  t.equal(req?.headers['content-type'], undefined, 'no body, no Content-Type')
  t.equal(req?.body, '')
})

t.test('POST with a form body', async (t) => {
  const gw = await gateway(t)
  const text = 'a+b c&d=e %20 é\n'
  await sendSms(smsConfig({ url: `${gw.base}/sms/{to_digits}`, body: 'From=Hotspot&To={to}&Body={text}&X={nope}' }), TO, text, CODE)
  const [req] = gw.seen
  t.equal(req?.method, 'POST')
  t.equal(req?.url, '/sms/447700900123')
  t.equal(req?.headers['content-type'], 'application/x-www-form-urlencoded')
  t.equal(req?.body, 'From=Hotspot&To=%2B447700900123&Body=a%2Bb%20c%26d%3De%20%2520%20%C3%A9%0A&X={nope}')
  t.same([...new URLSearchParams(req?.body)], [['From', 'Hotspot'], ['To', TO], ['Body', text], ['X', '{nope}']], 'the server reads the exact values')
})

t.test('POST with a JSON body', async (t) => {
  const gw = await gateway(t)
  const text = 'He said "hi" \\ back\nline 2\ttab\r\u0000 é ß 中文 😀 \u2028 </script> {to}'
  await sendSms(smsConfig({
    url: `${gw.base}/json`,
    contentType: 'application/json; charset=utf-8',
    body: '{"to":"{to}","text":"{text}","code":"{code}","digits":"{to_digits}","other":"{other}"}',
  }), TO, text, CODE)
  const [req] = gw.seen
  t.equal(req?.headers['content-type'], 'application/json; charset=utf-8')
  t.same(JSON.parse(req?.body ?? ''), { to: TO, text, code: CODE, digits: '447700900123', other: '{other}' }, 'the server parses the exact values')
})

t.test('POST with a raw text/plain body', async (t) => {
  const gw = await gateway(t)
  await sendSms(smsConfig({ url: gw.base, contentType: 'text/plain', body: '{to}\n{text}\n{x}' }), TO, 'a&b "c" é', CODE)
  const [req] = gw.seen
  t.equal(req?.url, '/')
  t.equal(req?.headers['content-type'], 'text/plain')
  t.equal(req?.body, '+447700900123\na&b "c" é\n{x}')
})

t.test('headers from templates reach the gateway', async (t) => {
  const gw = await gateway(t)
  await sendSms(smsConfig({
    method: 'GET',
    url: `${gw.base}/h`,
    headers: ['Authorization: Bearer k-{to_digits}', 'X-Api-Key: s3cret', 'X-Code: {code}', 'X-Text: {text}', 'X-Other: {other}'],
  }), TO, 'two\nlines', CODE)
  const [req] = gw.seen
  t.equal(req?.headers.authorization, 'Bearer k-447700900123')
  t.equal(req?.headers['x-api-key'], 's3cret')
  t.equal(req?.headers['x-code'], CODE)
  t.equal(req?.headers['x-text'], 'two lines')
  t.equal(req?.headers['x-other'], '{other}')
})

t.test('success is a 2xx status, and successText in the body when set', async (t) => {
  const status = { code: 200, body: 'status=OK id=1' }
  const gw = await gateway(t, (_req, res) => { res.writeHead(status.code); res.end(status.body) })
  const send = (over: Partial<SmsConfig>): Promise<void> => sendSms(smsConfig({ url: gw.base, ...over }), TO, TEXT, CODE)
  await t.resolves(send({}), '200, no successText')
  await t.resolves(send({ successText: 'status=OK' }), '200 with the text')
  t.equal(await failure(t, send({ successText: 'status=SENT' })), `SMS gateway ${gw.host} answered without 'status=SENT'`)
  status.code = 201
  status.body = ''
  await t.resolves(send({}), '201 with an empty body')
  t.equal(await failure(t, send({ successText: 'OK' })), `SMS gateway ${gw.host} answered without 'OK'`, 'an empty body lacks the text')
  status.code = 204
  await t.resolves(send({}), '204: no body at all')
  t.equal(await failure(t, send({ successText: 'OK' })), `SMS gateway ${gw.host} answered without 'OK'`, 'a 204 lacks the text')
  status.code = 299
  status.body = 'OK'
  await t.resolves(send({ successText: 'OK' }), '299')
  t.equal(gw.seen.length, 8)
})

t.test('a status other than 2xx fails, whatever the body', async (t) => {
  const status = { code: 503 }
  const gw = await gateway(t, (_req, res) => { res.writeHead(status.code); res.end(`OK ${TO} ${CODE}`) })
  const send = (): Promise<void> => sendSms(smsConfig({ url: `${gw.base}/?to={to}&c={code}`, successText: 'OK' }), TO, TEXT, CODE)
  t.equal(await failure(t, send()), `SMS gateway ${gw.host} answered HTTP 503`)
  for (const code of [300, 304, 400, 401, 404, 429, 500]) {
    status.code = code
    t.equal(await failure(t, send()), `SMS gateway ${gw.host} answered HTTP ${code}`)
  }
})

t.test('a redirect is not followed and fails', async (t) => {
  const gw = await gateway(t, (req, res) => {
    if (req.url === '/moved') res.end('OK')
    else { res.writeHead(Number(req.url?.slice(1)), { Location: '/moved' }); res.end() }
  })
  for (const code of [301, 302, 303, 307, 308]) {
    t.equal(await failure(t, sendSms(smsConfig({ url: `${gw.base}/${code}`, headers: ['Authorization: Bearer k'] }), TO, TEXT, CODE)),
      `SMS gateway ${gw.host} answered HTTP ${code}`)
  }
  t.same(gw.seen.map((s) => s.url), ['/301', '/302', '/303', '/307', '/308'], 'the new location was never asked')
})

t.test('a gateway that never answers times out', async (t) => {
  const gw = await gateway(t, () => undefined)
  const started = Date.now()
  t.equal(await failure(t, sendSms(smsConfig({ url: `${gw.base}/slow`, timeout: 1 }), TO, TEXT, CODE)), `SMS gateway ${gw.host}: no answer within 1 s`)
  const took = Date.now() - started
  t.ok(took >= 950 && took < 2500, `after about 1 s (${took} ms)`)
  t.equal(gw.seen.length, 1, 'the request did arrive')
})

t.test('a refused connection', async (t) => {
  const port = await closedPort()
  t.equal(await failure(t, sendSms(smsConfig({ url: `http://127.0.0.1:${port}/send?to={to}` }), TO, TEXT, CODE)),
    `SMS gateway 127.0.0.1:${port}: ECONNREFUSED`)
})

t.test('a reply cut off', async (t) => {
  const gw = await gateway(t, (_req, res) => {
    res.writeHead(200, { 'Content-Length': '1000' })
    res.write('OK, partial', () => { res.socket?.destroy() })
  })
  t.equal(await failure(t, sendSms(smsConfig({ url: gw.base }), TO, TEXT, CODE)), `SMS gateway ${gw.host}: reply cut off (terminated)`)
})

t.test('an error without a code gives its message', async (t) => {
  const calls: Array<[string, RequestInit | undefined]> = []
  const failing: Fetch = async (input, init) => {
    calls.push([String(input), init])
    throw new Error('something broke')
  }
  t.equal(await failure(t, sendSms(smsConfig({ url: 'http://gw.example:8080/{to}' }), TO, TEXT, CODE, failing)), 'SMS gateway gw.example:8080: something broke')
  t.equal(calls.length, 1)
  t.equal(calls[0]?.[0], 'http://gw.example:8080/%2B447700900123', 'the fetch passed is used, with the request built')
  t.equal(calls[0]?.[1]?.body, 'to=%2B447700900123&text=Your%20Wi-Fi%20code%3A%20482915')
  const causeless: Fetch = async () => { throw new TypeError('fetch failed', { cause: new Error('no code here') }) }
  t.equal(await failure(t, sendSms(smsConfig({ url: 'https://gw.example/' }), TO, TEXT, CODE, causeless)), 'SMS gateway gw.example: no code here',
    'the reason undici keeps in cause')
  const bare: Fetch = async () => { throw new TypeError('fetch failed') }
  t.equal(await failure(t, sendSms(smsConfig({ url: 'https://gw.example/' }), TO, TEXT, CODE, bare)), 'SMS gateway gw.example: fetch failed', 'no cause at all')
  t.equal(await failure(t, sendSms(smsConfig({ url: 'http://127.0.0.1:{to_digits}/' }), TO, TEXT, CODE, bare)),
    'SMS gateway: the URL is not a URL once filled in (a placeholder in its host or port?)', 'a placeholder that breaks the URL: said without the number')
})

t.test('a huge reply is read only up to 64 KiB', async (t) => {
  const body = { data: Buffer.alloc(0) }
  const gw = await gateway(t, (_req, res) => { res.end(body.data) })
  const send = (): Promise<void> => sendSms(smsConfig({ url: gw.base, successText: 'DONE' }), TO, TEXT, CODE)
  const filler = (n: number): Buffer => Buffer.alloc(n, 'x')
  body.data = Buffer.concat([filler(64 * 1024), Buffer.from('DONE'), filler(1024 * 1024)])
  t.equal(await failure(t, send()), `SMS gateway ${gw.host} answered without 'DONE'`, 'the text just past 64 KiB is not seen')
  body.data = Buffer.concat([filler(64 * 1024 - 3), Buffer.from('DONE'), filler(1024 * 1024)])
  t.equal(await failure(t, send()), `SMS gateway ${gw.host} answered without 'DONE'`, 'the text across the limit is not seen')
  body.data = Buffer.concat([filler(64 * 1024 - 4), Buffer.from('DONE'), filler(1024 * 1024)])
  await t.resolves(send(), 'the text ending at the 64th KiB is seen')
  body.data = Buffer.concat([filler(1000), Buffer.from('DONE')])
  await t.resolves(send(), 'a small reply is read whole')
})

t.test('a reply that never ends is read only up to 64 KiB', async (t) => {
  const gw = await gateway(t, (_req, res) => {
    res.writeHead(200)
    res.write(Buffer.concat([Buffer.from('DONE'), Buffer.alloc(70 * 1024, 'x')]))
    // ... and nothing more, ever: reading to the end would wait for the timeout.
  })
  const started = Date.now()
  await t.resolves(sendSms(smsConfig({ url: gw.base, successText: 'DONE', timeout: 2 }), TO, TEXT, CODE))
  const took = Date.now() - started
  t.ok(took < 1000, `at once (${took} ms), without waiting for the end`)
})
