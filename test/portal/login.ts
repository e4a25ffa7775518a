/**
 * @module test/portal/login
 * The portal's sign-in service on a real SQLite store with a fake ndsctl that records its calls:
 * voucher sign-ins (grant, binding, stamps, every decideLogin refusal, codes in any case, the
 * throttle by MAC and by address), e-mail and free sign-ins (the session names the guest-user
 * row, and a visit is counted only once openNDS let the guest through), openNDS saying no or
 * failing, store failures before and after the guest is through, attempts arriving together,
 * the login log of every attempt, and the automatic re-login of bound devices.
 */
import t, { type Test } from 'tap'
import { NdsctlError, type NdsGrant } from '../../src/backend/ndsctl'
import { CLOCK_FLOOR, type Usage } from '../../src/domain/enforcement'
import { Throttle } from '../../src/http/throttle'
import {
  autoReauth, MAX_COMMENTS_LENGTH, normalizeEmail, noteRefusal, portalLogin, requestMobileCode,
  type LoginRequest, type LoginResult, type PortalClient, type PortalLoginDeps, type PortalSettings,
} from '../../src/portal/login'
import { OtpBook } from '../../src/portal/mobile'
import { SmsError } from '../../src/portal/sms'
import type { Store } from '../../src/store/db'
import type { NewVoucher, VoucherRow } from '../../src/store/vouchers'
import { testContext, type Emitted } from '../fixtures/context'

const T0 = 1_750_000_000
const HOUR = 3600
const MiB = 1024 * 1024

const A: PortalClient = { ip: '10.77.0.11', mac: '02:77:00:00:00:11' }
const B: PortalClient = { ip: '10.77.0.12', mac: '02:77:00:00:00:12' }
const C: PortalClient = { ip: '10.77.0.13', mac: '02:77:00:00:00:13' }

interface AuthCall { target: string; grant: NdsGrant }

interface Rig {
  deps: PortalLoginDeps
  store: Store
  settings: PortalSettings
  /** Every `ndsctl auth`, in order. */
  calls: AuthCall[]
  /** Set to make the next auth calls fail (or wait): called with each call, its result is awaited. */
  nds: { hook: ((call: AuthCall) => unknown) | undefined }
  /** Per voucher id, what `usage` answers (default: nothing used). */
  used: Map<number, Usage>
  noted: number[]
  lines: string[]
  events: Emitted[]
  clock: { now: number }
  throttle: Throttle
  /** Every text message sent, and a hook that may throw to make the gateway fail. */
  sms: { sent: Array<{ to: string; text: string; code: string }>; hook: (() => void) | undefined }
}

const rig = (t: Test, over: Partial<PortalSettings> = {}): Rig => {
  const { ctx, lines, events } = testContext(t)
  const calls: AuthCall[] = []
  const nds: Rig['nds'] = { hook: undefined }
  const used = new Map<number, Usage>()
  const noted: number[] = []
  const clock = { now: T0 }
  const settings: PortalSettings = {
    voucher: true, email: true, mobile: true, facebook: true, free: true, countryCode: '44', smsPerHour: 100,
    maxDevices: 1, maxSessionMinutes: 1440, guestMinutes: 60, ...over,
  }
  const sms: Rig['sms'] = { sent: [], hook: undefined }
  let codes = 123456
  const throttle = new Throttle({ limit: 3, windowMs: 600_000, lockMs: 900_000 })
  const deps: PortalLoginDeps = {
    store: ctx.store,
    ndsctl: {
      auth: async (target, grant) => {
        const call = { target, grant }
        calls.push(call)
        await nds.hook?.(call)
      },
    },
    usage: (id) => used.get(id) ?? { downloadBytes: 0, uploadBytes: 0 },
    noteFirstLogin: (id) => { noted.push(id) },
    log: ctx.log,
    emit: ctx.emit,
    now: () => clock.now,
    settings: () => settings,
    throttle,
    otp: new OtpBook({}, () => codes++),
    sendSms: async (to, text, code) => {
      sms.hook?.()
      sms.sent.push({ to, text, code })
    },
  }
  lines.length = 0 // the store's migration line
  return { deps, store: ctx.store, settings, calls, nds, used, noted, lines, events, clock, throttle, sms }
}

const addVoucher = (store: Store, username: string, over: Partial<NewVoucher> = {}): VoucherRow => store.vouchers.insert({
  username,
  passcode: `pw-${username}`,
  fullname: `Guest ${username}`,
  valid_for: '1 day',
  valid_from: T0 - HOUR,
  created_at: T0 - HOUR,
  download_limit: 0,
  upload_limit: 0,
  ...over,
})

const code = (username: string, passcode = `pw-${username}`): LoginRequest => ({ method: 'voucher', username, passcode })
const email = (address: string, marketing = false, comments?: string): LoginRequest =>
  comments === undefined ? { method: 'email', email: address, marketing } : { method: 'email', email: address, marketing, comments }
const FREE: LoginRequest = { method: 'free', marketing: true }

/** The login log without ids. */
const logRows = (store: Store): unknown[] => [...store.logins.list()].map(({ id: _id, ...row }) => row)
const logged = (client: PortalClient, method: string, identity: string, result: string, time = T0): unknown =>
  ({ time, method, identity, mac: client.mac, address: client.ip, result })

const refusedWith = (reason: string): LoginResult => ({ ok: false, reason } as LoginResult)

t.test('a voucher sign-in authorizes the client with its time and quota left, then binds and stamps it', async (t) => {
  const r = rig(t, { maxSessionMinutes: 600 })
  const v = addVoucher(r.store, 'alice', { download_limit: 100, upload_limit: 10 })
  r.used.set(v.id, { downloadBytes: 50 * MiB, uploadBytes: 10 * MiB - 4096 })
  r.clock.now = T0 + 0.7
  const result = await portalLogin(r.deps, A, code('alice'))
  t.same(result, { ok: true, login: 'alice', minutes: 600 }, 'signed in for the capped session')
  t.same(r.calls, [{ target: A.ip, grant: { minutes: 600, downloadQuotaKiB: 50 * 1024, uploadQuotaKiB: 4, custom: `hs-v${v.id}` } }],
    'one ndsctl auth by IP: minutes, the quotas left in KiB, the voucher as custom')
  t.match(r.store.vouchers.byId(v.id), { first_login: T0, last_login: T0, mac: A.mac }, 'started and stamped at now (whole seconds), device recorded')
  t.same(r.store.usage.devices(v.id), [A.mac], 'the device is bound')
  t.same(r.noted, [v.id], 'the enforcer is told of the first_login stamp')
  t.same(logRows(r.store), [logged(A, 'voucher', 'alice', 'success')], 'the login log has the success')
  t.same(r.events, [{ event: 'hotspot.session', data: { event: 'login', method: 'voucher', username: 'alice', mac: A.mac } }], 'a login event')
  t.same(r.lines, [`info: portal: voucher alice on ${A.mac} (${A.ip}) signed in for 600 min, device bound, voucher started`], 'one info line')
})

t.test('a returning device signs in again without being bound or started again', async (t) => {
  const r = rig(t)
  const v = addVoucher(r.store, 'alice', { valid_for: '2 hours' })
  t.match(await portalLogin(r.deps, A, code('alice')), { ok: true, minutes: 120 }, 'first sign-in: the whole length')
  r.clock.now = T0 + 30 * 60
  t.same(await portalLogin(r.deps, A, code('alice')), { ok: true, login: 'alice', minutes: 90 }, 'later: the minutes left')
  t.match(r.store.vouchers.byId(v.id), { first_login: T0, last_login: T0 + 1800 }, 'first_login kept, last_login moved')
  t.same(r.store.usage.devices(v.id), [A.mac], 'still one device')
  t.same(r.noted, [v.id], 'the enforcer was told once')
  t.same(r.calls.map((c) => c.grant), [{ minutes: 120, custom: `hs-v${v.id}` }, { minutes: 90, custom: `hs-v${v.id}` }], 'unlimited quotas are left out')
  t.match(r.lines[1], /signed in for 90 min$/, 'no binding or start is reported the second time')
})

t.test('usernames match in any case, with spaces around; the passcode must match exactly', async (t) => {
  const r = rig(t, { maxDevices: 0 })
  addVoucher(r.store, 'Alice', { passcode: 'k7m2x9q4pw' })
  t.same(await portalLogin(r.deps, A, code('  aLICE ', ' k7m2x9q4pw\t')), { ok: true, login: 'Alice', minutes: 1440 },
    'the stored username is the login')
  t.same(await portalLogin(r.deps, B, code('alice', 'K7m2x9q4pw')), refusedWith('wrong_credentials'), 'a passcode in another case is wrong')
  t.same(await portalLogin(r.deps, B, code('alice', 'k7m2x9q4p')), refusedWith('wrong_credentials'), 'a prefix is wrong')
  t.same(logRows(r.store), [
    logged(A, 'voucher', 'Alice', 'success'),
    logged(B, 'voucher', 'alice', 'wrong_credentials'),
    logged(B, 'voucher', 'alice', 'wrong_credentials'),
  ], 'a success under the stored name, refusals under the name typed')
})

t.test('an unknown username and a wrong passcode are the same refusal, and no passcode is ever written', async (t) => {
  const r = rig(t)
  addVoucher(r.store, 'alice', { passcode: 'secret-one' })
  const unknown = await portalLogin(r.deps, A, code('nobody', 'secret-two'))
  const wrong = await portalLogin(r.deps, B, code('alice', 'secret-three'))
  const empty = await portalLogin(r.deps, C, code('', ''))
  t.same([unknown, wrong, empty], [refusedWith('wrong_credentials'), refusedWith('wrong_credentials'), refusedWith('wrong_credentials')], 'one answer for all')
  t.same(r.calls, [], 'openNDS is not asked')
  t.same(logRows(r.store), [
    logged(A, 'voucher', 'nobody', 'wrong_credentials'),
    logged(B, 'voucher', 'alice', 'wrong_credentials'),
    logged(C, 'voucher', '', 'wrong_credentials'),
  ], 'each attempt is logged with the username typed')
  const everything = JSON.stringify([logRows(r.store), r.lines, r.events])
  t.notMatch(everything, /secret/, 'no passcode in the login log, the log lines or the events')
  t.same(r.store.vouchers.byId(1)?.last_login, null, 'the voucher is untouched')
})

t.test('a username typed with control characters or at length is logged cleaned and cut', async (t) => {
  const r = rig(t)
  await portalLogin(r.deps, A, code(`  bad\u0000na\u001bme\u2028${'x'.repeat(100)}  `, 'p'))
  const identity = (logRows(r.store)[0] as { identity: string }).identity
  t.equal(identity, `bad?na?me?${'x'.repeat(54)}`, 'control characters replaced, 64 characters kept')
})

t.test('wrong codes lock a client out by MAC and by address; only wrong codes count', async (t) => {
  const r = rig(t)
  addVoucher(r.store, 'alice')
  addVoucher(r.store, 'old', { valid_for: '1 hour', valid_from: T0 - 10 * HOUR })
  r.store.vouchers.recordLogin(2, T0 - 9 * HOUR, true)
  for (let i = 0; i < 5; i++) t.same(await portalLogin(r.deps, A, code('old')), refusedWith('expired'), `expired voucher, attempt ${i + 1}: not counted`)
  t.same(await portalLogin(r.deps, A, email('not an address')), refusedWith('bad_email'), 'a bad e-mail address is not counted')
  t.same(await portalLogin(r.deps, A, code('alice', 'guess-1')), refusedWith('wrong_credentials'), 'first wrong code')
  r.clock.now += 60
  t.same(await portalLogin(r.deps, A, code('alice', 'guess-2')), refusedWith('wrong_credentials'), 'second wrong code')
  r.clock.now += 60
  t.same(await portalLogin(r.deps, A, code('alice', 'guess-3')), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 900 },
    'the wrong code that reaches the limit: locked out, with the wait')
  t.match(r.lines.filter((l) => l.startsWith('info:')), [/^info: portal: 02:77:00:00:00:11 \(10\.77\.0\.11\) locked out for 900 s after too many wrong codes$/],
    'the lock is logged')
  t.match(r.lines[0], /^debug: portal: voucher old on .* refused: expired$/, 'refusals are debug lines')
  r.clock.now += 100
  t.same(await portalLogin(r.deps, A, code('alice')), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 800 },
    'while locked out the right code is not even looked at')
  t.same(await portalLogin(r.deps, { ip: '10.77.0.99', mac: A.mac }, code('alice')), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 800 },
    'the same MAC with another address is locked out')
  t.same(await portalLogin(r.deps, { ip: A.ip, mac: '02:77:00:00:00:99' }, code('alice')), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 800 },
    'the same address with another MAC is locked out')
  t.same(await portalLogin(r.deps, A, FREE), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 800 }, 'every method is refused while locked out')
  t.same(r.calls, [], 'openNDS was never asked')
  t.same(logRows(r.store).slice(-7).map((row) => (row as { result: string }).result),
    ['wrong_credentials', 'wrong_credentials', 'wrong_credentials', 'too_many_attempts', 'too_many_attempts', 'too_many_attempts', 'too_many_attempts'],
    'the locking attempt is logged as the wrong code it was, the ones after it as throttled')
  t.match(await portalLogin(r.deps, B, code('alice')), { ok: true }, 'another client is not affected')
  r.clock.now += 800
  t.same(await portalLogin(r.deps, A, code('alice')), refusedWith('other_device'), 'after the lock the code is looked at again')
})

t.test('a wrong code counts for the MAC and the address alike; a good one clears neither', async (t) => {
  const r = rig(t, { maxDevices: 0 })
  addVoucher(r.store, 'alice')
  t.same(await portalLogin(r.deps, A, code('alice', 'x')), refusedWith('wrong_credentials'), 'a wrong code')
  t.match(await portalLogin(r.deps, A, code('alice')), { ok: true }, 'a good code signs in')
  t.same(await portalLogin(r.deps, { ip: C.ip, mac: A.mac }, code('alice', 'x')), refusedWith('wrong_credentials'), 'the MAC from another address')
  t.same(await portalLogin(r.deps, { ip: B.ip, mac: A.mac }, code('alice', 'x')), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 900 },
    'the MAC reaches the limit across addresses: the success in between did not reset it')
  for (const c of [A, B, C]) t.equal(r.throttle.retryAfter(`ip ${c.ip}`, T0 * 1000), 0, `${c.ip} has one failure: not locked`)
  t.same(await portalLogin(r.deps, { ip: A.ip, mac: C.mac }, code('alice', 'x')), refusedWith('wrong_credentials'), 'the first address, another MAC')
  t.same(await portalLogin(r.deps, { ip: A.ip, mac: B.mac }, code('alice', 'x')), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 900 },
    'the address reaches the limit across MACs')
})

// [case, voucher fields, usage, settings, clock, refusal]
const refusals: ReadonlyArray<[string, Partial<NewVoucher>, Usage, Partial<PortalSettings>, number, string]> = [
  ['not valid yet', { valid_from: T0 + HOUR }, { downloadBytes: 0, uploadBytes: 0 }, {}, T0, 'not_yet_valid'],
  ['download used up', { download_limit: 10 }, { downloadBytes: 10 * MiB, uploadBytes: 0 }, {}, T0, 'download_exhausted'],
  ['upload used up', { upload_limit: 10 }, { downloadBytes: 0, uploadBytes: 11 * MiB }, {}, T0, 'upload_exhausted'],
  ['clock unset, never used', {}, { downloadBytes: 0, uploadBytes: 0 }, {}, CLOCK_FLOOR - 1, 'clock_unset'],
]

t.test('every refusal of decideLogin is the answer, logged, with nothing authorized or recorded', async (t) => {
  for (const [name, fields, usage, over, now, reason] of refusals) {
    t.test(name, async (t) => {
      const r = rig(t, over)
      const v = addVoucher(r.store, 'alice', fields)
      r.used.set(v.id, usage)
      r.clock.now = now
      t.same(await portalLogin(r.deps, A, code('alice')), refusedWith(reason), reason)
      t.same(r.calls, [], 'openNDS not asked')
      t.same(logRows(r.store), [logged(A, 'voucher', 'alice', reason, now)], 'logged with the reason')
      t.same(r.store.vouchers.byId(v.id), v, 'voucher unchanged')
      t.same(r.store.usage.devices(v.id), [], 'no device bound')
      t.same([r.noted, r.events], [[], []], 'no stamp noted, no event')
    })
  }
})

t.test('an expired voucher is refused', async (t) => {
  const r = rig(t)
  const v = addVoucher(r.store, 'alice', { valid_for: '1 hour' })
  await portalLogin(r.deps, A, code('alice'))
  r.clock.now = T0 + HOUR
  t.same(await portalLogin(r.deps, A, code('alice')), refusedWith('expired'), 'at its end: expired')
  t.equal(r.store.vouchers.byId(v.id)?.last_login, T0, 'last_login not moved')
})

t.test('devices: up to maxDevices are bound, first come first served; 0 is no limit', async (t) => {
  t.test('maxDevices 2', async (t) => {
    const r = rig(t, { maxDevices: 2 })
    const v = addVoucher(r.store, 'alice')
    t.match(await portalLogin(r.deps, A, code('alice')), { ok: true }, 'first device')
    t.match(await portalLogin(r.deps, B, code('alice')), { ok: true }, 'second device')
    t.same(await portalLogin(r.deps, C, code('alice')), refusedWith('other_device'), 'a third is refused')
    t.same(r.store.usage.devices(v.id), [A.mac, B.mac], 'two bound')
    t.same(r.noted, [v.id], 'only the first sign-in started it')
    t.match(await portalLogin(r.deps, B, code('alice')), { ok: true }, 'a bound one still comes in')
  })
  t.test('maxDevices 0', async (t) => {
    const r = rig(t, { maxDevices: 0 })
    const v = addVoucher(r.store, 'alice')
    for (const c of [A, B, C]) t.match(await portalLogin(r.deps, c, code('alice')), { ok: true }, `${c.mac} signs in`)
    t.same(r.store.usage.devices(v.id), [A.mac, B.mac, C.mac], 'each recorded')
  })
})

t.test('while the clock is unset a started voucher still lets its device in, without stamps', async (t) => {
  const r = rig(t)
  const v = addVoucher(r.store, 'alice', { valid_for: '1 hour' })
  await portalLogin(r.deps, A, code('alice'))
  r.clock.now = CLOCK_FLOOR - 5000
  t.same(await portalLogin(r.deps, A, code('alice')), { ok: true, login: 'alice', minutes: 60 }, 'let in; time is not judged')
  t.match(r.store.vouchers.byId(v.id), { first_login: T0, last_login: CLOCK_FLOOR - 5000 }, 'first_login kept')
  t.same(r.noted, [v.id], 'noted once, at the real start')
})

// [case, what ndsctl throws, answer, the warning logged (undefined: none)]
const ndsFailures: ReadonlyArray<[string, unknown, string, RegExp | undefined]> = [
  ['openNDS refuses (already through, or unknown)', new NdsctlError('refused', 'ndsctl auth 10.77.0.11 1440: exit 1: Failed to authenticate client', 1), 'already_connected', undefined],
  ['openNDS not running', new NdsctlError('not_running', 'ndsctl auth 10.77.0.11 1440: exit 3: cannot connect to opennds', 3), 'portal_unavailable', /not let through: ndsctl auth 10\.77\.0\.11 1440: exit 3: cannot connect/],
  ['a bad argument', new Error('ndsctl auth: "x" is not a MAC, IP address or token'), 'portal_unavailable', /not let through: ndsctl auth: "x" is not/],
  ['something odd thrown', 'boom', 'portal_unavailable', /not let through: boom$/],
]

t.test('when openNDS does not let the client through, nothing counts as a sign-in', async (t) => {
  for (const [name, thrown, reason, warning] of ndsFailures) {
    t.test(name, async (t) => {
      const r = rig(t)
      const v = addVoucher(r.store, 'alice')
      r.nds.hook = () => { throw thrown }
      t.same(await portalLogin(r.deps, A, code('alice')), refusedWith(reason), `voucher: ${reason}`)
      t.same(r.store.vouchers.byId(v.id), v, 'voucher not started, last_login unset')
      t.same(r.store.usage.devices(v.id), [], 'no device bound')
      t.same(await portalLogin(r.deps, B, email('guest@example.com')), refusedWith(reason), `e-mail: ${reason}`)
      t.same(await portalLogin(r.deps, C, FREE), refusedWith(reason), `free: ${reason}`)
      t.same([...r.store.guestUsers.list('email'), ...r.store.guestUsers.list('free')], [], 'no guest user recorded')
      t.same(logRows(r.store), [
        logged(A, 'voucher', 'alice', reason),
        logged(B, 'email', 'guest@example.com', reason),
        logged(C, 'free', C.mac, reason),
      ], 'each attempt logged with the reason')
      t.same([r.noted, r.events], [[], []], 'nothing noted or announced')
      const warnings = r.lines.filter((l) => l.startsWith('warn:'))
      if (warning === undefined) t.same(warnings, [], 'no warning')
      else t.match(warnings, [warning, warning, warning], 'a warning with the message, per attempt')
      t.equal(r.throttle.retryAfter(`mac ${A.mac}`, T0 * 1000), 0, 'not counted as a failure')
    })
  }
})

t.test('a switched-off method is refused and logged, before the throttle is looked at', async (t) => {
  const r = rig(t, { voucher: false, email: false, free: false })
  addVoucher(r.store, 'alice')
  r.throttle.fail(`mac ${A.mac}`, T0 * 1000)
  r.throttle.fail(`mac ${A.mac}`, T0 * 1000)
  r.throttle.fail(`mac ${A.mac}`, T0 * 1000)
  t.same(await portalLogin(r.deps, A, code('alice')), refusedWith('method_off'), 'voucher off')
  t.same(await portalLogin(r.deps, A, email(' Guest@Example.COM ')), refusedWith('method_off'), 'e-mail off')
  t.same(await portalLogin(r.deps, A, FREE), refusedWith('method_off'), 'free off')
  t.same(r.calls, [], 'openNDS not asked')
  t.same(logRows(r.store), [
    logged(A, 'voucher', 'alice', 'method_off'),
    logged(A, 'email', 'Guest@Example.COM', 'method_off'),
    logged(A, 'free', A.mac, 'method_off'),
  ], 'logged as typed (trimmed)')
})

t.test('an e-mail sign-in authorizes the guest for the guest minutes and counts a visit', async (t) => {
  const r = rig(t, { guestMinutes: 45, guestDownloadKbit: 2000, guestUploadKbit: 500.9 })
  t.same(await portalLogin(r.deps, A, email('  Jane.Doe@Example.ORG ', true, 'table 4')), { ok: true, login: 'Jane.Doe@example.org', minutes: 45 },
    'signed in with the address as stored')
  t.same(r.calls, [{ target: A.ip, grant: { minutes: 45, downloadKbit: 2000, uploadKbit: 500, custom: 'hs-e1' } }], 'the guest-user row as custom, rates in whole kbit/s')
  const [row] = [...r.store.guestUsers.list('email')]
  t.match(row, { id: 1, email: 'Jane.Doe@example.org', mac: A.mac, visits: 1, last_login: T0, created_at: T0, marketing: 1, comments: 'table 4' }, 'the row')
  r.clock.now = T0 + 600
  t.same(await portalLogin(r.deps, B, email('jane.doe@EXAMPLE.org', false)), { ok: true, login: 'jane.doe@example.org', minutes: 45 }, 'again, from another device')
  t.equal(r.calls[1]?.grant.custom, 'hs-e1', 'the same row, whatever the case')
  t.match([...r.store.guestUsers.list('email')], [{ id: 1, visits: 2, last_login: T0 + 600, mac: B.mac, marketing: 0, comments: 'table 4' }],
    'a second visit; consent as given now, the comment kept')
  t.same(logRows(r.store), [
    logged(A, 'email', 'Jane.Doe@example.org', 'success'),
    logged(B, 'email', 'jane.doe@example.org', 'success', T0 + 600),
  ], 'both in the login log')
  t.same(r.events.map((e) => e.data), [
    { event: 'login', method: 'email', login: 'Jane.Doe@example.org', mac: A.mac },
    { event: 'login', method: 'email', login: 'jane.doe@example.org', mac: B.mac },
  ], 'login events')
  t.match(r.lines, [/^info: portal: email Jane\.Doe@example\.org on .* signed in for 45 min$/, /^info: portal: email jane/], 'info lines')
  t.same(r.noted, [], 'no voucher noted')
})

t.test('a bad e-mail address is refused, logged as typed, and nothing is recorded', async (t) => {
  const r = rig(t)
  t.same(await portalLogin(r.deps, A, email('no-at-sign.example.com\u0007')), refusedWith('bad_email'), 'refused')
  t.same(r.calls, [], 'openNDS not asked')
  t.same([...r.store.guestUsers.list('email')], [], 'no row')
  t.same(logRows(r.store), [logged(A, 'email', 'no-at-sign.example.com?', 'bad_email')], 'logged, cleaned')
})

/** a@ and a domain of four long labels and .com: 198 + n bytes. */
const longest = (n: number): string => `a@${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(n)}.com`

t.test('normalizeEmail keeps plausible addresses and refuses the rest', async (t) => {
  const good: ReadonlyArray<[string, string]> = [
    ['a@b.co', 'a@b.co'],
    ['  First.Last+tag@Mail.Example.COM\n', 'First.Last+tag@mail.example.com'],
    ["o'brien_x-y{1}@sub-domain.example.museum", "o'brien_x-y{1}@sub-domain.example.museum"],
    ['josé@exemple.fr', 'josé@exemple.fr'],
    ['jose\u0301@EXEMPLE.fr', 'josé@exemple.fr'],
    ['用户@例子.广告', '用户@例子.广告'],
    ['x@xn--80ak6aa92e.xn--p1ai', 'x@xn--80ak6aa92e.xn--p1ai'],
    [`${'l'.repeat(64)}@example.com`, `${'l'.repeat(64)}@example.com`],
    [longest(56), longest(56)],
  ]
  for (const [raw, stored] of good) t.equal(normalizeEmail(raw), stored, JSON.stringify(raw))
  t.equal(longest(56).length, 254, 'the longest accepted is 254 bytes')
  const bad = [
    '', '@', 'a@', '@example.com', 'plain', 'a@localhost', 'a@example', 'a@example.c', 'a@example.123',
    'a b@example.com', 'a@exa mple.com', 'a..b@example.com', '.a@example.com', 'a.@example.com', 'a@@example.com',
    'a@b@example.com', 'a@-example.com', 'a@example-.com', 'a@example..com', 'a@.example.com', 'a@example.com.',
    '"a b"@example.com', 'a(comment)@example.com', 'a@[10.0.0.1]', 'a@10.0.0.1', 'a\u0000@example.com', 'a@exa\u200bmple.com',
    `${'l'.repeat(65)}@example.com`, `a@${'d'.repeat(64)}.com`,
    longest(57),
    `${'é'.repeat(33)}@example.com`,
  ]
  for (const raw of bad) t.equal(normalizeEmail(raw), undefined, JSON.stringify(raw))
})

t.test('form comments are cleaned and cut; a blank one keeps what was stored', async (t) => {
  const r = rig(t, { maxDevices: 0 })
  await portalLogin(r.deps, A, email('a@example.com', false, ' line one\r\nline\ttwo '))
  t.equal([...r.store.guestUsers.list('email')][0]?.comments, 'line one  line two', 'control characters become spaces')
  await portalLogin(r.deps, A, email('a@example.com', false, '   '))
  t.equal([...r.store.guestUsers.list('email')][0]?.comments, 'line one  line two', 'blank: the stored one stays')
  await portalLogin(r.deps, A, email('a@example.com', false))
  t.equal([...r.store.guestUsers.list('email')][0]?.comments, 'line one  line two', 'none: the stored one stays')
  await portalLogin(r.deps, A, email('a@example.com', false, 'ü'.repeat(MAX_COMMENTS_LENGTH + 10)))
  t.equal([...r.store.guestUsers.list('email')][0]?.comments, 'ü'.repeat(MAX_COMMENTS_LENGTH), `cut to ${MAX_COMMENTS_LENGTH} characters`)
  t.match([...r.store.guestUsers.list('email')], [{ visits: 4 }], 'four visits')
})

t.test('a free sign-in is known by its MAC', async (t) => {
  const r = rig(t, { guestMinutes: 0.5 })
  t.same(await portalLogin(r.deps, A, FREE), { ok: true, login: A.mac, minutes: 1 }, 'at least one minute')
  t.same(r.calls, [{ target: A.ip, grant: { minutes: 1, custom: 'hs-c1' } }], 'no rates when none are set')
  r.settings.guestMinutes = 90.9
  r.settings.guestDownloadKbit = 0
  r.settings.guestUploadKbit = 0.5
  t.same(await portalLogin(r.deps, B, { method: 'free', marketing: false }), { ok: true, login: B.mac, minutes: 90 }, 'whole minutes')
  t.same(r.calls[1]?.grant, { minutes: 90, custom: 'hs-c2' }, 'rates below 1 kbit/s are left out')
  t.same(await portalLogin(r.deps, A, { method: 'free', marketing: false }), { ok: true, login: A.mac, minutes: 90 }, 'the first device again')
  t.equal(r.calls[2]?.grant.custom, 'hs-c1', 'its own row')
  t.match([...r.store.guestUsers.list('free')], [{ id: 1, mac: A.mac, visits: 2, marketing: 0 }, { id: 2, mac: B.mac, visits: 1 }], 'the rows')
  t.same(logRows(r.store).map((row) => (row as { identity: string }).identity), [A.mac, B.mac, A.mac], 'logged by MAC')
  t.same(r.events[0]?.data, { event: 'login', method: 'free', login: A.mac, mac: A.mac }, 'event')
})

t.test('a refused guest leaves no visit behind, and the next new guest gets the id its session names', async (t) => {
  const r = rig(t)
  await portalLogin(r.deps, A, email('first@example.com', true, 'hello'))
  r.clock.now = T0 + 60
  r.nds.hook = () => { throw new NdsctlError('refused', 'no', 1) }
  t.same(await portalLogin(r.deps, B, email('first@example.com', false, 'changed')), refusedWith('already_connected'), 'existing guest refused')
  t.same(await portalLogin(r.deps, B, email('second@example.com')), refusedWith('already_connected'), 'new guest refused')
  t.same(r.calls.map((c) => c.grant.custom), ['hs-e1', 'hs-e1', 'hs-e2'], 'the sessions named the rows they would have had')
  t.match([...r.store.guestUsers.list('email')], [{ id: 1, visits: 1, last_login: T0, mac: A.mac, marketing: 1, comments: 'hello' }],
    'the existing guest as it was; the new one not there')
  r.nds.hook = undefined
  t.match(await portalLogin(r.deps, C, email('third@example.com')), { ok: true }, 'the next new guest')
  t.equal(r.calls[3]?.grant.custom, 'hs-e2', 'its session names id 2')
  t.match([...r.store.guestUsers.list('email')][1], { id: 2, email: 'third@example.com' }, 'and that is its row')
})

t.test('attempts run one at a time: two devices starting a one-device voucher together', async (t) => {
  const r = rig(t)
  const v = addVoucher(r.store, 'alice')
  let release: () => void = () => {}
  r.nds.hook = () => new Promise<void>((resolve) => { release = resolve })
  const first = portalLogin(r.deps, A, code('alice'))
  const second = portalLogin(r.deps, B, code('alice'))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(r.calls.length, 1, 'the second waits while the first is with openNDS')
  r.nds.hook = undefined
  release()
  t.match(await first, { ok: true }, 'the first device gets in')
  t.same(await second, refusedWith('other_device'), 'the second finds the voucher taken')
  t.same(r.store.usage.devices(v.id), [A.mac], 'one device bound')
})

t.test('new guests signing in together each get their own row', async (t) => {
  const r = rig(t)
  const waiting: Array<() => void> = []
  r.nds.hook = () => new Promise<void>((resolve) => { waiting.push(resolve) })
  const results = [A, B, C].map((c, i) => portalLogin(r.deps, c, email(`guest${i}@example.com`)))
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    waiting.shift()?.()
  }
  t.same((await Promise.all(results)).map((x) => x.ok), [true, true, true], 'all in')
  t.same(r.calls.map((c) => c.grant.custom), ['hs-e1', 'hs-e2', 'hs-e3'], 'each session names its own row')
  t.same([...r.store.guestUsers.list('email')].map((row) => [row.id, row.email]),
    [[1, 'guest0@example.com'], [2, 'guest1@example.com'], [3, 'guest2@example.com']], 'and the rows agree')
})

t.test('a store failure before the guest is through is thrown, and the next attempt still runs', async (t) => {
  const r = rig(t)
  r.store.db.exec(`CREATE TRIGGER no_email BEFORE INSERT ON email_users BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`)
  await t.rejects(portalLogin(r.deps, A, email('a@example.com')), /disk I\/O error/, 'the error reaches the server')
  t.same(r.calls, [], 'openNDS not asked')
  t.match(await portalLogin(r.deps, A, FREE), { ok: true }, 'the next attempt is not stuck behind it')
})

t.test('a store failure once the guest is through is logged, and the guest stays signed in', async (t) => {
  const r = rig(t)
  const v = addVoucher(r.store, 'alice')
  r.store.db.exec(`CREATE TRIGGER no_success BEFORE INSERT ON logins WHEN NEW.result = 'success'
    BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
  t.same(await portalLogin(r.deps, A, code('alice')), { ok: true, login: 'alice', minutes: 1440 }, 'voucher: signed in')
  t.same(r.store.vouchers.byId(v.id), v, 'the binding and stamps went with the failed transaction')
  t.same(r.store.usage.devices(v.id), [], 'no device bound')
  t.same(r.noted, [], 'no stamp to note')
  t.same(await portalLogin(r.deps, B, email('b@example.com')), { ok: true, login: 'b@example.com', minutes: 60 }, 'e-mail: signed in')
  t.same([...r.store.guestUsers.list('email')], [], 'the visit went with it')
  t.match(r.lines.filter((l) => l.startsWith('error:')), [
    `error: portal: voucher alice on ${A.mac} (${A.ip}) is online, but the sign-in was not recorded: database or disk is full`,
    /^error: portal: email b@example\.com on .* is online, but the sign-in was not recorded: database or disk is full$/,
  ], 'one error line each')
  t.equal(r.events.length, 2, 'the logins are still announced')
})

t.test('autoReauth lets a bound device of a started, valid voucher back in without the code', async (t) => {
  const r = rig(t, { maxSessionMinutes: 60 })
  const v = addVoucher(r.store, 'alice', { download_limit: 100 })
  await portalLogin(r.deps, A, code('alice'))
  r.clock.now = T0 + 2 * HOUR
  r.used.set(v.id, { downloadBytes: 40 * MiB, uploadBytes: 0 })
  t.same(await autoReauth(r.deps, A), { ok: true, login: 'alice', minutes: 60 }, 'let back in')
  t.same(r.calls[1], { target: A.ip, grant: { minutes: 60, downloadQuotaKiB: 60 * 1024, custom: `hs-v${v.id}` } }, 'with the time and quota left')
  t.match(r.store.vouchers.byId(v.id), { first_login: T0, last_login: T0 + 2 * HOUR }, 'last_login moved')
  t.same(r.noted, [v.id], 'no new stamp')
  t.same(logRows(r.store)[1], logged(A, 'voucher', 'alice', 'success', T0 + 2 * HOUR), 'logged as a voucher success')
  t.same(r.events[1]?.data, { event: 'login', method: 'voucher', username: 'alice', mac: A.mac, auto: true }, 'announced as automatic')
  t.match(r.lines[1], /^info: portal: voucher alice on .* let back in \(automatic re-login\) for 60 min$/, 'logged as an automatic re-login')
})

t.test('autoReauth picks the most recently bound voucher that may let the device in', async (t) => {
  const r = rig(t, { maxDevices: 0 })
  const old = addVoucher(r.store, 'old', { download_limit: 10 })
  const newer = addVoucher(r.store, 'newer')
  const newest = addVoucher(r.store, 'newest', { valid_for: '1 hour' })
  for (const [name, at] of [['old', T0], ['newer', T0 + 60], ['newest', T0 + 120]] as const) {
    r.clock.now = at
    await portalLogin(r.deps, A, code(name))
  }
  r.used.set(old.id, { downloadBytes: 10 * MiB, uploadBytes: 0 })
  r.clock.now = T0 + 2 * HOUR
  t.same(await autoReauth(r.deps, A), { ok: true, login: 'newer', minutes: 1321 }, 'the newest is expired: the next one')
  t.equal(r.calls.at(-1)?.grant.custom, `hs-v${newer.id}`, 'its session')
  r.store.vouchers.remove('newer')
  t.equal(await autoReauth(r.deps, A), undefined, 'the rest expired or used up: none')
  t.same(r.store.vouchers.byId(newest.id)?.last_login, T0 + 120, 'nothing stamped')
})

t.test('autoReauth finds nothing for a device without a usable voucher', async (t) => {
  const r = rig(t)
  const v = addVoucher(r.store, 'alice')
  t.equal(await autoReauth(r.deps, A), undefined, 'a device never bound')
  r.store.usage.bind(v.id, A.mac, T0)
  t.equal(await autoReauth(r.deps, A), undefined, 'bound, but the voucher never started')
  r.store.db.exec(`INSERT INTO voucher_devices (voucher_id, mac, first_seen) VALUES (99, '${B.mac}', ${T0})`)
  t.equal(await autoReauth(r.deps, B), undefined, 'a binding left behind by a voucher that is gone is skipped')
  await portalLogin(r.deps, A, code('alice'))
  r.settings.voucher = false
  t.equal(await autoReauth(r.deps, A), undefined, 'voucher sign-in switched off')
  t.same(r.calls.length, 1, 'openNDS asked only for the sign-in')
  t.same(logRows(r.store).length, 1, 'nothing more logged')
})

t.test('autoReauth: a device whose voucher runs on with the clock unset comes back', async (t) => {
  const r = rig(t)
  addVoucher(r.store, 'alice', { valid_for: '1 hour' })
  await portalLogin(r.deps, A, code('alice'))
  r.clock.now = CLOCK_FLOOR - 100
  t.same(await autoReauth(r.deps, A), { ok: true, login: 'alice', minutes: 60 }, 'let back in')
})

t.test('autoReauth reports openNDS saying no or failing, and ignores the throttle', async (t) => {
  const r = rig(t)
  addVoucher(r.store, 'alice')
  await portalLogin(r.deps, A, code('alice'))
  for (let i = 0; i < 3; i++) await portalLogin(r.deps, A, code('alice', 'wrong'))
  r.nds.hook = () => { throw new NdsctlError('refused', 'no', 1) }
  t.same(await autoReauth(r.deps, A), refusedWith('already_connected'), 'refused by openNDS')
  r.nds.hook = () => { throw new NdsctlError('timeout', 'ndsctl auth: no answer within 10000 ms, killed') }
  t.same(await autoReauth(r.deps, A), refusedWith('portal_unavailable'), 'openNDS trouble')
  r.nds.hook = undefined
  t.match(await autoReauth(r.deps, A), { ok: true }, 'a locked-out client whose device is bound still comes back')
  t.same(logRows(r.store).slice(-3).map((row) => (row as { result: string }).result), ['already_connected', 'portal_unavailable', 'success'], 'each logged')
})

const mobile = (phone: string, codeTyped: string, marketing = false): LoginRequest => ({ method: 'mobile', phone, code: codeTyped, marketing })

t.test('mobile: a code is sent to the number, and the code signs the device in as a verified mobile user', async (t) => {
  const r = rig(t)
  const sent = await requestMobileCode(r.deps, A, ' 07700 900-123 ', (c) => `Code ${c}`)
  t.same(sent, { ok: true, phone: '+447700900123' }, 'the national number takes the default country code')
  t.same(r.sms.sent, [{ to: '+447700900123', text: 'Code 123456', code: '123456' }], 'one message with the code')
  t.same(logRows(r.store), [], 'sending a code is not a sign-in')
  t.match(r.lines, [/info: portal: sign-in code sent to \+447700900123 for 02:77:00:00:00:11 \(10\.77\.0\.11\)/])
  const result = await portalLogin(r.deps, A, mobile('+44 7700 900123', ' 123 456 ', true))
  t.same(result, { ok: true, login: '+447700900123', minutes: 60 })
  t.same(r.calls, [{ target: A.ip, grant: { minutes: 60, custom: 'hs-m1' } }], 'the session names the mobile user row')
  t.match([...r.store.guestUsers.list('mobile')], [{ id: 1, mobile: '+447700900123', mac: A.mac, visits: 1, marketing: 1, verified: 1 }])
  t.same(logRows(r.store), [logged(A, 'mobile', '+447700900123', 'success')])
  t.match(r.events, [{ event: 'hotspot.session', data: { event: 'login', method: 'mobile', login: '+447700900123', mac: A.mac } }])
  t.same(await portalLogin(r.deps, A, mobile('+447700900123', '123456')), refusedWith('code_expired'), 'a code is good once')
})

t.test('mobile: numbers are checked; without a default country code one must be given', async (t) => {
  const r = rig(t, { countryCode: '' })
  for (const bad of ['07700 900123', '+44 12', '+0 7700 900123', 'call me', '+44 7700 900123 456 789']) {
    t.same(await requestMobileCode(r.deps, A, bad, String), { ok: false, reason: 'bad_phone' }, bad)
  }
  t.same(await requestMobileCode(r.deps, A, '0044 (7700) 900.123', String), { ok: true, phone: '+447700900123' }, "'00' stands for '+'")
  t.same(await portalLogin(r.deps, A, mobile('07700 900123', '123456')), refusedWith('bad_phone'), 'at sign-in too')
  t.same(r.sms.sent.length, 1, 'nothing sent for a bad number')
  t.match(logRows(r.store), [logged(A, 'mobile', '07700 900123', 'bad_phone')], 'refusals are logged under the number as typed')
  t.equal(logRows(r.store).length, 6)
})

t.test('mobile: a code belongs to the device that asked for it, and takes five wrong tries', async (t) => {
  const r = rig(t)
  r.throttle = new Throttle({ limit: 100, windowMs: 600_000, lockMs: 900_000 })
  r.deps.throttle = r.throttle
  await requestMobileCode(r.deps, A, '+447700900123', String)
  t.same(await portalLogin(r.deps, B, mobile('+447700900123', '123456')), refusedWith('code_expired'), 'another device has no code for the number')
  for (let i = 0; i < 4; i++) t.same(await portalLogin(r.deps, A, mobile('+447700900123', '000000')), refusedWith('wrong_code'))
  t.same(await portalLogin(r.deps, A, mobile('+447700900123', '00000')), refusedWith('wrong_code'), 'the fifth wrong try')
  t.same(await portalLogin(r.deps, A, mobile('+447700900123', '123456')), refusedWith('code_expired'), 'then the right code is void')
  t.same(r.calls, [], 'openNDS never asked')
  t.same(logRows(r.store).map((row) => (row as { result: string }).result),
    ['code_expired', 'wrong_code', 'wrong_code', 'wrong_code', 'wrong_code', 'wrong_code', 'code_expired'])
})

t.test('mobile: wrong codes count against the client like wrong vouchers, and a locked-out client gets no code', async (t) => {
  const r = rig(t)
  await requestMobileCode(r.deps, A, '+447700900123', String)
  t.same(await portalLogin(r.deps, A, code('alice', 'nope')), refusedWith('wrong_credentials'), 'a wrong voucher first')
  t.same(await portalLogin(r.deps, A, mobile('+447700900123', '111111')), refusedWith('wrong_code'))
  t.same(await portalLogin(r.deps, A, mobile('+447700900123', '222222')), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 900 },
    'the third failure locks the client out')
  r.clock.now += 120
  t.same(await requestMobileCode(r.deps, A, '+447700900124', String), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 780 })
  t.same(await portalLogin(r.deps, A, mobile('+447700900123', '123456')), { ok: false, reason: 'too_many_attempts', retryAfterSeconds: 780 },
    'even the right code waits')
  t.equal(r.sms.sent.length, 1)
})

t.test('mobile: sends are limited, and a gateway failure drops the code and says so', async (t) => {
  const r = rig(t)
  await requestMobileCode(r.deps, A, '+447700900123', String)
  r.clock.now += 30
  t.same(await requestMobileCode(r.deps, A, '+447700900123', String), { ok: false, reason: 'otp_wait', retryAfterSeconds: 30 }, 'one per minute per number')
  r.clock.now += 30
  r.sms.hook = () => { throw new SmsError('SMS gateway sms.example: answered HTTP 500') }
  t.same(await requestMobileCode(r.deps, A, '+447700900123', String), { ok: false, reason: 'sms_failed' })
  t.match(r.lines.at(-2), /^warn: portal: no code sent to \+447700900123 for 02:77:00:00:00:11: SMS gateway sms\.example: answered HTTP 500$/)
  r.sms.hook = undefined
  t.same(await portalLogin(r.deps, A, mobile('+447700900123', '123457')), refusedWith('code_expired'), 'the code that was not sent is void')
  r.settings.smsPerHour = 2 // the failed send counts too
  r.clock.now += 60
  t.same(await requestMobileCode(r.deps, B, '+447700900200', String), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 3480 },
    "the owner's hourly cap counts every send")
  t.same(logRows(r.store).map((row) => [(row as { identity: string }).identity, (row as { result: string }).result]), [
    ['+447700900123', 'otp_wait'], ['+447700900123', 'sms_failed'], ['+447700900123', 'code_expired'], ['+447700900200', 'too_many_codes'],
  ])
  r.settings.mobile = false
  t.same(await requestMobileCode(r.deps, A, '+447700900123', String), { ok: false, reason: 'method_off' })
  t.same(await portalLogin(r.deps, A, mobile('+447700900123', '123456')), refusedWith('method_off'))
})

t.test('facebook: a verified profile signs in as a Facebook user; a failed flow is logged', async (t) => {
  const r = rig(t)
  const fb: LoginRequest = { method: 'facebook', id: '10228000000000001', name: ' Ann\u0007Lee ', email: 'ann@example.com' }
  t.same(await portalLogin(r.deps, A, fb), { ok: true, login: '10228000000000001', minutes: 60 })
  t.same(r.calls, [{ target: A.ip, grant: { minutes: 60, custom: 'hs-f1' } }])
  t.match([...r.store.guestUsers.list('facebook')], [{ id: 1, facebook_id: '10228000000000001', name: 'Ann Lee', email: 'ann@example.com', marketing: 0, visits: 1 }])
  noteRefusal(r.deps, B, 'facebook', 'access_denied', 'facebook_failed')
  t.same(logRows(r.store), [logged(A, 'facebook', '10228000000000001', 'success'), logged(B, 'facebook', 'access_denied', 'facebook_failed')])
  r.settings.facebook = false
  t.same(await portalLogin(r.deps, A, fb), refusedWith('method_off'))
})
