/**
 * @module errors
 * The one place where hotspotd's error messages are written. The first nine are the seed
 * manual's "API Messages" (section 4), spelled exactly; the rest are hotspotd's own, for cases
 * the seed does not name. Every door maps an ApiError's kind onto its own wire.
 */

/** The seed's messages, verbatim. */
export const API_DISABLED = 'API is not enabled'
export const KEY_INCORRECT = 'API Key is incorrect'
export const KEY_NOT_SET = 'API Key not set or method not allowed'
export const USERNAME_EXISTS = 'Username already exists'
export const USER_ADDED = 'User added successfully'
export const USERNAME_MISSING = "Username doesn't exist"
export const NO_USERNAME = 'No username set'
export const USER_REMOVED = 'User removed successfully'
export const UNKNOWN_ERROR = 'An error occurred'

/** hotspotd's own messages, for what the seed leaves unsaid (documented in the README). */
export const NO_ACTION = 'No action set'
export const UNKNOWN_ACTION = 'Unknown action'
export const TOO_MANY_ATTEMPTS = 'Too many failed attempts, try again later'
export const BODY_TOO_LARGE = 'Request body too large'
export const MALFORMED_BODY = 'Malformed request body'
export const UNSUPPORTED_TYPE = 'Unsupported content type'
export const NOT_FOUND = 'Not found'
export const BACKEND_UNAVAILABLE = 'Captive portal backend is not available'
export const REPLY_TOO_LARGE = 'Reply too large for ubus, use the HTTP API'
export const SETTINGS_SAVED = 'API settings saved'
export const NO_SETTING = 'No setting given'
export const KEY_ROTATED = 'API key regenerated'
export const VOUCHERS_ADDED = 'Vouchers added successfully'
export const GUEST_DISCONNECTED = 'Guest disconnected'
export const GUEST_NOT_FOUND = 'No active guest with that MAC address'

/** The admin panel's door (src/admin/): its sign-in and sessions. */
export const NOT_SIGNED_IN = 'Not signed in'
export const SIGN_IN_FAILED = 'Wrong username or password'
export const NOT_ALLOWED = 'Not allowed'
export const FOREIGN_REQUEST = 'Request did not come from the panel'

/** The relay's (src/relay/): what a client of `https://<id>.<domain>/api/` or a router may hear from it. */
export const ROUTER_OFFLINE = 'Router is offline'
export const ROUTER_LOST = 'Connection to the router was lost'
export const ROUTER_TIMEOUT = 'Router did not answer in time'
export const ROUTER_BUSY = 'Router is busy, try again later'
export const TOO_MANY_REQUESTS = 'Too many requests, try again later'
export const CREDENTIAL_INVALID = 'Device credential is not valid'
export const CREDENTIAL_FOREIGN = 'Device credential is for another endpoint'
export const TUNNEL_PROTOCOL = 'Unsupported tunnel protocol'
export const ENROLL_KEY_INCORRECT = 'Enrollment key is incorrect'

/** Every message in the catalog, seed's first, for the doc-sync test. */
export const MESSAGES = {
  API_DISABLED, KEY_INCORRECT, KEY_NOT_SET, USERNAME_EXISTS, USER_ADDED, USERNAME_MISSING,
  NO_USERNAME, USER_REMOVED, UNKNOWN_ERROR, NO_ACTION, UNKNOWN_ACTION, TOO_MANY_ATTEMPTS,
  BODY_TOO_LARGE, MALFORMED_BODY, UNSUPPORTED_TYPE, NOT_FOUND, BACKEND_UNAVAILABLE, REPLY_TOO_LARGE,
  SETTINGS_SAVED, NO_SETTING, KEY_ROTATED, VOUCHERS_ADDED, GUEST_DISCONNECTED, GUEST_NOT_FOUND,
  NOT_SIGNED_IN, SIGN_IN_FAILED, NOT_ALLOWED, FOREIGN_REQUEST, ROUTER_OFFLINE, ROUTER_LOST, ROUTER_TIMEOUT, ROUTER_BUSY,
  TOO_MANY_REQUESTS, CREDENTIAL_INVALID, CREDENTIAL_FOREIGN, TUNNEL_PROTOCOL, ENROLL_KEY_INCORRECT,
} as const

/**
 * What went wrong, independent of the door. Each door has one table from kind to its status:
 * HTTP status code, ubus status, JSON-RPC error code.
 */
export type ErrorKind =
  | 'invalid' // the request is malformed or a parameter is wrong
  | 'unauthorized' // missing or wrong credentials
  | 'disabled' // the door is switched off
  | 'method' // the transport method is not allowed
  | 'not_found' // the named object does not exist
  | 'conflict' // the object already exists
  | 'too_large' // the request is over the size limit
  | 'rate_limited' // too many failed attempts from this client
  | 'unavailable' // a backend the action needs is not there
  | 'internal' // anything else: logged, answered with UNKNOWN_ERROR

/** The one throwable type that carries a message from the catalog and a kind. */
export class ApiError extends Error {
  readonly kind: ErrorKind
  /**
   * @example throw new ApiError('conflict', USERNAME_EXISTS)
   */
  constructor (kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.kind = kind
    this.name = 'ApiError'
  }
}

/** hotspotd's message for a parameter that fails its spec, e.g. `Invalid valid_for: ...`. */
export const invalidParam = (name: string, why: string): ApiError =>
  new ApiError('invalid', `Invalid ${name}: ${why}`)

/** hotspotd's message for a parameter the action does not take. */
export const unknownParam = (name: string): ApiError =>
  new ApiError('invalid', `Unknown parameter: ${name}`)

/** A system error's code (ENOENT, EADDRINUSE, ...), or its message when it has none: for one-line reports. */
export const errorCode = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown } | null
  if (typeof e?.code === 'string') return e.code
  return typeof e?.message === 'string' ? e.message : String(err)
}

/** What to log for an unexpected failure: its stack where it has one, else its text. Never throws. */
export const stackOf = (err: unknown): string => {
  const stack = (err as { stack?: unknown } | null | undefined)?.stack
  return typeof stack === 'string' ? stack : String(err)
}
