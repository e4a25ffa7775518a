/**
 * @module test/backend/guest-hosts
 * Guest host discovery: dnsmasq lease files and /proc/net/arp as the real programs write them
 * (including DHCPv6 sections, non-Ethernet leases and incomplete neighbour entries), IPv4 subnet
 * arithmetic, merging leases and neighbours into hosts, first-seen tracking, and reading the
 * files the way openNDS picks its lease file.
 */
import t, { type Test } from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NetworkInterfaceInfo } from 'node:os'
import {
  ARP_FILE,
  guestHosts,
  HostTracker,
  inSubnet,
  LEASE_FILES,
  normalizeMac,
  parseArp,
  parseLeases,
  readHostSources,
  subnetsOf,
  type Lease,
  type Neighbour,
  type Subnet,
} from '../../src/backend/guest-hosts'
import type { GuestHost } from '../../src/backend/backend'
import type { InterfaceTable } from '../../src/http/listen-addresses'

const NOW = 1_760_000_000
const LATER = NOW + 3600

t.test('default sources are where openNDS and the kernel keep them', async (t) => {
  t.same(LEASE_FILES, ['/tmp/dhcp.leases', '/var/lib/misc/dnsmasq.leases', '/var/db/dnsmasq.leases'])
  t.equal(ARP_FILE, '/proc/net/arp')
})

t.test('normalizeMac', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['02:77:00:00:00:11', '02:77:00:00:00:11'],
    ['aa:bb:cc:dd:ee:ff', 'AA:BB:CC:DD:EE:FF'],
    ['aA:Bb:cC:dD:eE:fF', 'AA:BB:CC:DD:EE:FF'],
    ['aa-bb-cc-dd-ee-ff', null],
    ['aa:bb:cc:dd:ee', null],
    ['aa:bb:cc:dd:ee:ff:00', null],
    ['a:bb:cc:dd:ee:ff', null],
    ['gg:bb:cc:dd:ee:ff', null],
    ['', null],
  ]
  for (const [raw, want] of cases) t.equal(normalizeMac(raw), want, raw)
})

const lease = (expiry: number, mac: string, address: string, hostname: string | null = null): Lease =>
  ({ expiry, mac, address, hostname })

t.test('parseLeases', async (t) => {
  const cases: Array<[string, string, Lease[], number]> = [
    ['empty file', '', [], 0],
    ['only blank lines', '\n  \n\t\n', [], 0],
    [
      'the openNDS rig\'s leases and a static one (expiry 0, no name, no client id)',
      '1795446477 02:77:00:00:00:11 10.77.0.11 c1 01:02:77:00:00:00:11\n0 aa:bb:cc:dd:ee:ff 192.168.1.50 * *\n',
      [lease(1795446477, '02:77:00:00:00:11', '10.77.0.11', 'c1'), lease(0, 'AA:BB:CC:DD:EE:FF', '192.168.1.50')],
      0,
    ],
    [
      'CRLF line ends and extra spacing',
      '1795446477  02:77:00:00:00:12\t10.77.0.12 c2 *\r\n',
      [lease(1795446477, '02:77:00:00:00:12', '10.77.0.12', 'c2')],
      0,
    ],
    [
      'a DHCPv6 section after the duid line is passed over (no MAC there)',
      [
        '1795446477 02:77:00:00:00:11 10.77.0.11 c1 *',
        'duid 00:01:00:01:2c:5f:7a:10:02:77:00:00:00:01',
        '1795446477 1234567 fd00:77::11 c1 00:04:9a:1c:11:22',
        '1795446477 T42 2001:db8::1:2 * 00:04:9a:1c:11:22',
      ].join('\n'),
      [lease(1795446477, '02:77:00:00:00:11', '10.77.0.11', 'c1')],
      0,
    ],
    [
      'vendorclass and agent-info extras are passed over',
      '1795446477 02:77:00:00:00:11 10.77.0.11 c1 *\nvendorclass 10.77.0.11 4d:53:46:54\nagent-info 10.77.0.11 01:04:00:00:00:01\n',
      [lease(1795446477, '02:77:00:00:00:11', '10.77.0.11', 'c1')],
      0,
    ],
    [
      'a hardware type prefix: 01 is Ethernet; others, or none, have no MAC and are passed over',
      [
        '1795446477 01-02:77:00:00:00:13 10.77.0.13 c3 *',
        '1795446477 20-80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de 10.77.0.14 ib *',
        '1795446477 00- 10.77.0.15 * *',
      ].join('\n'),
      [lease(1795446477, '02:77:00:00:00:13', '10.77.0.13', 'c3')],
      0,
    ],
    [
      'malformed lines are counted, the good ones kept',
      [
        '1795446477 02:77:00:00:00:11 10.77.0.11 c1',
        '1795446477 02:77:00:00:00:11 10.77.0.11 c1 * extra',
        'soon 02:77:00:00:00:11 10.77.0.11 c1 *',
        '-5 02:77:00:00:00:11 10.77.0.11 c1 *',
        '1795446477 02:77:00:00:00:11 10.77.0.256 c1 *',
        '1795446477 02:77:00:00:00:11 010.77.0.11 c1 *',
        '1795446477 02:77:00:00:00:11 fd00::11 c1 *',
        '1795446477 1234 10.77.0.11 c1 *',
        '1795446477 02:77:00:00:00 10.77.0.11 c1 *',
        '1795446477 01-02:77 10.77.0.11 c1 *',
        'garbage',
        '1795446477 02:77:00:00:00:16 10.77.0.16 c6 *',
      ].join('\n'),
      [lease(1795446477, '02:77:00:00:00:16', '10.77.0.16', 'c6')],
      11,
    ],
  ]
  for (const [name, text, leases, skipped] of cases) t.same(parseLeases(text), { leases, skipped }, name)
})

const HEADER = 'IP address       HW type     Flags       HW address            Mask     Device'
const arpRow = (ip: string, flags: string, mac: string, device: string): string =>
  `${ip.padEnd(17)}0x1         ${flags.padEnd(12)}${mac.padEnd(22)}*        ${device}`
const neighbour = (address: string, mac: string, device: string): Neighbour => ({ address, mac, device })

t.test('parseArp', async (t) => {
  const cases: Array<[string, string, Neighbour[], number]> = [
    ['empty', '', [], 0],
    ['header only', `${HEADER}\n`, [], 0],
    [
      'complete and permanent entries are kept; MACs upper-cased',
      [
        HEADER,
        arpRow('10.77.0.11', '0x2', '02:77:00:00:00:11', 'guest0'),
        arpRow('10.77.9.2', '0x2', 'ae:0f:3b:21:9c:01', 'wan0'),
        arpRow('10.77.0.50', '0x6', '02:77:00:00:00:50', 'guest0'),
        '',
      ].join('\n'),
      [
        neighbour('10.77.0.11', '02:77:00:00:00:11', 'guest0'),
        neighbour('10.77.9.2', 'AE:0F:3B:21:9C:01', 'wan0'),
        neighbour('10.77.0.50', '02:77:00:00:00:50', 'guest0'),
      ],
      0,
    ],
    [
      'incomplete entries (flags 0x0) and all-zero MACs are passed over, not counted',
      [
        HEADER,
        arpRow('10.77.0.12', '0x0', '00:00:00:00:00:00', 'guest0'),
        arpRow('10.77.0.13', '0x4', '02:77:00:00:00:13', 'guest0'),
        arpRow('10.77.0.14', '0x2', '00:00:00:00:00:00', 'guest0'),
      ].join('\n'),
      [],
      0,
    ],
    [
      'malformed rows are counted',
      [
        HEADER,
        '10.77.0.11 0x1 0x2 02:77:00:00:00:11 *',
        '10.77.0.11 0x1 0x2 02:77:00:00:00:11 * guest0 extra',
        arpRow('10.77.0.300', '0x2', '02:77:00:00:00:11', 'guest0'),
        arpRow('10.77.0.11', '2', '02:77:00:00:00:11', 'guest0'),
        arpRow('10.77.0.11', '0xz', '02:77:00:00:00:11', 'guest0'),
        arpRow('10.77.0.11', '0x2', '02:77:00:00:11', 'guest0'),
        arpRow('10.77.0.15', '0x2', '02:77:00:00:00:15', 'guest0'),
      ].join('\n'),
      [neighbour('10.77.0.15', '02:77:00:00:00:15', 'guest0')],
      6,
    ],
  ]
  for (const [name, text, neighbours, skipped] of cases) t.same(parseArp(text), { neighbours, skipped }, name)
})

t.test('inSubnet', async (t) => {
  const cases: Array<[string, Subnet, boolean]> = [
    ['10.77.0.11', { network: '10.77.0.0', prefix: 24 }, true],
    ['10.77.0.0', { network: '10.77.0.0', prefix: 24 }, true],
    ['10.77.0.255', { network: '10.77.0.0', prefix: 24 }, true],
    ['10.77.1.0', { network: '10.77.0.0', prefix: 24 }, false],
    ['10.76.255.255', { network: '10.77.0.0', prefix: 24 }, false],
    ['10.77.0.11', { network: '10.77.0.1', prefix: 24 }, true],
    ['172.16.7.9', { network: '172.16.0.0', prefix: 12 }, true],
    ['172.32.0.1', { network: '172.16.0.0', prefix: 12 }, false],
    ['255.255.255.255', { network: '128.0.0.0', prefix: 1 }, true],
    ['127.255.255.255', { network: '128.0.0.0', prefix: 1 }, false],
    ['192.168.1.1', { network: '10.0.0.0', prefix: 0 }, true],
    ['10.0.0.5', { network: '10.0.0.5', prefix: 32 }, true],
    ['10.0.0.6', { network: '10.0.0.5', prefix: 32 }, false],
    ['fd00::1', { network: '10.0.0.0', prefix: 8 }, false],
    ['10.0.0.1', { network: 'fd00::', prefix: 8 }, false],
    ['10.0.0.1', { network: '10.0.0.0', prefix: 33 }, false],
    ['10.0.0.1', { network: '10.0.0.0', prefix: -1 }, false],
    ['10.0.0.1', { network: '10.0.0.0', prefix: 8.5 }, false],
  ]
  for (const [ip, subnet, want] of cases) t.equal(inSubnet(ip, subnet), want, `${ip} in ${subnet.network}/${subnet.prefix}`)
})

const v4 = (address: string, cidr: string | null): NetworkInterfaceInfo =>
  ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr })
const v6 = (address: string, cidr: string): NetworkInterfaceInfo =>
  ({ address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr, scopeid: 0 })

t.test('subnetsOf', async (t) => {
  const table: InterfaceTable = {
    'br-lan': [v4('192.168.1.1', '192.168.1.1/24')],
    'br-guest': [
      v4('10.77.0.1', '10.77.0.1/24'),
      v6('fd00:77::1', 'fd00:77::1/64'),
      v4('172.20.5.9', '172.20.5.9/20'),
      v4('10.99.0.1', null),
    ],
    guest2: [v4('10.78.0.1', '10.78.0.1/32'), v4('10.79.0.1', '10.79.0.1'), v4('10.79.0.1', '10.79.0.1/x'), v4('10.79.0.1', '10.79.0.1/40'), v4('bogus', 'bogus/24')],
  }
  const cases: Array<[string, string[], Subnet[]]> = [
    ['no devices', [], []],
    ['a device not in the table (down)', ['br-missing'], []],
    [
      'IPv4 only, the network part of each cidr; no cidr or a bad one is passed over',
      ['br-guest', 'guest2'],
      [
        { network: '10.77.0.0', prefix: 24, device: 'br-guest' },
        { network: '172.20.0.0', prefix: 20, device: 'br-guest' },
        { network: '10.78.0.1', prefix: 32, device: 'guest2' },
      ],
    ],
  ]
  for (const [name, devices, want] of cases) t.same(subnetsOf(table, devices), want, name)
})

t.test('HostTracker', async (t) => {
  t.test('remembers when a host was first seen until it is gone', async (t) => {
    const tracker = new HostTracker()
    t.equal(tracker.seen('AA:00:00:00:00:01', NOW), NOW)
    t.equal(tracker.seen('AA:00:00:00:00:01', LATER), NOW, 'still the first time')
    t.equal(tracker.seen('AA:00:00:00:00:02', LATER), LATER)
    tracker.forgetOthers(new Set(['AA:00:00:00:00:02']))
    t.equal(tracker.size, 1)
    t.equal(tracker.seen('AA:00:00:00:00:01', LATER + 60), LATER + 60, 'back again: new since')
    t.equal(tracker.seen('AA:00:00:00:00:02', LATER + 60), LATER)
  })

  t.test('is bounded: the earliest remembered host makes room', async (t) => {
    const tracker = new HostTracker(2)
    tracker.seen('AA:00:00:00:00:01', NOW)
    tracker.seen('AA:00:00:00:00:02', NOW + 1)
    tracker.seen('AA:00:00:00:00:01', NOW + 2)
    tracker.seen('AA:00:00:00:00:03', NOW + 3)
    t.equal(tracker.size, 2)
    t.equal(tracker.seen('AA:00:00:00:00:02', NOW + 4), NOW + 1)
    t.equal(tracker.seen('AA:00:00:00:00:01', NOW + 5), NOW + 5, 'the oldest was forgotten')
  })

  t.test('rejects a bound that is not a positive integer', async (t) => {
    for (const bad of [0, -1, 1.5, Number.NaN]) t.throws(() => new HostTracker(bad), RangeError, String(bad))
  })
})

const GUEST: Subnet = { network: '10.77.0.0', prefix: 24, device: 'br-guest' }
const GUEST2: Subnet = { network: '10.78.0.0', prefix: 24, device: 'guest2' }
const DEVICES = ['br-guest', 'guest2']
const MAC1 = '02:77:00:00:00:11'
const MAC2 = '02:77:00:00:00:12'
const MAC3 = '02:77:00:00:00:13'

type Expected = Omit<GuestHost, 'since' | 'authorized'> & { authorized?: boolean }
const host = (address: string, mac: string, hostname: string | null, iface: string, foundBy: 'dhcp' | 'arp', authorized = false): Expected =>
  ({ address, mac, hostname, interface: iface, foundBy, authorized })

interface Case {
  name: string
  leases?: Lease[]
  neighbours?: Neighbour[]
  subnets?: Subnet[]
  authorized?: string[]
  want: Expected[]
}

const MERGE_CASES: Case[] = [
  { name: 'nothing on the network', want: [] },
  {
    name: 'a lease and a neighbour entry of one MAC are one host: name from the lease, address and device from the neighbour',
    leases: [lease(LATER, MAC1, '10.77.0.11', 'c1')],
    neighbours: [neighbour('10.77.0.21', MAC1, 'br-guest')],
    want: [host('10.77.0.21', MAC1, 'c1', 'br-guest', 'dhcp')],
  },
  {
    name: 'a neighbour entry alone (static address) is found by arp',
    neighbours: [neighbour('10.77.0.99', MAC1, 'br-guest')],
    want: [host('10.77.0.99', MAC1, null, 'br-guest', 'arp')],
  },
  {
    name: 'a lease alone (host asleep) is a host, on its subnet\'s device',
    leases: [lease(LATER, MAC1, '10.78.0.11', 'sleepy')],
    want: [host('10.78.0.11', MAC1, 'sleepy', 'guest2', 'dhcp')],
  },
  {
    name: 'a lease alone in a subnet of no known device has no interface',
    leases: [lease(LATER, MAC1, '10.77.0.11', 'c1')],
    subnets: [{ network: '10.77.0.0', prefix: 24 }],
    want: [host('10.77.0.11', MAC1, 'c1', '', 'dhcp')],
  },
  {
    name: 'a static lease (expiry 0) never expires; one ending right now has not expired yet',
    leases: [lease(0, MAC1, '10.77.0.11'), lease(NOW, MAC2, '10.77.0.12', 'c2')],
    want: [host('10.77.0.11', MAC1, null, 'br-guest', 'dhcp'), host('10.77.0.12', MAC2, 'c2', 'br-guest', 'dhcp')],
  },
  {
    name: 'an expired lease alone is no host; with a neighbour entry the host is found by arp, without the old name',
    leases: [lease(NOW - 1, MAC1, '10.77.0.11', 'gone'), lease(NOW - 1, MAC2, '10.77.0.12', 'old')],
    neighbours: [neighbour('10.77.0.12', MAC2, 'br-guest')],
    want: [host('10.77.0.12', MAC2, null, 'br-guest', 'arp')],
  },
  {
    name: 'leases outside the guest subnets and neighbours on other devices are not guest hosts',
    leases: [lease(LATER, MAC1, '192.168.1.50', 'laptop')],
    neighbours: [neighbour('192.168.1.50', MAC1, 'br-lan'), neighbour('10.77.9.2', MAC3, 'wan0')],
    want: [],
  },
  {
    name: 'a MAC with a LAN lease seen on the guest device takes nothing from the LAN lease',
    leases: [lease(LATER, MAC1, '192.168.1.50', 'laptop')],
    neighbours: [neighbour('10.77.0.30', MAC1, 'br-guest')],
    want: [host('10.77.0.30', MAC1, null, 'br-guest', 'arp')],
  },
  {
    name: 'no guest subnets known: only neighbour entries count',
    leases: [lease(LATER, MAC1, '10.77.0.11', 'c1'), lease(LATER, MAC2, '10.77.0.12', 'c2')],
    neighbours: [neighbour('10.77.0.12', MAC2, 'br-guest')],
    subnets: [],
    want: [host('10.77.0.12', MAC2, null, 'br-guest', 'arp')],
  },
  {
    name: 'several guest leases of one MAC: the longest running wins, a static one above all',
    leases: [
      lease(LATER, MAC1, '10.77.0.11', 'first'), lease(LATER + 10, MAC1, '10.78.0.11', 'longer'),
      lease(LATER + 10, MAC2, '10.77.0.12', 'longer'), lease(LATER, MAC2, '10.78.0.12', 'shorter'),
      lease(LATER, MAC3, '10.77.0.13', 'dynamic'), lease(0, MAC3, '10.78.0.13', 'static'), lease(LATER + 99, MAC3, '10.77.0.113', 'late'),
    ],
    want: [
      host('10.77.0.12', MAC2, 'longer', 'br-guest', 'dhcp'),
      host('10.78.0.11', MAC1, 'longer', 'guest2', 'dhcp'),
      host('10.78.0.13', MAC3, 'static', 'guest2', 'dhcp'),
    ],
  },
  {
    name: 'several neighbour entries of one MAC: the one at the leased address, else the first',
    leases: [lease(LATER, MAC1, '10.77.0.11', 'c1')],
    neighbours: [
      neighbour('10.77.0.41', MAC1, 'br-guest'), neighbour('10.77.0.11', MAC1, 'br-guest'),
      neighbour('10.78.0.42', MAC2, 'guest2'), neighbour('10.77.0.42', MAC2, 'br-guest'),
    ],
    want: [host('10.77.0.11', MAC1, 'c1', 'br-guest', 'dhcp'), host('10.78.0.42', MAC2, null, 'guest2', 'arp')],
  },
  {
    name: 'sorted by address numerically (not as text), then by MAC; authorized asks the portal per MAC',
    leases: [lease(LATER, MAC3, '10.77.0.9', 'stale')],
    neighbours: [
      neighbour('10.77.0.10', MAC2, 'br-guest'), neighbour('10.77.0.9', MAC1, 'br-guest'), neighbour('9.1.1.1', MAC3.replace('13', '14'), 'br-guest'),
    ],
    authorized: [MAC2],
    want: [
      host('9.1.1.1', '02:77:00:00:00:14', null, 'br-guest', 'arp'),
      host('10.77.0.9', MAC1, null, 'br-guest', 'arp'),
      host('10.77.0.9', MAC3, 'stale', 'br-guest', 'dhcp'),
      host('10.77.0.10', MAC2, null, 'br-guest', 'arp', true),
    ],
  },
]

const run = (c: Pick<Case, 'leases' | 'neighbours' | 'subnets' | 'authorized'>, tracker: HostTracker, now = NOW): GuestHost[] =>
  guestHosts({
    leases: c.leases ?? [],
    neighbours: c.neighbours ?? [],
    devices: DEVICES,
    subnets: c.subnets ?? [GUEST, GUEST2],
    authorized: (mac) => (c.authorized ?? []).includes(mac),
    now,
  }, tracker)

t.test('guestHosts merges leases and neighbours', async (t) => {
  for (const c of MERGE_CASES) {
    t.same(run(c, new HostTracker()), c.want.map((h) => ({ ...h, since: NOW })), c.name)
  }
})

t.test('guestHosts keeps since while a host stays and restarts it when the host comes back', async (t) => {
  const tracker = new HostTracker()
  const sinceOf = (hosts: GuestHost[]) => Object.fromEntries(hosts.map((h) => [h.mac, h.since]))
  const both = { neighbours: [neighbour('10.77.0.11', MAC1, 'br-guest'), neighbour('10.77.0.12', MAC2, 'br-guest')] }
  const one = { neighbours: [neighbour('10.77.0.12', MAC2, 'br-guest')] }
  t.same(sinceOf(run(both, tracker, NOW)), { [MAC1]: NOW, [MAC2]: NOW })
  t.same(sinceOf(run(both, tracker, NOW + 30)), { [MAC1]: NOW, [MAC2]: NOW })
  t.same(sinceOf(run(one, tracker, NOW + 60)), { [MAC2]: NOW })
  t.equal(tracker.size, 1, 'the host that left is forgotten')
  t.same(sinceOf(run(both, tracker, NOW + 90)), { [MAC1]: NOW + 90, [MAC2]: NOW })
})

t.test('from the files to the hosts, as on the openNDS rig', async (t) => {
  const { leases } = parseLeases('1795446477 02:77:00:00:00:11 10.77.0.11 c1 01:02:77:00:00:00:11\n1795446477 02:77:00:00:00:12 10.77.0.12 c2 01:02:77:00:00:00:12\n')
  const { neighbours } = parseArp([
    HEADER,
    arpRow('10.77.0.11', '0x2', '02:77:00:00:00:11', 'guest0'),
    arpRow('10.77.9.2', '0x2', 'ae:0f:3b:21:9c:01', 'wan0'),
  ].join('\n'))
  const table: InterfaceTable = { guest0: [v4('10.77.0.1', '10.77.0.1/24')], wan0: [v4('10.77.9.1', '10.77.9.1/24')] }
  const hosts = guestHosts({
    leases, neighbours, devices: ['guest0'], subnets: subnetsOf(table, ['guest0']),
    authorized: (mac) => mac === '02:77:00:00:00:11', now: NOW,
  }, new HostTracker())
  t.same(hosts, [
    { address: '10.77.0.11', mac: '02:77:00:00:00:11', hostname: 'c1', interface: 'guest0', authorized: true, foundBy: 'dhcp', since: NOW },
    { address: '10.77.0.12', mac: '02:77:00:00:00:12', hostname: 'c2', interface: 'guest0', authorized: false, foundBy: 'dhcp', since: NOW },
  ])
})

t.test('readHostSources', async (t) => {
  const write = (t: Test) => {
    const dir = t.testdir({
      tmp: { 'dhcp.leases': 'tmp leases\n' },
      misc: { 'dnsmasq.leases': 'misc leases\n' },
      db: { 'dnsmasq.leases': 'db leases\n' },
      proc: { arp: `${HEADER}\n` },
      'plain-file': 'not a directory',
    })
    return (p: string) => join(dir, p)
  }

  const cases: Array<[string, string[], string, { leasesText: string; leasesFile: string | null; arpText: string }]> = [
    ['the first lease file when it exists', ['tmp/dhcp.leases', 'misc/dnsmasq.leases'], 'proc/arp', { leasesText: 'tmp leases\n', leasesFile: 'tmp/dhcp.leases', arpText: `${HEADER}\n` }],
    ['else the next that exists', ['none/dhcp.leases', 'plain-file/x', 'db/dnsmasq.leases', 'misc/dnsmasq.leases'], 'proc/arp', { leasesText: 'db leases\n', leasesFile: 'db/dnsmasq.leases', arpText: `${HEADER}\n` }],
    ['no lease file and no arp table read as empty', ['none/dhcp.leases'], 'none/arp', { leasesText: '', leasesFile: null, arpText: '' }],
    ['no lease files listed', [], 'proc/arp', { leasesText: '', leasesFile: null, arpText: `${HEADER}\n` }],
  ]
  for (const [name, leases, arp, want] of cases) {
    t.test(name, async (t) => {
      const at = write(t)
      const got = readHostSources({ leases: leases.map(at), arp: at(arp) })
      t.same(got, { ...want, leasesFile: want.leasesFile === null ? null : at(want.leasesFile) })
    })
  }

  t.test('other I/O errors propagate', async (t) => {
    const at = write(t)
    mkdirSync(at('tmp/dir.leases'))
    writeFileSync(at('tmp/ok'), '')
    t.throws(() => readHostSources({ leases: [at('tmp/dir.leases')], arp: at('proc/arp') }), { code: 'EISDIR' }, 'a lease path that is a directory')
    t.throws(() => readHostSources({ leases: [at('tmp/ok')], arp: at('proc') }), { code: 'EISDIR' }, 'an arp path that is a directory')
  })
})
