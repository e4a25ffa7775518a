/**
 * @module actions/create-vouchers
 * A batch of vouchers with shared settings, for the panel's printable sheet (a hotspotd
 * extension): usernames and passcodes are generated as create_voucher generates them, a
 * username optionally behind a prefix. The batch is one transaction: all of it or none.
 */
import { defineAction, type ActionContext } from './spec'
import { announceCreated, checked, userReply, voucherSettings } from './create-voucher'
import { ApiError, invalidParam, USERNAME_EXISTS, VOUCHERS_ADDED } from '../errors'
import { PASSCODE_LENGTH, randomCode, randomFullname, USERNAME_LENGTH } from '../domain/credentials'
import { LIMIT_MAX_MB, LIMIT_MIN_MB } from '../domain/limits'
import type { VoucherRow } from '../store/vouchers'

/** The most vouchers one call makes: a few printed sheets, and one short transaction. */
export const BATCH_MAX = 500

/** How often a generated username is drawn again when it happens to be taken. */
const USERNAME_DRAWS = 5

/** A generated username that is neither stored nor already drawn for this batch (`taken`, lower case). */
const freshUsername = (ctx: ActionContext, prefix: string, taken: Set<string>): string => {
  for (let n = 0; n < USERNAME_DRAWS; n++) {
    const username = `${prefix}${randomCode(USERNAME_LENGTH)}`
    if (!taken.has(username.toLowerCase()) && ctx.store.vouchers.find(username) === undefined) return username
  }
  throw new ApiError('conflict', USERNAME_EXISTS)
}

export const createVouchers = defineAction({
  name: 'create_vouchers',
  summary: 'Create a batch of vouchers with shared settings (hotspotd extension)',
  access: 'write',
  params: {
    count: { type: 'integer', required: true, doc: `How many vouchers to create, 1 to ${BATCH_MAX}.` },
    prefix: { type: 'string', maxLength: 32, doc: 'Put before each generated username (e.g. "cafe-"). If empty, usernames are generated alone.' },
    fullname: { type: 'string', maxLength: 128, doc: 'The fullname of every voucher. If empty, a random name is generated for each.' },
    valid_for: { type: 'string', maxLength: 32, doc: 'As in create_voucher. If empty, the preset in settings will be used.' },
    valid_from: { type: 'string', maxLength: 32, doc: 'As in create_voucher. If not set, the vouchers will be available immediately.' },
    download_limit: { type: 'integer', lenient: true, doc: `Download allowance of each voucher in MB from ${LIMIT_MIN_MB} to ${LIMIT_MAX_MB}. If unset or out of bounds, unlimited (0).` },
    upload_limit: { type: 'integer', lenient: true, doc: `Upload allowance of each voucher in MB from ${LIMIT_MIN_MB} to ${LIMIT_MAX_MB}. If unset or out of bounds, unlimited (0).` },
  },
  handler: (p, ctx) => {
    const count = p.count as number
    if (count < 1 || count > BATCH_MAX) throw invalidParam('count', `must be from 1 to ${BATCH_MAX}`)
    const prefix = checked('prefix', p.prefix) ?? ''
    const fullname = checked('fullname', p.fullname)
    const settings = voucherSettings(p, ctx)
    const taken = new Set<string>()
    const made = ctx.store.db.transaction(() => Array.from({ length: count }, (): VoucherRow => {
      const username = freshUsername(ctx, prefix, taken)
      taken.add(username.toLowerCase())
      return ctx.store.vouchers.insert({ ...settings, username, passcode: randomCode(PASSCODE_LENGTH), fullname: fullname ?? randomFullname() })
    }))
    for (const v of made) announceCreated(ctx, v)
    return { message: VOUCHERS_ADDED, users: made.map(userReply), error: false }
  },
})
