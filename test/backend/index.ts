import t from 'tap'
import { BACKENDS, createBackend, unavailableBackend } from '../../src/backend/index'

t.test('a known name gives its backend', async (t) => {
  t.same(Object.keys(BACKENDS), ['none'])
  t.equal(createBackend('none').status().name, 'none')
})

t.test('an unknown name gives a backend that fails every live call', async (t) => {
  const b = createBackend('opennds')
  t.same(b.status(), { name: 'opennds', available: false, detail: "backend 'opennds' is not supported by this build (known: none)" })
  const unavailable = { kind: 'unavailable', message: 'Captive portal backend is not available' }
  await t.rejects(b.guestHosts(), unavailable)
  await t.rejects(b.activeSessions(), unavailable)
  await t.rejects(b.disconnect('x'), unavailable)
})

t.test('unavailableBackend carries its own reason', async (t) => {
  t.same(unavailableBackend('x', 'why').status(), { name: 'x', available: false, detail: 'why' })
})
