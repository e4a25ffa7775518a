import t from 'tap'
import { disconnectGuest, normalMac } from '../../src/actions/disconnect-guest'
import { dispatch } from '../../src/actions/dispatch'
import type { Backend } from '../../src/backend/backend'
import { createNoneBackend } from '../../src/backend/none'
import { unavailableBackend } from '../../src/backend/index'
import { testContext } from '../fixtures/context'

const disconnect = (ctx: Parameters<typeof dispatch>[3], raw: Record<string, unknown>) =>
  dispatch([disconnectGuest], 'disconnect_guest', raw, ctx)

/** A backend holding sessions of `macs`, recording what it is asked to end. */
const holding = (macs: string[]): Backend & { asked: string[] } => {
  const asked: string[] = []
  return { ...createNoneBackend(), asked, disconnectDevice: async (mac) => { asked.push(mac); return macs.includes(mac) } }
}

t.test('ends the session of the device named, its MAC normalised', async (t) => {
  const backend = holding(['A1:B2:C3:D4:E5:F6'])
  const { ctx, lines } = testContext(t, { backend })
  t.same(await disconnect(ctx, { mac: 'a1-b2-c3-d4-e5-f6' }), { message: 'Guest disconnected', error: false })
  t.same(backend.asked, ['A1:B2:C3:D4:E5:F6'], 'asked in the lists\' spelling')
  t.ok(lines.includes('info: guest A1:B2:C3:D4:E5:F6 disconnected by an admin'))
})

t.test('a MAC with no session is not found; a malformed or missing one is invalid', async (t) => {
  const { ctx } = testContext(t, { backend: holding([]) })
  await t.rejects(disconnect(ctx, { mac: 'A1:B2:C3:D4:E5:F6' }), { kind: 'not_found', message: 'No active guest with that MAC address' })
  await t.rejects(disconnect(ctx, { mac: 'A1:B2:C3:D4:E5' }), { kind: 'invalid', message: 'Invalid mac: expected a MAC address such as A1:B2:C3:D4:E5:F6' })
  await t.rejects(disconnect(ctx, {}), { kind: 'invalid', message: 'Invalid mac: required' })
})

t.test('no captive portal running: unavailable', async (t) => {
  const { ctx } = testContext(t, { backend: unavailableBackend('opennds', 'down') })
  await t.rejects(disconnect(ctx, { mac: 'A1:B2:C3:D4:E5:F6' }), { kind: 'unavailable', message: 'Captive portal backend is not available' })
})

t.test('normalMac', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['a1:b2:c3:d4:e5:f6', 'A1:B2:C3:D4:E5:F6'],
    ['A1-B2-C3-D4-E5-F6', 'A1:B2:C3:D4:E5:F6'],
    ['A1:B2-C3:D4:E5:F6', null],
    ['A1B2C3D4E5F6', null],
    ['G1:B2:C3:D4:E5:F6', null],
  ]
  for (const [text, expected] of cases) t.equal(normalMac(text), expected, text)
})
