import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { getGuestHosts } from '../../src/actions/get-guest-hosts'
import { createNoneBackend } from '../../src/backend/none'
import { unavailableBackend } from '../../src/backend/index'
import { testContext } from '../fixtures/context'

t.test('hosts from the backend in the seed\'s hyphenated style', async (t) => {
  const backend = {
    ...createNoneBackend(),
    guestHosts: async () => [
      { address: '192.168.0.200', mac: 'A1:B2:C3:D4:E5:F6', hostname: 'phone', interface: 'br-guest', authorized: true, foundBy: 'dhcp' },
      { address: '192.168.0.201', mac: 'F6:E5:D4:C3:B2:A1', hostname: null, interface: 'br-guest', authorized: false, foundBy: 'arp' },
    ],
  }
  const { ctx } = testContext(t, { backend })
  t.same(await dispatch([getGuestHosts], 'get_guest_hosts', {}, ctx), {
    data: [
      { address: '192.168.0.200', 'mac-address': 'A1:B2:C3:D4:E5:F6', 'host-name': 'phone', interface: 'br-guest', authorized: true, 'found-by': 'dhcp' },
      { address: '192.168.0.201', 'mac-address': 'F6:E5:D4:C3:B2:A1', 'host-name': null, interface: 'br-guest', authorized: false, 'found-by': 'arp' },
    ],
  })
})

t.test('no captive portal: an empty list', async (t) => {
  const { ctx } = testContext(t)
  t.same(await dispatch([getGuestHosts], 'get_guest_hosts', {}, ctx), { data: [] })
})

t.test('a backend that cannot answer is an error, not an empty list', async (t) => {
  const { ctx } = testContext(t, { backend: unavailableBackend('opennds', 'down') })
  await t.rejects(dispatch([getGuestHosts], 'get_guest_hosts', {}, ctx), { kind: 'unavailable', message: 'Captive portal backend is not available' })
})
