/**
 * @module actions/create-voucher
 * The seed's 1.1 "Create a new voucher". Empty credentials are generated; valid_for comes from
 * the seed's list or the preset; limits out of bounds mean unlimited. The reply is sent only
 * once the voucher is committed to disk.
 */
import { defineAction, type ActionContext } from './spec'
import { ApiError, USER_ADDED, invalidParam } from '../errors'
import { canonicalValidFor } from '../domain/valid-for'
import { limitMb, LIMIT_MAX_MB, LIMIT_MIN_MB } from '../domain/limits'
import { epoch, formatLocal, parseLocal } from '../domain/local-time'
import {
  credentialProblem, PASSCODE_LENGTH, randomCode, randomFullname, USERNAME_LENGTH,
} from '../domain/credentials'
import type { VoucherRow } from '../store/vouchers'

/** How often a generated username is drawn again when it happens to be taken. */
const USERNAME_DRAWS = 5

const VALID_FOR_HELP = "must be one of 'always', '1 hour' to '23 hours', '1 day' to '30 days', " +
  "'35 days' to '60 days' in steps of 5 days, '90 days', '120 days', '150 days', '180 days', '365 days'"

/** Checks a supplied username, passcode, full name or prefix; undefined stays undefined. */
export const checked = (name: string, value: string | undefined): string | undefined => {
  const problem = value === undefined ? null : credentialProblem(value)
  if (problem !== null) throw invalidParam(name, problem)
  return value
}

/** What a new voucher's settings may carry, as create_voucher and create_vouchers take them. */
export interface SettingsParams {
  valid_for?: string | undefined
  valid_from?: string | undefined
  download_limit?: number | undefined
  upload_limit?: number | undefined
}

/**
 * The checked validity and limits of a new voucher, stamped now: the preset when valid_for is
 * not given, now when valid_from is not, unlimited (0) for a limit out of bounds.
 * @throws ApiError('invalid') naming valid_for or valid_from
 */
export const voucherSettings = (p: SettingsParams, ctx: ActionContext): Pick<VoucherRow, 'valid_for' | 'valid_from' | 'created_at' | 'download_limit' | 'upload_limit'> => {
  const now = epoch(ctx.now())
  const validFor = canonicalValidFor(p.valid_for ?? ctx.defaultValidFor())
  if (validFor === null) throw invalidParam('valid_for', VALID_FOR_HELP)
  const validFrom = p.valid_from === undefined ? now : parseLocal(p.valid_from)
  if (validFrom === null) throw invalidParam('valid_from', 'expected "YYYY-MM-DD HH:MM:SS" (router local time)')
  return { valid_for: validFor, valid_from: validFrom, created_at: now, download_limit: limitMb(p.download_limit), upload_limit: limitMb(p.upload_limit) }
}

/** A new voucher as the seed's create reply shows it: the limits are strings, unlike in the voucher list. */
export const userReply = (v: VoucherRow): Record<string, unknown> => ({
  id: v.id,
  username: v.username,
  passcode: v.passcode,
  fullname: v.fullname,
  valid_for: v.valid_for,
  valid_from: formatLocal(v.valid_from),
  download_limit: String(v.download_limit),
  upload_limit: String(v.upload_limit),
})

/** Logs a new voucher and sends its `hotspot.voucher` `created` event. */
export const announceCreated = (ctx: ActionContext, v: VoucherRow): void => {
  ctx.log.info(`voucher ${v.username} created (valid for ${v.valid_for})`)
  ctx.emit('hotspot.voucher', { event: 'created', username: v.username, valid_for: v.valid_for, valid_from: formatLocal(v.valid_from) })
}

const insertWithFreshUsername = (ctx: ActionContext, fields: Omit<VoucherRow, 'id' | 'username' | 'last_modified' | 'first_login' | 'last_login' | 'mac'>): VoucherRow => {
  const draw = (): VoucherRow => ctx.store.vouchers.insert({ ...fields, username: randomCode(USERNAME_LENGTH) })
  for (let n = 1; n < USERNAME_DRAWS; n++) {
    try {
      return draw()
    } catch (err) {
      if (!(err instanceof ApiError && err.kind === 'conflict')) throw err
    }
  }
  return draw() // the last draw's conflict, if any, is the caller's answer
}

export const createVoucher = defineAction({
  name: 'create_voucher',
  summary: 'Create a new voucher',
  access: 'write',
  params: {
    username: { type: 'string', maxLength: 64, doc: 'The username to create. If empty, a random username will be generated.' },
    passcode: { type: 'string', maxLength: 64, doc: 'The passcode to use. If empty, a random passcode will be generated.' },
    fullname: { type: 'string', maxLength: 128, doc: 'The fullname for the new user. If empty, a random name will be generated.' },
    valid_for: { type: 'string', maxLength: 32, doc: "The validity of the new user, one of the seed's periods. If empty, the preset in settings will be used." },
    valid_from: { type: 'string', maxLength: 32, doc: 'The date/time this user will be valid from, "YYYY-MM-DD HH:MM:SS" in router local time. If not set, the user will be available immediately.' },
    download_limit: { type: 'integer', lenient: true, doc: `Download allowance in MB from ${LIMIT_MIN_MB} to ${LIMIT_MAX_MB}. If unset or out of bounds, unlimited (0).` },
    upload_limit: { type: 'integer', lenient: true, doc: `Upload allowance in MB from ${LIMIT_MIN_MB} to ${LIMIT_MAX_MB}. If unset or out of bounds, unlimited (0).` },
  },
  handler: (p, ctx) => {
    const settings = voucherSettings(p, ctx)
    const username = checked('username', p.username)
    const fields = {
      ...settings,
      passcode: checked('passcode', p.passcode) ?? randomCode(PASSCODE_LENGTH),
      fullname: checked('fullname', p.fullname) ?? randomFullname(),
    }
    const v = username === undefined
      ? insertWithFreshUsername(ctx, fields)
      : ctx.store.vouchers.insert({ ...fields, username })
    announceCreated(ctx, v)
    return { message: USER_ADDED, user: userReply(v), error: false }
  },
})
