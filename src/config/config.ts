/**
 * @module config/config
 * hotspotd's typed configuration, read from the UCI file /etc/config/hotspotd. Every option has
 * a default here and a line in the README; a value that does not parse is an error naming the
 * file and option, never a silent fallback.
 */
import type { DriverChoice } from '../store/driver'
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { idOfCredential } from '../cloud/credential'
import { readUciFile, section, setOption, writeUciFile, type UciPackage, type UciSection } from './uci'
import { canonicalValidFor } from '../domain/valid-for'
import { LEASE_FILES } from '../backend/guest-hosts'
import { DEFAULT_NDSCTL_PATH } from '../backend/ndsctl'
import { errorCode } from '../errors'
import type { Level } from '../log'

export interface ApiConfig {
  enabled: boolean
  post: boolean
  get: boolean
  /** Empty until generated; the daemon generates and saves one when it finds none. */
  key: string
  port: number
  /** Logical (UCI network) or kernel interface names whose addresses the API listens on. */
  interfaces: string[]
}

/** When the built-in JSON-RPC `/ubus` is served: where no ubusd socket exists, always, never. */
export type JsonRpcMode = 'auto' | 'on' | 'off'

export interface UbusConfig {
  /** ubusd's unix socket (`--ubus-socket` overrides). */
  socket: string
  jsonrpc: JsonRpcMode
}

/** The openNDS backend (hotspotd.opennds) and the guest network (hotspotd.portal). */
export interface OpenNdsConfig {
  /** Path of ndsctl. */
  ndsctl: string
  /** dnsmasq lease files to read guest hosts from; the first that exists is used. */
  leases: string[]
  /** Seconds between two reads of openNDS' sessions (quotas and validity are checked then). */
  pollInterval: number
  /** Seconds between two writes of the counted usage to the database. */
  flushInterval: number
  /** Where hotspotd's BinAuth script spools the final totals of ended sessions. */
  binauthSpool: string
}

export interface PortalConfig {
  /** Guest interfaces (OpenWrt logical or kernel names): where guest hosts are looked for and the portal listens. */
  guestInterfaces: string[]
  /** Serve the portal (as openNDS' FAS) while openNDS is the backend. */
  enabled: boolean
  /** TCP port of the portal on the guest addresses: openNDS' `fasport`. */
  port: number
  /** Path of the portal: openNDS' `faspath`. */
  path: string
  /** openNDS' own port (`gatewayport`), for sending a guest to its /login. */
  gatewayPort: number
  /** Sign-in methods switched on. */
  methods: PortalMethods
  /** Devices one voucher may serve (0: no limit). */
  maxDevices: number
  /** Longest openNDS session hotspotd grants at once; a bound device is let back in after it. */
  sessionMinutes: number
  /** Session length of e-mail and free sign-ins. */
  guestMinutes: number
  /** Where "Continue" leads after sign-in when the guest's own page cannot be used; '' for none. */
  landing: string
}

/** The portal's sign-in methods and whether each is switched on (UCI hotspotd.portal). */
export interface PortalMethods { voucher: boolean; email: boolean; mobile: boolean; facebook: boolean; free: boolean }

/**
 * The HTTP SMS gateway that sends mobile sign-in codes (hotspotd.sms). Templates hold `{to}`
 * (the number with '+'), `{to_digits}` (without it), `{text}` and `{code}`; each is encoded for
 * where it stands (see portal/sms).
 */
export interface SmsConfig {
  /** The gateway's URL template (http or https); required while mobile sign-in is on. */
  url: string
  method: 'GET' | 'POST'
  /** The request body template (POST only). */
  body: string
  /** Content-Type of the body: decides how values are encoded into it. */
  contentType: string
  /** Extra request headers, 'Name: value' each (e.g. the gateway's API key). */
  headers: string[]
  /** When set, a reply counts as sent only when its body holds this text (besides a 2xx status). */
  successText: string
  /** Country calling code for numbers typed without one (digits, e.g. '44'); '' to require '+'. */
  countryCode: string
  /** The message template ('{code}' required); '' for the portal's own text in the guest's language. */
  message: string
  /** Seconds to wait for the gateway. */
  timeout: number
  /** Codes sent at most per hour in all (bounds what a flood of requests can cost). */
  maxPerHour: number
}

/** Facebook sign-in (hotspotd.facebook): the app, and where its OAuth dialog and Graph API are. */
export interface FacebookConfig {
  appId: string
  appSecret: string
  /** The redirect URI registered with the app; '' for the portal's own `<path>facebook` URL. */
  redirectUri: string
  /** Graph API version, e.g. 'v21.0'. */
  apiVersion: string
  /** Origins of the login dialog and the Graph API (changed only to test against a stand-in). */
  dialogUrl: string
  graphUrl: string
}

/** The cloud API endpoint (hotspotd.cloud): the outbound tunnel to a relay (see cloud/tunnel). */
export interface CloudConfig {
  enabled: boolean
  /** The relay, `wss://<domain>[:port]`: the tunnel dials `wss://<id>.<domain>[:port]`. '' for none. */
  relay: string
  /** Connect to this address instead of looking the relay's host names up in DNS; '' to look up. */
  relayAddress: string
  /** The device credential, `<id>.<signature>`; '' until given or enrolled. */
  credential: string
  /** The relay's enrollment key, used only while there is no credential. */
  enrollKey: string
  /** PEM file of the CA(s) to trust for the relay's certificate; '' for Node's built-in CAs. */
  caFile: string
  /** Serve GET through the relay too (api.get must be on as well); off: the seed keeps GET to trusted LANs. */
  allowGet: boolean
}

export interface Config {
  stateDir: string
  /** Which SQLite: better-sqlite3's addon where it loads, else WebAssembly ('auto'); or one forced. */
  sqlite: DriverChoice
  defaultValidFor: string
  backend: string
  logLevel: Level
  api: ApiConfig
  ubus: UbusConfig
  opennds: OpenNdsConfig
  portal: PortalConfig
  sms: SmsConfig
  facebook: FacebookConfig
  cloud: CloudConfig
  /** scrypt hash of the `admin` user's password (`hotspotd passwd`); empty: no password, no logins. */
  adminPasswordHash: string
  /** Seconds an admin panel session lives without use (hotspotd.admin.session_timeout). */
  adminSessionTimeout: number
}

const SQLITE_CHOICES: readonly DriverChoice[] = ['auto', 'native', 'wasm']

/** Where hotspotd's BinAuth script spools by default (its HOTSPOTD_BINAUTH_SPOOL; RAM on OpenWrt). */
export const DEFAULT_BINAUTH_SPOOL = '/tmp/hotspotd/binauth'

export const DEFAULT_UBUS_SOCKET = '/var/run/ubus/ubus.sock'

export const DEFAULT_CONFIG_PATH = '/etc/config/hotspotd'

/** A configuration that cannot be read or does not make sense; the message names the file. */
export class ConfigError extends Error {
  readonly code = 'CONFIG'
}

const TRUE = new Set(['1', 'yes', 'on', 'true', 'enabled'])
const FALSE = new Set(['0', 'no', 'off', 'false', 'disabled'])
const LEVELS = new Set<Level>(['debug', 'info', 'warn', 'error'])

/** Reads typed options of one section, failing with the file and option named. */
const reader = (file: string, s: UciSection | undefined, path: string) => {
  const raw = (key: string): string | string[] | undefined => s?.options.get(key)
  const fail = (key: string, why: string, value: unknown): never => {
    throw new ConfigError(`${file}: option ${path}.${key}: ${why}, got ${JSON.stringify(value)}`)
  }
  const str = (key: string, dflt: string): string => {
    const v = raw(key)
    return v === undefined ? dflt : typeof v === 'string' ? v : fail(key, 'expected a single value', v)
  }
  return {
    str,
    bool: (key: string, dflt: boolean): boolean => {
      const v = str(key, dflt ? '1' : '0').toLowerCase()
      return TRUE.has(v) ? true : FALSE.has(v) ? false : fail(key, "expected '1' or '0'", v)
    },
    int: (key: string, dflt: number, min: number, max: number): number => {
      const v = str(key, String(dflt))
      const n = /^\d+$/.test(v) ? Number(v) : NaN
      return n >= min && n <= max ? n : fail(key, `expected a whole number from ${min} to ${max}`, v)
    },
    list: (key: string, dflt: string[]): string[] => {
      const v = raw(key)
      return v === undefined ? dflt : typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v
    },
    fail,
  }
}

/** openNDS' faspath: an absolute path of plain segments, ending in '/'. */
const portalPath = (v: string, fail: (key: string, why: string, value: unknown) => never): string =>
  /^\/([A-Za-z0-9._-]+\/)*$/.test(v) ? v : fail('path', "expected a path like '/portal/'", v)

/** An http(s) URL (or template) without credentials, or '' when `optional`. */
const httpUrl = (v: string, key: string, optional: boolean, fail: (key: string, why: string, value: unknown) => never): string => {
  if (v === '' && optional) return v
  let url: URL | undefined
  try { url = new URL(v) } catch { url = undefined }
  return url !== undefined && /^https?:$/.test(url.protocol) && url.username === '' && url.password === '' ? v : fail(key, 'expected an http(s) URL', v)
}

type Reader = ReturnType<typeof reader>

const smsConfig = (sms: Reader, needed: boolean): SmsConfig => {
  const method = sms.str('method', 'POST').toUpperCase()
  const headers = sms.list('header', [])
  for (const h of headers) if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n]*$/.test(h)) sms.fail('header', "expected 'Name: value'", h)
  const countryCode = sms.str('country_code', '')
  const message = sms.str('message', '')
  return {
    url: needed || sms.str('url', '') !== '' ? httpUrl(sms.str('url', ''), 'url', false, sms.fail) : '',
    method: method === 'GET' || method === 'POST' ? method : sms.fail('method', "expected 'GET' or 'POST'", method),
    body: sms.str('body', 'to={to}&text={text}'),
    contentType: sms.str('content_type', 'application/x-www-form-urlencoded'),
    headers,
    successText: sms.str('success_text', ''),
    countryCode: /^(\d{1,3})?$/.test(countryCode) ? countryCode : sms.fail('country_code', "expected 1 to 3 digits such as '44'", countryCode),
    message: message === '' || message.includes('{code}') ? message : sms.fail('message', "expected a text holding '{code}'", message),
    timeout: sms.int('timeout', 10, 1, 120),
    maxPerHour: sms.int('max_per_hour', 100, 1, 100000),
  }
}

const facebookConfig = (fb: Reader, needed: boolean): FacebookConfig => {
  const version = fb.str('api_version', 'v21.0')
  const required = (key: string): string => {
    const v = fb.str(key, '').trim()
    return v !== '' || !needed ? v : fb.fail(key, 'required while hotspotd.portal.facebook is on', v)
  }
  return {
    appId: required('app_id'),
    appSecret: required('app_secret'),
    redirectUri: httpUrl(fb.str('redirect_uri', ''), 'redirect_uri', true, fb.fail),
    apiVersion: /^v\d+\.\d+$/.test(version) ? version : fb.fail('api_version', "expected a version like 'v21.0'", version),
    dialogUrl: httpUrl(fb.str('dialog_url', 'https://www.facebook.com'), 'dialog_url', false, fb.fail).replace(/\/+$/, ''),
    graphUrl: httpUrl(fb.str('graph_url', 'https://graph.facebook.com'), 'graph_url', false, fb.fail).replace(/\/+$/, ''),
  }
}

const cloudConfig = (cloud: Reader): CloudConfig => {
  const enabled = cloud.bool('enabled', false)
  const relay = cloud.str('relay', '').trim()
  if (relay === '' && enabled) cloud.fail('relay', 'required while hotspotd.cloud.enabled is on', relay)
  if (relay !== '') {
    let url: URL | undefined
    try { url = new URL(relay) } catch { url = undefined }
    const ok = url !== undefined && url.protocol === 'wss:' && url.username === '' && url.password === '' &&
      url.pathname === '/' && url.search === '' && url.hash === '' && isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0
    if (!ok) cloud.fail('relay', "expected the relay's wss:// URL with its domain name, like 'wss://relay.example.net'", relay)
  }
  const relayAddress = cloud.str('relay_address', '').trim()
  if (!/^[0-9A-Za-z.:-]*$/.test(relayAddress)) cloud.fail('relay_address', 'expected an IP address or host name', relayAddress)
  const credential = cloud.str('credential', '').trim()
  if (credential !== '' && idOfCredential(credential) === undefined) cloud.fail('credential', 'expected a device credential (<id>.<signature>)', '…')
  return { enabled, relay, relayAddress, credential, enrollKey: cloud.str('enroll_key', ''), caFile: cloud.str('ca_file', ''), allowGet: cloud.bool('allow_get', false) }
}

/** The typed configuration of a parsed UCI package (pure). */
export const configFromUci = (pkg: UciPackage, file: string): Config => {
  const main = reader(file, section(pkg, 'main'), 'hotspotd.main')
  const api = reader(file, section(pkg, 'api'), 'hotspotd.api')
  const ubus = reader(file, section(pkg, 'ubus'), 'hotspotd.ubus')
  const admin = reader(file, section(pkg, 'admin'), 'hotspotd.admin')
  const jsonrpc = ubus.str('jsonrpc', 'auto').toLowerCase()
  const opennds = reader(file, section(pkg, 'opennds'), 'hotspotd.opennds')
  const portal = reader(file, section(pkg, 'portal'), 'hotspotd.portal')
  const methods: PortalMethods = {
    voucher: portal.bool('voucher', true),
    email: portal.bool('email', false),
    mobile: portal.bool('mobile', false),
    facebook: portal.bool('facebook', false),
    free: portal.bool('free', false),
  }
  const validFor = main.str('default_valid_for', '1 day')
  const level = main.str('log_level', 'info')
  const sqlite = main.str('sqlite', 'auto')
  return {
    stateDir: main.str('state_dir', '/etc/hotspotd'),
    sqlite: SQLITE_CHOICES.includes(sqlite as DriverChoice) ? sqlite as DriverChoice : main.fail('sqlite', "expected 'auto', 'native' or 'wasm'", sqlite),
    defaultValidFor: canonicalValidFor(validFor) ?? main.fail('default_valid_for', "expected one of the seed's valid_for values", validFor),
    backend: main.str('backend', 'opennds'),
    logLevel: LEVELS.has(level as Level) ? level as Level : main.fail('log_level', 'expected debug, info, warn or error', level),
    api: {
      enabled: api.bool('enabled', false),
      post: api.bool('post', true),
      get: api.bool('get', false),
      key: api.str('key', ''),
      port: api.int('port', 8080, 1, 65535),
      interfaces: api.list('interface', ['lan', 'mgmt']),
    },
    ubus: {
      socket: ubus.str('socket', DEFAULT_UBUS_SOCKET),
      jsonrpc: jsonrpc === 'auto' ? 'auto' : TRUE.has(jsonrpc) ? 'on' : FALSE.has(jsonrpc) ? 'off' : ubus.fail('jsonrpc', "expected 'auto', '1' or '0'", jsonrpc),
    },
    opennds: {
      ndsctl: opennds.str('ndsctl', DEFAULT_NDSCTL_PATH),
      leases: opennds.list('leases', [...LEASE_FILES]),
      pollInterval: opennds.int('poll_interval', 10, 1, 3600),
      flushInterval: opennds.int('flush_interval', 300, 10, 86400),
      binauthSpool: opennds.str('binauth_spool', DEFAULT_BINAUTH_SPOOL),
    },
    portal: {
      guestInterfaces: portal.list('guest_interface', ['guest']),
      enabled: portal.bool('enabled', true),
      port: portal.int('port', 2080, 1, 65535),
      path: portalPath(portal.str('path', '/portal/'), portal.fail),
      gatewayPort: portal.int('gateway_port', 2050, 1, 65535),
      methods,
      maxDevices: portal.int('max_devices', 1, 0, 1000),
      sessionMinutes: portal.int('session_minutes', 1440, 1, 35791394),
      guestMinutes: portal.int('guest_minutes', 60, 1, 35791394),
      landing: httpUrl(portal.str('landing', ''), 'landing', true, portal.fail),
    },
    sms: smsConfig(reader(file, section(pkg, 'sms'), 'hotspotd.sms'), methods.mobile),
    facebook: facebookConfig(reader(file, section(pkg, 'facebook'), 'hotspotd.facebook'), methods.facebook),
    cloud: cloudConfig(reader(file, section(pkg, 'cloud'), 'hotspotd.cloud')),
    adminPasswordHash: admin.str('password_hash', ''),
    adminSessionTimeout: admin.int('session_timeout', 1800, 60, 86400),
  }
}

/** Reads and checks the UCI file; any failure is a ConfigError naming it. */
export const loadConfig = (file: string): { config: Config; pkg: UciPackage } => {
  let pkg: UciPackage
  try {
    pkg = readUciFile(file)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new ConfigError(e.code === 'UCI_SYNTAX' ? e.message : `cannot read config ${file}: ${errorCode(e)}`)
  }
  return { config: configFromUci(pkg, file), pkg }
}

/** A new random API key: 128 bits as 32 hex characters. */
export const generateApiKey = (): string => randomBytes(16).toString('hex')

/**
 * Changes the UCI file as `uci set ...; uci commit hotspotd` would: reads it afresh (so edits
 * made meanwhile by `uci` are kept), applies `edit`, and replaces the file atomically.
 * @throws ConfigError naming the file and `what` was being saved
 */
export const updateUci = (file: string, what: string, edit: (pkg: UciPackage) => void, pkg?: UciPackage): void => {
  try {
    const current = pkg ?? readUciFile(file)
    edit(current)
    writeUciFile(file, current)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new ConfigError(`cannot save ${what} to ${file}: ${e.code === 'UCI_SYNTAX' ? e.message : errorCode(e)}`)
  }
}

/** Saves a freshly generated API key into the UCI file (hotspotd.api.key) and returns it. */
export const saveNewApiKey = (file: string, pkg?: UciPackage): string => {
  const key = generateApiKey()
  updateUci(file, 'the generated API key', (p) => { setOption(p, 'api', 'api', 'key', key) }, pkg)
  return key
}

/** Saves the device credential the relay gave at enrollment (hotspotd.cloud.credential). */
export const saveCloudCredential = (file: string, credential: string): void => {
  updateUci(file, 'the cloud credential', (p) => { setOption(p, 'cloud', 'cloud', 'credential', credential) })
}

/** Saves the admin password hash (hotspotd.admin.password_hash). */
export const saveAdminPasswordHash = (file: string, hash: string, pkg?: UciPackage): void => {
  updateUci(file, 'the admin password', (p) => { setOption(p, 'admin', 'admin', 'password_hash', hash) }, pkg)
}
