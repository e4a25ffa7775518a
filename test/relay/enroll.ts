import t, { type Test } from 'tap'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ID_PATTERN, verifyCredential } from '../../src/cloud/credential'
import { isEnrollment } from '../../src/cloud/protocol'
import { Throttle } from '../../src/http/throttle'
import { createLogger } from '../../src/log'
import { bearerToken, handleEnroll, sameSecret, type EnrollDoor } from '../../src/relay/enroll'

const SECRET = Buffer.alloc(32, 3)
const KEY = 'enroll-key-0123456789'
const T0 = 1_700_000_000_000

/** An HTTP server on 127.0.0.1 whose every request is an enrollment from `client`, at public port 8443. */
const serve = async (t: Test, door: EnrollDoor, client = '198.51.100.9'): Promise<(auth?: string) => Promise<{ status: number; headers: Headers; json: unknown }>> => {
  const server = createServer((req, res) => { handleEnroll(door, req, res, client, 8443) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.hotspotd/enroll`
  return async (auth) => {
    const res = await fetch(url, { method: 'POST', headers: auth === undefined ? {} : { Authorization: auth } })
    return { status: res.status, headers: res.headers, json: await res.json() }
  }
}

const door = (o: Partial<EnrollDoor> = {}): EnrollDoor & { lines: string[] } => {
  const lines: string[] = []
  return {
    key: Buffer.from(KEY), secret: SECRET, domain: 'relay.example.net', throttle: new Throttle({ limit: 3, lockMs: 60_000 }),
    log: createLogger((l) => { lines.push(l) }, 'debug'), nowMs: () => T0, lines, ...o,
  }
}

t.test('the right key gets a fresh id, its credential and its endpoint', async (t) => {
  const d = door()
  const enroll = await serve(t, d)
  const a = await enroll(`Bearer ${KEY}`)
  t.equal(a.status, 200)
  t.ok(isEnrollment(a.json), 'an Enrollment')
  const e = a.json as { id: string; credential: string; endpoint: string }
  t.match(e.id, ID_PATTERN)
  t.equal(verifyCredential(SECRET, e.credential), e.id, 'the credential is genuine, for that id')
  t.equal(e.endpoint, `https://${e.id}.relay.example.net:8443/api/`, 'the endpoint names the public port')
  t.equal(a.headers.get('cache-control'), 'no-store', 'a credential is never cached')
  const b = (await enroll(`bearer   ${KEY}`)).json as { id: string }
  t.not(b.id, e.id, 'each enrollment is a new id')
  t.same(d.lines.filter((l) => l.includes('new endpoint')).length, 2, 'each is logged')
  t.notOk(d.lines.some((l) => l.includes(KEY) || l.includes(e.credential)), 'neither key nor credential is logged')
})

t.test('wrong or missing keys are refused with 401, and counted: then 429 whatever the key', async (t) => {
  const d = door()
  const enroll = await serve(t, d)
  const envelope = { message: 'Enrollment key is incorrect', error: true }
  const none = await enroll()
  t.same([none.status, none.json], [401, envelope], 'no Authorization')
  const basic = await enroll(`Basic ${KEY}`)
  t.same([basic.status, basic.json], [401, envelope], 'not a bearer token')
  const third = await enroll(`Bearer ${KEY}x`)
  t.same([third.status, third.json], [401, envelope], 'a wrong key; the third failure locks the address')
  const wrong = await enroll(`Bearer ${KEY}x`)
  t.same([wrong.status, wrong.json], [429, { message: 'Too many failed attempts, try again later', error: true }], 'locked: refused before the key is looked at')
  t.equal(wrong.headers.get('retry-after'), '60')
  const right = await enroll(`Bearer ${KEY}`)
  t.equal(right.status, 429, 'even the right key waits out the lock')
  t.match(d.lines.join('\n'), /warn: enroll: 3 wrong enrollment keys from 198\.51\.100\.9; refusing it for 60 s/)
  t.notOk(d.lines.some((l) => l.includes(KEY)), 'the key is never logged')
})

t.test('a right key forgets the address\'s failures', async (t) => {
  const d = door()
  const enroll = await serve(t, d)
  t.equal((await enroll('Bearer nope')).status, 401)
  t.equal((await enroll('Bearer nope')).status, 401)
  t.equal((await enroll(`Bearer ${KEY}`)).status, 200)
  t.equal((await enroll('Bearer nope')).status, 401, 'the count started again: not locked on the third wrong key overall')
  t.equal(d.throttle.size, 1)
})

t.test('without a key, enrollment is off: 404', async (t) => {
  const enroll = await serve(t, door({ key: undefined }))
  t.same((await enroll(`Bearer ${KEY}`)).json, { message: 'Not found', error: true })
})

t.test('the bearer token is read from the Authorization header', async (t) => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['Bearer abc', 'abc'], ['bearer abc', 'abc'], ['BEARER   abc  ', 'abc'], ['Basic abc', undefined],
    ['Bearer', undefined], ['Bearer a b', undefined], [undefined, undefined], ['Bearerabc', undefined],
  ]
  for (const [header, token] of cases) {
    const headers: IncomingHttpHeaders = header === undefined ? {} : { authorization: header }
    t.equal(bearerToken({ headers } as Parameters<typeof bearerToken>[0]), token, JSON.stringify(header))
  }
})

t.test('secrets compare equal only when equal, whatever their lengths', async (t) => {
  t.ok(sameSecret(Buffer.from('abc'), Buffer.from('abc')))
  t.notOk(sameSecret(Buffer.from('abc'), Buffer.from('abd')))
  t.notOk(sameSecret(Buffer.from('abc'), Buffer.from('abcd')))
  t.notOk(sameSecret(Buffer.from(''), Buffer.from('abc')))
})
