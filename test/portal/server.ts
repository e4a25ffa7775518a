import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createPortal, voucherCodeOf, type PortalDoor, type PortalServerSettings } from '../../src/portal/server'
import type { PortalLoginDeps, PortalSettings } from '../../src/portal/login'
import { NdsctlError, type NdsGrant } from '../../src/backend/ndsctl'
import type { NdsClient } from '../../src/backend/nds-json'
import { Throttle } from '../../src/http/throttle'
import { testContext, NOW } from '../fixtures/context'
import { escapeHtml } from '../../src/portal/pages'
import { STRINGS } from '../../src/portal/strings'
import { OtpBook } from '../../src/portal/mobile'
import type { FacebookConfig } from '../../src/config/config'

const NOW_S = Math.floor(NOW.getTime() / 1000)
const MAC = '00:1A:2B:3C:4D:5E' // universally administered: a device's own address
const PRIVATE_MAC = '5A:77:00:00:00:11' // locally administered: a phone's private address
const LEVEL0 = 'authaction=http://10.77.0.1:2050/opennds_auth/?clientip=127.0.0.1&gatewayname=Caf%c3%a9%20%3cb%3e&tok=ea3380f6&redir=http%3a%2f%2fexample.com%2fnews'

interface Rig {
  base: string
  auths: Array<{ target: string; grant: NdsGrant }>
  nds: { state: NdsClient['state'] | undefined; mac: string; fail: Error | undefined }
  lines: string[]
  door: PortalDoor
  visits: () => number
  /** Text messages sent. */
  sms: Array<{ to: string; text: string }>
}

const FACEBOOK: FacebookConfig = {
  appId: '4242', appSecret: 'app-secret', redirectUri: 'https://portal.example/fb', apiVersion: 'v21.0',
  dialogUrl: 'https://www.facebook.com', graphUrl: 'https://graph.facebook.com',
}

const client = (mac: string, state: string): NdsClient => ({
  mac, ip: '127.0.0.1', token: 'ea3380f6', state, clientif: 'guest0', sessionStart: null, sessionEnd: null, lastActive: null,
  custom: null, downloadQuotaKiB: null, uploadQuotaKiB: null, downloadKiB: 0, uploadKiB: 0, version: '9.10.0',
})

const rig = async (t: Test, over: { settings?: Partial<PortalServerSettings>; login?: Partial<PortalSettings>; subnets?: string; door?: Partial<PortalDoor> } = {}): Promise<Rig> => {
  const { ctx, lines } = testContext(t)
  lines.length = 0
  const auths: Rig['auths'] = []
  const nds: Rig['nds'] = { state: 'Preauthenticated', mac: MAC, fail: undefined }
  const loginSettings: PortalSettings = {
    voucher: true, email: true, mobile: true, facebook: true, free: true, countryCode: '44', smsPerHour: 100,
    maxDevices: 1, maxSessionMinutes: 1440, guestMinutes: 60, ...over.login,
  }
  const sms: Rig['sms'] = []
  const login: PortalLoginDeps = {
    store: ctx.store,
    ndsctl: { auth: async (target, grant) => { auths.push({ target, grant }); nds.state = 'Authenticated' } },
    usage: () => ({ downloadBytes: 0, uploadBytes: 0 }),
    noteFirstLogin: () => {},
    log: ctx.log,
    emit: ctx.emit,
    now: () => NOW_S,
    settings: () => loginSettings,
    throttle: new Throttle({ limit: 2, windowMs: 600_000, lockMs: 600_000 }),
    otp: new OtpBook({}, () => 42),
    sendSms: async (to, text) => { sms.push({ to, text }) },
  }
  const settings: PortalServerSettings = {
    path: '/portal/', gateway: '10.77.0.1:2050', methods: { voucher: true, email: true, mobile: true, facebook: true, free: true },
    landing: 'https://example.org/', smsMessage: '', facebook: FACEBOOK, ...over.settings,
  }
  const [network, prefix] = (over.subnets ?? '127.0.0.0/8').split('/')
  const door: PortalDoor = {
    login,
    ndsctl: {
      client: async () => {
        if (nds.fail !== undefined) throw nds.fail
        return nds.state === undefined ? undefined : client(nds.mac, nds.state)
      },
    },
    settings: () => settings,
    subnets: () => [{ network: network as string, prefix: Number(prefix) }],
    log: ctx.log,
    ...over.door,
  }
  const portal = createPortal(door)
  const server = createServer((req, res) => { void portal.handle(req, res) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() }))
  const { port } = server.address() as AddressInfo
  return { base: `http://127.0.0.1:${port}`, auths, nds, lines, door, visits: portal.visits, sms }
}

const sidOf = (html: string): string => /name="sid" value="([0-9a-f]{32})"/.exec(html)?.[1] as string

/** Opens the sign-in page and posts a form on it. */
const signIn = async (r: Rig, fields: Record<string, string>, sid?: string): Promise<{ status: number; html: string; headers: Headers }> => {
  const page = sid ?? sidOf(await (await fetch(`${r.base}/portal/?${LEVEL0}`)).text())
  const res = await fetch(`${r.base}/portal/login`, { method: 'POST', body: new URLSearchParams({ sid: page, ...fields }), redirect: 'manual' })
  return { status: res.status, html: await res.text(), headers: res.headers }
}

t.test('the sign-in page, for the guest openNDS sent', async (t) => {
  const r = await rig(t)
  const res = await fetch(`${r.base}/portal/?${LEVEL0}`, { headers: { 'Accept-Language': 'de-AT,de;q=0.9,en;q=0.5' } })
  const html = await res.text()
  t.equal(res.status, 200)
  t.match(res.headers.get('content-security-policy'), /default-src 'none'/)
  t.match(html, /<html lang="de">/, 'in the guest\'s language')
  t.match(html, 'Café &lt;b&gt;', 'the gateway name, escaped')
  t.match(html, 'name="method" value="voucher"')
  t.match(sidOf(html), /^[0-9a-f]{32}$/)
  t.equal(r.visits(), 1)
})

t.test('a hint about private addresses for a phone that uses one', async (t) => {
  const r = await rig(t)
  const hint = escapeHtml(STRINGS.en.privateAddressHint)
  t.notMatch(await (await fetch(`${r.base}/portal/?${LEVEL0}`)).text(), hint, 'not for a device\'s own address')
  r.nds.mac = PRIVATE_MAC
  t.match(await (await fetch(`${r.base}/portal/?${LEVEL0}`)).text(), hint, 'shown for a private one')
})

t.test('a voucher sign-in authorizes the guest with openNDS and says so', async (t) => {
  const r = await rig(t)
  r.door.login.store.vouchers.insert({ username: 'room101', passcode: 'pass1234', fullname: 'G', valid_for: '1 day', valid_from: NOW_S - 60, created_at: NOW_S - 60, download_limit: 0, upload_limit: 0 })
  const wrong = await signIn(r, { method: 'voucher', username: 'room101', passcode: 'nope' })
  t.equal(wrong.status, 200)
  t.match(wrong.html, 'role="alert"', 'refused, with the reason shown')
  t.match(wrong.html, 'value="room101"', 'the username is kept')
  t.notMatch(wrong.html, 'nope', 'the passcode is not')
  const ok = await signIn(r, { method: 'voucher', username: 'Room101', passcode: 'pass1234' })
  t.equal(ok.status, 200)
  t.match(ok.html, 'href="http://example.com/news"', 'Continue leads to where the guest was going')
  t.same(r.auths.map((a) => [a.target, a.grant.custom]), [['127.0.0.1', 'hs-v1']])
  const again = await fetch(`${r.base}/portal/?${LEVEL0}`)
  t.match(await again.text(), /<h1>[^<]+<\/h1>/, 'an authorized guest who comes back is told it is connected')
})

t.test('refusals carry what the guest needs to know', async (t) => {
  const r = await rig(t)
  r.door.login.store.vouchers.insert({ username: 'later', passcode: 'pass1234', fullname: 'G', valid_for: '1 day', valid_from: NOW_S + 86400, created_at: NOW_S, download_limit: 0, upload_limit: 0 })
  const early = await signIn(r, { method: 'voucher', username: 'later', passcode: 'pass1234' })
  t.match(early.html, '2025-02-22 02:31:30', 'when the voucher starts')
  const terms = await signIn(r, { method: 'free' })
  t.match(terms.html, 'role="alert"', 'free access needs the box ticked')
  t.same(r.auths, [])
  await signIn(r, { method: 'voucher', username: 'x', passcode: 'y' })
  await signIn(r, { method: 'voucher', username: 'x', passcode: 'y' })
  const locked = await signIn(r, { method: 'voucher', username: 'x', passcode: 'y' })
  t.equal(locked.status, 429)
  t.equal(locked.headers.get('retry-after'), '600')
  t.match(locked.html, '10 minutes')
})

t.test('a form without a valid visit is told to start again', async (t) => {
  const r = await rig(t)
  const cases: Array<[Record<string, string>, string | undefined]> = [[{ method: 'free', terms: '1' }, 'f'.repeat(32)], [{ method: 'sms' }, undefined]]
  for (const [fields, sid] of cases) {
    const res = await signIn(r, fields, sid)
    t.equal(res.status, 200)
    t.notMatch(res.html, 'name="sid" value="[0-9a-f]', 'no form: a message')
  }
  t.same(r.auths, [])
})

t.test('the free and e-mail methods', async (t) => {
  const r = await rig(t)
  t.equal((await signIn(r, { method: 'free', terms: '1', marketing: '1' })).status, 200)
  r.nds.state = 'Preauthenticated'
  t.equal((await signIn(r, { method: 'email', email: 'Guest@Example.COM' })).status, 200)
  t.same(r.auths.map((a) => a.grant.custom), ['hs-c1', 'hs-e1'])
})

t.test('a bound device whose voucher is valid is let back in without the code', async (t) => {
  const r = await rig(t)
  const v = r.door.login.store.vouchers.insert({ username: 'room7', passcode: 'pass1234', fullname: 'G', valid_for: '1 day', valid_from: NOW_S - 60, created_at: NOW_S - 60, download_limit: 0, upload_limit: 0 })
  r.door.login.store.usage.bind(v.id, MAC, NOW_S - 30)
  r.door.login.store.vouchers.recordLogin(v.id, NOW_S - 30, true)
  const res = await fetch(`${r.base}/portal/?${LEVEL0}`)
  t.equal(res.status, 200)
  t.notMatch(await res.text(), 'name="sid"', 'no form')
  t.same(r.auths.map((a) => a.grant.custom), ['hs-v1'])
})

t.test('who may come in: only the guest openNDS named, from a guest subnet, known to openNDS', async (t) => {
  const r = await rig(t)
  const other = await fetch(`${r.base}/portal/?${LEVEL0.replace('clientip=127.0.0.1', 'clientip=127.0.0.9')}`)
  t.equal(other.status, 403, 'a redirect for another guest is refused')
  t.ok(r.lines.some((l) => l === 'warn: portal: 127.0.0.1 brought a redirect for 127.0.0.9; refused'))
  r.nds.state = undefined
  const unknown = await fetch(`${r.base}/portal/`, { redirect: 'manual' })
  t.equal(unknown.status, 302, 'unknown to openNDS: sent to openNDS first')
  t.equal(unknown.headers.get('location'), 'http://10.77.0.1:2050/login')
  const junk = await fetch(`${r.base}/portal/?fas=%%%`, { redirect: 'manual' })
  t.equal(junk.status, 302, 'an unusable query counts as none')
  const wan = await rig(t, { subnets: '10.77.0.0/24' })
  t.equal((await fetch(`${wan.base}/portal/`)).status, 403, 'a peer outside the guest subnets is refused')
})

t.test('the status=authenticated return', async (t) => {
  const r = await rig(t)
  r.nds.state = 'Authenticated'
  const res = await fetch(`${r.base}/portal/?tok=ea3380f6&redir=http://example.com/&status=authenticated`)
  t.equal(res.status, 200)
  t.notMatch(await res.text(), 'name="sid"')
})

t.test('methods, paths and sizes', async (t) => {
  const r = await rig(t, { settings: { landing: '' } })
  t.equal((await fetch(`${r.base}/portal/login`)).status, 405)
  t.equal((await fetch(`${r.base}/portal/`, { method: 'POST' })).status, 405)
  t.equal((await fetch(`${r.base}/api/`)).status, 404, 'no API on the guest side')
  t.equal((await fetch(`${r.base}/ubus`, { method: 'POST' })).status, 404, 'no ubus on the guest side')
  const big = await fetch(`${r.base}/portal/login`, { method: 'POST', body: 'x'.repeat(5000) })
  t.equal(big.status, 413)
  t.equal((await fetch(`${r.base}/portal/`, { method: 'HEAD' })).status, 200)
})

t.test('openNDS not answering: a message, a warning, and the portal goes on', async (t) => {
  const r = await rig(t)
  r.nds.fail = new NdsctlError('not_running', 'ndsctl json 127.0.0.1: exit 3: ndsctl: opennds probably not started', 3)
  const res = await fetch(`${r.base}/portal/?${LEVEL0}`)
  t.equal(res.status, 503)
  t.same(r.lines, ['warn: portal: 127.0.0.1: openNDS cannot be asked: ndsctl json 127.0.0.1: exit 3: ndsctl: opennds probably not started'])
  r.nds.fail = new Error('a bug')
  t.equal((await fetch(`${r.base}/portal/?${LEVEL0}`)).status, 503)
  t.match(r.lines[1], /^error: portal: 127\.0\.0\.1 GET: Error: a bug/)
  r.nds.fail = undefined
  t.equal((await fetch(`${r.base}/portal/?${LEVEL0}`)).status, 200)
})

t.test('a direct visit (no redirect query) and the fallback landing page', async (t) => {
  const r = await rig(t)
  r.door.login.store.vouchers.insert({ username: 'room5', passcode: 'pass1234', fullname: 'G', valid_for: '1 day', valid_from: NOW_S - 60, created_at: NOW_S - 60, download_limit: 0, upload_limit: 0 })
  const sid = sidOf(await (await fetch(`${r.base}/portal/`)).text())
  const res = await signIn(r, { method: 'voucher', username: 'room5', passcode: 'pass1234' }, sid)
  t.match(res.html, 'href="https://example.org/"', 'Continue leads to portal.landing')
  const none = await rig(t, { settings: { landing: '' } })
  none.door.login.store.vouchers.insert({ username: 'room6', passcode: 'pass1234', fullname: 'G', valid_for: '1 day', valid_from: NOW_S - 60, created_at: NOW_S - 60, download_limit: 0, upload_limit: 0 })
  const sid2 = sidOf(await (await fetch(`${none.base}/portal/`)).text())
  t.notMatch((await signIn(none, { method: 'voucher', username: 'room6', passcode: 'pass1234' }, sid2)).html, '<a ', 'no landing: no link')
})

t.test('forms with fields missing, and refusals of each method keep what was typed', async (t) => {
  const r = await rig(t, { login: { free: false } })
  t.match((await signIn(r, { method: 'voucher' })).html, 'role="alert"', 'no username or passcode: wrong credentials')
  const email = await signIn(r, { method: 'email', email: 'not-an-address' })
  t.match(email.html, 'value="not-an-address"', 'the address is put back')
  t.match((await signIn(r, { method: 'email' })).html, 'role="alert"', 'no address at all')
  t.match((await signIn(r, { method: 'free', terms: '1' })).html, 'role="alert"', 'a method that is off')
  const bare = await fetch(`${r.base}/portal/login`, { method: 'POST', body: 'method=free&terms=1' })
  t.notMatch(await bare.text(), 'name="sid" value="[0-9a-f]', 'no sid: start again')
})

t.test('a voucher in use on another device: refused, with the private-address hint', async (t) => {
  const r = await rig(t)
  r.nds.mac = PRIVATE_MAC
  const v = r.door.login.store.vouchers.insert({ username: 'room8', passcode: 'pass1234', fullname: 'G', valid_for: '1 day', valid_from: NOW_S - 60, created_at: NOW_S - 60, download_limit: 0, upload_limit: 0 })
  r.door.login.store.usage.bind(v.id, MAC, NOW_S - 30)
  const res = await signIn(r, { method: 'voucher', username: 'room8', passcode: 'pass1234' })
  t.match(res.html, escapeHtml(STRINGS.en.other_device))
  t.match(res.html, escapeHtml(STRINGS.en.privateAddressHint))
})

t.test('visits expire, and only so many are remembered', async (t) => {
  const clock = { ms: 1_000_000 }
  const r = await rig(t, { door: { nowMs: () => clock.ms, maxVisits: 2 } })
  const open = async (): Promise<string> => sidOf(await (await fetch(`${r.base}/portal/`)).text())
  const first = await open()
  await open()
  await open()
  t.equal(r.visits(), 2, 'the oldest visit made room')
  t.notMatch((await signIn(r, { method: 'free', terms: '1' }, first)).html, 'You are connected', 'the forgotten visit cannot sign in')
  const late = await open()
  clock.ms += 16 * 60_000
  const res = await signIn(r, { method: 'free', terms: '1' }, late)
  t.notMatch(res.html, 'name="sid" value="[0-9a-f]', 'a visit older than 15 minutes starts again')
  await open()
  t.equal(r.visits(), 1, 'expired visits are dropped')
})

t.test('mobile: the number gets a code, the code signs in', async (t) => {
  const r = await rig(t)
  const page = await (await fetch(`${r.base}/portal/?${LEVEL0}`, { headers: { 'Accept-Language': 'fr' } })).text()
  t.match(page, /<input type="tel" id="m-phone" name="phone" required maxlength="32" autocomplete="tel">/)
  const sid = sidOf(page)
  const none = await signIn(r, { method: 'mobile' }, sid)
  t.match(none.html, escapeHtml(STRINGS.fr.bad_phone), 'no number at all')
  const bad = await signIn(r, { method: 'mobile', phone: 'x<b>' }, sid)
  t.match(bad.html, escapeHtml(STRINGS.fr.bad_phone))
  t.match(bad.html, 'value="x&lt;b&gt;"', 'the number typed is kept, escaped')
  t.match(bad.html, 'id="m-phone" name="phone" value="x&lt;b&gt;" required maxlength="32" autocomplete="tel" aria-invalid="true"')
  const asked = await signIn(r, { method: 'mobile', phone: '07700 900123' }, sid)
  t.equal(asked.status, 200)
  t.same(r.sms, [{ to: '+447700900123', text: '000042 est votre code Wi-Fi. Il est valable 10 minutes.' }], "in the guest's language")
  t.match(asked.html, escapeHtml(STRINGS.fr.codeSent.replace('{phone}', '+447700900123')))
  t.match(asked.html, '<input type="hidden" name="phone" value="+447700900123">')
  t.match(asked.html, 'autocomplete="one-time-code"')
  t.notMatch(asked.html, 'id="m-phone"', 'the number is not asked for again')
  const again = await signIn(r, { method: 'mobile', phone: '+447700900123' }, sid)
  t.equal(again.status, 429, 'a new code only after a minute')
  t.equal(again.headers.get('retry-after'), '60')
  t.match(again.html, escapeHtml(STRINGS.fr.otp_wait.replace('{seconds} {seconds:seconde|secondes}', '60 secondes')))
  const wrong = await signIn(r, { method: 'mobile', phone: '+447700900123', code: '999999' }, sid)
  t.match(wrong.html, escapeHtml(STRINGS.fr.wrong_code))
  t.match(wrong.html, 'id="m-code" name="code" required maxlength="8" inputmode="numeric" autocomplete="one-time-code" aria-invalid="true"', 'the code field is marked')
  const ok = await signIn(r, { method: 'mobile', phone: '+447700900123', code: '000042', marketing: '1' }, sid)
  t.match(ok.html, escapeHtml(STRINGS.fr.connected))
  t.same(r.auths.map((a) => a.grant.custom), ['hs-m1'])
  t.match([...r.door.login.store.guestUsers.list('mobile')], [{ mobile: '+447700900123', marketing: 1, verified: 1 }])
})

t.test("mobile: the owner's message template", async (t) => {
  const r = await rig(t, { settings: { smsMessage: 'Cafe Wi-Fi: {code} ({code})' } })
  await signIn(r, { method: 'mobile', phone: '+447700900123' })
  t.same(r.sms, [{ to: '+447700900123', text: 'Cafe Wi-Fi: 000042 (000042)' }])
})

/** A stand-in for Facebook's Graph API as fetch sees it: the token exchange, then the profile. */
const graph = (answers: Array<{ status?: number; body: unknown }>, seen: string[]): PortalDoor['fetch'] => async (url) => {
  seen.push(String(url))
  const next = answers.shift() ?? { status: 500, body: {} }
  return new Response(JSON.stringify(next.body), { status: next.status ?? 200, headers: { 'Content-Type': 'application/json' } })
}

const startFacebook = async (t: Test, r: Rig): Promise<{ sid: string; state: string; location: string }> => {
  const page = await (await fetch(`${r.base}/portal/?${LEVEL0}`)).text()
  const sid = sidOf(page)
  t.match(page, `<a class="b" href="/portal/facebook?sid=${sid}">`, 'the page links to the start of Facebook sign-in')
  const res = await fetch(`${r.base}/portal/facebook?sid=${sid}`, { redirect: 'manual' })
  const location = res.headers.get('location') as string
  return { sid, state: new URL(location).searchParams.get('state') as string, location }
}

t.test('facebook: the guest goes to the login dialog and comes back signed in', async (t) => {
  const seen: string[] = []
  const r = await rig(t, {
    door: {
      fetch: graph([
        { body: { access_token: 'tok-1', token_type: 'bearer', expires_in: 5000 } },
        { body: { id: '10228000000000001', name: 'Ann Lee', email: 'ann@example.com' } },
      ], seen),
    },
  })
  const { state, location } = await startFacebook(t, r)
  t.match(state, /^[0-9a-f]{32}$/)
  t.equal(location, `https://www.facebook.com/v21.0/dialog/oauth?client_id=4242&redirect_uri=https%3A%2F%2Fportal.example%2Ffb&state=${state}&response_type=code&scope=email`)
  const back = await fetch(`${r.base}/portal/facebook?code=fb-code&state=${state}`)
  t.match(await back.text(), escapeHtml(STRINGS.en.connected))
  t.equal(seen.length, 2)
  t.match(seen[0], /^https:\/\/graph\.facebook\.com\/v21\.0\/oauth\/access_token\?client_id=4242&redirect_uri=https%3A%2F%2Fportal\.example%2Ffb&client_secret=app-secret&code=fb-code$/)
  t.same(r.auths.map((a) => a.grant.custom), ['hs-f1'])
  t.match([...r.door.login.store.guestUsers.list('facebook')], [{ facebook_id: '10228000000000001', name: 'Ann Lee', email: 'ann@example.com' }])
  const replay = await fetch(`${r.base}/portal/facebook?code=fb-code&state=${state}`)
  t.match(await replay.text(), escapeHtml(STRINGS.en.sessionExpired), 'a state is good once')
})

t.test('facebook: a cancelled or failed sign-in goes back to the page with the reason, and is logged', async (t) => {
  const seen: string[] = []
  const r = await rig(t, { door: { fetch: graph([{ status: 400, body: { error: { message: 'Invalid verification code format.', type: 'OAuthException', code: 100 } } }], seen) } })
  const first = await startFacebook(t, r)
  const cancelled = await fetch(`${r.base}/portal/facebook?error=access_denied&error_reason=user_denied&state=${first.state}`)
  const html = await cancelled.text()
  t.match(html, escapeHtml(STRINGS.en.facebook_failed))
  t.match(html, `name="sid" value="${first.sid}"`, 'the same visit goes on')
  const second = await startFacebook(t, r)
  const failed = await fetch(`${r.base}/portal/facebook?code=bad&state=${second.state}`)
  t.match(await failed.text(), escapeHtml(STRINGS.en.facebook_failed))
  t.match(r.lines.join('\n'), /warn: portal: Facebook sign-in of 00:1A:2B:3C:4D:5E \(127\.0\.0\.1\): Facebook code exchange: Invalid verification code format\./)
  t.same([...r.door.login.store.logins.list()].map((l) => [l.method, l.identity, l.result]),
    [['facebook', 'user_denied', 'facebook_failed'], ['facebook', 'exchange failed', 'facebook_failed']])
  t.same(r.auths, [], 'nobody let through')
  const unknown = await fetch(`${r.base}/portal/facebook?code=x&state=0123`)
  t.match(await unknown.text(), escapeHtml(STRINGS.en.sessionExpired), 'an unknown state')
  const third = await startFacebook(t, r)
  await fetch(`${r.base}/portal/facebook?error=access_denied&state=${third.state}`)
  const fourth = await startFacebook(t, r)
  await fetch(`${r.base}/portal/facebook?state=${fourth.state}`)
  t.same([...r.door.login.store.logins.list()].slice(2).map((l) => l.identity), ['access_denied', 'no code'], 'what Facebook said, or that it said nothing')
  const bare = await fetch(`${r.base}/portal/facebook`)
  t.match(await bare.text(), escapeHtml(STRINGS.en.sessionExpired), 'no query at all')
  const noVisit = await fetch(`${r.base}/portal/facebook?sid=nope`)
  t.match(await noVisit.text(), escapeHtml(STRINGS.en.sessionExpired), 'a start without a visit')
  const post = await fetch(`${r.base}/portal/facebook`, { method: 'POST' })
  t.equal(post.status, 405)
  t.equal(post.headers.get('allow'), 'GET')
})

t.test('facebook: switched off, no link and no start', async (t) => {
  const r = await rig(t, { settings: { methods: { voucher: true, email: false, mobile: false, facebook: false, free: false } } })
  const page = await (await fetch(`${r.base}/portal/?${LEVEL0}`)).text()
  t.notMatch(page, '/portal/facebook')
  const res = await fetch(`${r.base}/portal/facebook?sid=${sidOf(page)}`, { redirect: 'manual' })
  t.equal(res.status, 200)
  t.match(await res.text(), escapeHtml(STRINGS.en.method_off))
})

t.test('facebook: an unexpected failure of the exchange is a portal error, not a crash', async (t) => {
  const r = await rig(t, { door: { fetch: async () => { throw new TypeError('boom') } } })
  const { state } = await startFacebook(t, r)
  const res = await fetch(`${r.base}/portal/facebook?code=c&state=${state}`)
  t.equal(res.status, 200, 'fetch failures are FacebookErrors: the guest sees the reason')
  t.match(await res.text(), escapeHtml(STRINGS.en.facebook_failed))
})

t.test('a printed voucher\'s QR link fills the code in, through openNDS\' /login too', async (t) => {
  const r = await rig(t)
  // openNDS holds the guest already: the page at once, the code filled in and kept in a cookie.
  const direct = await fetch(`${r.base}/portal/?code=Cafe-k7m2x9qp`)
  t.match(await direct.text(), 'value="Cafe-k7m2x9qp"', 'the username field holds the code')
  t.equal(direct.headers.get('set-cookie'), 'hotspotd_code=Cafe-k7m2x9qp; Path=/portal/; Max-Age=900; HttpOnly; SameSite=Lax')
  // Not held yet: to openNDS' /login with the cookie set; openNDS sends the guest back with its own query only.
  r.nds.state = undefined
  const hop = await fetch(`${r.base}/portal/?code=%3Cb%3Ex`, { redirect: 'manual' })
  t.equal(hop.status, 302)
  t.equal(hop.headers.get('location'), 'http://10.77.0.1:2050/login')
  t.match(hop.headers.get('set-cookie'), /^hotspotd_code=%3Cb%3Ex;/)
  r.nds.state = 'Preauthenticated'
  const back = await fetch(`${r.base}/portal/?${LEVEL0}`, { headers: { Cookie: 'other=1; hotspotd_code=%3Cb%3Ex' } })
  const html = await back.text()
  t.match(html, 'value="&lt;b&gt;x"', 'from the cookie, escaped')
  t.match(html, 'Café &lt;b&gt;', 'openNDS\' query is still read')
  t.equal(back.headers.get('set-cookie'), null, 'the cookie is not set again')
  // Signing in clears it.
  r.door.login.store.vouchers.insert({ username: 'room7', passcode: 'pass1234', fullname: 'G', valid_for: '1 day', valid_from: NOW_S - 60, created_at: NOW_S - 60, download_limit: 0, upload_limit: 0 })
  const ok = await signIn(r, { method: 'voucher', username: 'room7', passcode: 'pass1234' })
  t.equal(ok.headers.get('set-cookie'), 'hotspotd_code=; Path=/portal/; Max-Age=0; HttpOnly; SameSite=Lax')
})

t.test('voucherCodeOf: the query\'s code before the cookie\'s; unusable codes are ignored', async (t) => {
  const cases: Array<[string, string | undefined, ReturnType<typeof voucherCodeOf>]> = [
    ['', undefined, { code: undefined, fromQuery: false, rest: '' }],
    ['code=abc', undefined, { code: 'abc', fromQuery: true, rest: '' }],
    ['fas=a+b&code=x%20y', 'hotspotd_code=z', { code: 'x y', fromQuery: true, rest: 'fas=a+b' }],
    ['code=a+b', undefined, { code: 'a b', fromQuery: true, rest: '' }],
    ['fas=q', 'hotspotd_code=z', { code: 'z', fromQuery: false, rest: 'fas=q' }],
    ['code=%E0%A4%A', undefined, { code: undefined, fromQuery: false, rest: '' }],
    ['code=%07', undefined, { code: undefined, fromQuery: false, rest: '' }],
    ['code=', 'hotspotd_code=z', { code: undefined, fromQuery: false, rest: '' }],
    [`code=${'x'.repeat(65)}`, undefined, { code: undefined, fromQuery: false, rest: '' }],
  ]
  for (const [query, cookie, expected] of cases) t.same(voucherCodeOf(query, cookie), expected, `${query} / ${String(cookie)}`)
})

t.test('the admin panel is not served on the guest side', async (t) => {
  const r = await rig(t)
  for (const path of ['/admin', '/admin/', '/admin/api/session', '/admin/api/export/vouchers.csv']) {
    t.equal((await fetch(`${r.base}${path}`, { redirect: 'manual' })).status, 404, path)
  }
  t.equal((await fetch(`${r.base}/admin/api/login`, { method: 'POST', body: '{}' })).status, 404, 'no sign-in')
})
