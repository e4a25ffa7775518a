/**
 * @module portal/fas
 * The FAS side of openNDS 9.10 / 10.x ("Forwarding Authentication Service", `fas_secure_enabled`
 * 0 and 1): reading the query openNDS sends a guest to the portal with, the hashes that tie a
 * client to its token, and the checks a portal makes before it trusts or redirects. Pure: no I/O.
 *
 * What openNDS sends (seen in real runs, see `test/fixtures/opennds/fas/`):
 * - Level 0: `?authaction=http://10.77.0.1:2050/opennds_auth/?clientip=10.77.0.11&gatewayname=ndsrig&tok=ea3380f6&redir=http%3a%2f%2f...`.
 *   `authaction` is not URL-encoded, so `clientip` sits inside it; `tok` is the client's token in
 *   clear. The RFC 8908 API (`application/captive+json`) gives the same without `authaction`:
 *   `?clientip=...&gatewayname=...&tok=...&redir=...`.
 * - Level 1: `?fas=<base64>`, the base64 not URL-encoded (it can hold `+`, which form decoding turns
 *   into a space), of `key=value` pairs joined with `", "`: hid, clientip, clientmac (lower case),
 *   client_type, cpi_query (v10 only), gatewayname, gatewayurl, version, gatewayaddress,
 *   gatewaymac (no colons), originurl, clientif, themespec, then the custom parameters, which
 *   glibc prints as `(null)` when unset. gatewayname, gatewayurl and originurl are URL-encoded.
 *   Parsed by key, never by position.
 * - An authenticated client that opens `/opennds_auth/?...` again is sent back to the FAS with the
 *   query it sent there (decoded) plus `status=authenticated`: `?tok=ea3380f6&redir=http://10.77.9.2/&status=authenticated`.
 *   It names no clientip unless the client sent one, and at level 1 its `tok` may be an rhid.
 *
 * Every query value is percent-decoded exactly once and never has `+` turned into a space. Fields
 * that identify the client (clientip, clientmac, tok, hid, gatewayaddress) must have their exact
 * shape or the whole request is refused with a {@link FasRequestError}; descriptive fields
 * (gatewayname, originurl/redir, client_type) become null when they are undecodable, too long or
 * hold control characters, so that an odd origin URL never locks a guest out. The query comes from
 * an untrusted guest: nothing here is proof of identity (see {@link peerMatches}), and error
 * messages never quote it.
 */
import { createHash, randomInt } from 'node:crypto'
import { isIPv6 } from 'node:net'
import { inSubnet, type Subnet } from '../backend/guest-hosts'

/** A client as openNDS named it in the portal query. */
export interface FasClient {
  /** The shape of the query: 1 when it carried `fas=`, else 0 (level 0, RFC 8908, status returns). */
  level: 0 | 1
  /** Dotted-quad IPv4. Null only in a `status: 'authenticated'` return that named none. */
  clientIp: string | null
  /** Upper-case colon form; level 1 only. */
  clientMac: string | null
  /** The 8-hex-digit client token (lower case), sent in clear at level 0 and in status returns. */
  token: string | null
  /** Level 1: sha256(token), 64 lower-case hex digits. */
  hid: string | null
  /** The gatewayname setting, decoded (display text: escape it). */
  gatewayName: string | null
  /** Where openNDS listens, `10.77.0.1:2050`: from the level-1 payload or the level-0 authaction. */
  gatewayAddress: string | null
  /** The guest's original URL, decoded once (may hold spaces; see {@link landingUrl}). */
  originUrl: string | null
  /** openNDS' client_type (level 1): cpd_can, cpi_url, cpi_api, preemptive, ... */
  clientType: string | null
  /** 'authenticated' when openNDS sent an already authenticated client back to the FAS. */
  status: 'authenticated' | null
}

/** A portal query that is not what openNDS sends. The message is a short reason, safe to log. */
export class FasRequestError extends Error {
  readonly code = 'FAS_REQUEST'
  constructor (message: string) {
    super(message)
    this.name = 'FasRequestError'
  }
}

/** openNDS' QUERYMAXLEN is 4096; twice that leaves room for a browser's re-encoding. */
const MAX_QUERY = 8192
/** Longest origin URL kept (decoded) and returned by {@link landingUrl}. */
const MAX_URL = 2048
/** Longest gatewayname kept (decoded). */
const MAX_NAME = 256

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`)
const PORT = '(?:[1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])'
const GATEWAY_ADDRESS = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}:${PORT}$`)
const MAC = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/
const TOKEN = /^[0-9A-Fa-f]{8}$/
const HASH = /^[0-9A-Fa-f]{64}$/
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const CLIENT_TYPE = /^[a-z0-9_]{1,32}$/
const FAS_KEY = /^[A-Za-z0-9]{8,64}$/
/** C0 controls, DEL and C1 controls. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/
/** What glibc's printf writes for a NULL string: openNDS' unset fields. */
const NULL_FIELD = '(null)'

/** The query keys a level-0 redirect (or a status return) is read from. */
const LEVEL0_KEYS = ['authaction', 'clientip', 'tok', 'redir', 'gatewayname'] as const
/** The payload keys a level-1 redirect is read from; any other key is ignored. */
const LEVEL1_KEYS = ['hid', 'clientip', 'clientmac', 'client_type', 'gatewayname', 'gatewayaddress', 'originurl'] as const
const QUERY_KEYS = [...LEVEL0_KEYS, 'fas', 'iv', 'status'] as const

function fail (reason: string): never {
  throw new FasRequestError(reason)
}

/** `s` percent-decoded once (no `+` to space), or undefined when it is not valid percent-encoded UTF-8. */
const decodeOnce = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

/**
 * Splits `text` at `separator` into key/value pairs (at the first `=`), keeping only `keys` and
 * refusing a key that appears twice. Pieces without `=` (openNDS' `(null)` junk) are skipped.
 */
const pairs = (text: string, separator: string, keys: readonly string[]): Map<string, string> => {
  const found = new Map<string, string>()
  for (const piece of text.split(separator)) {
    const eq = piece.indexOf('=')
    if (eq < 0) continue
    const key = piece.slice(0, eq)
    if (!keys.includes(key)) continue
    if (found.has(key)) fail(`duplicate ${key}`)
    found.set(key, piece.slice(eq + 1))
  }
  return found
}

/** An already decoded identity field that must match `shape`; undefined when absent. */
const shaped = (value: string | undefined, name: string, shape: RegExp): string | undefined =>
  value === undefined || shape.test(value) ? value : fail(`bad ${name}`)

/** A raw identity field, decoded once, that must match `shape`; undefined when absent (or `(null)`). */
const identity = (raw: string | undefined, name: string, shape: RegExp): string | undefined =>
  raw === undefined || raw === NULL_FIELD ? undefined : shaped(decodeOnce(raw) ?? fail(`bad ${name}`), name, shape)

/** A decoded descriptive field, or null when absent, `(null)`, undecodable, too long or with control characters. */
const text = (raw: string | undefined, max: number): string | null => {
  if (raw === undefined || raw === NULL_FIELD) return null
  const value = decodeOnce(raw)
  return value === undefined || value === '' || value.length > max || CONTROL.test(value) ? null : value
}

const clientTypeOf = (raw: string | undefined): string | null => {
  const value = text(raw, 32)
  return value !== null && CLIENT_TYPE.test(value) ? value : null
}

/**
 * The gateway address and clientip inside a level-0 `authaction` (`http://<gw:port>/<authdir>/?clientip=<ip>`).
 * The value is decoded once as a whole; its parts are not decoded again.
 */
const readAuthaction = (raw: string): { gatewayAddress: string, clientIp: string | undefined } => {
  const value = decodeOnce(raw) ?? fail('bad authaction')
  const m = /^http:\/\/([^/?#]+)\/[^?#]*\?([^#]*)$/.exec(value) ?? fail('bad authaction')
  const gatewayAddress = shaped(m[1], 'gatewayaddress', GATEWAY_ADDRESS) as string
  const clientIp = shaped(pairs(m[2], '&', ['clientip']).get('clientip'), 'clientip', IPV4)
  return { gatewayAddress, clientIp }
}

const level0 = (params: Map<string, string>, status: 'authenticated' | null): FasClient => {
  const returning = status === 'authenticated'
  const authaction = params.has('authaction') ? readAuthaction(params.get('authaction') as string) : undefined
  const inAuthaction = authaction?.clientIp
  const atTop = identity(params.get('clientip'), 'clientip', IPV4)
  if (inAuthaction !== undefined && atTop !== undefined && inAuthaction !== atTop) fail('conflicting clientip')
  const clientIp = inAuthaction ?? atTop ?? (returning ? null : fail('no clientip'))
  // A status return repeats whatever tok the client sent to /opennds_auth/: at level 1 an rhid.
  const tok = identity(params.get('tok'), 'tok', returning ? /^(?:[0-9A-Fa-f]{8}|[0-9A-Fa-f]{64})$/ : TOKEN)
  const token = tok !== undefined && TOKEN.test(tok) ? tok.toLowerCase() : (returning ? null : fail('no tok, hid or fas'))
  return {
    level: 0,
    clientIp,
    clientMac: null,
    token,
    hid: null,
    gatewayName: text(params.get('gatewayname'), MAX_NAME),
    gatewayAddress: authaction?.gatewayAddress ?? null,
    originUrl: text(params.get('redir'), MAX_URL),
    clientType: null,
    status,
  }
}

const level1 = (rawFas: string, status: 'authenticated' | null): FasClient => {
  const b64 = decodeOnce(rawFas)
  if (b64 === undefined || !BASE64.test(b64) || b64.length % 4 === 1) fail('bad fas (not base64)')
  // latin1 maps every byte to one character: junk in fields that are not read cannot fail decoding.
  const payload = pairs(Buffer.from(b64, 'base64').toString('latin1'), ', ', LEVEL1_KEYS)
  const clientIp = identity(payload.get('clientip'), 'clientip', IPV4) ?? fail('no clientip')
  const hid = identity(payload.get('hid'), 'hid', HASH) ?? fail('no hid in fas')
  return {
    level: 1,
    clientIp,
    clientMac: identity(payload.get('clientmac'), 'clientmac', MAC)?.toUpperCase() ?? null,
    token: null,
    hid: hid.toLowerCase(),
    gatewayName: text(payload.get('gatewayname'), MAX_NAME),
    gatewayAddress: identity(payload.get('gatewayaddress'), 'gatewayaddress', GATEWAY_ADDRESS) ?? null,
    originUrl: text(payload.get('originurl'), MAX_URL),
    clientType: clientTypeOf(payload.get('client_type')),
    status,
  }
}

/**
 * Reads the query openNDS redirected a guest to the FAS with.
 * @param rawQuery the request target after its first `?`, exactly as received (not decoded: a
 *   level-0 query holds a second `?` inside `authaction`, and level-1 base64 may hold `+`).
 * @throws FasRequestError when it is not an openNDS FAS query at level 0 or 1: no clientip, none
 *   of tok/hid/fas (also what v10 sends at level 1 when it cannot hash: clientip, gatewayname and
 *   redir only), a field of the wrong shape, a key given twice, `fas=` mixed with level-0 fields,
 *   level 2/3 (`iv=`), an unknown `status`, more than 8 KiB.
 */
export const parseFasQuery = (rawQuery: string): FasClient => {
  if (rawQuery.length > MAX_QUERY) fail('query too long')
  const params = pairs(rawQuery, '&', QUERY_KEYS)
  const rawStatus = params.get('status')
  if (rawStatus !== undefined && rawStatus !== 'authenticated') fail('bad status')
  const status = rawStatus === undefined ? null : 'authenticated'
  if (params.has('iv')) fail('encrypted fas (level 2 or 3) is not supported')
  const fas = params.get('fas')
  if (fas === undefined) return level0(params, status)
  if (LEVEL0_KEYS.some((k) => params.has(k))) fail('fas mixed with level-0 parameters')
  return level1(fas, status)
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex')

/**
 * The rhid openNDS expects back at level 1: sha256 hex of hid + faskey, as openNDS computes it
 * with `printf '%s%s' | sha256sum`. Accepted by `ndsctl auth` and as `tok` on `/opennds_auth/`.
 * @throws Error when `hid` is not 64 hex digits or `faskey` fails {@link validFasKey}.
 */
export const rhidOf = (hid: string, faskey: string): string => {
  if (!HASH.test(hid)) throw new Error('rhidOf: hid must be 64 hex digits')
  if (!validFasKey(faskey)) throw new Error('rhidOf: faskey must be 8 to 64 letters and digits')
  return sha256(hid.toLowerCase() + faskey)
}

/**
 * A client's hid: sha256 hex of its 8-hex-digit token, as openNDS computes it. BinAuth's
 * `auth_client` gets the token, so this is how it finds what the FAS stored under the hid.
 * @throws Error when `token` is not 8 hex digits.
 */
export const hidOf = (token: string): string => {
  if (!TOKEN.test(token)) throw new Error('hidOf: token must be 8 hex digits')
  return sha256(token.toLowerCase())
}

/**
 * Whether `key` is usable as openNDS' `faskey`: 8 to 64 ASCII letters and digits. openNDS hashes
 * it inside a shell command, where `%`, `\`, `'` and the like would change the hash or break it.
 */
export const validFasKey = (key: string): boolean => FAS_KEY.test(key)

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** A fresh random faskey: 32 letters and digits (about 190 bits), always {@link validFasKey}. */
export const randomFasKey = (): string =>
  Array.from({ length: 32 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('')

/**
 * The client as ndsctl should target it for `ndsctl auth`: the IP (works at every level; the MAC
 * and rhid work at level 1 too, the token only at level 0).
 * @throws FasRequestError when the client has no (valid) IPv4 address, as in a status return.
 */
export const authTarget = (c: FasClient): string =>
  c.clientIp !== null && IPV4.test(c.clientIp) ? c.clientIp : fail('no clientip')

/**
 * The peer check: the TCP peer must be the client openNDS named, inside a guest subnet. The FAS
 * runs on the gateway, so there is no NAT between guest and FAS; a mismatch is a replayed or
 * forged query (or a request from the WAN side, which openNDS does not filter).
 * @param peerAddress the socket's remote address; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) counts as IPv4.
 * @param subnets the guest subnets; none means no peer matches.
 */
export const peerMatches = (c: FasClient, peerAddress: string, subnets: Subnet[]): boolean => {
  const peer = peerAddress.replace(/^::ffff:/i, '')
  return c.clientIp !== null && IPV4.test(peer) && peer === c.clientIp && subnets.some((s) => inSubnet(peer, s))
}

/** A gatewayHosts entry as WHATWG URL would spell its hostname (port dropped, IPv6 bracketed). */
const hostnameOf = (entry: string): string => {
  const host = isIPv6(entry) ? `[${entry}]` : entry
  try {
    return new URL(`http://${host}/`).hostname
  } catch {
    return entry.toLowerCase()
  }
}

const LOOPBACK = /^(?:localhost|.*\.localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\])$/

/**
 * A safe place to send the guest after login: the origin URL if it is http(s) and not the gateway
 * or FAS itself, else the fallback; never javascript:, data:, or URLs with credentials.
 * The URL is returned as WHATWG URL serializes it (so `x=a b` comes back as `x=a%20b`), ASCII
 * only and fit for a Location header; over 2048 characters it is refused.
 * @param fallback the operator's landing page, returned as it is.
 * @param gatewayHosts the host names or addresses of the gateway and the FAS; a port is ignored,
 *   every port of such a host is refused. The client's gatewayAddress host and loopback are
 *   always refused (after `/login` the origin is openNDS' own status page).
 */
export const landingUrl = (c: FasClient, fallback: string, gatewayHosts: string[]): string => {
  if (c.originUrl === null) return fallback
  let url: URL
  try {
    url = new URL(c.originUrl)
  } catch {
    return fallback
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fallback
  if (url.username !== '' || url.password !== '') return fallback
  const refused = [...gatewayHosts, c.gatewayAddress ?? ''].filter((h) => h !== '').map(hostnameOf)
  if (LOOPBACK.test(url.hostname) || refused.includes(url.hostname)) return fallback
  return url.href.length > MAX_URL ? fallback : url.href
}
