/**
 * @module http/listen-addresses
 * Which addresses the API listens on: those of the configured LAN/MGMT interfaces and no
 * other (never the WAN). A name is an OpenWrt logical interface (`lan`, resolved through
 * /etc/config/network to its device, e.g. `br-lan`) or a kernel interface name (`eth1`).
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

/** IPv4 and routable IPv6 addresses of a device; link-local IPv6 needs a scope and is skipped. */
const usable = (info: NetworkInterfaceInfo): boolean =>
  info.family === 'IPv4' || (info.family === 'IPv6' && !/^fe[89ab]/i.test(info.address))

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
