/**
 * @module actions/spec
 * What an action is, and the one validator every door uses. A parameter spec is declared once
 * per action; it parses HTTP query strings and JSON bodies alike (and, later, ubus blobmsg
 * tables), and the README's API table is checked against it.
 */
import type { TunnelStatus } from '../cloud/tunnel'
import { ApiError, invalidParam, unknownParam } from '../errors'
import type { Store } from '../store/db'
import type { Backend } from '../backend/backend'
import type { Logger } from '../log'

/** The types that both HTTP (JSON) and ubus (blobmsg) can carry. */
export type ParamType = 'string' | 'integer' | 'boolean' | 'table' | 'array'

export interface ParamSpec {
  type: ParamType
  /** `true`, or the catalog message to answer when the parameter is missing or empty. */
  required?: boolean | string
  /** Longest accepted string, in characters. */
  maxLength?: number
  /** A value that does not parse is treated as absent instead of refused (the seed's limits). */
  lenient?: boolean
  /** One line for the README's API table. */
  doc: string
}

export type ParamsSpec = Readonly<Record<string, ParamSpec>>

type ValueOf<T extends ParamType> =
  T extends 'string' ? string
    : T extends 'integer' ? number
      : T extends 'boolean' ? boolean
        : T extends 'table' ? Record<string, unknown>
          : unknown[]

/** Parsed parameters: absent ones are `undefined`. */
export type Params<P extends ParamsSpec> = { [K in keyof P]?: ValueOf<P[K]['type']> }

/**
 * A result is plain JSON-able data, the same over every door. A non-array iterable stands
 * for a list that is produced lazily, so doors can stream it instead of building it whole.
 */
export type Result = { [key: string]: unknown }

/** Facts about the running daemon that the status action reports. */
export interface DaemonInfo {
  version: string
  startedAt: Date
  listening: () => string[]
  /** The ubus side: socket path, whether hotspotd is on the bus, whether the built-in /ubus serves. */
  ubus: () => { socket: string; connected: boolean; jsonrpc: boolean }
  /** The cloud API endpoint's tunnel (cloud/tunnel). */
  cloud: () => TunnelStatus
  /**
   * The link a printed voucher's QR code opens, `url`, with `{username}` standing for the
   * URI-encoded username (the portal shows its sign-in page with the code filled in), and the
   * portal's sign-in page itself, `page`. Both null while the portal serves nowhere.
   */
  portal: () => { url: string | null; page: string | null }
}

/** The API's settings as the admin actions show and change them (UCI hotspotd.api). */
export interface ApiSettingsView {
  enabled: boolean
  get: boolean
  post: boolean
  port: number
  interfaces: string[]
  key: string
}

/** What the admin actions may change: written to the UCI file, then applied by a reload. */
export interface AdminControl {
  api: () => ApiSettingsView
  setApi: (patch: Partial<Pick<ApiSettingsView, 'enabled' | 'get' | 'post'>>) => Promise<void>
  /** Saves a new random key and returns it; the old key stops working at once. */
  rotateApiKey: () => Promise<string>
}

/** Events published on ubus (`ubus listen 'hotspot.*'`). */
export type EventName = 'hotspot.voucher' | 'hotspot.session' | 'hotspot.backend'

/** Everything a handler may use. Handlers never touch a door. */
export interface ActionContext {
  store: Store
  backend: Backend
  log: Logger
  now: () => Date
  /** `valid_for` applied when create_voucher gets none (UCI hotspotd.main.default_valid_for). */
  defaultValidFor: () => string
  daemon: DaemonInfo
  admin: AdminControl
  /** Announces something that happened; never throws, never waits. */
  emit: (event: EventName, data: Record<string, unknown>) => void
}

export interface Action<P extends ParamsSpec = ParamsSpec> {
  /** Wire name, snake_case, as in the seed. */
  name: string
  /** One line for the README. */
  summary: string
  /**
   * `read` actions only look; `write` actions change state or reveal a secret. rpcd's ACL
   * groups follow this.
   */
  access: 'read' | 'write'
  /**
   * Admin actions are served by ubus, the built-in /ubus and the admin panel, never by the
   * seed's /api/: an API key lets an integration use the API, not reconfigure or re-key it.
   */
  admin?: true
  params: P
  handler: (params: Params<P>, ctx: ActionContext) => Result | Promise<Result>
}

/** Declares an action with its parameter types inferred from its spec. */
export const defineAction = <P extends ParamsSpec>(action: Action<P>): Action =>
  action as unknown as Action

/**
 * The blobmsg type number each parameter type travels as over ubus (libubox's enum
 * blobmsg_type): what `ubus -v list` shows as String, Integer, Boolean, Table or Array.
 */
export const BLOBMSG_TYPE: Readonly<Record<ParamType, number>> = { string: 3, integer: 5, boolean: 7, table: 2, array: 1 }

/** An action's ubus method policy: parameter name to blobmsg type, in declaration order. */
export const toBlobmsgPolicy = (spec: ParamsSpec): Record<string, number> =>
  Object.fromEntries(Object.entries(spec).map(([name, p]) => [name, BLOBMSG_TYPE[p.type]]))

const INTEGER = /^[+-]?\d+$/
const TRUE = new Set(['1', 'true', 'yes', 'on'])
const FALSE = new Set(['0', 'false', 'no', 'off'])

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Turns one raw value into its spec's type, or returns a reason why it cannot. */
const coerce = (spec: ParamSpec, raw: unknown): { value: unknown } | { why: string } => {
  switch (spec.type) {
    case 'string': {
      const s = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw
      if (typeof s !== 'string') return { why: 'expected a string' }
      const trimmed = s.trim()
      if (spec.maxLength !== undefined && [...trimmed].length > spec.maxLength) {
        return { why: `longer than ${spec.maxLength} characters` }
      }
      return { value: trimmed }
    }
    case 'integer': {
      const n = typeof raw === 'string' && INTEGER.test(raw.trim()) ? Number(raw.trim()) : raw
      return typeof n === 'number' && Number.isSafeInteger(n) ? { value: n } : { why: 'expected an integer' }
    }
    case 'boolean': {
      const s = typeof raw === 'boolean' ? String(raw) : typeof raw === 'number' || typeof raw === 'string' ? String(raw).trim().toLowerCase() : ''
      if (TRUE.has(s)) return { value: true }
      if (FALSE.has(s)) return { value: false }
      return { why: 'expected a boolean' }
    }
    case 'table':
      return isPlainObject(raw) ? { value: raw } : { why: 'expected an object' }
    case 'array':
      return Array.isArray(raw) ? { value: raw } : { why: 'expected an array' }
  }
}

/**
 * Validates raw parameters from any door against a spec, like rpcd's
 * `rpc_ucode_validate_call_args`: unknown names and wrong types are refused before a handler
 * runs. Strings are trimmed; an empty or blank string, or null, counts as not given (the
 * seed: "If empty, ... will be generated").
 * @throws ApiError('invalid') naming the parameter
 */
export const parseParams = <P extends ParamsSpec>(spec: P, raw: Record<string, unknown>): Params<P> => {
  for (const name of Object.keys(raw)) {
    if (!Object.hasOwn(spec, name)) throw unknownParam(name)
  }
  const out: Record<string, unknown> = {}
  for (const [name, p] of Object.entries(spec)) {
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined
    const absent = value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
    const result = absent ? undefined : coerce(p, value)
    if (result !== undefined && 'why' in result && !p.lenient) throw invalidParam(name, result.why)
    if (result !== undefined && 'value' in result) {
      out[name] = result.value
    } else if (p.required !== undefined && p.required !== false) {
      throw typeof p.required === 'string'
        ? new ApiError('invalid', p.required)
        : invalidParam(name, 'required')
    }
  }
  return out as Params<P>
}
