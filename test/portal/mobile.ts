/**
 * @module test/portal/mobile
 * Mobile sign-in, pure, on explicit clocks and a scripted random source: normalizePhone (with and
 * without a default country code, '+' and '00', spaces, dashes, dots, brackets and no-break
 * spaces, the trunk '0', too short and too long numbers, a '0' country code, junk); and the
 * OtpBook: six-digit codes (the default random source too), their 10 minutes, one use, the five
 * wrong tries, the binding to number and device, a new code replacing the old one, forget; the
 * send limits (one per number per minute, 5 per number, MAC and address per hour, the global
 * cap) each with its exact retryAfterSeconds, refusals that count nothing, limits overridden;
 * and the pruning of old codes and counters (size).
 */
import t from 'tap'
import { normalizePhone, OTP_LIMITS, OtpBook } from '../../src/portal/mobile'

const T0 = 1_750_000_000_000
const MIN = 60_000
const HOUR = 3_600_000

const P1 = '+447700900001'
const P2 = '+447700900002'
const MAC_A = '02:00:00:00:00:0a'
const MAC_B = '02:00:00:00:00:0b'
const IP_A = '10.0.0.10'
const IP_B = '10.0.0.11'

/** A random source answering `values` in turn (then the last one again). */
const scripted = (...values: number[]): (() => number) => {
  let i = 0
  return () => values[Math.min(i++, values.length - 1)] as number
}

/** A book whose codes are 123456, 234567, 345678, ... */
const book = (limits: ConstructorParameters<typeof OtpBook>[0] = {}): OtpBook => {
  let n = 0
  return new OtpBook(limits, () => 123456 + 111111 * n++)
}

t.test('normalizePhone', async (t) => {
  const cases: Array<[raw: string, countryCode: string, want: string | undefined, why: string]> = [
    ['+447700900123', '', '+447700900123', 'already E.164'],
    ['+44 7700 900123', '', '+447700900123', 'spaces'],
    ['+44-7700-900-123', '', '+447700900123', 'dashes'],
    ['+44.7700.900.123', '', '+447700900123', 'dots'],
    ['+44 (0)7700 900123', '', '+447700900123', "a bracketed trunk '(0)' after the country code is dropped"],
    ['+49 (30) 1234567', '', '+49301234567', 'other brackets are only separators'],
    ['+1 (415) 555-2671', '', '+14155552671', 'brackets'],
    ['+44\u00a07700\u00a0900123', '', '+447700900123', 'no-break spaces'],
    ['\t +44 7700 900123 \n', '', '+447700900123', 'surrounding whitespace and tabs'],
    ['+ 44 7700 900123', '', '+447700900123', "a space after '+'"],
    ['0044 7700 900123', '', '+447700900123', "'00' before the country code"],
    ['00 44 7700 900123', '', '+447700900123', "'00', then a space"],
    ['07700 900123', '', undefined, 'a national number without a default country code'],
    ['7700900123', '', undefined, 'bare digits without a default country code'],
    ['07700 900123', '44', '+447700900123', 'a national number: the trunk 0 is dropped'],
    ['7700 900123', '44', '+447700900123', 'a national number without trunk 0'],
    ['(0)7700-900.123', '44', '+447700900123', 'a bracketed trunk 0'],
    ['+1 415 555 2671', '44', '+14155552671', "a number's own country code wins over the default"],
    ['0049 30 123456', '44', '+4930123456', "'00' wins over the default"],
    ['0 0 30 123456', '49', '+30123456', "'0 0' is read as '00', not as a trunk 0"],
    ['+12345678', '', '+12345678', '8 digits: the shortest'],
    ['+1234567', '', undefined, '7 digits: too short'],
    ['+123456789012345', '', '+123456789012345', '15 digits: the longest'],
    ['+1234567890123456', '', undefined, '16 digits: too long'],
    ['0012345678', '', '+12345678', "'00' and 8 digits"],
    ['001234567', '', undefined, "'00' and 7 digits"],
    ['12345678', '1', '+112345678', 'national number with a one-digit country code'],
    ['1234567890123', '44', '+441234567890123', 'national number making 15 digits'],
    ['12345678901234', '44', undefined, 'national number making 16 digits'],
    ['+0447700900123', '', undefined, "a country code starting with '0' after '+'"],
    ['000447700900123', '', undefined, "a country code starting with '0' after '00'"],
    ['7700900123', '0', undefined, "a default country code '0'"],
    ['', '', undefined, 'empty'],
    ['', '44', undefined, 'empty with a default country code'],
    ['+', '', undefined, "only '+'"],
    ['++447700900123', '', undefined, "two '+'"],
    ['44+7700900123', '', undefined, "'+' inside, no default"],
    ['44+7700900123', '1', undefined, "'+' inside, with a default"],
    ['+44 7700 9001a3', '', undefined, 'a letter'],
    ['+44/7700/900123', '', undefined, 'slashes are not separators'],
    ['+44_7700_900123', '', undefined, 'underscores are not separators'],
    ['+44 7700 900123 ext 5', '', undefined, 'an extension'],
    ['+٤٤٧٧٠٠٩٠٠١٢٣', '', undefined, 'non-ASCII digits'],
  ]
  for (const [raw, cc, want, why] of cases) t.equal(normalizePhone(raw, cc), want, `${JSON.stringify(raw)} with ${JSON.stringify(cc)}: ${why}`)
})

t.test('the default limits', async (t) => {
  t.same(OTP_LIMITS, { codeMs: 600_000, maxTries: 5, resendMs: 60_000, perNumberPerHour: 5, perClientPerHour: 5 })
  t.ok(Object.isFrozen(OTP_LIMITS))
})

t.test('codes are 6 digits from the random source, zero-padded', async (t) => {
  const b = new OtpBook({}, scripted(42, 0, 999_999, 100_000))
  const issued = [P1, P2, '+447700900003', '+447700900004'].map((p) => b.issue(p, MAC_A + p, IP_A + p, T0, 100))
  t.same(issued, [{ ok: true, code: '000042' }, { ok: true, code: '000000' }, { ok: true, code: '999999' }, { ok: true, code: '100000' }])
})

t.test('the default random source gives 6 random digits', async (t) => {
  const b = new OtpBook()
  const codes = new Set<string>()
  for (let i = 0; i < 20; i++) {
    const r = b.issue(`+4477009${String(i).padStart(5, '0')}`, `mac${i}`, `ip${i}`, T0, 1000)
    if (!r.ok) throw new Error(`refused: ${r.reason}`)
    t.match(r.code, /^\d{6}$/)
    codes.add(r.code)
    t.equal(b.check(`+4477009${String(i).padStart(5, '0')}`, `mac${i}`, r.code, T0 + 1), 'ok', 'the code it gave works')
  }
  t.ok(codes.size >= 15, `mostly different codes (${codes.size} of 20)`)
})

t.test('a code works once, on its number and device, within 10 minutes', async (t) => {
  t.test('once', async (t) => {
    const b = book()
    t.same(b.issue(P1, MAC_A, IP_A, T0, 100), { ok: true, code: '123456' })
    t.same(b.size, { codes: 1, counters: 4 })
    t.equal(b.check(P1, MAC_A, '123456', T0 + 1000), 'ok')
    t.same(b.size, { codes: 0, counters: 4 }, 'used up')
    t.equal(b.check(P1, MAC_A, '123456', T0 + 2000), 'code_expired', 'not twice')
  })
  t.test('white space typed in the code is ignored', async (t) => {
    const b = book()
    b.issue(P1, MAC_A, IP_A, T0, 100)
    t.equal(b.check(P1, MAC_A, ' 123 456\t', T0), 'ok')
  })
  t.test('only on the device that asked for it', async (t) => {
    const b = book()
    b.issue(P1, MAC_A, IP_A, T0, 100)
    t.equal(b.check(P1, MAC_B, '123456', T0), 'code_expired', 'another device has no code')
    t.equal(b.check(P2, MAC_A, '123456', T0), 'code_expired', 'another number has no code')
    t.equal(b.check(P1, MAC_A, '123456', T0), 'ok', 'the code still works where it belongs')
  })
  t.test('each device has its own code for the same number', async (t) => {
    const b = book()
    t.same(b.issue(P1, MAC_A, IP_A, T0, 100), { ok: true, code: '123456' })
    t.same(b.issue(P1, MAC_B, IP_B, T0 + MIN, 100), { ok: true, code: '234567' })
    t.equal(b.check(P1, MAC_A, '234567', T0 + MIN), 'wrong_code', "B's code does not sign A in")
    t.equal(b.check(P1, MAC_B, '234567', T0 + MIN), 'ok')
    t.equal(b.check(P1, MAC_A, '123456', T0 + MIN), 'ok')
  })
  t.test('10 minutes', async (t) => {
    const b = book()
    b.issue(P1, MAC_A, IP_A, T0, 100)
    b.issue(P2, MAC_A, IP_A, T0, 100)
    t.equal(b.check(P1, MAC_A, '123456', T0 + 10 * MIN - 1), 'ok', 'the last millisecond')
    t.equal(b.check(P2, MAC_A, '234567', T0 + 10 * MIN), 'code_expired', 'at 10 minutes')
    t.same(b.size, { codes: 0, counters: 5 }, 'the expired code is dropped by the check')
  })
  t.test('a new code replaces the old one', async (t) => {
    const b = book()
    b.issue(P1, MAC_A, IP_A, T0, 100)
    t.same(b.issue(P1, MAC_A, IP_A, T0 + MIN, 100), { ok: true, code: '234567' })
    t.same(b.size, { codes: 1, counters: 4 })
    t.equal(b.check(P1, MAC_A, '123456', T0 + MIN), 'wrong_code', 'the old code')
    t.equal(b.check(P1, MAC_A, '234567', T0 + MIN), 'ok', 'the new code')
  })
  t.test('the new code has its own 10 minutes and tries', async (t) => {
    const b = book()
    b.issue(P1, MAC_A, IP_A, T0, 100)
    for (let i = 0; i < 4; i++) t.equal(b.check(P1, MAC_A, '000000', T0), 'wrong_code')
    b.issue(P1, MAC_A, IP_A, T0 + 5 * MIN, 100)
    for (let i = 0; i < 4; i++) t.equal(b.check(P1, MAC_A, '000000', T0 + 5 * MIN), 'wrong_code')
    t.equal(b.check(P1, MAC_A, '234567', T0 + 15 * MIN - 1), 'ok')
  })
})

t.test('a code takes at most 5 wrong tries', async (t) => {
  t.test('the fifth wrong try ends it', async (t) => {
    const b = book()
    b.issue(P1, MAC_A, IP_A, T0, 100)
    const typed = ['000000', '12345', '1234567', '', '123457']
    t.same(typed.map((c) => b.check(P1, MAC_A, c, T0)), Array(5).fill('wrong_code'), 'wrong digits and wrong lengths count alike')
    t.same(b.size, { codes: 0, counters: 4 })
    t.equal(b.check(P1, MAC_A, '123456', T0), 'code_expired', 'the right code is too late')
  })
  t.test('four wrong tries leave the code usable', async (t) => {
    const b = book()
    b.issue(P1, MAC_A, IP_A, T0, 100)
    for (let i = 0; i < 4; i++) t.equal(b.check(P1, MAC_A, '654321', T0), 'wrong_code')
    t.equal(b.check(P1, MAC_A, '123456', T0), 'ok')
  })
  t.test('tries count per code, not per number', async (t) => {
    const b = book()
    b.issue(P1, MAC_A, IP_A, T0, 100)
    b.issue(P1, MAC_B, IP_B, T0 + MIN, 100)
    for (let i = 0; i < 5; i++) b.check(P1, MAC_A, '000000', T0 + MIN)
    t.equal(b.check(P1, MAC_B, '234567', T0 + MIN), 'ok', "A's wrong tries do not spend B's code")
  })
  t.test('a limit of 2 tries', async (t) => {
    const b = book({ maxTries: 2 })
    b.issue(P1, MAC_A, IP_A, T0, 100)
    t.equal(b.check(P1, MAC_A, '000000', T0), 'wrong_code')
    t.equal(b.check(P1, MAC_A, '000000', T0), 'wrong_code')
    t.equal(b.check(P1, MAC_A, '123456', T0), 'code_expired')
  })
})

t.test('forget drops the code but the send still counts', async (t) => {
  const b = book()
  b.issue(P1, MAC_A, IP_A, T0, 100)
  b.issue(P2, MAC_A, IP_A, T0, 100)
  b.forget(P1, MAC_A)
  t.same(b.size, { codes: 1, counters: 5 })
  t.equal(b.check(P1, MAC_A, '123456', T0), 'code_expired')
  t.equal(b.check(P2, MAC_A, '234567', T0), 'ok', 'the other number is untouched')
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 1000, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 59 })
  b.forget(P1, MAC_B)
  b.forget('+49', MAC_A)
  t.same(b.size, { codes: 0, counters: 5 }, 'forgetting what is not there changes nothing')
})

t.test('one code per number per minute', async (t) => {
  const b = book()
  t.ok(b.issue(P1, MAC_A, IP_A, T0, 100).ok)
  t.same(b.issue(P1, MAC_A, IP_A, T0, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 60 }, 'at once')
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 1, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 60 }, 'rounded up')
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 1000, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 59 })
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 1800, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 59 }, '58.2 s rounded up')
  t.same(b.issue(P1, MAC_B, IP_B, T0 + 30_500, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 30 }, 'from any device')
  t.same(b.issue(P1, MAC_A, IP_A, T0 + MIN - 1, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 1 }, 'the last millisecond')
  t.same(b.size, { codes: 1, counters: 4 }, 'the refusals sent nothing')
  t.equal(b.check(P1, MAC_A, '123456', T0 + MIN - 1), 'ok', 'and left the code alone')
  t.ok(b.issue(P2, MAC_A, IP_A, T0 + 1000, 100).ok, 'another number may be sent to meanwhile')
  t.same(b.issue(P1, MAC_A, IP_A, T0 + MIN, 100), { ok: true, code: '345678' }, 'after a minute')
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 2 * MIN - 1, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 1 }, 'counted from the last send')
})

t.test('5 codes per number per hour', async (t) => {
  const b = book()
  // Five sends a minute apart, each from another device: only the number's limit is reached.
  for (let i = 0; i < 5; i++) t.ok(b.issue(P1, `mac${i}`, `ip${i}`, T0 + i * MIN, 100).ok, `send ${i + 1}`)
  t.same(b.issue(P1, 'mac9', 'ip9', T0 + 5 * MIN, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 3300 })
  t.same(b.issue(P1, 'mac9', 'ip9', T0 + 5 * MIN + 1800, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 3299 }, '3298.2 s rounded up')
  t.same(b.issue(P1, 'mac9', 'ip9', T0 + HOUR - 1, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 1 })
  t.same(b.size, { codes: 0, counters: 1 + 5 + 5 + 1 }, 'the refusals counted nothing (and the codes expired)')
  t.same(b.issue(P1, 'mac9', 'ip9', T0 + HOUR, 100), { ok: true, code: '679011' }, 'the first send left the hour')
  t.same(b.issue(P1, 'mac9', 'ip9', T0 + HOUR + 30_000, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 30 }, 'the minute wait is told first')
  t.ok(b.issue(P1, 'mac9', 'ip9', T0 + HOUR + MIN, 100).ok, 'the second send left the hour when the minute is over')
})

t.test('5 codes per client MAC per hour', async (t) => {
  const b = book()
  for (let i = 0; i < 5; i++) t.ok(b.issue(`+4477009000${i}0`, MAC_A, `ip${i}`, T0 + i * 1000, 100).ok)
  t.same(b.issue(P1, MAC_A, IP_B, T0 + 10_000, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 3590 })
  t.same(b.issue(P1, MAC_A, IP_B, T0 + HOUR - 1, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 1 })
  t.same(b.issue(P1, MAC_A, IP_B, T0 + HOUR, 100), { ok: true, code: '679011' }, 'when the first send left the hour')
  t.same(b.issue(P2, MAC_A, IP_B, T0 + HOUR + 500, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 1 }, 'the second leaves at T0+1 h+1 s')
  t.ok(b.issue(P2, MAC_B, IP_B, T0 + HOUR + 500, 100).ok, 'another device is not limited')
})

t.test('5 codes per client address per hour', async (t) => {
  const b = book()
  for (let i = 0; i < 5; i++) t.ok(b.issue(`+4477009000${i}0`, `mac${i}`, IP_A, T0 + i * 7 * MIN, 100).ok)
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 30 * MIN, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 1800 })
  t.ok(b.issue(P1, MAC_A, IP_A, T0 + HOUR, 100).ok, 'the first send left the hour')
  t.same(b.issue(P2, MAC_B, IP_A, T0 + HOUR + 1000, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 419 }, 'the second send leaves at 1 h 7 min')
  t.ok(b.issue(P2, MAC_B, IP_B, T0 + HOUR + 1000, 100).ok, 'another address is not limited')
})

t.test('the owner\'s cap over all', async (t) => {
  const b = book()
  for (let i = 0; i < 3; i++) t.ok(b.issue(`+4477009000${i}0`, `mac${i}`, `ip${i}`, T0 + i * 10 * MIN, 3).ok)
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 25 * MIN, 3), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 2100 })
  t.ok(b.issue(P1, MAC_A, IP_A, T0 + 25 * MIN, 4).ok, 'a higher cap lets it through')
  t.same(b.issue(P2, MAC_B, IP_B, T0 + 26 * MIN, 2), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 54 * 60 },
    'a cap lowered below the count waits for the send that makes the window: the third-last of four (at 20 min)')
  t.same(b.issue(P2, MAC_B, IP_B, T0 + 26 * MIN, 1), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 59 * 60 }, 'cap 1: the last send (at 25 min)')
})

t.test('several full limits: the longest wait', async (t) => {
  const b = book()
  // The number fills its hour over 4 minutes from one device; the global cap of 5 is filled too.
  for (let i = 0; i < 5; i++) t.ok(b.issue(P1, MAC_A, IP_A, T0 + i * MIN, 10).ok)
  // The MAC and the address are full too (5 sends each), with the same oldest send.
  t.same(b.issue(P2, MAC_A, IP_A, T0 + 5 * MIN, 10), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 3300 }, 'MAC and address')
  t.same(b.issue(P2, MAC_B, IP_B, T0 + 5 * MIN, 5), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 3300 }, 'only the global cap')
  t.ok(b.issue(P2, MAC_B, IP_B, T0 + 5 * MIN, 6).ok, 'under a cap of 6 another client and number go through')
  // Now the global window holds 6 sends (0..4 min and 5 min); cap 6 is full with its oldest at 0,
  // and P2's minute wait is the shorter one: the resend wait is told first.
  t.same(b.issue(P2, MAC_B, IP_B, T0 + 5 * MIN + 1000, 6), { ok: false, reason: 'otp_wait', retryAfterSeconds: 59 }, 'the minute wait is checked first')
  const c = book({ perNumberPerHour: 2, perClientPerHour: 3 })
  t.ok(c.issue(P1, MAC_A, IP_A, T0, 100).ok)
  t.ok(c.issue(P2, MAC_A, IP_A, T0 + 10 * MIN, 100).ok)
  t.ok(c.issue(P1, MAC_A, IP_B, T0 + 20 * MIN, 100).ok)
  // P1: 2 of 2, the oldest at 0 leaves at 60 min; MAC_B and IP_B are not full.
  t.same(c.issue(P1, MAC_B, IP_B, T0 + 30 * MIN, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 1800 })
  // At 61 min, P1's window is [20 min] (1 of 2) and MAC_A's [10, 20] (2 of 3): both open.
  t.ok(c.issue(P1, MAC_A, IP_A, T0 + 61 * MIN, 100).ok)
  // P1: [20, 61] full, frees at 80 min; MAC_A: [10, 20, 61] full, frees at 70 min. Longest: 80.
  t.same(c.issue(P1, MAC_A, IP_A, T0 + 62 * MIN, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 18 * 60 }, 'the longest of two full windows')
  t.same(c.issue(P2, MAC_A, IP_B, T0 + 62 * MIN, 100), { ok: false, reason: 'too_many_codes', retryAfterSeconds: 8 * 60 }, 'the MAC alone')
})

t.test('overridden send limits', async (t) => {
  const b = book({ resendMs: 5000, codeMs: 30_000 })
  t.ok(b.issue(P1, MAC_A, IP_A, T0, 100).ok)
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 1000, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 4 })
  t.same(b.issue(P1, MAC_A, IP_A, T0 + 5000, 100), { ok: true, code: '234567' })
  t.equal(b.check(P1, MAC_A, '234567', T0 + 35_000), 'code_expired', 'codes of 30 s')
})

t.test('old codes and counters are pruned at every request', async (t) => {
  const b = book()
  b.issue(P1, MAC_A, IP_A, T0, 100)
  b.issue(P2, MAC_B, IP_A, T0 + 5 * MIN, 100)
  t.same(b.size, { codes: 2, counters: 1 + 1 + 1 + 1 + 1 + 1 }, 'n P1, n P2, m A, m B, i A, *')
  b.issue('+447700900003', 'mac3', 'ip3', T0 + 10 * MIN, 100)
  t.same(b.size, { codes: 2, counters: 9 }, "P1's code expired at 10 min and was dropped")
  b.issue('+447700900004', 'mac4', 'ip4', T0 + HOUR - 1, 100)
  t.same(b.size, { codes: 1, counters: 12 }, 'all codes but the new one expired; no send has left the hour')
  b.issue('+447700900005', 'mac5', 'ip5', T0 + HOUR, 100)
  t.same(b.size, { codes: 2, counters: 13 }, "P1's send left: n P1 and m A are gone, i A and * still hold later sends")
  b.issue('+447700900006', 'mac6', 'ip6', T0 + 2 * HOUR + 10 * MIN, 100)
  t.same(b.size, { codes: 1, counters: 4 }, 'every send before 1 h 10 min left: only the new one is counted')
  t.same(b.issue('+447700900006', 'mac6', 'ip6', T0 + 2 * HOUR + 10 * MIN, 100), { ok: false, reason: 'otp_wait', retryAfterSeconds: 60 })
  b.issue('+447700900007', 'mac7', 'ip7', T0 + 4 * HOUR, 100)
  t.same(b.size, { codes: 1, counters: 4 }, 'after a quiet hour the book holds only the newest send')
  t.equal(b.check('+447700900007', 'mac7', '790122', T0 + 4 * HOUR), 'ok', 'the seventh code: the refusal did not draw one')
})
