import t from 'tap'
import { createNoneBackend } from '../../src/backend/none'

t.test('no captive portal: nothing live, and the status says so', async (t) => {
  const b = createNoneBackend()
  t.same(await b.guestHosts(), [])
  t.same(await b.activeSessions(), [])
  t.equal(await b.disconnect('anyone'), 0)
  t.equal(await b.disconnectDevice('02:77:00:00:00:11'), false, 'no device to disconnect')
  t.same(await b.status(), { name: 'none', available: true, detail: 'no captive portal on this host; live lists are empty' })
})
