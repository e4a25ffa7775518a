import t from 'tap'
import type { IncomingHttpHeaders } from 'node:http'
import { clientAddress, parseTrustList } from '../../src/relay/client-address'

const from = (remoteAddress: string | undefined, headers: IncomingHttpHeaders = {}): Parameters<typeof clientAddress>[0] =>
  ({ socket: { remoteAddress }, headers })

t.test('without a trust list, the peer is the client, whatever the headers say', async (t) => {
  const none = parseTrustList([])
  t.equal(clientAddress(from('203.0.113.5', { 'x-forwarded-for': '10.1.1.1' }), none), '203.0.113.5')
  t.equal(clientAddress(from('::ffff:203.0.113.5'), none), '203.0.113.5', 'IPv4-mapped IPv6 is written as IPv4')
  t.equal(clientAddress(from('2001:db8::1'), none), '2001:db8::1')
  t.equal(clientAddress(from(undefined), none), 'unknown', 'a socket already closed')
})

t.test('from a trusted proxy, the last hop of X-Forwarded-For is the client', async (t) => {
  const lb = parseTrustList(['10.0.0.2', '192.168.0.0/24', '::1', 'fd00::/8'])
  const cases: Array<[string, string | undefined, string, string]> = [
    ['10.0.0.2', '198.51.100.7', '198.51.100.7', 'the proxy\'s header'],
    ['::ffff:10.0.0.2', '198.51.100.7', '198.51.100.7', 'the proxy as IPv4-mapped IPv6'],
    ['10.0.0.2', '1.2.3.4, 198.51.100.7', '198.51.100.7', 'a client-sent hop before the proxy\'s is ignored'],
    ['10.0.0.2', '1.2.3.4,198.51.100.7 , ', '198.51.100.7', 'empty entries and spaces'],
    ['10.0.0.2', '::ffff:198.51.100.7', '198.51.100.7', 'an IPv4-mapped hop'],
    ['192.168.0.77', '2001:db8::5', '2001:db8::5', 'a proxy in a trusted range, an IPv6 client'],
    ['::1', '198.51.100.7', '198.51.100.7', 'an IPv6 proxy'],
    ['fd12::1', '198.51.100.7', '198.51.100.7', 'an IPv6 range'],
    ['10.0.0.2', undefined, '10.0.0.2', 'no header: the proxy itself'],
    ['10.0.0.2', 'unknown', '10.0.0.2', 'a hop that is no address: the proxy'],
    ['10.0.0.3', '198.51.100.7', '10.0.0.3', 'an untrusted peer\'s header is ignored'],
    ['192.168.1.1', '198.51.100.7', '192.168.1.1', 'outside the trusted range'],
  ]
  for (const [peer, header, expected, what] of cases) {
    const headers = header === undefined ? {} : { 'x-forwarded-for': header }
    t.equal(clientAddress(from(peer, headers), lb), expected, what)
  }
})

t.test('the trust list takes addresses and CIDR ranges, and names what it cannot read', async (t) => {
  t.ok(parseTrustList(['10.0.0.0/8']).check('10.200.1.1', 'ipv4'))
  t.ok(parseTrustList(['0.0.0.0/0']).check('8.8.8.8', 'ipv4'), 'a /0 trusts all (the operator\'s choice)')
  for (const bad of ['example.net', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', '::/129', '10.0.0.0/8/8', '', '10.0.0.1/1.5']) {
    t.throws(() => parseTrustList([bad]), { message: `--trust-proxy ${bad}: expected an IP address or a CIDR range such as 10.0.0.0/24` }, `refuses ${JSON.stringify(bad)}`)
  }
})
