import t, { type Test } from 'tap'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { createOpenNdsBackend, type OpenNdsOptions } from '../../src/backend/opennds'
import { Ndsctl } from '../../src/backend/ndsctl'
import { readHostSources } from '../../src/backend/guest-hosts'
import { createLogger } from '../../src/log'
import { cat, fakeNdsctl, fixture, NOT_STARTED, say, sq, type Fake } from '../fixtures/fake-ndsctl'

/** 2 s after the after-traffic fixture was taken (session_start 1795442877, last_active 1795442878). */
const NOW = 1795442880

/** A fixture as hotspotd's own session: openNDS' custom string replaced by hotspotd's identity. */
const ours = (name: string): string => `printf '%s' ${sq(fixture(name).replace('voucher=RIG-0001', 'hs-v7'))}`

const rig = (t: Test, steps: string[], over: Partial<OpenNdsOptions> = {}): { backend: ReturnType<typeof createOpenNdsBackend>; fake: Fake; lines: string[] } => {
  const fake = fakeNdsctl(t, steps, 'exit 99')
  const lines: string[] = []
  const dir = t.testdirName // made by the fake ndsctl
  writeFileSync(join(dir, 'leases'), [
    '1795446477 02:77:00:00:00:11 10.77.0.11 c1 01:02:77:00:00:00:11',
    '0 02:77:00:00:00:12 10.77.0.12 * *',
    '1795446477 02:00:00:00:00:99 192.168.1.50 laptop *', // the LAN: not a guest
  ].join('\n'))
  writeFileSync(join(dir, 'arp'), [
    'IP address       HW type     Flags       HW address            Mask     Device',
    '10.77.0.11       0x1         0x2         02:77:00:00:00:11     *        guest0',
    '10.77.0.13       0x1         0x2         02:77:00:00:00:13     *        guest0',
    '192.168.1.50     0x1         0x2         02:00:00:00:00:99     *        br-lan',
  ].join('\n'))
  const backend = createOpenNdsBackend({
    ndsctl: new Ndsctl({ path: fake.path, sleep: async () => {} }),
    log: createLogger((l) => { lines.push(l) }),
    now: () => NOW,
    loginOf: ({ kind, id }) => kind === 'voucher' && id === 7 ? 'user123' : undefined,
    hostSources: () => readHostSources({ leases: [join(dir, 'missing'), join(dir, 'leases')], arp: join(dir, 'arp') }),
    guestDevices: () => ['guest0'],
    interfaces: () => ({ guest0: [{ address: '10.77.0.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.77.0.1/24' }] }),
    ...over,
  })
  return { backend, fake, lines }
}

const UNAVAILABLE = { kind: 'unavailable', message: 'Captive portal backend is not available' }

t.test('active sessions: the authorized clients, with their login, times and bytes', async (t) => {
  const { backend, fake } = rig(t, [ours('ndsctl-json-after-traffic.json'), cat('ndsctl-json-after-traffic.json')])
  t.same(await backend.activeSessions(), [{
    login: 'user123', address: '10.77.0.11', mac: '02:77:00:00:00:11',
    uptimeSeconds: 3, idleSeconds: 2, bytesToGuest: 3071 * 1024, bytesFromGuest: 1073 * 1024,
  }], 'the preauthenticated client is not a session')
  t.match(await backend.activeSessions(), [{ login: '', mac: '02:77:00:00:00:11' }], 'a session hotspotd did not authorize has no login')
  t.same(fake.argv(), ['ndsctl json', 'ndsctl json'])
})

t.test('a session of a voucher that is gone, and times openNDS does not know', async (t) => {
  const odd = fixture('ndsctl-json-after-traffic.json').replace('voucher=RIG-0001', 'hs-v8')
    .replace('"session_start":"1795442877"', '"session_start":"0"').replace('"last_active":"1795442878"', '"last_active":"0"')
  const { backend } = rig(t, [`printf '%s' ${sq(odd)}`])
  t.match(await backend.activeSessions(), [{ login: '', uptimeSeconds: 0, idleSeconds: 0 }])
})

t.test('status says what openNDS has, or why it cannot be read', async (t) => {
  const { backend, lines } = rig(t, [cat('ndsctl-json-after-traffic.json'), cat('ndsctl-json-after-quota-deauth.json'), NOT_STARTED])
  t.same(await backend.status(), { name: 'opennds', available: true, detail: 'openNDS 9.10.0: 1 authorized, 1 waiting at the portal' })
  t.match(await backend.status(), { available: true, detail: /^openNDS( 9\.10\.0)?: 0 authorized, \d+ waiting at the portal$/ })
  const down = await backend.status()
  t.match(down, { name: 'opennds', available: false, detail: /^ndsctl json: exit 3: ndsctl: opennds probably not started/ })
  t.same(lines, [], 'the status is not logged: its caller says it')
})

t.test('with no clients at all, the status has no version to show', async (t) => {
  const { backend } = rig(t, [say('{"client_list_length":"0","clients":{}}', 0)])
  t.same(await backend.status(), { name: 'opennds', available: true, detail: 'openNDS: 0 authorized, 0 waiting at the portal' })
})

t.test('openNDS down: an error, never an empty list; logged once, and once more when it is back', async (t) => {
  const { backend, lines } = rig(t, [NOT_STARTED, NOT_STARTED, 'printf junk', cat('ndsctl-json-preauth.json')])
  await t.rejects(backend.activeSessions(), UNAVAILABLE)
  await t.rejects(backend.guestHosts(), UNAVAILABLE)
  await t.rejects(backend.disconnect('user123'), UNAVAILABLE)
  t.same(await backend.activeSessions(), [])
  t.equal(lines.length, 3)
  t.match(lines[0], /^warn: backend: openNDS cannot be read: ndsctl json: exit 3: /)
  t.match(lines[1], /^warn: backend: openNDS cannot be read: unreadable ndsctl json output/, 'a new reason is said')
  t.equal(lines[2], 'info: backend: openNDS answers again')
})

t.test('ndsctl missing is unavailable too', async (t) => {
  const { backend } = rig(t, [], { ndsctl: new Ndsctl({ path: '/nonexistent/ndsctl' }) })
  await t.rejects(backend.activeSessions(), UNAVAILABLE)
  t.match(await backend.status(), { available: false, detail: /cannot run \/nonexistent\/ndsctl \(ENOENT\)/ })
})

t.test('guest hosts: leases and neighbours on the guest network, authorized by openNDS', async (t) => {
  const { backend } = rig(t, [cat('ndsctl-json-after-traffic.json')])
  t.same(await backend.guestHosts(), [
    { address: '10.77.0.11', mac: '02:77:00:00:00:11', hostname: 'c1', interface: 'guest0', authorized: true, foundBy: 'dhcp', since: NOW },
    { address: '10.77.0.12', mac: '02:77:00:00:00:12', hostname: null, interface: 'guest0', authorized: false, foundBy: 'dhcp', since: NOW },
    { address: '10.77.0.13', mac: '02:77:00:00:00:13', hostname: null, interface: 'guest0', authorized: false, foundBy: 'arp', since: NOW },
  ])
})

t.test('unreadable lines in the sources are said once', async (t) => {
  const { backend, lines } = rig(t, [cat('ndsctl-json-preauth.json'), cat('ndsctl-json-preauth.json')], {
    hostSources: () => readHostSources({ leases: [join(dir, 'bad-leases')], arp: join(dir, 'bad-arp') }),
  })
  const dir = t.testdirName
  writeFileSync(join(dir, 'bad-leases'), 'garbage line\n')
  writeFileSync(join(dir, 'bad-arp'), 'IP address       HW type     Flags       HW address            Mask     Device\nnot an arp row\n')
  await backend.guestHosts()
  await backend.guestHosts()
  t.same(lines, [`warn: backend: 1 unreadable line(s) in ${join(dir, 'bad-leases')}, 1 in the neighbour table; skipped`])
  const none = rig(t, [cat('ndsctl-json-preauth.json')], {
    hostSources: () => ({ leasesText: 'junk\n', leasesFile: null, arpText: '' }),
  })
  await none.backend.guestHosts()
  t.match(none.lines, [/in the lease file, 0 in the neighbour table/])
})

t.test('disconnect ends the sessions of one login, through ndsctl deauth', async (t) => {
  const { backend, fake } = rig(t, [
    ours('ndsctl-json-after-traffic.json'), say('Client 02:77:00:00:00:11 deauthenticated.', 0),
    ours('ndsctl-json-after-traffic.json'),
    ours('ndsctl-json-after-traffic.json'), say('Client 02:77:00:00:00:11 not found.', 1),
  ])
  t.equal(await backend.disconnect('USER123'), 1, 'matched regardless of case')
  t.equal(await backend.disconnect('someone-else'), 0)
  t.equal(await backend.disconnect('user123'), 0, 'gone meanwhile: nothing ended')
  t.equal(await backend.disconnect(''), 0, 'an empty login matches nothing')
  t.same(fake.argv(), ['ndsctl json', 'ndsctl deauth 02:77:00:00:00:11', 'ndsctl json', 'ndsctl json', 'ndsctl deauth 02:77:00:00:00:11'])
})

t.test('disconnectDevice ends one device\'s session through ndsctl deauth; not found is false', async (t) => {
  const { backend, fake, lines } = rig(t, [
    say('Client 02:77:00:00:00:11 deauthenticated.', 0),
    say('Client 02:77:00:00:00:12 not found.', 1),
    NOT_STARTED,
  ])
  t.equal(await backend.disconnectDevice('02:77:00:00:00:11'), true, 'deauthenticated')
  t.equal(await backend.disconnectDevice('02:77:00:00:00:12'), false, 'openNDS has no session of it')
  await t.rejects(backend.disconnectDevice('02:77:00:00:00:13'), UNAVAILABLE, 'openNDS not running')
  t.same(fake.argv(), ['ndsctl deauth 02:77:00:00:00:11', 'ndsctl deauth 02:77:00:00:00:12', 'ndsctl deauth 02:77:00:00:00:13'])
  t.match(lines, [/^warn: backend: ndsctl deauth 02:77:00:00:00:13 failed: /])
})
