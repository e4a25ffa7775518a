/**
 * @module test/portal/fas
 * The FAS query parser and helpers against what openNDS 9.10 really sent: every redirect query
 * that reached the rig's FAS at levels 0 and 1 (compared with what that FAS decoded on its own),
 * every FAS URL in the redirect chain (Locations, RFC 8908 JSON, the decoded level-1 payloads),
 * the hid/rhid relations checked against the values openNDS and BinAuth used, a level-1 payload
 * whose base64 holds '+', a v10 payload with cpi_query and custom fields, status=authenticated
 * returns, and junk and hostile queries (missing and duplicate fields, overlong values, bad
 * addresses, %00, bad and double percent-encoding, scripts in the origin URL).
 */
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  authTarget,
  FasRequestError,
  hidOf,
  landingUrl,
  parseFasQuery,
  peerMatches,
  randomFasKey,
  rhidOf,
  validFasKey,
  type FasClient,
} from '../../src/portal/fas'
import type { Subnet } from '../../src/backend/guest-hosts'
import { errorOf } from '../fixtures/error-of'

const FAS_DIR = join(__dirname, '..', 'fixtures', 'opennds', 'fas')
const fixture = (name: string): string => readFileSync(join(FAS_DIR, name), 'utf8')

/** One request as the rig's FAS logged it (the fields used here). */
interface LoggedRequest {
  peer: string
  path: string
  query: string
  params: Array<[string, string]>
  fas_b64_has_plus?: boolean
  fas_decoded?: Record<string, string>
  fas_view: { kind: string; ctx?: Record<string, string | number> }
  response: { status: number; location: string | null }
}

const requests = (name: string): LoggedRequest[] =>
  fixture(name).trim().split('\n').map((line) => JSON.parse(line) as LoggedRequest)

const LEVEL0 = requests('fas-requests-level0.log')
const LEVEL1 = requests('fas-requests-level1.log')
const FASKEY = /^faskey (\S+)$/m.exec(fixture('opennds.conf.level1'))?.[1] as string
const GUEST: Subnet[] = [{ network: '10.77.0.0', prefix: 24, device: 'guest0' }]
const FALLBACK = 'http://10.77.0.1:2080/portal/welcome'

/** The requests that carry openNDS' redirect query (not direct visits, not the rig's own login form). */
const redirects = (log: LoggedRequest[]): LoggedRequest[] => log.filter((r) => r.query !== '' && !r.path.endsWith('/login'))
const peerIp = (r: LoggedRequest): string => r.peer.slice(0, r.peer.lastIndexOf(':'))

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64')

/** A level-1 payload as openNDS 9.10 writes it, with fields replaced or added. */
const payload9 = (over: Record<string, string> = {}, junk = '(null)(null)(null)(null)'): string => {
  const fields: Record<string, string> = {
    hid: 'e1479d280a3c1ad11f3f4c781da799a5023b7e03eb43f221a864c0b05b51e648',
    clientip: '10.77.0.11',
    clientmac: '02:77:00:00:00:11',
    client_type: 'cpd_can',
    gatewayname: 'ndsrig',
    gatewayurl: 'http%3a%2f%2f10.77.0.1',
    version: '9.10.0',
    gatewayaddress: '10.77.0.1:2050',
    gatewaymac: 'baa80b10f998',
    originurl: 'http%3a%2f%2f10.77.9.2%2fother',
    clientif: 'guest0',
    themespec: '(null)',
    ...over,
  }
  return Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(', ') + `, ${junk}`
}

const fasQuery = (payload: string): string => `fas=${b64(payload)}`

const parseError = (raw: string): string => {
  const err = errorOf(() => parseFasQuery(raw))
  if (!(err instanceof FasRequestError)) throw err
  return err.message
}

const client = (over: Partial<FasClient> = {}): FasClient => ({
  level: 0,
  clientIp: '10.77.0.11',
  clientMac: null,
  token: 'ea3380f6',
  hid: null,
  gatewayName: 'ndsrig',
  gatewayAddress: '10.77.0.1:2050',
  originUrl: 'http://10.77.9.2/other',
  clientType: null,
  status: null,
  ...over,
})

t.test('FasRequestError', async (t) => {
  const err = new FasRequestError('no clientip')
  t.ok(err instanceof Error)
  t.equal(err.code, 'FAS_REQUEST')
  t.equal(err.name, 'FasRequestError')
  t.equal(err.message, 'no clientip')
})

t.test('level 0: every redirect query in the real FAS log', async (t) => {
  const seen = redirects(LEVEL0)
  t.equal(seen.length, 5, 'three splash visits, one replay by c2, one status=authenticated return')
  for (const r of seen) {
    t.test(`${r.peer} ${r.fas_view.kind}: ${r.query.slice(0, 60)}...`, async (t) => {
      const c = parseFasQuery(r.query)
      if (r.fas_view.kind === 'status=authenticated') {
        t.same(c, {
          level: 0, clientIp: null, clientMac: null, token: 'ea3380f6', hid: null, gatewayName: null,
          gatewayAddress: null, originUrl: 'http://10.77.9.2/', clientType: null, status: 'authenticated',
        })
        return
      }
      const ctx = r.fas_view.ctx as Record<string, string>
      t.same(c, {
        level: 0,
        clientIp: ctx.clientip,
        clientMac: null,
        token: ctx.tok,
        hid: null,
        gatewayName: ctx.gatewayname,
        gatewayAddress: ctx.gatewayaddress,
        originUrl: ctx.originurl,
        clientType: null,
        status: null,
      })
      t.equal(hidOf(c.token as string), ctx.hid, 'hid = sha256(tok)')
      t.equal(authTarget(c), ctx.clientip)
      const replayed = r.fas_view.kind === 'clientip in query does not match TCP peer'
      t.equal(peerMatches(c, peerIp(r), GUEST), !replayed, replayed ? 'c2 replaying c1\'s query is refused' : 'the peer is the client')
    })
  }
})

t.test('level 1: every redirect query in the real FAS log', async (t) => {
  const seen = redirects(LEVEL1)
  t.equal(seen.length, 7, 'five splash visits, one replay by c2, one status=authenticated return')
  for (const r of seen) {
    t.test(`${r.peer} ${r.fas_view.kind}`, async (t) => {
      const c = parseFasQuery(r.query)
      if (r.fas_view.kind === 'status=authenticated') {
        t.same(c, {
          level: 0, clientIp: null, clientMac: null, token: 'e64e1d82', hid: null, gatewayName: null,
          gatewayAddress: null, originUrl: 'http://10.77.9.2/', clientType: null, status: 'authenticated',
        })
        return
      }
      const ctx = r.fas_view.ctx as Record<string, string>
      const decoded = r.fas_decoded as Record<string, string>
      t.same(c, {
        level: 1,
        clientIp: decoded.clientip,
        clientMac: decoded.clientmac?.toUpperCase(),
        token: null,
        hid: decoded.hid,
        gatewayName: decoded.gatewayname,
        gatewayAddress: decoded.gatewayaddress,
        originUrl: ctx.originurl,
        clientType: decoded.client_type,
        status: null,
      })
      t.equal(rhidOf(c.hid as string, FASKEY), ctx.rhid, 'rhid = sha256(hid + faskey)')
      t.equal(authTarget(c), '10.77.0.11')
      const replayed = r.fas_view.kind === 'clientip in query does not match TCP peer'
      t.equal(peerMatches(c, peerIp(r), GUEST), !replayed)
      if (r.fas_b64_has_plus === true) {
        const formDecoded = new URLSearchParams(r.query).get('fas') as string
        t.ok(formDecoded.includes(' '), 'form decoding turns the real + into a space')
        t.equal(parseError(`fas=${formDecoded}`), 'bad fas (not base64)', 'and the payload would be lost')
        t.equal(c.originUrl, 'http://10.77.9.2/~a~b~c/x', 'the raw query keeps it')
      }
    })
  }
  t.ok(seen.some((r) => r.fas_b64_has_plus === true), 'the log holds a real fas= with +')
})

t.test('the redirect chain: every FAS URL openNDS produced, and the decoded level-1 payloads', async (t) => {
  // Redirects to the FAS (faspath /portal/, or / in variant V1); not the rig FAS's own /portal/login form.
  const FAS_URL = /(?:Location: |GET |"user-portal-url": ")(http:\/\/10\.77\.0\.1:2080\/(?:portal\/)?(?:\?[^\s"]*)?)(?:[\s"]|$)/
  let urls = 0
  let payloads = 0
  for (const name of ['redirect-chain.txt', 'variants.txt']) {
    const lines = fixture(name).split('\n')
    let last: FasClient | undefined
    lines.forEach((line, i) => {
      const url = FAS_URL.exec(line)?.[1]
      if (url !== undefined) {
        const q = url.indexOf('?')
        if (q < 0) return // a direct visit, no query: the FAS sends it to http://<gw>:2050/login
        const raw = url.slice(q + 1)
        last = parseFasQuery(raw)
        urls++
        t.equal(last.level, raw.startsWith('fas=') ? 1 : 0, `${name}:${i + 1}`)
        if (last.status === 'authenticated') t.equal(last.clientIp, null, 'a status return names no clientip')
        else t.match(last.clientIp, /^10\.77\.0\.1[12]$/)
        if (last.level === 0) t.equal(last.token, /[?&]tok=([0-9a-f]{8})/.exec(url)?.[1])
        return
      }
      if (!line.includes('decoded fas= payload')) return
      const fields: Record<string, string> = {}
      for (let j = i + 1; /^ {7}\S/.test(lines[j] as string); j++) {
        const [key, ...value] = (lines[j] as string).trim().split('=')
        fields[key as string] = value.join('=')
      }
      payloads++
      t.same(last && {
        clientIp: last.clientIp,
        clientMac: last.clientMac,
        hid: last.hid,
        gatewayName: last.gatewayName,
        gatewayAddress: last.gatewayAddress,
        originUrl: last.originUrl,
        clientType: last.clientType,
      }, {
        clientIp: fields.clientip,
        clientMac: fields.clientmac?.toUpperCase(),
        hid: fields.hid,
        gatewayName: decodeURIComponent(fields.gatewayname as string),
        gatewayAddress: fields.gatewayaddress,
        originUrl: decodeURIComponent(fields.originurl as string),
        clientType: fields.client_type,
      }, `payload at ${name}:${i + 1}`)
    })
  }
  t.ok(urls >= 30, `${urls} FAS URLs parsed`)
  t.ok(payloads >= 10, `${payloads} decoded payloads matched`)
})

t.test('hid and rhid against the values openNDS and BinAuth used', async (t) => {
  // BinAuth's auth_client gets the token; the rig's BinAuth looked the grant up under sha256(token).
  for (const name of ['binauth-events-level0.log', 'binauth-events-level1.log']) {
    const lines = fixture(name).split('\n')
    let checked = 0
    lines.forEach((line, i) => {
      const hid = / grant for hid ([0-9a-f]{64})/.exec(line)?.[1]
      if (hid === undefined) return
      const token = /\[auth_client\] .* \[([0-9a-f]{8})\] \[[^\]]*\]$/.exec(lines[i - 1] as string)?.[1] as string
      t.equal(hidOf(token), hid, `${name}: token ${token}`)
      checked++
    })
    t.ok(checked >= 1, `${name}: ${checked} checked`)
  }
  // The notes' pair: token 0b2cad34 -> hid e1479d28...e648 -> rhid 009afec3...fe55, which openNDS accepted as tok.
  const hid = hidOf('0b2cad34')
  t.match(hid, /^e1479d28[0-9a-f]{52}e648$/)
  t.ok(fixture('binauth-events-level1.log').includes(`grant for hid ${hid}:`))
  const rhid = rhidOf(hid, FASKEY)
  t.equal(FASKEY, 'rigfaskey2080')
  t.match(rhid, /^009afec3[0-9a-f]{52}fe55$/)
  const authaction = LEVEL1.find((r) => r.response.location?.includes('/opennds_auth/?tok=') === true)
  t.equal(/tok=([0-9a-f]+)/.exec(authaction?.response.location as string)?.[1], rhid, 'the tok the FAS sent and openNDS accepted')
  t.equal(hidOf('0B2CAD34'), hid, 'hex case does not matter')
  t.equal(rhidOf(hid.toUpperCase(), FASKEY), rhid)
  t.throws(() => hidOf('0b2cad3'), /token must be 8 hex digits/)
  t.throws(() => hidOf('0b2cad34 '), /token must be 8 hex digits/)
  t.throws(() => rhidOf(hid.slice(1), FASKEY), /hid must be 64 hex digits/)
  t.throws(() => rhidOf(hid, "rig'key;2080"), /faskey must be 8 to 64 letters and digits/)
})

t.test('level 1: a base64 payload holding +', async (t) => {
  // openNDS leaves ~ unencoded in originurl; some ~ positions put a + into the base64.
  let path = '~a~b~c/x'
  let encoded = fasQuery(payload9({ originurl: `http%3a%2f%2f10.77.9.2%2f${path}` }))
  for (let n = 0; !encoded.includes('+'); n++) {
    path = `${'~'.repeat(n)}q~`
    encoded = fasQuery(payload9({ originurl: `http%3a%2f%2f10.77.9.2%2f${path}` }))
  }
  t.ok(encoded.includes('+'))
  const c = parseFasQuery(encoded)
  t.equal(c.originUrl, `http://10.77.9.2/${path}`)
  t.equal(c.hid, 'e1479d280a3c1ad11f3f4c781da799a5023b7e03eb43f221a864c0b05b51e648')
  t.same(parseFasQuery(`fas=${encodeURIComponent(encoded.slice(4))}`), c, 'percent-encoded +, / and = decode to the same')
  t.equal(parseError(encoded.replace(/\+/g, ' ')), 'bad fas (not base64)', 'a + turned into a space is refused, not misread')
})

t.test('level 1: v10 payload with cpi_query, URL-encoded gatewayname and custom fields, parsed by key', async (t) => {
  const v10 = [
    'hid=9daab70976fcec83dacc0f6c4263708e19c3be0d661f833be8ff8dbf538816df',
    'clientip=192.168.3.27',
    'clientmac=a4:5e:60:ab:cd:ef',
    'client_type=cpi_url',
    'cpi_query=http%3a%2f%2fstatus.client%2flogin',
    'gatewayname=Caf%c3%a9%20%26%20Bar',
    'gatewayurl=http%3a%2f%2fstatus.client',
    'version=10.3.1',
    'gatewayaddress=192.168.3.1:2050',
    'gatewaymac=a45e60000001',
    'originurl=http%3a%2f%2fstatus.client%2flogin',
    'clientif=br-guest',
    'themespec=(null)',
    'custom_param=room%3d12',
    'logo=(null)(null)(null)',
  ].join(', ')
  t.same(parseFasQuery(fasQuery(v10)), {
    level: 1,
    clientIp: '192.168.3.27',
    clientMac: 'A4:5E:60:AB:CD:EF',
    token: null,
    hid: '9daab70976fcec83dacc0f6c4263708e19c3be0d661f833be8ff8dbf538816df',
    gatewayName: 'Café & Bar',
    gatewayAddress: '192.168.3.1:2050',
    originUrl: 'http://status.client/login',
    clientType: 'cpi_url',
    status: null,
  })
  const shuffled = v10.split(', ').reverse().join(', ')
  t.same(parseFasQuery(fasQuery(shuffled)), parseFasQuery(fasQuery(v10)), 'field order does not matter')
  const minimal = parseFasQuery(fasQuery('clientip=10.77.0.11, hid=E1479D280A3C1AD11F3F4C781DA799A5023B7E03EB43F221A864C0B05B51E648'))
  t.same(minimal, {
    level: 1, clientIp: '10.77.0.11', clientMac: null, token: null,
    hid: 'e1479d280a3c1ad11f3f4c781da799a5023b7e03eb43f221a864c0b05b51e648',
    gatewayName: null, gatewayAddress: null, originUrl: null, clientType: null, status: null,
  }, 'optional fields absent; hid lower-cased')
  t.same(parseFasQuery(fasQuery(payload9({ clientmac: '(null)', gatewayaddress: '(null)', gatewayname: '(null)' }))), {
    ...parseFasQuery(fasQuery(payload9())), clientMac: null, gatewayAddress: null, gatewayName: null,
  }, '(null) fields are absent')
  t.equal(parseFasQuery(`${fasQuery(payload9())}&status=authenticated`).status, 'authenticated')
  t.equal(parseFasQuery(`${fasQuery(payload9())}&utm=x&flag`).clientIp, '10.77.0.11', 'other query keys are ignored')
  const unpadded = fasQuery(payload9()).replace(/=+$/, '')
  t.equal(parseFasQuery(unpadded).clientIp, '10.77.0.11', 'missing base64 padding is tolerated')
})

t.test('level 0: RFC 8908 and /login shapes', async (t) => {
  // From the level-0 run: the captive API JSON's user-portal-url has no authaction.
  const api = /"user-portal-url": "http:\/\/10\.77\.0\.1:2080\/portal\/\?(clientip=[^"]*)"/.exec(fixture('redirect-chain.txt'))?.[1] as string
  t.equal(api, 'clientip=10.77.0.12&gatewayname=ndsrig&tok=d23447ce&redir=http%3a%2f%2f10.77.0.1')
  const c = parseFasQuery(api)
  t.same(c, {
    level: 0, clientIp: '10.77.0.12', clientMac: null, token: 'd23447ce', hid: null, gatewayName: 'ndsrig',
    gatewayAddress: null, originUrl: 'http://10.77.0.1', clientType: null, status: null,
  })
  t.equal(landingUrl(c, FALLBACK, ['10.77.0.1']), FALLBACK, 'the origin is the gateway itself')
  t.ok(peerMatches(c, '10.77.0.12', GUEST))
  // After /login the origin is openNDS' status page: only the gateway address from authaction names it.
  const login = parseFasQuery(redirects(LEVEL0)[0]?.query as string)
  t.equal(login.originUrl, 'http://10.77.0.1:2050/')
  t.equal(landingUrl(login, FALLBACK, []), FALLBACK)
  // faspath / (variant V1) gives the same query.
  const v1 = parseFasQuery('authaction=http://10.77.0.1:2050/opennds_auth/?clientip=10.77.0.11&gatewayname=ndsrig&tok=fea1cadb&redir=http%3a%2f%2f10.77.9.2%2fv1')
  t.equal(v1.originUrl, 'http://10.77.9.2/v1')
  t.equal(parseFasQuery('authaction=http://10.77.0.1:2050/opennds_auth/?clientip=10.77.0.11&clientip=10.77.0.11&tok=EA3380F6').token, 'ea3380f6',
    'the same clientip inside and outside authaction is fine; tokens are lower-cased')
  t.equal(parseFasQuery('authaction=http%3A%2F%2F10.77.0.1%3A2050%2Fopennds_auth%2F%3Fclientip%3D10.77.0.11&tok=ea3380f6').clientIp, '10.77.0.11',
    'an authaction a browser percent-encoded')
  t.equal(parseFasQuery('authaction=http://10.77.0.1:2050/opennds_auth/?x=1&clientip=10.77.0.11&tok=ea3380f6').gatewayAddress, '10.77.0.1:2050')
  for (const port of ['1', '80', '9999', '59999', '64999', '65499', '65529', '65535']) {
    t.equal(parseFasQuery(`authaction=http://192.168.1.1:${port}/opennds_auth/?clientip=192.168.1.20&tok=ea3380f6`).gatewayAddress, `192.168.1.1:${port}`)
  }
})

t.test('status=authenticated returns', async (t) => {
  const real = parseFasQuery('tok=ea3380f6&redir=http://10.77.9.2/&status=authenticated')
  t.equal(real.status, 'authenticated')
  t.equal(real.clientIp, null, 'openNDS re-emits the /opennds_auth/ query, which had no clientip')
  t.throws(() => authTarget(real), new FasRequestError('no clientip'))
  t.notOk(peerMatches(real, '10.77.0.11', GUEST))
  t.equal(landingUrl(real, FALLBACK, ['10.77.0.1']), 'http://10.77.9.2/')
  const rhid = '009afec35bef7d343604be0624b15d1db99d26827a8f8399a262589e80f9fe55'
  t.same(parseFasQuery(`tok=${rhid}&redir=http://10.77.9.2/other&custom=dm91Y2hlcj1SSUctR09PRC0y&status=authenticated`), {
    level: 0, clientIp: null, clientMac: null, token: null, hid: null, gatewayName: null, gatewayAddress: null,
    originUrl: 'http://10.77.9.2/other', clientType: null, status: 'authenticated',
  }, 'a level-1 return carries the rhid as tok: not a token')
  const full = parseFasQuery('authaction=http://10.77.0.1:2050/opennds_auth/?clientip=10.77.0.11&gatewayname=ndsrig&tok=ea3380f6&redir=http://10.77.9.2/x&status=authenticated')
  t.equal(full.clientIp, '10.77.0.11')
  t.equal(authTarget(full), '10.77.0.11')
  t.same(parseFasQuery('status=authenticated'), {
    level: 0, clientIp: null, clientMac: null, token: null, hid: null, gatewayName: null, gatewayAddress: null,
    originUrl: null, clientType: null, status: 'authenticated',
  })
  t.equal(parseError('tok=ea3380f6&status=authenticated&status=authenticated'), 'duplicate status')
  t.equal(parseError('tok=xyz&status=authenticated'), 'bad tok', 'shapes are still checked')
  t.equal(parseError('clientip=10.77.0.300&status=authenticated'), 'bad clientip')
  for (const s of ['Authenticated', 'authenticated%00', '', 'preauthenticated']) {
    t.equal(parseError(`clientip=10.77.0.11&tok=ea3380f6&status=${s}`), 'bad status', `status=${s}`)
  }
})

t.test('junk and hostile queries are refused with a short reason', async (t) => {
  const T = 'ea3380f6'
  const AA = 'authaction=http://10.77.0.1:2050/opennds_auth/?clientip='
  const long = 'a'.repeat(8193)
  const cases: Array<[string, string, string]> = [
    ['empty', '', 'no clientip'],
    ['junk', 'hello', 'no clientip'],
    ['only tok', `tok=${T}`, 'no clientip'],
    ['only clientip (v10 level 1 without sha256sum)', 'clientip=10.77.0.11&gatewayname=ndsrig&redir=http%3a%2f%2fx', 'no tok, hid or fas'],
    ['overlong', `clientip=10.77.0.11&tok=${T}&redir=${long}`, 'query too long'],
    ['octet over 255', `clientip=10.77.0.256&tok=${T}`, 'bad clientip'],
    ['leading zero', `clientip=10.77.0.011&tok=${T}`, 'bad clientip'],
    ['three octets', `clientip=10.77.0&tok=${T}`, 'bad clientip'],
    ['IPv6', `clientip=fe80::1&tok=${T}`, 'bad clientip'],
    ['mapped IPv6', `clientip=::ffff:10.77.0.11&tok=${T}`, 'bad clientip'],
    ['%00 after the IP', `clientip=10.77.0.11%00&tok=${T}`, 'bad clientip'],
    ['space after the IP', `clientip=10.77.0.11%20&tok=${T}`, 'bad clientip'],
    ['bad percent-encoding', `clientip=10.77.0.%E0&tok=${T}`, 'bad clientip'],
    ['empty clientip', `clientip=&tok=${T}`, 'bad clientip'],
    ['(null) clientip', `clientip=(null)&tok=${T}`, 'no clientip'],
    ['duplicate clientip', `clientip=10.77.0.11&clientip=10.77.0.12&tok=${T}`, 'duplicate clientip'],
    ['7-digit tok', 'clientip=10.77.0.11&tok=ea3380f', 'bad tok'],
    ['9-digit tok', 'clientip=10.77.0.11&tok=ea3380f6a', 'bad tok'],
    ['not hex', 'clientip=10.77.0.11&tok=zz3380f6', 'bad tok'],
    ['rhid as tok outside a status return', `clientip=10.77.0.11&tok=${'a'.repeat(64)}`, 'bad tok'],
    ['script in tok', 'clientip=10.77.0.11&tok=%3Cscript%3E', 'bad tok'],
    ['duplicate tok', `clientip=10.77.0.11&tok=${T}&tok=f5be767a`, 'duplicate tok'],
    ['authaction without query', 'authaction=http://10.77.0.1:2050/opennds_auth/&tok=ea3380f6', 'bad authaction'],
    ['authaction without path', `authaction=http://10.77.0.1:2050?clientip=10.77.0.11&tok=${T}`, 'bad authaction'],
    ['javascript authaction', `authaction=javascript:alert(1)//?clientip=10.77.0.11&tok=${T}`, 'bad authaction'],
    ['authaction undecodable', `authaction=http://10.77.0.1:2050/%E0/?clientip=10.77.0.11&tok=${T}`, 'bad authaction'],
    ['authaction with a foreign host', `authaction=http://evil.example:2050/opennds_auth/?clientip=10.77.0.11&tok=${T}`, 'bad gatewayaddress'],
    ['authaction with port 0', `authaction=http://10.77.0.1:0/opennds_auth/?clientip=10.77.0.11&tok=${T}`, 'bad gatewayaddress'],
    ['authaction with port 65536', `authaction=http://10.77.0.1:65536/opennds_auth/?clientip=10.77.0.11&tok=${T}`, 'bad gatewayaddress'],
    ['authaction without port', `authaction=http://10.77.0.1/opennds_auth/?clientip=10.77.0.11&tok=${T}`, 'bad gatewayaddress'],
    ['authaction with (null) host', `authaction=http://(null)/opennds_auth/?clientip=10.77.0.11&tok=${T}`, 'bad gatewayaddress'],
    ['authaction with a double-encoded port', `authaction=http://10.77.0.1%253a2050/opennds_auth/?clientip=10.77.0.11&tok=${T}`, 'bad gatewayaddress'],
    ['authaction with a double-encoded clientip', `${AA}10.77.0.%2531%2531&tok=${T}`, 'bad clientip'],
    ['authaction with an empty clientip', `${AA}&tok=${T}`, 'bad clientip'],
    ['authaction with a bad clientip', `${AA}10.77.0.1.1&tok=${T}`, 'bad clientip'],
    ['authaction smuggling a second clientip', `${AA}10.77.0.11%26clientip%3D10.77.0.12&tok=${T}`, 'duplicate clientip'],
    ['authaction and clientip disagree', `${AA}10.77.0.11&clientip=10.77.0.12&tok=${T}`, 'conflicting clientip'],
    ['authaction without clientip', `authaction=http://10.77.0.1:2050/opennds_auth/?x=1&tok=${T}`, 'no clientip'],
    ['duplicate authaction', `${AA}10.77.0.11&${AA}10.77.0.11&tok=${T}`, 'duplicate authaction'],
    ['level 2 (fas + iv)', 'fas=YWJj&iv=0123456789abcdef', 'encrypted fas (level 2 or 3) is not supported'],
    ['fas mixed with tok', `${fasQuery(payload9())}&tok=${T}`, 'fas mixed with level-0 parameters'],
    ['fas mixed with clientip', `${fasQuery(payload9())}&clientip=10.77.0.12`, 'fas mixed with level-0 parameters'],
    ['duplicate fas', `${fasQuery(payload9())}&${fasQuery(payload9())}`, 'duplicate fas'],
    ['empty fas', 'fas=', 'bad fas (not base64)'],
    ['fas with a space', 'fas=aGlk PTE=', 'bad fas (not base64)'],
    ['fas with junk', 'fas=aGlk<script>', 'bad fas (not base64)'],
    ['fas of impossible length', 'fas=aGlkP', 'bad fas (not base64)'],
    ['fas undecodable', 'fas=aGlk%E0', 'bad fas (not base64)'],
    ['fas of plain text', `fas=${payload9()}`, 'bad fas (not base64)'],
    ['payload without clientip', fasQuery(payload9({ clientip: '(null)' })), 'no clientip'],
    ['payload with a bad clientip', fasQuery(payload9({ clientip: '10.77.0.11 ' })), 'bad clientip'],
    ['payload without hid', fasQuery('clientip=10.77.0.11, clientmac=02:77:00:00:00:11'), 'no hid in fas'],
    ['payload with (null) hid', fasQuery(payload9({ hid: '(null)' })), 'no hid in fas'],
    ['payload with a short hid', fasQuery(payload9({ hid: 'e1479d28' })), 'bad hid'],
    ['payload with the token as hid', fasQuery(payload9({ hid: '0b2cad34' })), 'bad hid'],
    ['payload with a bad clientmac', fasQuery(payload9({ clientmac: '02-77-00-00-00-11' })), 'bad clientmac'],
    ['payload with a colonless clientmac', fasQuery(payload9({ clientmac: '027700000011' })), 'bad clientmac'],
    ['payload with a bad gatewayaddress', fasQuery(payload9({ gatewayaddress: 'evil.example:2050' })), 'bad gatewayaddress'],
    ['payload with a %00 gatewayaddress', fasQuery(payload9({ gatewayaddress: '10.77.0.1:2050%00' })), 'bad gatewayaddress'],
    ['payload with a second clientip', fasQuery(payload9({}, 'clientip=10.77.0.12')), 'duplicate clientip'],
    ['payload with a NUL byte in the IP', fasQuery(payload9({ clientip: '10.77.0.11\u0000' })), 'bad clientip'],
  ]
  for (const [what, raw, reason] of cases) t.equal(parseError(raw), reason, what)
})

t.test('descriptive fields: decoded exactly once, null when unusable', async (t) => {
  const base = 'clientip=10.77.0.11&tok=ea3380f6'
  const origin = (redir: string): string | null => parseFasQuery(`${base}&redir=${redir}`).originUrl
  t.equal(origin('http%3a%2f%2fa.example%2fq%3fa%2bb+c'), 'http://a.example/q?a+b+c', 'a + stays a +')
  t.equal(origin('http%253a%252f%252fa.example%252f'), 'http%3a%2f%2fa.example%2f', 'double encoding is decoded once')
  t.equal(origin('javascript%3aalert(1)'), 'javascript:alert(1)', 'kept as text; landingUrl refuses it')
  t.equal(origin('http%3a%2f%2fa.example%2f%00'), null, '%00')
  t.equal(origin('http%3a%2f%2fa.example%2f%0d%0aSet-Cookie:x'), null, 'CRLF')
  t.equal(origin('http%3a%2f%2fa.example%2f%c2%85'), null, 'C1 control (NEL)')
  t.equal(origin('http%3a%2f%2fa.example%2f%E0%A4%A'), null, 'bad percent-encoding')
  t.equal(origin(''), null, 'empty')
  t.equal(origin('(null)'), null)
  t.equal(origin(`http://a.example/${'x'.repeat(2032)}`), null, 'over 2048 characters')
  t.equal(origin(`http://a.example/${'x'.repeat(2031)}`)?.length, 2048, '2048 characters')
  t.equal(origin(`http://a.example/${'x'.repeat(2000)}`)?.length, 2017, 'up to 2048 characters')
  t.equal(origin('http%3a%2f%2fa.example%2f%c3%a9'), 'http://a.example/é', 'UTF-8')
  const name = (gatewayname: string): string | null => parseFasQuery(`${base}&gatewayname=${gatewayname}`).gatewayName
  t.equal(name('Caf%c3%a9%20%26%20Bar'), 'Café & Bar')
  t.equal(name('%3Cscript%3Ealert(1)%3C%2Fscript%3E'), '<script>alert(1)</script>', 'display text: the page must escape it')
  t.equal(name('nds%0arig'), null)
  t.equal(name('n'.repeat(257)), null)
  t.equal(name('%ff'), null)
  const type = (clientType: string): string | null => parseFasQuery(fasQuery(payload9({ client_type: clientType }))).clientType
  t.equal(type('preemptive'), 'preemptive')
  t.equal(type('cpd%20can'), null)
  t.equal(type('CPD_CAN'), null)
  t.equal(type('x'.repeat(33)), null)
  t.equal(type('(null)'), null)
  t.equal(parseFasQuery(fasQuery(payload9({ originurl: 'http%3a%2f%2fa.example%2f%00' }))).originUrl, null, 'level 1 too')
  t.equal(parseFasQuery(fasQuery(payload9({ gatewayname: 'Caf%c3%a9' }))).gatewayName, 'Café')
})

t.test('authTarget', async (t) => {
  t.equal(authTarget(parseFasQuery(redirects(LEVEL0)[1]?.query as string)), '10.77.0.11', 'level 0')
  t.equal(authTarget(parseFasQuery(redirects(LEVEL1)[0]?.query as string)), '10.77.0.11', 'level 1: the IP, not the MAC or rhid')
  t.equal(authTarget(client({ clientIp: '192.168.3.27' })), '192.168.3.27')
  for (const bad of [null, '', '02:77:00:00:00:11', 'ea3380f6', '10.77.0.11,60', '10.77.0.11 60']) {
    t.throws(() => authTarget(client({ clientIp: bad })), new FasRequestError('no clientip'), String(bad))
  }
})

t.test('peerMatches', async (t) => {
  const c = client()
  const cases: Array<[string, Subnet[], boolean]> = [
    ['10.77.0.11', GUEST, true],
    ['::ffff:10.77.0.11', GUEST, true],
    ['::FFFF:10.77.0.11', GUEST, true],
    ['10.77.0.12', GUEST, false],
    ['::ffff:10.77.0.12', GUEST, false],
    ['10.77.0.11', [], false],
    ['10.77.0.11', [{ network: '10.77.1.0', prefix: 24 }], false],
    ['10.77.0.11', [{ network: '192.168.3.0', prefix: 24 }, { network: '10.77.0.0', prefix: 16 }], true],
    ['fe80::1', GUEST, false],
    ['::1', GUEST, false],
    ['10.77.0.011', GUEST, false],
    ['', GUEST, false],
  ]
  for (const [peer, subnets, want] of cases) t.equal(peerMatches(c, peer, subnets), want, `${peer} in ${JSON.stringify(subnets)}`)
  t.notOk(peerMatches(client({ clientIp: '10.77.9.2' }), '10.77.9.2', GUEST), 'a WAN peer that names itself is still outside the guest subnet')
  t.notOk(peerMatches(client({ clientIp: null }), '10.77.0.11', GUEST))
  t.notOk(peerMatches(client({ clientIp: '' }), '', GUEST))
})

t.test('landingUrl', async (t) => {
  const hosts = ['10.77.0.1', 'portal.example:2080', 'fd00::1', 'not a host']
  const land = (originUrl: string | null, over: Partial<FasClient> = {}): string => landingUrl(client({ originUrl, ...over }), FALLBACK, hosts)
  // The rig's FAS had to re-quote the decoded origin: the real Locations it sent.
  const sent = (log: LoggedRequest[], kind: string): string[] =>
    log.filter((r) => r.fas_view.kind === kind).map((r) => r.response.location as string)
  t.same(sent(LEVEL0, 'login: ndsctl auth'), [land('http://10.77.9.2/some/page?q=1&x=a b')])
  t.same(sent(LEVEL1, 'login: ndsctl auth'), [land('http://10.77.9.2/some/page?q=1&x=a b'), land('http://10.77.9.2/third'), land('http://10.77.9.2/~a~b~c/x')])
  const cases: Array<[string | null, string]> = [
    ['http://10.77.9.2/other', 'http://10.77.9.2/other'],
    ['https://example.com/a?b=c#frag', 'https://example.com/a?b=c#frag'],
    ['HTTP://Example.COM', 'http://example.com/'],
    ['http://a.example/<script>alert(1)</script>', 'http://a.example/%3Cscript%3Ealert(1)%3C/script%3E'],
    ['http://a.example/é?q=ü', 'http://a.example/%C3%A9?q=%C3%BC'],
    ['http://bücher.example/', 'http://xn--bcher-kva.example/'],
    [null, FALLBACK],
    ['', FALLBACK],
    ['not a url', FALLBACK],
    ['http%3a%2f%2fa.example', FALLBACK],
    ['//a.example/x', FALLBACK],
    ['javascript:alert(1)', FALLBACK],
    ['JavaScript:alert(1)', FALLBACK],
    ['data:text/html,<script>alert(1)</script>', FALLBACK],
    ['ftp://a.example/', FALLBACK],
    ['file:///etc/passwd', FALLBACK],
    ['http://user:pw@a.example/', FALLBACK],
    ['http://user@a.example/', FALLBACK],
    ['http://:pw@a.example/', FALLBACK],
    ['http://10.77.0.1/', FALLBACK],
    ['http://10.77.0.1:2050/', FALLBACK],
    ['http://10.77.0.1:2080/portal/?x', FALLBACK],
    ['http://0x0a4d0001/', FALLBACK],
    ['http://10.77.0.1./', FALLBACK],
    ['http://PORTAL.example/x', FALLBACK],
    ['https://portal.example:8443/', FALLBACK],
    ['http://[fd00::1]:2050/', FALLBACK],
    ['http://localhost:8080/', FALLBACK],
    ['http://app.localhost/', FALLBACK],
    ['http://127.0.0.1/', FALLBACK],
    ['http://127.1.2.3/', FALLBACK],
    ['http://0.0.0.0/', FALLBACK],
    ['http://[::1]/', FALLBACK],
    ['http://[::]/', FALLBACK],
    [`http://a.example/${'x'.repeat(2040)}`, FALLBACK],
    [`http://a.example/${'é'.repeat(400)}`, FALLBACK],
  ]
  for (const [origin, want] of cases) t.equal(land(origin), want, String(origin).slice(0, 80))
  t.equal(landingUrl(client({ originUrl: 'http://10.77.0.1:2050/' }), FALLBACK, []), FALLBACK, 'the client\'s own gateway address is always refused')
  t.equal(landingUrl(client({ originUrl: 'http://10.77.0.1:2050/', gatewayAddress: null }), FALLBACK, []), 'http://10.77.0.1:2050/', 'unless nothing names the gateway')
  const href = land(`http://a.example/${'x'.repeat(2000)}`)
  t.equal(href.length, 2017)
  t.notMatch(href, /[\s<>"]/)
})

t.test('faskeys', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['rigfaskey2080', true],
    ['1234567890', true],
    ['abcdefgh', true],
    ['a'.repeat(64), true],
    ['abcdefg', false],
    ['a'.repeat(65), false],
    ['', false],
    ["rig'key2080", false],
    ['rig%key2080', false],
    ['rig\\key2080', false],
    ['rig key2080', false],
    ['rigkey2080\n', false],
    ['rigkéy2080', false],
  ]
  for (const [key, want] of cases) t.equal(validFasKey(key), want, JSON.stringify(key))
  const keys = Array.from({ length: 200 }, randomFasKey)
  for (const k of keys) if (!validFasKey(k) || k.length !== 32) t.fail(`bad key ${k}`)
  t.equal(new Set(keys).size, keys.length, 'all different')
  const used = new Set(keys.join(''))
  t.ok(used.size > 55, `${used.size} of 62 letters and digits used`)
  t.match(rhidOf(hidOf('0b2cad34'), keys[0] as string), /^[0-9a-f]{64}$/, 'usable with rhidOf')
})

t.test('a login flow end to end on the real level-1 request', async (t: Test) => {
  const r = LEVEL1.find((x) => x.fas_view.ctx?.rhid === '009afec35bef7d343604be0624b15d1db99d26827a8f8399a262589e80f9fe55') as LoggedRequest
  const c = parseFasQuery(r.query)
  t.ok(peerMatches(c, `::ffff:${peerIp(r)}`, GUEST))
  t.equal(authTarget(c), '10.77.0.11')
  t.equal(rhidOf(c.hid as string, FASKEY), r.fas_view.ctx?.rhid)
  t.equal(landingUrl(c, FALLBACK, ['10.77.0.1']), 'http://10.77.9.2/other')
  t.equal(c.clientMac, '02:77:00:00:00:11')
})
