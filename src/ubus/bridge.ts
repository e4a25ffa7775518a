/**
 * @module ubus/bridge
 * The `hotspot` ubus object: one method per action of the table, with the action's own
 * parameter spec as its policy. A call runs through the same dispatch as an HTTP request, so
 * results are the same data; errors become a ubus status with the message (the seed's, where
 * it has one) in the reply's data: `{"message": ..., "error": true}`.
 */
import { dispatch } from '../actions/dispatch'
import { toBlobmsgPolicy, type Action, type ActionContext } from '../actions/spec'
import type { ErrorKind } from '../errors'
import { HOTSPOT_OBJECT } from './acl'
import { UbusStatus, type UbusMethod, type UbusObject } from './object'

/** The ubus status for each kind of error. */
export const UBUS_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid: UbusStatus.INVALID_ARGUMENT,
  conflict: UbusStatus.INVALID_ARGUMENT,
  too_large: UbusStatus.INVALID_ARGUMENT,
  not_found: UbusStatus.NOT_FOUND,
  unauthorized: UbusStatus.PERMISSION_DENIED,
  disabled: UbusStatus.PERMISSION_DENIED,
  rate_limited: UbusStatus.PERMISSION_DENIED,
  method: UbusStatus.NOT_SUPPORTED,
  unavailable: UbusStatus.UNKNOWN_ERROR,
  internal: UbusStatus.UNKNOWN_ERROR,
}

/**
 * The argument uhttpd appends to every call made through its JSON-RPC `/ubus`: the caller's
 * rpcd session. rpcd has already checked the ACL by then, so the action does not need it.
 */
export const SESSION_ARG = 'ubus_rpc_session'

const method = (table: readonly Action[], action: Action, ctx: ActionContext): UbusMethod => ({
  policy: toBlobmsgPolicy(action.params),
  handler: async (args) => {
    const { [SESSION_ARG]: _session, ...raw } = args
    try {
      return { status: UbusStatus.OK, data: await dispatch(table, action.name, raw, ctx) }
    } catch (err) {
      // dispatch throws nothing but ApiError
      const e = err as { kind: ErrorKind; message: string }
      return { status: UBUS_STATUS[e.kind], data: { message: e.message, error: true } }
    }
  },
})

/** The `hotspot` object for `table`, dispatching with `ctx`. */
export const hotspotObject = (table: readonly Action[], ctx: ActionContext): UbusObject => ({
  path: HOTSPOT_OBJECT,
  methods: new Map(table.map((a) => [a.name, method(table, a, ctx)])),
})
