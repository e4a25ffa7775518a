import t, { type Test } from 'tap'
import {
  CLOCK_FLOOR,
  CLOCK_JUMP_TOLERANCE,
  type ClockStep,
  clockIsSet,
  clockJump,
  decideLogin,
  decideSession,
  DEFAULT_MAX_SESSION_MINUTES,
  type EnforcedVoucher,
  isRandomizedMac,
  type LoginDecision,
  type LoginGrant,
  loginGrant,
  mayAutoReauth,
  quota,
  type QuotaState,
  type SessionVerdict,
  shiftForJump,
  type Usage,
  type Validity,
  validForSeconds,
  validity,
} from '../../src/domain/enforcement'

const H = 3600
const D = 86400
const MiB = 1024 * 1024
/** 2026-01-01T00:00:00Z, a time with a set clock. */
const T0 = 1767225600
/** The clock of a router that booted without a battery-backed clock. */
const BOOT_1970 = 42
/** A stale OpenWrt image build time (sysfixtime), before the floor. */
const BUILD_2024 = 1717200000

const PHONE = 'AA:BB:CC:00:00:01'
const LAPTOP = '00:11:22:33:44:55'
const TABLET = '00:11:22:33:44:66'

const voucher = (o: Partial<EnforcedVoucher> = {}): EnforcedVoucher => ({
  valid_from: T0,
  valid_for: '1 hour',
  first_login: null,
  mac: null,
  download_limit: 0,
  upload_limit: 0,
  ...o,
})
const none: Usage = { downloadBytes: 0, uploadBytes: 0 }
const used = (downloadBytes: number, uploadBytes = 0): Usage => ({ downloadBytes, uploadBytes })

t.test('validForSeconds is the canonical table\'s', async (t) => {
  t.equal(validForSeconds('always'), null)
  t.equal(validForSeconds('2 hours'), 2 * H)
  t.equal(validForSeconds('365 days'), 365 * D)
  t.throws(() => validForSeconds('forever'), RangeError)
})

t.test('validity', async (t) => {
  const cases: Array<[string, Partial<EnforcedVoucher>, number, Validity]> = [
    ['before valid_from', { valid_from: T0 + 10 }, T0, { state: 'not_yet', startsAt: T0 + 10 }],
    ['at valid_from, never used: would end one length from now', {}, T0, { state: 'valid', endsAt: T0 + H }],
    ['long after valid_from, never used: does not age', {}, T0 + 30 * D, { state: 'valid', endsAt: T0 + 30 * D + H }],
    ['always, never used', { valid_for: 'always' }, T0, { state: 'valid', endsAt: null }],
    ['always, never used, too early', { valid_for: 'always', valid_from: T0 + 1 }, T0, { state: 'not_yet', startsAt: T0 + 1 }],
    ['started, counts from first login', { first_login: T0 + 100 }, T0 + 200, { state: 'valid', endsAt: T0 + 100 + H }],
    ['started, one second before the end', { first_login: T0 }, T0 + H - 1, { state: 'valid', endsAt: T0 + H }],
    ['started, at the end: expired', { first_login: T0 }, T0 + H, { state: 'expired', endedAt: T0 + H }],
    ['started, long after the end', { first_login: T0, valid_for: '2 days' }, T0 + 9 * D, { state: 'expired', endedAt: T0 + 2 * D }],
    ['started, always never ends', { first_login: T0, valid_for: 'always' }, T0 + 9999 * D, { state: 'valid', endsAt: null }],
    ['started, clock stepped back before valid_from: still valid', { first_login: T0 }, T0 - 500, { state: 'valid', endsAt: T0 + H }],
  ]
  for (const [name, o, now, want] of cases) t.same(validity(voucher(o), now), want, name)
  t.throws(() => validity(voucher({ valid_for: '1 Day' }), T0), RangeError, 'a non-canonical valid_for is an error')
})

t.test('the clock floor', async (t) => {
  t.equal(CLOCK_FLOOR, Date.UTC(2025, 0, 1) / 1000, '2025-01-01T00:00:00Z')
  const cases: Array<[string, number, boolean]> = [
    ['1970 at boot', BOOT_1970, false],
    ['epoch 0', 0, false],
    ['a 2024 image build time', BUILD_2024, false],
    ['one second before the floor', CLOCK_FLOOR - 1, false],
    ['the floor', CLOCK_FLOOR, true],
    ['2026', T0, true],
  ]
  for (const [name, now, want] of cases) t.equal(clockIsSet(now), want, name)
})

t.test('clock jumps', async (t) => {
  t.equal(CLOCK_JUMP_TOLERANCE, 60)
  const cases: Array<[string, ClockStep, number | undefined, number]> = [
    ['a normal poll', { wallDelta: 5, monoDelta: 5 }, undefined, 0],
    ['a slow poll', { wallDelta: 300, monoDelta: 300 }, undefined, 0],
    ['NTP corrects a few seconds forward', { wallDelta: 8, monoDelta: 5 }, undefined, 0],
    ['a small backward step', { wallDelta: 3, monoDelta: 5 }, undefined, 0],
    ['exactly the tolerance is not a jump', { wallDelta: 65, monoDelta: 5 }, undefined, 0],
    ['NTP sets a 1970 clock forward by years', { wallDelta: T0 - BOOT_1970, monoDelta: 5 }, undefined, T0 - BOOT_1970 - 5],
    ['NTP sets a stale sysfixtime clock forward by 3 hours', { wallDelta: 3 * H + 5, monoDelta: 5 }, undefined, 3 * H],
    ['a forward jump mid-session (date set a day ahead)', { wallDelta: D + 5, monoDelta: 5 }, undefined, D],
    ['a large backward step', { wallDelta: -2 * H + 5, monoDelta: 5 }, undefined, -2 * H],
    ['a tighter tolerance', { wallDelta: 15, monoDelta: 5 }, 5, 10],
    ['a negative tolerance counts as its size', { wallDelta: 8, monoDelta: 5 }, -5, 0],
    ['tolerance 0: any difference', { wallDelta: 6, monoDelta: 5 }, 0, 1],
  ]
  for (const [name, step, tolerance, want] of cases) {
    t.equal(tolerance === undefined ? clockJump(step) : clockJump(step, tolerance), want, name)
  }
})

t.test('shiftForJump', async (t) => {
  const cases: Array<[string, number | null, number, boolean, number | null]> = [
    ['never recorded', null, 3 * H, true, null],
    ['recorded with a correct clock (earlier boot)', T0, 3 * H, false, T0],
    ['recorded with the stale clock, moved forward', T0 - 3 * H + 10, 3 * H, true, T0 + 10],
    ['recorded at 1970, moved by years', BOOT_1970 + 5, T0 - BOOT_1970, true, T0 + 5],
    ['recorded before a backward step, moved back', T0 + 2 * H, -2 * H, true, T0],
    ['no jump', T0, 0, true, T0],
  ]
  for (const [name, ts, jump, before, want] of cases) t.equal(shiftForJump(ts, jump, before), want, name)
})

t.test('quota', async (t) => {
  const cases: Array<[string, number, number, QuotaState]> = [
    ['0 MB is unlimited', 0, 10 ** 12, { state: 'unlimited' }],
    ['nothing used', 1, 0, { state: 'remaining', bytes: MiB }],
    ['partly used', 10, 4 * MiB, { state: 'remaining', bytes: 6 * MiB }],
    ['one byte left', 1, MiB - 1, { state: 'remaining', bytes: 1 }],
    ['used = limit is exhausted', 1, MiB, { state: 'exhausted' }],
    ['overshoot (checked every checkinterval) is exhausted', 1, 5 * MiB, { state: 'exhausted' }],
    ['a negative count counts as none', 1, -5, { state: 'remaining', bytes: MiB }],
  ]
  for (const [name, limit, usedBytes, want] of cases) t.same(quota(limit, usedBytes), want, name)
})

t.test('loginGrant', async (t) => {
  t.equal(DEFAULT_MAX_SESSION_MINUTES, 1440)
  const cases: Array<[string, Partial<EnforcedVoucher>, Usage, number, number | undefined, LoginGrant]> = [
    ['never used 1 hour: 60 minutes, no quotas', {}, none, T0, undefined, { minutes: 60 }],
    ['started: minutes left', { first_login: T0 }, none, T0 + 30 * 60, undefined, { minutes: 30 }],
    ['a part minute rounds up', { first_login: T0 }, none, T0 + 30 * 60 + 1, undefined, { minutes: 30 }],
    ['a part minute rounds up (59 s left)', { first_login: T0 }, none, T0 + H - 59, undefined, { minutes: 1 }],
    ['1 second left is 1 minute', { first_login: T0 }, none, T0 + H - 1, undefined, { minutes: 1 }],
    ['expired gives the smallest grant, never 0', { first_login: T0 }, none, T0 + 2 * H, undefined, { minutes: 1 }],
    ['always: the default cap', { valid_for: 'always' }, none, T0, undefined, { minutes: 1440 }],
    ['always: a configured cap', { valid_for: 'always', first_login: T0 }, none, T0 + D, 720, { minutes: 720 }],
    ['a long voucher is capped too', { valid_for: '30 days' }, none, T0, undefined, { minutes: 1440 }],
    ['a larger cap lets it run to the end', { valid_for: '30 days', first_login: T0 }, none, T0 + D, 100000, { minutes: 29 * 1440 }],
    ['a cap below 1 is 1', { valid_for: 'always' }, none, T0, 0, { minutes: 1 }],
    ['a fractional cap is floored', { valid_for: 'always' }, none, T0, 90.7, { minutes: 90 }],
    ['clock behind the first login: no more than the whole length',
      { first_login: T0 }, none, BUILD_2024, undefined, { minutes: 60 }],
    ['quotas in KiB, download and upload',
      { download_limit: 10, upload_limit: 2 }, used(MiB, 512 * 1024), T0, undefined,
      { minutes: 60, downloadQuotaKiB: 9 * 1024, uploadQuotaKiB: 1536 }],
    ['KiB round down', { download_limit: 1 }, used(1500), T0, undefined, { minutes: 60, downloadQuotaKiB: 1022 }],
    ['less than 1 KiB left is 1 KiB, never 0', { download_limit: 1 }, used(MiB - 100), T0, undefined,
      { minutes: 60, downloadQuotaKiB: 1 }],
    ['exhausted gives 1 KiB', { upload_limit: 1 }, used(0, 2 * MiB), T0, undefined, { minutes: 60, uploadQuotaKiB: 1 }],
    ['the largest limit', { download_limit: 9437184 }, none, T0, undefined, { minutes: 60, downloadQuotaKiB: 9437184 * 1024 }],
  ]
  for (const [name, o, usage, now, cap, want] of cases) {
    const got = cap === undefined ? loginGrant(voucher(o), usage, now) : loginGrant(voucher(o), usage, now, { maxSessionMinutes: cap })
    t.same(got, want, name)
    t.ok(got.minutes >= 1 && got.downloadQuotaKiB !== 0 && got.uploadQuotaKiB !== 0, `${name}: no 0 reaches openNDS`)
  }
  t.notOk('downloadQuotaKiB' in loginGrant(voucher(), none, T0), 'unlimited is left out, not 0')
  t.same(loginGrant(voucher({ first_login: T0 }), none, T0 + 10, {}), { minutes: 60 }, 'empty options')
})

interface LoginCase {
  name: string
  v?: Partial<EnforcedVoucher>
  usage?: Usage
  mac?: string
  bound?: string[]
  maxDevices?: number
  now?: number
  clockSet?: boolean
  maxSessionMinutes?: number
  want: LoginDecision
}

const loginCases: LoginCase[] = [
  // validity
  { name: 'first login: binds the device and starts the voucher', want: { ok: true, grant: { minutes: 60 }, bind: PHONE, firstLogin: T0 } },
  { name: 'before valid_from', v: { valid_from: T0 + 60 }, want: { ok: false, reason: 'not_yet_valid' } },
  { name: 'expired', v: { first_login: T0 - 2 * H, mac: PHONE }, want: { ok: false, reason: 'expired' } },
  { name: 'expired at the exact end', v: { first_login: T0 - H, mac: PHONE }, want: { ok: false, reason: 'expired' } },
  { name: 'started and valid: no new binding, no new start',
    v: { first_login: T0 - 30 * 60, mac: PHONE }, want: { ok: true, grant: { minutes: 30 } } },
  { name: 'always, long after the first login',
    v: { valid_for: 'always', first_login: T0 - 400 * D, mac: PHONE }, maxSessionMinutes: 60, want: { ok: true, grant: { minutes: 60 } } },
  // data limits
  { name: 'download used up', v: { download_limit: 5 }, usage: used(5 * MiB), want: { ok: false, reason: 'download_exhausted' } },
  { name: 'upload used up', v: { upload_limit: 5 }, usage: used(0, 6 * MiB), want: { ok: false, reason: 'upload_exhausted' } },
  { name: 'both used up: download is named', v: { download_limit: 1, upload_limit: 1 }, usage: used(MiB, MiB),
    want: { ok: false, reason: 'download_exhausted' } },
  { name: 'quota left is handed over', v: { download_limit: 5, upload_limit: 1 }, usage: used(MiB),
    want: { ok: true, grant: { minutes: 60, downloadQuotaKiB: 4096, uploadQuotaKiB: 1024 }, bind: PHONE, firstLogin: T0 } },
  // devices
  { name: 'the bound device, written differently', v: { first_login: T0, mac: PHONE }, mac: 'aa-bb-cc-00-00-01',
    want: { ok: true, grant: { minutes: 60 } } },
  { name: 'another device, one allowed', v: { first_login: T0, mac: PHONE }, mac: LAPTOP, want: { ok: false, reason: 'other_device' } },
  { name: 'another device, two allowed: bound second', v: { first_login: T0, mac: PHONE }, mac: '00:11:22:33:44:55 ',
    maxDevices: 2, want: { ok: true, grant: { minutes: 60 }, bind: LAPTOP } },
  { name: 'a third device, two allowed and two bound', v: { first_login: T0, mac: PHONE }, bound: [LAPTOP], mac: TABLET,
    maxDevices: 2, want: { ok: false, reason: 'other_device' } },
  { name: 'a device bound in the extra list', v: { first_login: T0, mac: PHONE }, bound: [LAPTOP.toLowerCase()], mac: LAPTOP,
    maxDevices: 2, want: { ok: true, grant: { minutes: 60 } } },
  { name: 'the extra list repeats v.mac: counted once', v: { first_login: T0, mac: PHONE }, bound: [PHONE], mac: LAPTOP,
    maxDevices: 2, want: { ok: true, grant: { minutes: 60 }, bind: LAPTOP } },
  { name: 'limit lowered below the bound count: bound devices keep their place',
    v: { first_login: T0, mac: PHONE }, bound: [LAPTOP, TABLET], mac: TABLET, maxDevices: 1, want: { ok: true, grant: { minutes: 60 } } },
  { name: 'maxDevices 0: no limit, still recorded', v: { first_login: T0, mac: PHONE }, bound: [LAPTOP], mac: TABLET,
    maxDevices: 0, want: { ok: true, grant: { minutes: 60 }, bind: TABLET } },
  { name: 'a rotated random MAC is a new device', v: { first_login: T0, mac: '3A:11:22:33:44:55' }, mac: '7E:99:88:77:66:55',
    want: { ok: false, reason: 'other_device' } },
  { name: 'time is refused before the device is judged', v: { first_login: T0 - 2 * H, mac: PHONE }, mac: LAPTOP,
    want: { ok: false, reason: 'expired' } },
  // unset clock (router booted, NTP not yet there)
  { name: 'clock unset: a never-used voucher does not start', now: BOOT_1970, clockSet: false, want: { ok: false, reason: 'clock_unset' } },
  { name: 'clock unset: a never-used voucher that is valid from 1970 does not start either',
    v: { valid_from: 0 }, now: BOOT_1970, clockSet: false, want: { ok: false, reason: 'clock_unset' } },
  { name: 'clock unset: a started voucher lets its device back in, not judged expired',
    v: { first_login: T0 - 5 * H, mac: PHONE }, now: BOOT_1970, clockSet: false, want: { ok: true, grant: { minutes: 60 } } },
  { name: 'clock unset: quotas still count', v: { first_login: T0, mac: PHONE, download_limit: 1 }, usage: used(MiB),
    now: BOOT_1970, clockSet: false, want: { ok: false, reason: 'download_exhausted' } },
  { name: 'clock unset: devices still count', v: { first_login: T0, mac: PHONE }, mac: LAPTOP,
    now: BOOT_1970, clockSet: false, want: { ok: false, reason: 'other_device' } },
  { name: 'clock set but stale (sysfixtime, behind): a started voucher is not stretched',
    v: { first_login: T0, mac: PHONE }, now: T0 - 3 * H, want: { ok: true, grant: { minutes: 60 } } },
  { name: 'caller-declared unset clock above the floor', now: T0, clockSet: false, want: { ok: false, reason: 'clock_unset' } },
]

t.test('decideLogin', async (t) => {
  for (const c of loginCases) {
    const opts = {
      maxDevices: c.maxDevices ?? 1,
      now: c.now ?? T0,
      clockSet: c.clockSet ?? true,
      ...(c.maxSessionMinutes === undefined ? {} : { maxSessionMinutes: c.maxSessionMinutes }),
    }
    t.same(decideLogin(voucher(c.v), c.usage ?? none, c.mac ?? PHONE, c.bound ?? [], opts), c.want, c.name)
  }
})

t.test('decideSession', async (t) => {
  const cases: Array<[string, EnforcedVoucher | undefined, Usage, number, boolean, SessionVerdict]> = [
    ['voucher removed', undefined, none, T0, true, { action: 'deauth', reason: 'removed' }],
    ['voucher removed, clock unset', undefined, none, BOOT_1970, false, { action: 'deauth', reason: 'removed' }],
    ['valid', voucher({ first_login: T0 }), none, T0 + 10, true, { action: 'keep' }],
    ['expired', voucher({ first_login: T0 }), none, T0 + H, true, { action: 'deauth', reason: 'expired' }],
    ['always', voucher({ valid_for: 'always', first_login: T0 }), none, T0 + 999 * D, true, { action: 'keep' }],
    ['download reached', voucher({ first_login: T0, download_limit: 2 }), used(2 * MiB), T0 + 10, true,
      { action: 'deauth', reason: 'download_exhausted' }],
    ['upload overshoot', voucher({ first_login: T0, upload_limit: 2 }), used(0, 3 * MiB), T0 + 10, true,
      { action: 'deauth', reason: 'upload_exhausted' }],
    ['under the limits', voucher({ first_login: T0, download_limit: 2, upload_limit: 2 }), used(MiB, MiB), T0 + 10, true,
      { action: 'keep' }],
    ['never started and starts later', voucher({ valid_from: T0 + H }), none, T0, true, { action: 'deauth', reason: 'not_yet_valid' }],
    ['clock unset: not expired by a wrong clock', voucher({ first_login: T0 }), none, BOOT_1970, false, { action: 'keep' }],
    ['clock unset: stale voucher is not expired either', voucher({ first_login: BOOT_1970 - 10 }), none, BOOT_1970 + 10 * H, false,
      { action: 'keep' }],
    ['clock unset: quota still ends it', voucher({ first_login: T0, download_limit: 1 }), used(MiB), BOOT_1970, false,
      { action: 'deauth', reason: 'download_exhausted' }],
    ['clock unset: quota of a never-started voucher still ends it', voucher({ upload_limit: 1 }), used(0, MiB), BOOT_1970, false,
      { action: 'deauth', reason: 'upload_exhausted' }],
  ]
  for (const [name, v, usage, now, clockSet, want] of cases) t.same(decideSession(v, usage, now, clockSet), want, name)
})

t.test('isRandomizedMac', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['00:11:22:33:44:55', false],
    ['3C:22:FB:01:02:03', false],
    ['02:00:00:00:00:00', true],
    ['DA:A1:19:00:00:01', true],
    ['da:a1:19:00:00:01', true],
    ['3a-11-22-33-44-55', true],
    ['3a1122334455', true],
    [' 06:11:22:33:44:55 ', true],
    ['01:00:5E:00:00:01', false],
    ['03:00:00:00:00:00', true],
    ['', false],
    ['zz:11:22:33:44:55', false],
    ['02:11:22:33:44', false],
  ]
  for (const [mac, want] of cases) t.equal(isRandomizedMac(mac), want, `${JSON.stringify(mac)} is ${want ? '' : 'not '}randomized`)
})

t.test('mayAutoReauth', async (t) => {
  const cases: Array<[string, Partial<EnforcedVoucher>, string, string[], Usage, number, boolean, boolean]> = [
    ['bound device, valid', { first_login: T0, mac: PHONE }, PHONE, [], none, T0 + 10, true, true],
    ['bound device, case differs', { first_login: T0, mac: PHONE }, PHONE.toLowerCase(), [], none, T0 + 10, true, true],
    ['second bound device', { first_login: T0, mac: PHONE }, LAPTOP, [LAPTOP], none, T0 + 10, true, true],
    ['unknown device', { first_login: T0, mac: PHONE }, LAPTOP, [], none, T0 + 10, true, false],
    ['expired', { first_login: T0, mac: PHONE }, PHONE, [], none, T0 + H, true, false],
    ['download used up', { first_login: T0, mac: PHONE, download_limit: 1 }, PHONE, [], used(MiB), T0 + 10, true, false],
    ['upload used up', { first_login: T0, mac: PHONE, upload_limit: 1 }, PHONE, [], used(0, MiB), T0 + 10, true, false],
    ['never started (no binding yet)', { mac: null }, PHONE, [], none, T0, true, false],
    ['never started but listed', { mac: PHONE }, PHONE, [], none, T0, true, false],
    ['clock unset after a reboot: bound device is back', { first_login: T0, mac: PHONE }, PHONE, [], none, BOOT_1970, false, true],
    ['clock unset: quotas still count', { first_login: T0, mac: PHONE, download_limit: 1 }, PHONE, [], used(MiB), BOOT_1970, false, false],
    ['always, a day later (openNDS timed the session out)', { valid_for: 'always', first_login: T0, mac: PHONE }, PHONE, [], none,
      T0 + D, true, true],
  ]
  for (const [name, o, mac, bound, usage, now, clockSet, want] of cases) {
    t.equal(mayAutoReauth(voucher(o), mac, bound, usage, now, clockSet), want, name)
  }
})

/** The poll loop's clock handling, end to end, with the functions above. */
t.test('clock scenarios', async (t) => {
  const poll = (v: EnforcedVoucher, now: number): SessionVerdict => decideSession(v, none, now, clockIsSet(now))

  t.test('boot with a 1970 clock, then NTP sets it forward by years', async (t: Test) => {
    // Started in an earlier boot, with a correct clock: 1 day voucher, 2 hours in.
    const earlier = voucher({ valid_for: '1 day', first_login: T0 - 2 * H, mac: PHONE })
    const fresh = voucher({ valid_from: T0 - D })
    const boot = BOOT_1970
    t.notOk(clockIsSet(boot))
    t.same(decideLogin(fresh, none, LAPTOP, [], { maxDevices: 1, now: boot, clockSet: clockIsSet(boot) }),
      { ok: false, reason: 'clock_unset' }, 'a new code waits for the clock')
    t.ok(mayAutoReauth(earlier, PHONE, [], none, boot, clockIsSet(boot)), 'the returning phone is let back in')
    t.same(poll(earlier, boot + 30), { action: 'keep' }, 'nothing expires meanwhile')
    // NTP: 40 s of real time passed, the wall clock moved by years.
    const now = T0 + 40
    const jump = clockJump({ wallDelta: now - boot, monoDelta: 40 })
    t.equal(jump, T0 - boot, 'the jump')
    t.equal(shiftForJump(earlier.first_login, jump, false), T0 - 2 * H, 'an earlier boot\'s first login is not moved')
    t.same(poll(earlier, now), { action: 'keep' }, 'still 22 hours left')
    t.same(decideLogin(fresh, none, LAPTOP, [], { maxDevices: 1, now, clockSet: clockIsSet(now) }),
      { ok: true, grant: { minutes: 60 }, bind: LAPTOP, firstLogin: now }, 'the new code now starts')
  })

  t.test('a voucher that ran out during a power cut expires after NTP', async (t) => {
    const v = voucher({ first_login: T0 - 3 * H, mac: PHONE })
    t.same(poll(v, BOOT_1970), { action: 'keep' }, 'not while the clock is unset')
    t.same(poll(v, T0), { action: 'deauth', reason: 'expired' }, 'once it is set')
  })

  t.test('a stale (sysfixtime) clock stepped forward by NTP does not expire vouchers started meanwhile', async (t) => {
    const stale = T0 - 5 * H // the database's last write before a 5-hour power cut
    t.ok(clockIsSet(stale), 'above the floor, so not obviously unset')
    const login = decideLogin(voucher({ valid_from: stale - D }), none, PHONE, [], { maxDevices: 1, now: stale, clockSet: true })
    t.same(login, { ok: true, grant: { minutes: 60 }, bind: PHONE, firstLogin: stale })
    const v = voucher({ valid_from: stale - D, first_login: stale, mac: PHONE })
    // 10 minutes later NTP steps the clock forward by 5 hours.
    const jump = clockJump({ wallDelta: 5 * H + 600, monoDelta: 600 })
    t.equal(jump, 5 * H)
    const now = T0 + 600
    t.same(poll(v, now), { action: 'deauth', reason: 'expired' }, 'without the shift it would expire at once')
    const shifted = { ...v, first_login: shiftForJump(v.first_login, jump, true) }
    t.equal(shifted.first_login, T0)
    t.same(poll(shifted, now), { action: 'keep' }, 'with it, 10 minutes have passed')
    t.same(loginGrant(shifted, none, now), { minutes: 50 }, 'and 50 are left')
  })

  t.test('a small backward step is ignored', async (t) => {
    const v = voucher({ first_login: T0, mac: PHONE })
    const jump = clockJump({ wallDelta: 5 - 3, monoDelta: 5 })
    t.equal(jump, 0)
    t.equal(shiftForJump(v.first_login, jump, true), T0, 'nothing moves')
    t.same(poll(v, T0 + H - 3), { action: 'keep' })
    t.same(poll(v, T0 + H), { action: 'deauth', reason: 'expired' }, 'the end moves by the step at most')
  })

  t.test('a forward jump mid-session (date set a day ahead)', async (t) => {
    const v = voucher({ valid_for: '2 hours', first_login: T0, mac: PHONE })
    const jump = clockJump({ wallDelta: D + 5, monoDelta: 5 })
    const now = T0 + H + D + 5
    t.same(poll(v, now), { action: 'deauth', reason: 'expired' }, 'unshifted, the day ahead counts')
    const shifted = { ...v, first_login: shiftForJump(v.first_login, jump, true) }
    t.same(poll(shifted, now), { action: 'keep' }, 'shifted, an hour and 5 s have passed')
    t.ok(mayAutoReauth(shifted, PHONE, [], none, now, true), 'openNDS timing it out lets the phone back in')
  })
})
