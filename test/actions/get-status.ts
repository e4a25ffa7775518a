import t from 'tap'
import { dispatch } from '../../src/actions/dispatch'
import { getStatus } from '../../src/actions/get-status'
import { unavailableBackend } from '../../src/backend/index'
import { testContext } from '../fixtures/context'

t.test('reports version, uptime, addresses, backend, ubus and voucher count', async (t) => {
  const { ctx } = testContext(t)
  ctx.store.vouchers.insert({ username: 'u', passcode: 'p', fullname: 'f', valid_for: 'always', valid_from: 0, created_at: 0, download_limit: 0, upload_limit: 0 })
  t.same(await dispatch([getStatus], 'get_status', {}, ctx), {
    data: {
      version: '9.9.9',
      started_at: '2025-02-20 17:18:45',
      uptime: '9h12m45s',
      listening: ['127.0.0.1:8080'],
      backend: { name: 'none', available: true, detail: 'no captive portal on this host; live lists are empty' },
      ubus: { socket: '/var/run/ubus/ubus.sock', connected: false, jsonrpc: true },
      cloud: { enabled: true, state: 'up', endpoint: 'https://2b080b3af6.relay.example.net/api/', since: '2025-02-20 17:00:00', error: null, requests: 3 },
      portal: { url: 'http://10.0.0.1:2080/portal/?code={username}', page: 'http://10.0.0.1:2080/portal/' },
      vouchers: 1,
    },
  })
})

t.test('says when the backend is unavailable, and why', async (t) => {
  const { ctx } = testContext(t, { backend: unavailableBackend('opennds', 'ndsctl not found') })
  const { data } = await dispatch([getStatus], 'get_status', {}, ctx) as { data: { backend: unknown } }
  t.same(data.backend, { name: 'opennds', available: false, detail: 'ndsctl not found' })
})
