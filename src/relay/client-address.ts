/**
 * @module relay/client-address
 * Whom a request comes from: the peer of its socket, or, only when that peer is a load balancer
 * the operator named (`--trust-proxy`), the last hop of X-Forwarded-For, which that load
 * balancer appended. Anything before the last hop was written by the client and proves nothing.
 */
import { BlockList, isIP } from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'

/** IPv4-mapped IPv6 written as plain IPv4. */
const plain = (address: string): string => address.replace(/^::ffff:(?=\d+\.)/i, '')

/**
 * The trusted proxies, from addresses and CIDR ranges (`10.0.0.2`, `10.0.0.0/24`, `::1`).
 * @throws Error naming an entry that is neither
 */
export const parseTrustList = (entries: readonly string[]): BlockList => {
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/')
    const family = isIP(address)
    const prefix = bits === undefined ? undefined : Number(bits)
    const max = family === 6 ? 128 : 32
    if (family === 0 || extra !== undefined || (prefix !== undefined && !(Number.isInteger(prefix) && bits !== '' && prefix >= 0 && prefix <= max))) {
      throw new Error(`--trust-proxy ${entry}: expected an IP address or a CIDR range such as 10.0.0.0/24`)
    }
    const type = family === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, prefix, type)
  }
  return list
}

const trusted = (list: BlockList, address: string): boolean =>
  list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')

/** What is read of a request (an IncomingMessage). */
export interface RequestFrom { socket: { remoteAddress?: string | undefined }; headers: IncomingHttpHeaders }

/**
 * The client's address for logs, throttling and the router (the stream's `client`); 'unknown'
 * for a socket already closed.
 */
export const clientAddress = (req: RequestFrom, trust: BlockList): string => {
  const peer = plain(req.socket.remoteAddress ?? 'unknown')
  if (isIP(peer) === 0 || !trusted(trust, peer)) return peer
  // node joins repeated X-Forwarded-For headers with ', ': the last hop is the last entry.
  const last = String(req.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean).pop()
  return last !== undefined && isIP(plain(last)) !== 0 ? plain(last) : peer
}
