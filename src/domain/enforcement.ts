/**
 * @module domain/enforcement
 * The decisions of voucher enforcement: may this device log in with this voucher, what does
 * openNDS get told at `ndsctl auth`, must a live session end, may a device that openNDS forgot be
 * let back in. Pure functions: no I/O, and the time is always a parameter (`now`, epoch seconds).
 *
 * Rules and the choices behind them:
 *
 * - **Validity.** A voucher is not valid before `valid_from`. Its `valid_for` counts from its
 *   first login ('always' never ends); it ends at `first_login + valid_for`, and from that second
 *   on it is expired. Once started, `valid_from` no longer matters (a clock stepping back does not
 *   lock out a voucher in use). An expired voucher is refused at login and its live sessions are
 *   deauthenticated.
 * - **Data limits.** `download_limit` / `upload_limit` (MB = MiB, 0 = unlimited) are totals for
 *   the voucher over all its sessions, devices and reboots; the caller sums what it has counted.
 *   A quota is exhausted when used ≥ limit. The remainder is handed to openNDS at login, in KiB
 *   rounded down but at least 1: openNDS reads a quota of 0 as "the global default", not as
 *   "nothing left" nor "unlimited", so an unlimited quota is left out instead. openNDS checks
 *   quotas only every checkinterval and forgets its counters at deauth, so the poll loop checks
 *   the counted totals too ({@link decideSession}).
 * - **Session length.** openNDS gets the minutes until the voucher ends, rounded up, at least 1,
 *   never more than the voucher's whole length (a clock running behind cannot stretch a session)
 *   and never more than `maxSessionMinutes` (default {@link DEFAULT_MAX_SESSION_MINUTES}; openNDS
 *   reads 0 as its global default, so 'always' needs a finite number too). A longer validity is
 *   served by successive sessions: when openNDS times a session out, the bound device is let back
 *   in by {@link mayAutoReauth}.
 * - **Devices.** The first device that logs in with a voucher is bound to it (its MAC is
 *   recorded). Up to `maxDevices` distinct MACs are bound, first come first served; a bound device
 *   is always let in, another device is refused with 'other_device' once the voucher has its
 *   number. `maxDevices` ≤ 0 means no limit (every device is still recorded, so each one comes back
 *   without the code). Lowering the limit keeps the devices already bound.
 * - **Randomized MACs.** Phones use a locally administered MAC ({@link isRandomizedMac}). Android
 *   (10+) and iOS (14+) keep one such MAC per network (SSID) by default, so binding works as for a
 *   real MAC. With rotation turned on (iOS 18 "Rotating", Android "non-persistent" randomization)
 *   the phone looks like a new device after each rotation: it takes another device slot, and once
 *   the voucher has `maxDevices` it is refused with 'other_device' (the portal can suggest turning
 *   off private/rotating addresses for this network, or the owner unbinds the voucher).
 * - **Forgotten devices.** openNDS forgets every client at deauth, restart or reboot. A bound
 *   device whose voucher is still valid and not exhausted is let back in without the code
 *   ({@link mayAutoReauth}).
 * - **Clock unset.** A router without a battery-backed clock boots with a wrong time until NTP
 *   sets it. Below {@link CLOCK_FLOOR} the clock is "obviously unset" ({@link clockIsSet}); the
 *   caller may also treat it as unset until NTP has synchronised. While it is unset:
 *   no voucher expires (sessions are not ended for time, only for quota or removal), and no
 *   validity starts: a voucher that was never used is refused with 'clock_unset' (the portal says
 *   "try again in a minute"), because neither `valid_from` nor a first login can be judged or
 *   recorded with a wrong time. A voucher that has already started is let in (bound device, quota
 *   left), so guests return at once after a power cut. Without an uplink there is neither NTP nor
 *   internet to give, and with one NTP sets the clock within a minute, so a café owner sees
 *   returning guests reconnect and a new code work a minute after the router is back.
 * - **Clock jumps.** The loop compares, between two polls, the wall clock with the monotonic
 *   clock ({@link clockJump}); a difference beyond a tolerance is a step of the wall clock (NTP
 *   setting a clock that ran behind, by minutes or by years, or someone setting the date).
 *   Timestamps the daemon recorded since it started (`first_login`, already moved by any earlier
 *   jump, so in the old clock's time) are moved by the jump ({@link shiftForJump}), so validity counts the time
 *   that really passed and a jump does not expire at once every voucher started before it.
 *   Timestamps recorded before that (in an earlier boot, with a correct clock) stay as they are: a
 *   voucher that really ran out during a power cut does expire. Steps within the tolerance (NTP
 *   correcting a few seconds either way) are ignored: they move an end by seconds.
 */
import { limitBytes } from './limits'
import { validForSeconds } from './valid-for'

export { validForSeconds }

/** The voucher fields that enforcement reads; a `VoucherRow` has them all. */
export interface EnforcedVoucher {
  /** Epoch seconds: not valid before. */
  valid_from: number
  /** Canonical: 'always', 'N hour(s)', 'N day(s)'. */
  valid_for: string
  /** Epoch seconds of the first login, null while never used. */
  first_login: number | null
  /** The first device bound to the voucher, null until first use. */
  mac: string | null
  /** MB (MiB); 0 is unlimited. */
  download_limit: number
  upload_limit: number
}

/** Where a voucher stands in time at one moment. */
export type Validity =
  | { state: 'not_yet'; startsAt: number }
  /** endsAt: when it ends (if it has not started yet: when it would end if it started now); null for 'always'. */
  | { state: 'valid'; endsAt: number | null }
  | { state: 'expired'; endedAt: number }

/**
 * Where a voucher stands at `now`: 'not_yet' before `valid_from` (while never used), else
 * 'valid' until `first_login + valid_for` and 'expired' from then on. Before the first login
 * `endsAt` is the end it would have if it started now.
 * @throws RangeError when `valid_for` is not a canonical value
 */
export const validity = (
  v: Pick<EnforcedVoucher, 'valid_from' | 'valid_for' | 'first_login'>,
  now: number,
): Validity => {
  const length = validForSeconds(v.valid_for)
  if (v.first_login === null) {
    if (now < v.valid_from) return { state: 'not_yet', startsAt: v.valid_from }
    return { state: 'valid', endsAt: length === null ? null : now + length }
  }
  if (length === null) return { state: 'valid', endsAt: null }
  const end = v.first_login + length
  return now < end ? { state: 'valid', endsAt: end } : { state: 'expired', endedAt: end }
}

/**
 * 2025-01-01T00:00:00Z. A router without a battery-backed clock starts at 1970 or, on OpenWrt, at
 * the time `sysfixtime` takes from the newest file under /etc (the image's build time, or the
 * database's last write when it lives in /etc), until sysntpd sets it. hotspotd did not exist
 * before this date, so no correct clock reads earlier; a later but stale boot clock is caught as a
 * jump when NTP steps it ({@link clockJump}).
 */
export const CLOCK_FLOOR = 1735689600

/** False while the clock is obviously unset (before {@link CLOCK_FLOOR}). */
export const clockIsSet = (now: number): boolean => now >= CLOCK_FLOOR

/** Seconds that passed between two polls, by the wall clock and by the monotonic clock. */
export interface ClockStep {
  wallDelta: number
  monoDelta: number
}

/** Steps of the wall clock up to this many seconds either way are not jumps. */
export const CLOCK_JUMP_TOLERANCE = 60

/**
 * How far the wall clock was stepped between two polls: wall − monotonic elapsed time, in
 * seconds (positive: set forward), or 0 when that is within the tolerance.
 */
export const clockJump = (step: ClockStep, toleranceSeconds = CLOCK_JUMP_TOLERANCE): number => {
  const jump = step.wallDelta - step.monoDelta
  return Math.abs(jump) > Math.abs(toleranceSeconds) ? jump : 0
}

/**
 * A timestamp corrected for a clock jump: moved by the jump when it was recorded with the clock
 * the jump corrected (`recordedBefore`: stamped by this daemon since it started, before this
 * jump, and moved by the earlier ones), else unchanged. null (never recorded) stays null. Applied to
 * `first_login`, validity then counts the time that really passed.
 */
export const shiftForJump = (timestamp: number | null, jump: number, recordedBefore: boolean): number | null =>
  timestamp === null || !recordedBefore ? timestamp : timestamp + jump

/** What a voucher has used so far, over all its sessions, in bytes. */
export interface Usage {
  downloadBytes: number
  uploadBytes: number
}

export type QuotaState =
  | { state: 'unlimited' }
  | { state: 'remaining'; bytes: number }
  | { state: 'exhausted' }

/** What is left of a limit in MB (0: unlimited) after `usedBytes`; exhausted when used ≥ limit. */
export const quota = (limitMb: number, usedBytes: number): QuotaState => {
  const limit = limitBytes(limitMb)
  if (limit === null) return { state: 'unlimited' }
  const used = Math.max(0, usedBytes)
  return used >= limit ? { state: 'exhausted' } : { state: 'remaining', bytes: limit - used }
}

/** The longest session handed to openNDS unless told otherwise (a day). */
export const DEFAULT_MAX_SESSION_MINUTES = 1440

/** The arguments of `ndsctl auth` for a voucher. */
export interface LoginGrant {
  /** Session minutes, ≥ 1 (openNDS reads 0 as its global sessiontimeout). */
  minutes: number
  /** KiB (1024 bytes), ≥ 1 (openNDS reads 0 as its global quota); absent when unlimited. */
  downloadQuotaKiB?: number
  uploadQuotaKiB?: number
}

const quotaKiB = (q: QuotaState): number | undefined =>
  q.state === 'unlimited' ? undefined : q.state === 'exhausted' ? 1 : Math.max(1, Math.floor(q.bytes / 1024))

/**
 * What to pass to `ndsctl auth` for a voucher at `now`: the minutes until it ends, rounded up, at
 * least 1, at most its whole length and at most `maxSessionMinutes` (default
 * {@link DEFAULT_MAX_SESSION_MINUTES}, also the length of an 'always' session); the quotas left,
 * in KiB rounded down, at least 1, left out when unlimited. None of the numbers is ever 0, which
 * openNDS would read as "use the global default". Call it for a voucher {@link decideLogin}
 * accepted: for an expired or exhausted one it gives the smallest grant (1 minute, 1 KiB).
 */
export const loginGrant = (
  v: EnforcedVoucher,
  usage: Usage,
  now: number,
  opts: { maxSessionMinutes?: number } = {},
): LoginGrant => {
  const cap = Math.max(1, Math.floor(opts.maxSessionMinutes ?? DEFAULT_MAX_SESSION_MINUTES))
  const length = validForSeconds(v.valid_for)
  let minutes = cap
  if (length !== null) {
    const start = v.first_login ?? now
    const left = Math.min(length, Math.max(0, start + length - now))
    minutes = Math.max(1, Math.min(cap, Math.ceil(left / 60)))
  }
  const grant: LoginGrant = { minutes }
  const down = quotaKiB(quota(v.download_limit, usage.downloadBytes))
  const up = quotaKiB(quota(v.upload_limit, usage.uploadBytes))
  if (down !== undefined) grant.downloadQuotaKiB = down
  if (up !== undefined) grant.uploadQuotaKiB = up
  return grant
}

/** Why a login is refused. */
export type LoginRefusal =
  | 'not_yet_valid'
  | 'expired'
  | 'download_exhausted'
  | 'upload_exhausted'
  | 'other_device'
  | 'clock_unset'

export type LoginDecision =
  | {
    ok: true
    grant: LoginGrant
    /** A MAC to record as bound to the voucher (normalized: upper case, colons); absent when already bound. */
    bind?: string
    /** The first_login to record (now) when this login starts the voucher. */
    firstLogin?: number
  }
  | { ok: false; reason: LoginRefusal }

/** A MAC as the store keeps it: upper case, colon separated. */
const normalizeMac = (mac: string): string => mac.trim().toUpperCase().replace(/-/g, ':')

const boundSet = (v: Pick<EnforcedVoucher, 'mac'>, boundMacs: readonly string[]): Set<string> =>
  new Set([...(v.mac === null ? [] : [v.mac]), ...boundMacs].map(normalizeMac))

/** The time rule that refuses the voucher, or null; time is not judged while the clock is unset. */
const timeRule = (
  v: Pick<EnforcedVoucher, 'valid_from' | 'valid_for' | 'first_login'>,
  now: number,
  clockSet: boolean,
): 'not_yet_valid' | 'expired' | null => {
  if (!clockSet) return null
  const state = validity(v, now).state
  return state === 'not_yet' ? 'not_yet_valid' : state === 'expired' ? 'expired' : null
}

/** The quota that is used up, or null; quotas do not depend on the clock. */
const quotaRule = (
  v: Pick<EnforcedVoucher, 'download_limit' | 'upload_limit'>,
  usage: Usage,
): 'download_exhausted' | 'upload_exhausted' | null => {
  if (quota(v.download_limit, usage.downloadBytes).state === 'exhausted') return 'download_exhausted'
  if (quota(v.upload_limit, usage.uploadBytes).state === 'exhausted') return 'upload_exhausted'
  return null
}

/**
 * Whether device `mac` may log in with voucher `v` (whose code the caller has checked), and with
 * what grant. `boundMacs` are the devices bound to the voucher besides `v.mac` (either may hold
 * any of them). Rules in order: while the clock is unset a never-used voucher is refused
 * ('clock_unset') and time is not judged; else not before valid_from, not after the end; then
 * quotas; then the device: a bound one is let in, a new one is bound while fewer than `maxDevices`
 * are (≤ 0: no limit), else 'other_device'.
 */
export const decideLogin = (
  v: EnforcedVoucher,
  usage: Usage,
  mac: string,
  boundMacs: readonly string[],
  opts: { maxDevices: number; now: number; clockSet: boolean; maxSessionMinutes?: number },
): LoginDecision => {
  if (!opts.clockSet && v.first_login === null) return { ok: false, reason: 'clock_unset' }
  const refused = timeRule(v, opts.now, opts.clockSet) ?? quotaRule(v, usage)
  if (refused !== null) return { ok: false, reason: refused }
  const device = normalizeMac(mac)
  const bound = boundSet(v, boundMacs)
  let bind: string | undefined
  if (!bound.has(device)) {
    if (opts.maxDevices > 0 && bound.size >= opts.maxDevices) return { ok: false, reason: 'other_device' }
    bind = device
  }
  const grantOpts = opts.maxSessionMinutes === undefined ? {} : { maxSessionMinutes: opts.maxSessionMinutes }
  const decision: LoginDecision = { ok: true, grant: loginGrant(v, usage, opts.now, grantOpts) }
  if (bind !== undefined) decision.bind = bind
  if (v.first_login === null) decision.firstLogin = opts.now
  return decision
}

export type SessionVerdict =
  | { action: 'keep' }
  | { action: 'deauth'; reason: 'expired' | 'not_yet_valid' | 'download_exhausted' | 'upload_exhausted' | 'removed' }

/**
 * What the poll loop does with a live session of voucher `v` (undefined: the voucher was
 * removed): deauthenticate it when the voucher is gone, expired (only while the clock is set), or
 * has used a quota up (used ≥ limit, whatever the clock), else keep it. 'not_yet_valid' only
 * happens for a session whose voucher was never started and starts later.
 */
export const decideSession = (
  v: EnforcedVoucher | undefined,
  usage: Usage,
  now: number,
  clockSet: boolean,
): SessionVerdict => {
  if (v === undefined) return { action: 'deauth', reason: 'removed' }
  const refused = timeRule(v, now, clockSet) ?? quotaRule(v, usage)
  return refused === null ? { action: 'keep' } : { action: 'deauth', reason: refused }
}

/**
 * Whether a MAC is locally administered (the second-least-significant bit of the first octet),
 * as the random per-network addresses of phones are. False for a string that is not a MAC.
 */
export const isRandomizedMac = (mac: string): boolean => {
  const m = /^([0-9a-f]{2})([:-]?[0-9a-f]{2}){5}$/i.exec(mac.trim())
  return m !== null && (parseInt(m[1] as string, 16) & 0x02) !== 0
}

/**
 * Whether a device openNDS has forgotten (deauth, restart, reboot, session timeout) may be let
 * back in without the code: it is bound to the voucher, the voucher has started, is not expired
 * (judged only while the clock is set) and has quota left.
 */
export const mayAutoReauth = (
  v: EnforcedVoucher,
  mac: string,
  boundMacs: readonly string[],
  usage: Usage,
  now: number,
  clockSet: boolean,
): boolean =>
  v.first_login !== null && boundSet(v, boundMacs).has(normalizeMac(mac)) &&
  timeRule(v, now, clockSet) === null && quotaRule(v, usage) === null
