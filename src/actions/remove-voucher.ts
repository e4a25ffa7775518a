/**
 * @module actions/remove-voucher
 * The seed's 1.2 "Remove an existing voucher", with its three outcomes. The voucher's live
 * sessions are ended through the backend after the row is gone; a backend that cannot do so
 * is logged, and does not undo the removal.
 */
import { defineAction } from './spec'
import { ApiError, NO_USERNAME, USER_REMOVED, USERNAME_MISSING } from '../errors'

export const removeVoucher = defineAction({
  name: 'remove_voucher',
  summary: 'Remove an existing voucher',
  access: 'write',
  params: {
    username: { type: 'string', required: NO_USERNAME, maxLength: 64, doc: 'The username to delete.' },
  },
  handler: async (p, ctx) => {
    const removed = ctx.store.vouchers.remove(p.username as string)
    if (removed === undefined) throw new ApiError('not_found', USERNAME_MISSING)
    ctx.log.info(`voucher ${removed.username} removed`)
    ctx.emit('hotspot.voucher', { event: 'removed', username: removed.username })
    try {
      const ended = await ctx.backend.disconnect(removed.username)
      if (ended > 0) ctx.log.info(`voucher ${removed.username}: ${ended} live session(s) ended`)
    } catch (err) {
      ctx.log.warn(`voucher ${removed.username}: live sessions not ended: ${(err as Error).message}`)
    }
    return { message: USER_REMOVED, error: false }
  },
})
