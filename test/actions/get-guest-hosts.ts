import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { getGuestHosts } from '../../src/actions/get-guest-hosts'
import { createNoneBackend } from '../../src/backend/none'
import { unavailableBackend } from '../../src/backend/index'
import { NOW, testContext } from '../fixtures/context'

const NOW_S = NOW.getTime() / 1000

t.test('hosts from the backend in the seed\'s hyphenated style, with how long each has been seen', async (t) => {
  const backend = {
    ...createNoneBackend(),
    guestHosts: async () => [
      { address: '192.168.0.200', mac: 'A1:B2:C3:D4:E5:F6', hostname: 'phone', interface: 'br-guest', authorized: true, foundBy: 'dhcp' as const, since: NOW_S - 33165 },
      { address: '192.168.0.201', mac: 'F6:E5:D4:C3:B2:A1', hostname: null, interface: 'br-guest', authorized: false, foundBy: 'arp' as const, since: NOW_S + 5 },
    ],
  }
  const { ctx } = testContext(t, { backend })
  t.same(await dispatch([getGuestHosts], 'get_guest_hosts', {}, ctx), {
    data: [
      { address: '192.168.0.200', 'mac-address': 'A1:B2:C3:D4:E5:F6', 'host-name': 'phone', interface: 'br-guest', authorized: true, 'found-by': 'dhcp', uptime: '9h12m45s' },
      { address: '192.168.0.201', 'mac-address': 'F6:E5:D4:C3:B2:A1', 'host-name': null, interface: 'br-guest', authorized: false, 'found-by': 'arp', uptime: '0s' },
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
