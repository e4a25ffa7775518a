/**
 * @module test/portal/facebook
 * Facebook sign-in against a fake Graph API on 127.0.0.1 that checks what it is sent (the code
 * exchange's client_id, redirect_uri, client_secret and code; the profile call's fields, token
 * and appsecret_proof): dialogUrl (the exact URL, a redirect URI that needs encoding); the
 * profile with and without e-mail, a missing or odd name, missing and invalid ids; Graph's error
 * objects at each step (with and without a message, with a 200 status), non-JSON and non-object
 * answers, a missing access token, a redirect (refused), an unreachable Graph and one that never
 * answers, each a FacebookError whose message never holds the secret, the code or the token.
 */
import t, { type Test } from 'tap'
import { createHmac } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FacebookConfig } from '../../src/config/config'
import { dialogUrl, FacebookError, facebookProfile } from '../../src/portal/facebook'
import type { Fetch } from '../../src/portal/sms'

const APP_ID = '1234567890123'
const SECRET = 'f00dfacec0ffee5ecret'
const VERSION = 'v21.0'
const CODE = 'AQDxyz-the-code_from/facebook'
const TOKEN = 'EAAGm0PX4ZCpsBA-user-token'
const REDIRECT = 'http://10.0.0.1:2050/hs/facebook?x=1&y=ä b'
const ADA = { id: '10158812345678901', name: 'Ada Lovelace', email: 'ada@example.org' }

const proofOf = (token: string, secret = SECRET): string => createHmac('sha256', secret).update(token).digest('hex')

const fbConfig = (base: string, over: Partial<FacebookConfig> = {}): FacebookConfig => ({
  appId: APP_ID,
  appSecret: SECRET,
  redirectUri: '',
  apiVersion: VERSION,
  dialogUrl: base,
  graphUrl: base,
  ...over,
})

/** What one step of the fake Graph answers: a status and a raw body, or its own handling. */
type Answer = { status: number; body: string } | ((res: ServerResponse) => void)

const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body) })

const graphError = (message: string, code = 100): Answer => json(400, { error: { message, type: 'OAuthException', code, fbtrace_id: 'Axyz' } })

interface Graph {
  base: string
  /** Every request: its path and its query as pairs, in order. */
  seen: Array<{ path: string; query: Array<[string, string]> }>
  /** What the code exchange answers once it accepted the request (undefined: the token). */
  token: Answer | undefined
  /** What /me answers once it accepted the request (Ada by default). */
  me: Answer
  /** The token the fake hands out and expects back (TOKEN by default). */
  issued: string
  /** The app secret the fake expects, and checks the proof with (SECRET by default). */
  secret: string
}

/** Answers when `query` holds exactly `want` (any order), else Graph's error for a bad parameter. */
const exactly = (query: URLSearchParams, want: Record<string, string>): string | undefined => {
  const keys = [...query.keys()].sort()
  if (keys.join() !== Object.keys(want).sort().join()) return `Unexpected parameters: ${keys.join()}`
  for (const [k, v] of Object.entries(want)) if (query.get(k) !== v) return `Invalid ${k}`
  return undefined
}

/** A fake Graph API checking the requests as Facebook does, on 127.0.0.1. */
const fakeGraph = async (t: Test): Promise<Graph> => {
  const g: Graph = {
    base: '',
    seen: [],
    token: undefined,
    me: json(200, ADA),
    issued: TOKEN,
    secret: SECRET,
  }
  const reply = (res: ServerResponse, a: Answer): void => {
    if (typeof a === 'function') return a(res)
    res.writeHead(a.status, { 'Content-Type': 'application/json; charset=UTF-8' })
    res.end(a.body)
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '', 'http://graph')
    g.seen.push({ path: url.pathname, query: [...url.searchParams] })
    if (req.method !== 'GET') return reply(res, graphError('Unsupported method'))
    if (url.pathname === `/${VERSION}/oauth/access_token`) {
      const bad = exactly(url.searchParams, { client_id: APP_ID, redirect_uri: REDIRECT, client_secret: g.secret, code: CODE })
      if (bad !== undefined) return reply(res, graphError(bad))
      return reply(res, g.token ?? json(200, { access_token: g.issued, token_type: 'bearer', expires_in: 5183944 }))
    }
    if (url.pathname === `/${VERSION}/me`) {
      const bad = exactly(url.searchParams, { fields: 'id,name,email', access_token: g.issued, appsecret_proof: proofOf(g.issued, g.secret) })
      if (bad !== undefined) return reply(res, graphError(bad, 190))
      return reply(res, g.me)
    }
    return reply(res, graphError('Unknown path components', 2500))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => { resolve() })
    server.closeAllConnections()
  }))
  g.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return g
}

/** The FacebookError a sign-in fails with; checks it gives away no secret, code, token or proof. */
const failure = async (t: Test, p: Promise<unknown>, token = TOKEN): Promise<string> => {
  const err = await p.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
  t.type(err, FacebookError)
  const e = err as FacebookError
  t.equal(e.code, 'FACEBOOK')
  for (const secret of [SECRET, CODE, token, proofOf(token)]) t.notOk(e.message.includes(secret), 'the message holds no secret, code, token or proof')
  return e.message
}

const signIn = (g: Graph, over: Partial<FacebookConfig> = {}): ReturnType<typeof facebookProfile> =>
  facebookProfile(fbConfig(g.base, over), REDIRECT, CODE)

t.test('dialogUrl', async (t) => {
  const fb = fbConfig('https://www.facebook.example', { dialogUrl: 'https://www.facebook.example', apiVersion: 'v19.0' })
  const url = dialogUrl(fb, REDIRECT, 'st/a+te=')
  t.equal(url, 'https://www.facebook.example/v19.0/dialog/oauth?client_id=1234567890123' +
    '&redirect_uri=http%3A%2F%2F10.0.0.1%3A2050%2Fhs%2Ffacebook%3Fx%3D1%26y%3D%C3%A4+b' +
    '&state=st%2Fa%2Bte%3D&response_type=code&scope=email')
  const parsed = new URL(url)
  t.same([...parsed.searchParams], [['client_id', APP_ID], ['redirect_uri', REDIRECT], ['state', 'st/a+te='], ['response_type', 'code'], ['scope', 'email']],
    'the parameters read back exactly')
  t.equal(dialogUrl(fbConfig('http://127.0.0.1:9'), 'https://portal.example/hs/facebook', 'abc'),
    'http://127.0.0.1:9/v21.0/dialog/oauth?client_id=1234567890123&redirect_uri=https%3A%2F%2Fportal.example%2Fhs%2Ffacebook&state=abc&response_type=code&scope=email',
    'the dialog origin and version of the config')
  t.notOk(url.includes(SECRET), 'no secret in the dialog URL')
})

t.test('a sign-in: the code exchange, then the signed profile call', async (t) => {
  const g = await fakeGraph(t)
  t.same(await signIn(g), { id: ADA.id, name: ADA.name, email: ADA.email })
  t.same(g.seen, [
    { path: '/v21.0/oauth/access_token', query: [['client_id', APP_ID], ['redirect_uri', REDIRECT], ['client_secret', SECRET], ['code', CODE]] },
    { path: '/v21.0/me', query: [['fields', 'id,name,email'], ['access_token', TOKEN], ['appsecret_proof', proofOf(TOKEN)]] },
  ])
})

t.test('appsecret_proof is HMAC-SHA256 of the token keyed by the app secret, in hex', async (t) => {
  const g = await fakeGraph(t)
  // The well-known HMAC-SHA256 example: key 'key', the fox sentence.
  g.secret = 'key'
  g.issued = 'The quick brown fox jumps over the lazy dog'
  t.same(await signIn(g, { appSecret: 'key' }), { id: ADA.id, name: ADA.name, email: ADA.email })
  t.same(g.seen[1]?.query, [['fields', 'id,name,email'], ['access_token', g.issued], ['appsecret_proof', 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8']])
})

t.test('the profile: name and e-mail as shared', async (t) => {
  const g = await fakeGraph(t)
  const cases: Array<[me: unknown, want: { id: string; name: string; email: string | null }, why: string]> = [
    [{ id: '42', name: 'Bo', email: 'bo@example.org' }, { id: '42', name: 'Bo', email: 'bo@example.org' }, 'all three'],
    [{ id: '42', name: 'Bo' }, { id: '42', name: 'Bo', email: null }, 'no e-mail shared'],
    [{ id: '42', name: 'Bo', email: '' }, { id: '42', name: 'Bo', email: null }, 'an empty e-mail'],
    [{ id: '42', name: 'Bo', email: 17 }, { id: '42', name: 'Bo', email: null }, 'an e-mail that is no string'],
    [{ id: '42', email: 'bo@example.org' }, { id: '42', name: '', email: 'bo@example.org' }, 'no name'],
    [{ id: '42', name: null }, { id: '42', name: '', email: null }, 'a null name'],
    [{ id: '42', name: ['Bo'] }, { id: '42', name: '', email: null }, 'a name that is no string'],
    [{ id: '1'.repeat(32), name: 'Ünïcødé 名前' }, { id: '1'.repeat(32), name: 'Ünïcødé 名前', email: null }, 'a 32-digit id, a non-ASCII name'],
    [{ id: '7', name: 'Bo', email: 'bo@example.org', extra: { x: 1 } }, { id: '7', name: 'Bo', email: 'bo@example.org' }, 'extra fields ignored'],
  ]
  for (const [me, want, why] of cases) {
    g.me = json(200, me)
    t.same(await signIn(g), want, why)
  }
})

t.test('an answer without a valid user id', async (t) => {
  const g = await fakeGraph(t)
  for (const me of [{ name: 'Bo' }, { id: 42, name: 'Bo' }, { id: '' }, { id: 'abc' }, { id: '12a' }, { id: ' 12' }, { id: '-1' }, { id: '1'.repeat(33) }, { id: null }, [ADA], 'x', 7, null]) {
    g.me = json(200, me)
    t.equal(await failure(t, signIn(g)), 'Facebook profile: no user id in the answer', JSON.stringify(me))
  }
})

t.test("Graph's error objects at the code exchange", async (t) => {
  const g = await fakeGraph(t)
  t.equal(await failure(t, facebookProfile(fbConfig(g.base), REDIRECT, 'stale-code')), 'Facebook code exchange: Invalid code', 'a wrong code (checked by the fake)')
  t.equal(await failure(t, signIn(g, { appSecret: 'wrong' })), 'Facebook code exchange: Invalid client_secret', 'a wrong secret')
  t.equal(await failure(t, signIn(g, { appId: '999' })), 'Facebook code exchange: Invalid client_id')
  t.equal(await failure(t, facebookProfile(fbConfig(g.base), 'http://other.example/', CODE)), 'Facebook code exchange: Invalid redirect_uri')
  t.equal(await failure(t, signIn(g, { apiVersion: 'v2.0' })), 'Facebook code exchange: Unknown path components', 'a path the fake does not know')
  const cases: Array<[Answer, string, string]> = [
    [graphError('This authorization code has been used.'), 'Facebook code exchange: This authorization code has been used.', '400 with a message'],
    [json(200, { error: { message: 'Error validating verification code.' } }), 'Facebook code exchange: Error validating verification code.', '200 with an error object'],
    [json(400, { error: { type: 'OAuthException', code: 1 } }), 'Facebook code exchange: HTTP 400', 'an error without a message'],
    [json(400, { error: { message: 42 } }), 'Facebook code exchange: HTTP 400', 'a message that is no string'],
    [json(200, { error: 'nope' }), 'Facebook code exchange: HTTP 200', 'an error that is no object'],
    [json(500, { access_token: TOKEN }), 'Facebook code exchange: HTTP 500', 'a token with an error status'],
    [json(503, [{ error: { message: 'm' } }]), 'Facebook code exchange: HTTP 503', 'an array'],
    [json(401, null), 'Facebook code exchange: HTTP 401', 'null'],
  ]
  for (const [answer, want, why] of cases) {
    g.token = answer
    g.seen.length = 0
    t.equal(await failure(t, signIn(g)), want, why)
    t.equal(g.seen.length, 1, `${why}: the profile is not asked for`)
  }
})

t.test("Graph's error objects at the profile call", async (t) => {
  const g = await fakeGraph(t)
  g.token = json(200, { access_token: 'EAAG-other-token' })
  t.equal(await failure(t, signIn(g), 'EAAG-other-token'), 'Facebook profile: Invalid access_token', 'the fake checks the token it issued')
  g.token = undefined
  const cases: Array<[Answer, string, string]> = [
    [graphError('Error validating access token: Session has expired.', 190), 'Facebook profile: Error validating access token: Session has expired.', '400 with a message'],
    [json(200, { id: ADA.id, error: { message: 'Invalid appsecret_proof provided in the API argument' } }), 'Facebook profile: Invalid appsecret_proof provided in the API argument', '200 with an error object and an id'],
    [json(403, { id: ADA.id }), 'Facebook profile: HTTP 403', 'an id with an error status'],
    [json(400, { error: {} }), 'Facebook profile: HTTP 400', 'an empty error object'],
  ]
  for (const [answer, want, why] of cases) {
    g.me = answer
    t.equal(await failure(t, signIn(g)), want, why)
  }
})

t.test('answers that are not JSON', async (t) => {
  const g = await fakeGraph(t)
  g.token = { status: 200, body: 'access_token=EAAG&expires=5183944' }
  t.equal(await failure(t, signIn(g)), 'Facebook code exchange: not JSON', 'the old form-encoded answer')
  g.token = { status: 502, body: '<html>Bad Gateway</html>' }
  t.equal(await failure(t, signIn(g)), 'Facebook code exchange: not JSON', 'an HTML error page')
  g.token = { status: 200, body: '' }
  t.equal(await failure(t, signIn(g)), 'Facebook code exchange: not JSON', 'an empty body')
  g.token = json(200, { access_token: TOKEN })
  g.me = { status: 200, body: '{"id":"42",' }
  t.equal(await failure(t, signIn(g)), 'Facebook profile: not JSON', 'a truncated profile')
})

t.test('an answer without an access token', async (t) => {
  const g = await fakeGraph(t)
  const answers: unknown[] = [{}, { token_type: 'bearer', expires_in: 60 }, { access_token: '' }, { access_token: 12345 }, { access_token: null }, { access_token: [TOKEN] }, null, [], [TOKEN], TOKEN, 42]
  for (const body of answers) {
    g.token = json(200, body)
    g.seen.length = 0
    t.equal(await failure(t, signIn(g)), 'Facebook code exchange: no access token in the answer', JSON.stringify(body))
    t.equal(g.seen.length, 1, 'the profile is not asked for')
  }
})

t.test('a redirect is refused', async (t) => {
  const g = await fakeGraph(t)
  const redirect = (location: string): Answer => (res) => { res.writeHead(302, { Location: location }); res.end() }
  g.token = redirect(`/${VERSION}/oauth/access_token?elsewhere=1`)
  t.equal(await failure(t, signIn(g)), 'Facebook code exchange: unexpected redirect')
  t.equal(g.seen.length, 1, 'the new location was never asked')
  g.token = json(200, { access_token: TOKEN })
  g.me = redirect('http://127.0.0.1:9/steal')
  g.seen.length = 0
  t.equal(await failure(t, signIn(g)), 'Facebook profile: unexpected redirect')
  t.same(g.seen.map((s) => s.path), ['/v21.0/oauth/access_token', '/v21.0/me'])
})

t.test('an unreachable Graph', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  t.equal(await failure(t, facebookProfile(fbConfig(`http://127.0.0.1:${port}`), REDIRECT, CODE)), 'Facebook code exchange: ECONNREFUSED')
})

t.test('a Graph that never answers', async (t) => {
  const g = await fakeGraph(t)
  g.token = () => undefined
  const inits: Array<RequestInit | undefined> = []
  // The real fetch with the module's options, but a 100 ms deadline instead of its 10 s.
  const impatient: Fetch = async (input, init) => {
    inits.push(init)
    return fetch(input, { ...init, signal: AbortSignal.timeout(100) })
  }
  t.equal(await failure(t, facebookProfile(fbConfig(g.base), REDIRECT, CODE, impatient)), 'Facebook code exchange: no answer within 10 s')
  t.equal(inits.length, 1)
  t.equal(inits[0]?.redirect, 'error', 'redirects are refused')
  t.type(inits[0]?.signal, AbortSignal, 'with a deadline')
  t.equal(inits[0]?.signal?.aborted, false, 'the 10 s deadline has not passed')
  g.token = json(200, { access_token: TOKEN })
  g.me = () => undefined
  t.equal(await failure(t, facebookProfile(fbConfig(g.base), REDIRECT, CODE, impatient)), 'Facebook profile: no answer within 10 s')
})

t.test('other errors give their message', async (t) => {
  const broken: Fetch = async () => { throw new Error('socket hang up') }
  t.equal(await failure(t, facebookProfile(fbConfig('http://graph.example'), REDIRECT, CODE, broken)), 'Facebook code exchange: socket hang up')
  const coded: Fetch = async () => { throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND graph.example'), { code: 'ENOTFOUND' }) }) }
  t.equal(await failure(t, facebookProfile(fbConfig('http://graph.example'), REDIRECT, CODE, coded)), 'Facebook code exchange: ENOTFOUND')
  const cut: Fetch = async () => new Response(new ReadableStream({ start (c) { c.error(new Error('terminated')) } }), { status: 200 })
  t.equal(await failure(t, facebookProfile(fbConfig('http://graph.example'), REDIRECT, CODE, cut)), 'Facebook code exchange: terminated', 'a body that breaks off')
})
