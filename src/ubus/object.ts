/**
 * @module ubus/object
 * A ubus object as hotspotd serves it, independent of the wire: a path and named methods, each
 * with a typed policy (argument name to blobmsg type) and a handler that takes JSON arguments
 * and answers a ubus status with an optional table of data. The ubusd client publishes these
 * objects on the bus; the built-in JSON-RPC `/ubus` serves the very same objects over HTTP.
 */

/** UBUS_STATUS_* (libubus' enum ubus_msg_status). */
export const UbusStatus = {
  OK: 0,
  INVALID_COMMAND: 1,
  INVALID_ARGUMENT: 2,
  METHOD_NOT_FOUND: 3,
  NOT_FOUND: 4,
  NO_DATA: 5,
  PERMISSION_DENIED: 6,
  TIMEOUT: 7,
  NOT_SUPPORTED: 8,
  UNKNOWN_ERROR: 9,
  CONNECTION_FAILED: 10,
  NO_MEMORY: 11,
  PARSE_ERROR: 12,
  SYSTEM_ERROR: 13,
} as const

/** The text the `ubus` CLI prints for each status (libubus' ubus_strerror). */
export const STATUS_TEXT: readonly string[] = [
  'Success', 'Invalid command', 'Invalid argument', 'Method not found', 'Not found', 'No response',
  'Permission denied', 'Request timed out', 'Operation not supported', 'Unknown error',
  'Connection failed', 'Out of memory', 'Parsing message data failed', 'System error',
]

/** A method's answer: a status and, when there is one, a table of data (sent as DATA before the STATUS). */
export interface UbusReply {
  status: number
  data?: Record<string, unknown>
}

/** Who is calling, as far as the door knows. */
export interface UbusCaller {
  /** ubusd's USER attribute on a forwarded INVOKE, or the JSON-RPC session's user name. */
  user?: string
  group?: string
  /** The client's network address (JSON-RPC door only), for rate limits. */
  address?: string
}

export interface UbusMethod {
  /** Argument name to blobmsg type number, in order: what `ubus -v list` shows. */
  policy: Readonly<Record<string, number>>
  /** Never throws: every failure is a status (and, where useful, a message in the data). */
  handler: (args: Record<string, unknown>, caller: UbusCaller) => Promise<UbusReply>
}

export interface UbusObject {
  path: string
  methods: ReadonlyMap<string, UbusMethod>
}
