/**
 * @module backend/guest-hosts
 * The hosts on the guest network, for the `get_guest_hosts` action (modelled on MikroTik's
 * `/ip hotspot host`): built from dnsmasq's DHCP lease file and the kernel's IPv4 neighbour
 * table (`/proc/net/arp`), merged by MAC address.
 *
 * What counts as a guest host: a MAC with a complete neighbour entry on one of the guest
 * devices, or with an unexpired IPv4 lease inside one of the guest subnets (a lease alone is
 * enough: the host may be asleep). A lease expires when its expiry is not 0 (0 is a static,
 * infinite lease) and lies before `now`. The list is IPv4 only: openNDS authorizes IPv4
 * clients, and DHCPv6 leases carry no MAC, so DHCPv6 lines in the lease file are passed over.
 *
 * Everything here is pure except {@link HostTracker} (which remembers when each host was first
 * seen) and {@link readHostSources} (which reads the two files).
 */
import { readFileSync } from 'node:fs'
import { isIPv6 } from 'node:net'
import type { GuestHost } from './backend'
import type { InterfaceTable } from '../http/listen-addresses'

/** Lease files in the order openNDS looks for them; the first that exists is used. */
export const LEASE_FILES: readonly string[] = ['/tmp/dhcp.leases', '/var/lib/misc/dnsmasq.leases', '/var/db/dnsmasq.leases']

/** The kernel's IPv4 neighbour table. */
export const ARP_FILE = '/proc/net/arp'

/** An IPv4 DHCP lease from dnsmasq's lease file. */
export interface Lease {
  /** Epoch seconds when the lease ends; 0 for a lease that never does (static). */
  expiry: number
  /** Upper case, colon separated. */
  mac: string
  address: string
  /** The name the client sent, or null (`*` in the file). */
  hostname: string | null
}

/** A complete entry of the kernel's IPv4 neighbour table. */
export interface Neighbour {
  address: string
  /** Upper case, colon separated. */
  mac: string
  /** Kernel device, e.g. `br-guest`. */
  device: string
}

/** What a parser kept, and how many lines it could not make sense of (for one log line). */
export interface ParsedLeases { leases: Lease[]; skipped: number }
export interface ParsedNeighbours { neighbours: Neighbour[]; skipped: number }

/** An IPv4 subnet; `device` (when known) names the kernel device it is on. */
export interface Subnet {
  /** Network address, e.g. `10.77.0.0`. */
  network: string
  prefix: number
  device?: string
}


export interface GuestHostsInput {
  leases: Lease[]
  neighbours: Neighbour[]
  /** Kernel devices of the guest interfaces. */
  devices: string[]
  /** IPv4 subnets of those devices (see {@link subnetsOf}). */
  subnets: Subnet[]
  /** Whether the captive portal lets a MAC through. */
  authorized: (mac: string) => boolean
  /** Epoch seconds. */
  now: number
}

// --- addresses ---------------------------------------------------------------------------

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`)
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i
const ZERO_MAC = '00:00:00:00:00:00'

/** An IPv4 address as a number, or undefined if it is not a dotted quad (no leading zeros). */
const ipv4Value = (ip: string): number | undefined => {
  const m = IPV4.exec(ip)
  return m === null ? undefined : m.slice(1).reduce((value, octet) => value * 256 + Number(octet), 0)
}

const dottedQuad = (value: number): string =>
  [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.')

const validPrefix = (prefix: number): boolean => Number.isInteger(prefix) && prefix >= 0 && prefix <= 32

/** A MAC address in upper case colon form, or null if `raw` is not a 6-octet colon-separated MAC. */
export const normalizeMac = (raw: string): string | null => (MAC.test(raw) ? raw.toUpperCase() : null)

/** Whether `ip` is an IPv4 address inside `subnet`; false for anything that is not valid IPv4. */
export const inSubnet = (ip: string, subnet: Subnet): boolean => {
  const address = ipv4Value(ip)
  const network = ipv4Value(subnet.network)
  if (address === undefined || network === undefined || !validPrefix(subnet.prefix)) return false
  const size = 2 ** (32 - subnet.prefix)
  return Math.floor(address / size) === Math.floor(network / size)
}

/** The subnet of an IPv4 CIDR such as `10.77.0.1/24`, or undefined. */
const subnetOfCidr = (cidr: string): Subnet | undefined => {
  const [ip = '', bits = ''] = cidr.split('/')
  const address = ipv4Value(ip)
  const prefix = /^\d{1,2}$/.test(bits) ? Number(bits) : -1
  if (address === undefined || !validPrefix(prefix)) return undefined
  return { network: dottedQuad(address - (address % 2 ** (32 - prefix))), prefix }
}

/**
 * The IPv4 subnets of `devices` in an `os.networkInterfaces()` table, each with its device.
 * Addresses without a usable `cidr` are passed over.
 */
export const subnetsOf = (table: InterfaceTable, devices: readonly string[]): Subnet[] =>
  devices.flatMap((device) => (table[device] ?? []).flatMap((info) => {
    const subnet = info.family === 'IPv4' && info.cidr !== null ? subnetOfCidr(info.cidr) : undefined
    return subnet === undefined ? [] : [{ ...subnet, device }]
  }))

// --- parsing -----------------------------------------------------------------------------

/** A line that is understood but holds nothing for us. */
const IGNORE = Symbol('ignore')
/** A line that is not understood; counted in `skipped`. */
const MALFORMED = Symbol('malformed')
type LineOutcome<T> = T | typeof IGNORE | typeof MALFORMED

/** Runs `parseLine` over the whitespace-split non-blank lines of `text`. */
const parseLines = <T>(text: string, parseLine: (fields: string[]) => LineOutcome<T>): { items: T[]; skipped: number } => {
  const items: T[] = []
  let skipped = 0
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields[0] === '') continue
    const outcome = parseLine(fields)
    if (outcome === MALFORMED) skipped++
    else if (outcome !== IGNORE) items.push(outcome)
  }
  return { items, skipped }
}

/** Lease file lines that are not leases: the server's DHCPv6 DUID and per-lease extras. */
const LEASE_EXTRAS = new Set(['duid', 'vendorclass', 'agent-info'])

/**
 * The MAC of a lease's hardware address field. dnsmasq writes Ethernet addresses bare and
 * other hardware types (or none) as `<type>-<octets>`; those are ignored.
 */
const leaseMac = (hw: string): LineOutcome<string> => {
  const typed = /^([0-9a-f]{2})-(.*)$/i.exec(hw)
  if (typed !== null && typed[1] !== '01') return IGNORE
  return normalizeMac(typed === null ? hw : typed[2] as string) ?? MALFORMED
}

/** One lease line: `<expiry> <mac> <ipv4> <hostname|*> <client-id|*>` (or DHCPv6, ignored). */
const parseLeaseLine = (fields: string[]): LineOutcome<Lease> => {
  if (LEASE_EXTRAS.has(fields[0] as string)) return IGNORE
  const [expiry = '', hw = '', address = '', hostname = ''] = fields
  if (fields.length !== 5 || !/^\d+$/.test(expiry)) return MALFORMED
  if (/^T?\d+$/.test(hw) && isIPv6(address)) return IGNORE // DHCPv6: <expiry> <iaid> <ipv6> ...
  if (ipv4Value(address) === undefined) return MALFORMED
  const mac = leaseMac(hw)
  if (typeof mac !== 'string') return mac
  return { expiry: Number(expiry), mac, address, hostname: hostname === '*' ? null : hostname }
}

/**
 * The IPv4 leases in a dnsmasq lease file. DHCPv6 leases (after the `duid` line), leases of
 * non-Ethernet hardware and `vendorclass`/`agent-info` lines are passed over; lines that make
 * no sense are counted in `skipped`. The expiry is taken as epoch seconds (dnsmasq built with
 * HAVE_BROKEN_RTC writes lease lengths instead; OpenWrt's does not).
 */
export const parseLeases = (text: string): ParsedLeases => {
  const { items, skipped } = parseLines(text, parseLeaseLine)
  return { leases: items, skipped }
}

/** The kernel's ATF_COM flag: the neighbour's hardware address is known. */
const ATF_COM = 0x2

/** One row: `<ip> <hw type> <flags> <mac> <mask> <device>`; the header row is ignored. */
const parseArpLine = (fields: string[]): LineOutcome<Neighbour> => {
  if (fields[0] === 'IP' && fields[1] === 'address') return IGNORE
  const [address = '', , flags = '', hw = '', , device = ''] = fields
  const mac = normalizeMac(hw)
  if (fields.length !== 6 || ipv4Value(address) === undefined || !/^0x[0-9a-f]+$/i.test(flags) || mac === null) return MALFORMED
  if ((Number(flags) & ATF_COM) === 0 || mac === ZERO_MAC) return IGNORE
  return { address, mac, device }
}

/**
 * The complete entries of `/proc/net/arp`. Incomplete ones (no ATF_COM flag, e.g. `0x0`) and
 * all-zero MACs are passed over; rows that make no sense are counted in `skipped`.
 */
export const parseArp = (text: string): ParsedNeighbours => {
  const { items, skipped } = parseLines(text, parseArpLine)
  return { neighbours: items, skipped }
}

// --- first seen --------------------------------------------------------------------------

/**
 * When each host was first seen, by MAC. Bounded: past `maxEntries` the earliest remembered
 * host is forgotten. Hosts no longer on the network are forgotten with {@link forgetOthers},
 * so a host that comes back is new again.
 */
export class HostTracker {
  private readonly first = new Map<string, number>()

  constructor (private readonly maxEntries = 4096) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, not ${maxEntries}`)
  }

  /** When `mac` was first seen (epoch seconds); `now` if it was not known. */
  seen (mac: string, now: number): number {
    const known = this.first.get(mac)
    if (known !== undefined) return known
    this.first.set(mac, now)
    if (this.first.size > this.maxEntries) this.first.delete(this.first.keys().next().value as string)
    return now
  }

  /** Forgets every host not in `present`. */
  forgetOthers (present: ReadonlySet<string>): void {
    for (const mac of this.first.keys()) if (!present.has(mac)) this.first.delete(mac)
  }

  /** How many hosts are remembered. */
  get size (): number {
    return this.first.size
  }
}

// --- merging -----------------------------------------------------------------------------

/** A lease on the guest network, with the subnet that places it there. */
interface GuestLease { lease: Lease; subnet: Subnet }

const expired = (lease: Lease, now: number): boolean => lease.expiry !== 0 && lease.expiry < now

/** Whether lease `a` runs longer than lease `b` (0 never ends). */
const outlives = (a: Lease, b: Lease): boolean => b.expiry !== 0 && (a.expiry === 0 || a.expiry > b.expiry)

/** The unexpired leases inside the guest subnets; per MAC the one that runs longest. */
const guestLeases = (leases: Lease[], subnets: Subnet[], now: number): Map<string, GuestLease> => {
  const found = new Map<string, GuestLease>()
  for (const lease of leases) {
    const subnet = expired(lease, now) ? undefined : subnets.find((s) => inSubnet(lease.address, s))
    const held = found.get(lease.mac)
    if (subnet !== undefined && (held === undefined || outlives(lease, held.lease))) found.set(lease.mac, { lease, subnet })
  }
  return found
}

/** The neighbour entries on the guest devices, by MAC. */
const guestNeighbours = (neighbours: Neighbour[], devices: string[]): Map<string, Neighbour[]> => {
  const found = new Map<string, Neighbour[]>()
  for (const n of neighbours.filter((n) => devices.includes(n.device))) found.set(n.mac, [...(found.get(n.mac) ?? []), n])
  return found
}

/**
 * Where a host is: its neighbour entry (the one at the leased address if it has several, else
 * the first), or failing that its lease and the lease subnet's device.
 */
const locate = (held: GuestLease | undefined, entries: Neighbour[]): { address: string; device: string } => {
  const entry = entries.find((n) => n.address === held?.lease.address) ?? entries[0]
  if (entry !== undefined) return { address: entry.address, device: entry.device }
  const { lease, subnet } = held as GuestLease
  return { address: lease.address, device: subnet.device ?? '' }
}

/** Orders IPv4 addresses numerically, then by MAC. */
const byAddress = (a: GuestHost, b: GuestHost): number =>
  (ipv4Value(a.address) as number) - (ipv4Value(b.address) as number) || a.mac.localeCompare(b.mac)

/**
 * The hosts on the guest network, sorted by IPv4 address. A MAC is on it with a neighbour entry
 * on one of `devices` or an unexpired lease inside one of `subnets`. The lease gives the host
 * name, the neighbour entry the current address and device. `tracker` learns who is present and
 * forgets the rest.
 */
export const guestHosts = (input: GuestHostsInput, tracker: HostTracker): GuestHost[] => {
  const leases = guestLeases(input.leases, input.subnets, input.now)
  const neighbours = guestNeighbours(input.neighbours, input.devices)
  const present = new Set([...leases.keys(), ...neighbours.keys()])
  tracker.forgetOthers(present)
  return [...present].map((mac): GuestHost => {
    const held = leases.get(mac)
    const { address, device } = locate(held, neighbours.get(mac) ?? [])
    return {
      address,
      mac,
      hostname: held?.lease.hostname ?? null,
      interface: device,
      authorized: input.authorized(mac),
      foundBy: held === undefined ? 'arp' : 'dhcp',
      since: tracker.seen(mac, input.now),
    }
  }).sort(byAddress)
}

// --- reading -----------------------------------------------------------------------------

/** The raw text of the two sources, and which lease file it came from (null: none exists). */
export interface HostSources { leasesText: string; leasesFile: string | null; arpText: string }

/** A file's text, or undefined if it does not exist; other errors propagate. */
const readIfExists = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
}

/**
 * Reads the first existing lease file of `paths.leases` (as openNDS does) and the neighbour
 * table (callers pass {@link LEASE_FILES} and {@link ARP_FILE}); a missing file reads as ''.
 * Other I/O errors (a directory, no permission) propagate.
 */
export const readHostSources = (paths: { leases: readonly string[]; arp: string }): HostSources => {
  const arpText = readIfExists(paths.arp) ?? ''
  for (const file of paths.leases) {
    const text = readIfExists(file)
    if (text !== undefined) return { leasesText: text, leasesFile: file, arpText }
  }
  return { leasesText: '', leasesFile: null, arpText }
}
