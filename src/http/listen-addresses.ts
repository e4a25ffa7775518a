/**
 * @module http/listen-addresses
 * Which addresses the API listens on: those of the configured LAN/MGMT interfaces and no
 * other (never the WAN). A name is an OpenWrt logical interface (`lan`) or a kernel interface
 * name (`eth1`). On a router, netifd's own answer (`ubus call network.interface.lan status`)
 * is asked first; without ubus, /etc/config/network gives the device (e.g. `br-lan`) and the
 * kernel's table its addresses.
 */
import type { NetworkInterfaceInfo } from 'node:os'
import type { ListenAddress } from '../cli'
import { readUciFile, section, type UciPackage } from '../config/uci'

export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>

/** The kernel device of a logical interface, per /etc/config/network (OpenWrt 19.07 to 24.10). */
export const deviceOf = (name: string, network: UciPackage | undefined): string => {
  const s = network === undefined ? undefined : section(network, name)
  if (s === undefined || s.type !== 'interface') return name
  const device = s.options.get('device') ?? s.options.get('ifname')
  if (s.options.get('type') === 'bridge') return `br-${name}` // 19.07: the bridge is named after the interface
  return typeof device === 'string' && device !== '' ? device.split(/\s+/)[0] as string : name
}

/** Link-local IPv6 needs a scope id to listen on, and is skipped. */
const linkLocal = (address: string): boolean => /^fe[89ab]/i.test(address)

/** IPv4 and routable IPv6 addresses of a device. */
const usable = (info: NetworkInterfaceInfo): boolean =>
  info.family === 'IPv4' || (info.family === 'IPv6' && !linkLocal(info.address))

/**
 * Listen addresses for `names` on `port`, and a line for each name that has none yet (the
 * interface may come up later; procd's interface trigger then reloads hotspotd).
 */
export const resolveListen = (
  names: readonly string[], port: number, table: InterfaceTable, network?: UciPackage,
): { addresses: ListenAddress[]; problems: string[] } => {
  const addresses: ListenAddress[] = []
  const problems: string[] = []
  for (const name of names) {
    const device = deviceOf(name, network)
    const found = (table[device] ?? []).filter(usable)
    if (found.length === 0) problems.push(`interface ${name}${device === name ? '' : ` (${device})`} has no address`)
    for (const info of found) addresses.push({ host: info.address, port })
  }
  return { addresses, problems }
}

/** OpenWrt's network config, or undefined where there is none (not OpenWrt: names are kernel names). */
export const readNetworkConfig = (file = '/etc/config/network'): UciPackage | undefined => {
  try {
    return readUciFile(file)
  } catch {
    return undefined
  }
}

/** netifd's `network.interface.<name> status` answer, as far as addresses go. */
export type InterfaceStatus = Record<string, unknown>

const addressList = (status: InterfaceStatus, key: string): unknown[] => {
  const v = status[key]
  return Array.isArray(v) ? v : []
}

const addressOf = (entry: unknown): unknown => (entry as { address?: unknown } | null)?.address

/**
 * The addresses to listen on from netifd's status of an interface: its IPv4 addresses, its
 * IPv6 addresses and the router's own address in each delegated IPv6 prefix; none while the
 * interface is down.
 */
export const addressesOfStatus = (status: InterfaceStatus): string[] => {
  if (status.up !== true) return []
  const found = [
    ...addressList(status, 'ipv4-address').map(addressOf),
    ...addressList(status, 'ipv6-address').map(addressOf),
    ...addressList(status, 'ipv6-prefix-assignment').map((p) => addressOf((p as { 'local-address'?: unknown } | null)?.['local-address'])),
  ]
  return found.filter((a): a is string => typeof a === 'string' && a !== '' && !linkLocal(a))
}

/**
 * Like resolveListen, asking netifd first: `statusOf(name)` answers an interface's status, or
 * undefined when netifd does not know the name (or ubus is not there), in which case the name
 * is resolved as resolveListen does.
 */
export const resolveListenLive = async (
  names: readonly string[], port: number, statusOf: (name: string) => Promise<InterfaceStatus | undefined>,
  table: InterfaceTable, network?: UciPackage,
): Promise<{ addresses: ListenAddress[]; problems: string[] }> => {
  const addresses: ListenAddress[] = []
  const problems: string[] = []
  for (const name of names) {
    const status = await statusOf(name)
    const found = status === undefined ? resolveListen([name], port, table, network) : undefined
    if (found !== undefined) {
      addresses.push(...found.addresses)
      problems.push(...found.problems)
      continue
    }
    const live = addressesOfStatus(status as InterfaceStatus)
    if (live.length === 0) problems.push(`interface ${name} ${(status as InterfaceStatus).up === true ? 'has no address' : 'is down'}`)
    for (const host of live) addresses.push({ host, port })
  }
  return { addresses, problems }
}
