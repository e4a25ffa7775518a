import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { removeVoucher } from '../../src/actions/remove-voucher'
import type { Backend } from '../../src/backend/backend'
import { createNoneBackend } from '../../src/backend/none'
import { unavailableBackend } from '../../src/backend/index'
import { testContext } from '../fixtures/context'

const voucher = { passcode: 'p', fullname: 'f', valid_for: '1 day', valid_from: 0, created_at: 0, download_limit: 0, upload_limit: 0 }
const remove = (ctx: Parameters<typeof dispatch>[3], raw: Record<string, unknown>) =>
  dispatch([removeVoucher], 'remove_voucher', raw, ctx)

/** A backend that records which logins it was asked to disconnect. */
const recording = (ended: number): Backend & { asked: string[] } => {
  const asked: string[] = []
  return { ...createNoneBackend(), asked, disconnect: async (login) => { asked.push(login); return ended } }
}

t.test('the seed\'s three outcomes', async (t) => {
  const { ctx } = testContext(t)
  ctx.store.vouchers.insert({ ...voucher, username: 'user123' })
  t.same(await remove(ctx, { username: 'user123' }), { message: 'User removed successfully', error: false })
  t.equal(ctx.store.vouchers.find('user123'), undefined, 'gone from the store')
  await t.rejects(remove(ctx, { username: 'user123' }), { kind: 'not_found', message: "Username doesn't exist" })
  await t.rejects(remove(ctx, {}), { kind: 'invalid', message: 'No username set' })
  await t.rejects(remove(ctx, { username: '  ' }), { kind: 'invalid', message: 'No username set' })
})

t.test('the username matches regardless of case', async (t) => {
  const { ctx } = testContext(t)
  ctx.store.vouchers.insert({ ...voucher, username: 'Guest7' })
  t.same(await remove(ctx, { username: 'guest7' }), { message: 'User removed successfully', error: false })
})

t.test('live sessions of the voucher are ended through the backend', async (t) => {
  const backend = recording(2)
  const { ctx, lines } = testContext(t, { backend })
  ctx.store.vouchers.insert({ ...voucher, username: 'Guest7' })
  await remove(ctx, { username: 'guest7' })
  t.same(backend.asked, ['Guest7'], 'asked with the stored username')
  t.ok(lines.includes('info: voucher Guest7: 2 live session(s) ended'))
})

t.test('no line about sessions when none were live', async (t) => {
  const { ctx, lines } = testContext(t, { backend: recording(0) })
  ctx.store.vouchers.insert({ ...voucher, username: 'u1' })
  await remove(ctx, { username: 'u1' })
  t.notOk(lines.some((l) => l.includes('live session')))
})

t.test('a backend that cannot end sessions does not undo the removal', async (t) => {
  const { ctx, lines } = testContext(t, { backend: unavailableBackend('opennds', 'not running') })
  ctx.store.vouchers.insert({ ...voucher, username: 'u1' })
  t.same(await remove(ctx, { username: 'u1' }), { message: 'User removed successfully', error: false })
  t.equal(ctx.store.vouchers.count(), 0)
  t.ok(lines.includes('warn: voucher u1: live sessions not ended: Captive portal backend is not available'))
})
