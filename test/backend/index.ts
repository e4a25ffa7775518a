import t from 'tap'
import { BACKENDS, createBackend, unavailableBackend, type BackendDeps } from '../../src/backend/index'
import { configFromUci } from '../../src/config/config'
import { parseUci } from '../../src/config/uci'
import { createLogger } from '../../src/log'
import { Ndsctl } from '../../src/backend/ndsctl'
import { cat, fakeNdsctl } from '../fixtures/fake-ndsctl'

const deps = (uci: string, over: Partial<BackendDeps> = {}): BackendDeps => ({
  config: () => configFromUci(parseUci(uci), 'f'),
  ndsctl: () => new Ndsctl({ path: configFromUci(parseUci(uci), 'f').opennds.ndsctl }),
  log: createLogger(() => {}),
  now: () => new Date(1795442880_000),
  interfaces: () => ({}),
  network: () => undefined,
  loginOf: () => 'user123',
  ...over,
})

t.test('a known name gives its backend', async (t) => {
  t.same(Object.keys(BACKENDS), ['none', 'opennds'])
  t.equal((await createBackend('none', deps('')).status()).name, 'none')
})

t.test('opennds runs the ndsctl the config names, with the daemon\'s clock, logins and guest interfaces', async (t) => {
  const json = cat('ndsctl-json-after-traffic.json').replace('cat ', 'sed s/voucher=RIG-0001/hs-v1/ ')
  const fake = fakeNdsctl(t, [json, json], 'exit 99')
  const b = createBackend('opennds', deps(`config opennds 'opennds'\n\toption ndsctl '${fake.path}'\n\tlist leases '/nonexistent'\nconfig portal 'portal'\n\tlist guest_interface 'guest0'\n`))
  t.match(await b.activeSessions(), [{ login: 'user123', uptimeSeconds: 3 }])
  t.same(await b.guestHosts(), [], 'no lease file and no guest0 here: no hosts')
  await t.rejects(b.activeSessions(), { message: 'Captive portal backend is not available' }, 'the next ndsctl call fails: so does the list')
})

t.test('opennds without its ndsctl: the status says so', async (t) => {
  const b = createBackend('opennds', deps("config opennds 'opennds'\n\toption ndsctl '/nonexistent/ndsctl'\n"))
  t.same(await b.status(), { name: 'opennds', available: false, detail: 'ndsctl json: cannot run /nonexistent/ndsctl (ENOENT)' })
})

t.test('an unknown name gives a backend that fails every live call', async (t) => {
  const b = createBackend('coovachilli', deps(''))
  t.same(await b.status(), { name: 'coovachilli', available: false, detail: "backend 'coovachilli' is not supported by this build (known: none, opennds)" })
  const unavailable = { kind: 'unavailable', message: 'Captive portal backend is not available' }
  await t.rejects(b.guestHosts(), unavailable)
  await t.rejects(b.activeSessions(), unavailable)
  await t.rejects(b.disconnect('x'), unavailable)
  await t.rejects(b.disconnectDevice('02:77:00:00:00:11'), unavailable)
})

t.test('unavailableBackend carries its own reason', async (t) => {
  t.same(await unavailableBackend('x', 'why').status(), { name: 'x', available: false, detail: 'why' })
})
