import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { getActiveGuests } from '../../src/actions/get-active-guests'
import { createNoneBackend } from '../../src/backend/none'
import { unavailableBackend } from '../../src/backend/index'
import { testContext } from '../fixtures/context'

t.test('the seed\'s active guests example, field for field', async (t) => {
  const backend = {
    ...createNoneBackend(),
    activeSessions: async () => [
      { login: 'user1@example.com', address: '192.168.0.200', mac: 'A1:B2:C3:D4:E5:F6', uptimeSeconds: 33165, idleSeconds: 9010, bytesToGuest: 1056738924, bytesFromGuest: 87456321 },
      { login: '15559876543', address: '192.168.0.201', mac: 'F6:E5:D4:C3:B2:A1', uptimeSeconds: 43530, idleSeconds: 4520, bytesToGuest: 2098475632, bytesFromGuest: 156483920 },
    ],
  }
  const { ctx } = testContext(t, { backend })
  t.same(await dispatch([getActiveGuests], 'get_active_guests', {}, ctx), {
    data: [
      { logins: 'user1@example.com', address: '192.168.0.200', 'mac-address': 'A1:B2:C3:D4:E5:F6', uptime: '9h12m45s', 'idle-time': '2h30m10s', 'bytes-out': '1056738924', 'bytes-in': '87456321' },
      { logins: '15559876543', address: '192.168.0.201', 'mac-address': 'F6:E5:D4:C3:B2:A1', uptime: '12h05m30s', 'idle-time': '1h15m20s', 'bytes-out': '2098475632', 'bytes-in': '156483920' },
    ],
  })
})

t.test('no captive portal: an empty list', async (t) => {
  const { ctx } = testContext(t)
  t.same(await dispatch([getActiveGuests], 'get_active_guests', {}, ctx), { data: [] })
})

t.test('a backend that cannot answer is an error, not an empty list', async (t) => {
  const { ctx } = testContext(t, { backend: unavailableBackend('opennds', 'down') })
  await t.rejects(dispatch([getActiveGuests], 'get_active_guests', {}, ctx), { kind: 'unavailable', message: 'Captive portal backend is not available' })
})
