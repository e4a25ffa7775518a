/**
 * @module portal/mobile
 * Sign-in by mobile number: the number as it is stored, and the one-time codes sent to it.
 * Pure but for the clock the caller passes and the random source.
 *
 * - **Numbers** are stored in E.164 form, '+' and 8 to 15 digits. A guest may type spaces,
 *   dashes, dots and brackets, '+' or '00' before the country code, a trunk zero in brackets
 *   ('+44 (0)20 …', dropped), or, when the owner set a default country code, a national number
 *   (its one leading trunk '0' is dropped).
 * - **Codes** are 6 random digits (`crypto.randomInt`), good for 10 minutes, once, and only for
 *   the number they were sent to on the device that asked for them: a code read off someone
 *   else's phone does not sign in another device. A code takes at most 5 wrong tries; then a
 *   new one must be asked for. Checked in constant time.
 * - **Sending costs money**, so sends are limited: one per number per minute (a second request
 *   meanwhile is told to wait), 5 per number and 5 per client (MAC, and address) per hour, and
 *   the owner's `max_per_hour` over all. A refused request sends nothing. Every limit answers with
 *   the seconds until a send is possible again.
 * - **Memory** is bounded: past entries are dropped at every request, and the hourly cap bounds how
 *   many there can be.
 */
import { randomInt, timingSafeEqual } from 'node:crypto'

/** The limits of code sending and checking (defaults in the module doc). */
export interface OtpLimits {
  codeMs: number
  maxTries: number
  resendMs: number
  perNumberPerHour: number
  perClientPerHour: number
}

export const OTP_LIMITS: Readonly<OtpLimits> = Object.freeze({
  codeMs: 10 * 60_000,
  maxTries: 5,
  resendMs: 60_000,
  perNumberPerHour: 5,
  perClientPerHour: 5,
})

const HOUR_MS = 3_600_000

/** Why no code is sent: the number asked too recently, or a limit of the hour is reached. */
export type OtpSendRefusal = 'otp_wait' | 'too_many_codes'

/** Why a typed code does not sign in. */
export type OtpCheckRefusal = 'wrong_code' | 'code_expired'

/**
 * The number as stored (`+` and digits), or undefined when it is not a plausible E.164 number.
 * @param countryCode digits of the default country code, '' when numbers must carry their own
 */
export const normalizePhone = (raw: string, countryCode: string): string | undefined => {
  // '+44 (0)20 …': the bracketed trunk zero is not dialled from abroad.
  const s = raw.trim().replace(/\(0\)/g, '').replace(/[\s.()-]/g, '')
  let digits: string
  if (s.startsWith('+')) digits = s.slice(1)
  else if (s.startsWith('00')) digits = s.slice(2)
  else if (countryCode !== '') digits = countryCode + s.replace(/^0/, '')
  else return undefined
  return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : undefined
}

interface Code { code: string; expires: number; tries: number }

/** The times of recent sends under one key, newest last. */
type Sends = Map<string, number[]>

const recent = (sends: Sends, key: string, now: number): number[] => {
  const kept = (sends.get(key) ?? []).filter((t) => t > now - HOUR_MS)
  if (kept.length === 0) sends.delete(key)
  else sends.set(key, kept)
  return kept
}

/** The one-time codes of mobile sign-in (see the module doc). One per portal. */
export class OtpBook {
  private readonly codes = new Map<string, Code>()
  private readonly sends: Sends = new Map()
  private readonly limits: OtpLimits

  constructor (limits: Partial<OtpLimits> = {}, private readonly random: () => number = () => randomInt(0, 1_000_000)) {
    this.limits = { ...OTP_LIMITS, ...limits }
  }

  /**
   * A new code for `phone` on the client (`mac`, `ip`), counted as sent; or why not, with the
   * seconds to wait. The code replaces one the client had for the number.
   */
  issue (phone: string, mac: string, ip: string, nowMs: number, maxPerHour: number):
  { ok: true; code: string } | { ok: false; reason: OtpSendRefusal; retryAfterSeconds: number } {
    this.prune(nowMs)
    const keys = { number: `n ${phone}`, mac: `m ${mac}`, ip: `i ${ip}`, all: '*' }
    const number = recent(this.sends, keys.number, nowMs)
    const last = number.at(-1)
    const wait = (since: number, ms: number): number => Math.max(1, Math.ceil((since + ms - nowMs) / 1000))
    if (last !== undefined && nowMs - last < this.limits.resendMs) return { ok: false, reason: 'otp_wait', retryAfterSeconds: wait(last, this.limits.resendMs) }
    const caps: Array<[number[], number]> = [
      [number, this.limits.perNumberPerHour],
      [recent(this.sends, keys.mac, nowMs), this.limits.perClientPerHour],
      [recent(this.sends, keys.ip, nowMs), this.limits.perClientPerHour],
      [recent(this.sends, keys.all, nowMs), maxPerHour],
    ]
    const full = caps.filter(([times, cap]) => times.length >= cap)
    if (full.length > 0) {
      // A send becomes possible when the oldest send that fills each full window leaves it.
      const seconds = Math.max(...full.map(([times, cap]) => wait(times[times.length - cap] as number, HOUR_MS)))
      return { ok: false, reason: 'too_many_codes', retryAfterSeconds: seconds }
    }
    for (const key of Object.values(keys)) this.sends.set(key, [...(this.sends.get(key) ?? []), nowMs])
    const code = String(this.random()).padStart(6, '0')
    this.codes.set(`${phone} ${mac}`, { code, expires: nowMs + this.limits.codeMs, tries: 0 })
    return { ok: true, code }
  }

  /** Drops the client's code for `phone` (the message could not be sent); the send still counts. */
  forget (phone: string, mac: string): void {
    this.codes.delete(`${phone} ${mac}`)
  }

  /** Checks a typed code; a good one is used up. */
  check (phone: string, mac: string, typed: string, nowMs: number): 'ok' | OtpCheckRefusal {
    const key = `${phone} ${mac}`
    const entry = this.codes.get(key)
    if (entry === undefined || entry.expires <= nowMs) {
      this.codes.delete(key)
      return 'code_expired'
    }
    const given = Buffer.from(typed.replace(/\s/g, ''), 'utf8')
    const wanted = Buffer.from(entry.code, 'utf8')
    if (given.length === wanted.length && timingSafeEqual(given, wanted)) {
      this.codes.delete(key)
      return 'ok'
    }
    entry.tries += 1
    if (entry.tries >= this.limits.maxTries) this.codes.delete(key)
    return 'wrong_code'
  }

  /** Codes and send counters held (for tests and status). */
  get size (): { codes: number; counters: number } {
    return { codes: this.codes.size, counters: this.sends.size }
  }

  private prune (nowMs: number): void {
    for (const [key, c] of this.codes) if (c.expires <= nowMs) this.codes.delete(key)
    for (const key of [...this.sends.keys()]) recent(this.sends, key, nowMs)
  }
}
