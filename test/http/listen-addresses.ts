import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NetworkInterfaceInfo } from 'node:os'
import { parseUci } from '../../src/config/uci'
import { addressesOfStatus, deviceOf, readNetworkConfig, resolveListen, resolveListenLive, type InterfaceTable } from '../../src/http/listen-addresses'

/**
 * A /etc/config/network as OpenWrt writes it: 21.02+ style (a `device` section for the bridge and
 * `option device` in the interface), with a 19.07-style bridge interface (`option type 'bridge'`),
 * a plain `option ifname` and a space-separated `option ifname` list, and a section of another
 * type named like an interface.
 */
const NETWORK = `
config interface 'loopback'
	option device 'lo'
	option proto 'static'
	option ipaddr '127.0.0.1'
	option netmask '255.0.0.0'

config globals 'globals'
	option ula_prefix 'fd12:3456:789a::/48'

config device
	option name 'br-lan'
	option type 'bridge'
	list ports 'lan1'
	list ports 'lan2'

config interface 'lan'
	option device 'br-lan'
	option proto 'static'
	option ipaddr '192.168.10.1'
	option netmask '255.255.255.0'
	option ip6assign '60'

config interface 'guest'
	option type 'bridge'
	option ifname 'eth0.3'
	option proto 'static'
	option ipaddr '10.10.0.1'
	option netmask '255.255.255.0'

config interface 'mgmt'
	option ifname 'eth1'
	option proto 'static'
	option ipaddr '172.16.0.1'
	option netmask '255.255.255.0'

config interface 'lan2'
	option ifname 'eth1 eth2'
	option proto 'static'

config interface 'wan'
	option device 'wan'
	option proto 'dhcp'

config interface 'vpn'
	option proto 'wireguard'
	option device ''

config interface 'bond'
	list ifname 'eth3'
	list ifname 'eth4'

config switch 'switch0'
	option name 'switch0'
	option reset '1'
`

const network = parseUci(NETWORK, '/etc/config/network')

t.test('deviceOf finds the kernel device of a logical interface', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['21.02+: option device', 'lan', 'br-lan'],
    ['19.07: option type bridge is named br-<interface>', 'guest', 'br-guest'],
    ['19.07: option ifname', 'mgmt', 'eth1'],
    ['option ifname with several devices: the first', 'lan2', 'eth1'],
    ['option device naming a kernel device', 'wan', 'wan'],
    ['option device empty: the name itself', 'vpn', 'vpn'],
    ['ifname given as a list: the name itself', 'bond', 'bond'],
    ['a section of another type with that name: the name itself', 'switch0', 'switch0'],
    ['a globals section is not an interface', 'globals', 'globals'],
    ['no section of that name: a kernel name', 'eth9', 'eth9'],
  ]
  for (const [name, iface, device] of cases) {
    t.equal(deviceOf(iface, network), device, name)
  }
  t.equal(deviceOf('lan', undefined), 'lan', 'no network config (not OpenWrt): the name itself')
  t.equal(deviceOf('br-lan', undefined), 'br-lan', 'no network config: a kernel name as given')
})

const v4 = (address: string): NetworkInterfaceInfo => ({
  address, netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/24`,
})
const v6 = (address: string): NetworkInterfaceInfo => ({
  address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/64`, scopeid: 0,
})

/** What os.networkInterfaces() returns on a router like the one in NETWORK. */
const TABLE: InterfaceTable = {
  lo: [v4('127.0.0.1'), v6('::1')],
  'br-lan': [v4('192.168.10.1'), v6('fd12:3456:789a::1'), v6('fe80::1'), v6('2001:db8:10::1')],
  'br-guest': [v4('10.10.0.1')],
  eth1: [v4('172.16.0.1'), v6('FE80::2')],
  wan: [v4('203.0.113.7'), v6('2001:db8::7')],
  'eth0.4': [v6('fe80::4'), v6('febf::4')],
}

t.test('resolveListen lists the usable addresses of each name', async (t) => {
  const cases: Array<[string, string[], Array<[string, number]>, string[]]> = [
    ['a bridge: IPv4 and global IPv6, not link-local', ['lan'],
      [['192.168.10.1', 80], ['fd12:3456:789a::1', 80], ['2001:db8:10::1', 80]], []],
    ['several names, in order', ['lan', 'mgmt', 'guest'],
      [['192.168.10.1', 80], ['fd12:3456:789a::1', 80], ['2001:db8:10::1', 80], ['172.16.0.1', 80], ['10.10.0.1', 80]], []],
    ['link-local in capitals is skipped too', ['mgmt'], [['172.16.0.1', 80]], []],
    ['a kernel name used directly', ['br-guest'], [['10.10.0.1', 80]], []],
    ['a kernel name with no entry', ['eth9'], [], ['interface eth9 has no address']],
    ['a device with only link-local addresses (fe80::/10)', ['eth0.4'], [], ['interface eth0.4 has no address']],
    ['one name up, one without address', ['guest', 'vpn'], [['10.10.0.1', 80]], ['interface vpn has no address']],
    ['no names', [], [], []],
  ]
  for (const [name, names, addresses, problems] of cases) {
    const got = resolveListen(names, 80, TABLE, network)
    t.strictSame(got, { addresses: addresses.map(([host, port]) => ({ host, port })), problems }, name)
  }
})

t.test('a logical interface whose device has no address is named with its device', async (t) => {
  const table: InterfaceTable = { ...TABLE, 'br-lan': undefined }
  t.strictSame(resolveListen(['lan'], 8080, table, network), { addresses: [], problems: ['interface lan (br-lan) has no address'] },
    'lan is br-lan, which has no address yet')
  t.strictSame(resolveListen(['lan2'], 8080, TABLE, network), { addresses: [{ host: '172.16.0.1', port: 8080 }], problems: [] },
    'lan2 is on eth1 (the first of its ifname list)')
  t.strictSame(resolveListen(['lan', 'eth9'], 8080, table), { addresses: [], problems: ['interface lan has no address', 'interface eth9 has no address'] },
    'without a network config the names are kernel names')
})

t.test('readNetworkConfig reads a UCI file, and undefined where there is none', async (t) => {
  const dir = t.testdir({ network: NETWORK, broken: "config interface 'lan\n" })
  const read = readNetworkConfig(join(dir, 'network'))
  t.strictSame(read, network, 'the file parses like the text')
  t.equal(deviceOf('lan', read), 'br-lan', 'and resolves interfaces')
  t.equal(readNetworkConfig(join(dir, 'missing')), undefined, 'a missing file: undefined')
  t.equal(readNetworkConfig(join(dir, 'broken')), undefined, 'an unparsable file: undefined (names are then kernel names)')
  writeFileSync(join(dir, 'empty'), '')
  t.strictSame(readNetworkConfig(join(dir, 'empty')), { sections: [] }, 'an empty file: no sections')
  t.strictSame(readNetworkConfig(), readNetworkConfig('/etc/config/network'), 'by default /etc/config/network is read')
})

/** What netifd answers to `ubus call network.interface.lan status` on OpenWrt 23.05 (trimmed to the address keys and a few others). */
const LAN_STATUS = {
  up: true, pending: false, available: true, autostart: true, dynamic: false, uptime: 5123, l3_device: 'br-lan', proto: 'static', device: 'br-lan',
  'ipv4-address': [{ address: '192.168.10.1', mask: 24 }],
  'ipv6-address': [{ address: 'fe80::1', mask: 64 }, { address: '2001:db8:1::1', mask: 64 }],
  'ipv6-prefix': [],
  'ipv6-prefix-assignment': [{ address: 'fd12:3456:789a::', mask: 60, 'local-address': { address: 'fd12:3456:789a::1', mask: 60 } }, { address: 'fd00::', mask: 64 }],
  route: [], 'dns-server': [], 'dns-search': [], neighbors: [], data: {},
}

t.test('netifd\'s status gives IPv4, IPv6 and delegated-prefix addresses, never link-local', async (t) => {
  t.same(addressesOfStatus(LAN_STATUS), ['192.168.10.1', '2001:db8:1::1', 'fd12:3456:789a::1'])
  t.same(addressesOfStatus({ ...LAN_STATUS, up: false }), [], 'none while down')
  t.same(addressesOfStatus({ up: true, 'ipv4-address': 'junk', 'ipv6-address': [null, { address: 7 }, { address: '' }] }), [], 'odd shapes are skipped')
})

t.test('resolveListenLive asks netifd first and falls back for names it does not know', async (t) => {
  const asked: string[] = []
  const statusOf = async (name: string) => {
    asked.push(name)
    return name === 'lan' ? LAN_STATUS : name === 'mgmt' ? { up: false } : name === 'guest' ? { up: true, 'ipv4-address': [] } : undefined
  }
  const table: InterfaceTable = { eth9: [v4('10.9.0.1')] }
  const r = await resolveListenLive(['lan', 'mgmt', 'guest', 'eth9', 'nowhere'], 8080, statusOf, table)
  t.same(asked, ['lan', 'mgmt', 'guest', 'eth9', 'nowhere'])
  t.same(r.addresses, [
    { host: '192.168.10.1', port: 8080 }, { host: '2001:db8:1::1', port: 8080 }, { host: 'fd12:3456:789a::1', port: 8080 }, { host: '10.9.0.1', port: 8080 },
  ])
  t.same(r.problems, ['interface mgmt is down', 'interface guest has no address', 'interface nowhere has no address'])
})
