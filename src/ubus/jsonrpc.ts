/**
 * @module ubus/jsonrpc
 * The built-in `/ubus` door, for hosts without uhttpd and rpcd: uhttpd-mod-ubus' JSON-RPC
 * over hotspotd's own ubus objects, with rpcd-style sessions (ubus/sessions). It answers what
 * uhttpd answers, byte for byte:
 *
 * - `POST /ubus` (legacy): `{"jsonrpc":"2.0","id":…,"method":"call","params":[sid, object,
 *   method, {args}]}` → `"result":[status]` or `[status, {data}]`; `"method":"list"` → object
 *   names, or with `params` (names, `*` patterns) their signatures. A JSON array is a batch.
 * - `POST /ubus/call/<object>` with `Authorization: Bearer <sid>` and `{"jsonrpc":"2.0",
 *   "method":…,"params":{args}}` → the plain data as `result`; a failed call is an error whose
 *   code is the ubus status.
 * - `GET /ubus/list` → every object's signature; `GET /ubus/list/<object>` → one object's
 *   methods (a trailing `*` matches a prefix, as in ubus lookups); none → 404 `{"code":4,…}`.
 * - OPTIONS → 200 with `Allow` and no body; any other method → 405 with `Allow` (uhttpd
 *   answers 404 to GET /ubus and 400 to other methods; 405 says what would work).
 *
 * A call looks the object up (-32000), asks the session (-32002: a bad, expired or destroyed
 * session and a denied method look the same), refuses args that carry `ubus_rpc_session`
 * (-32602), then runs the method with `ubus_rpc_session` appended to its args, for at most
 * `timeoutMs` (-32003). Answers are HTTP 200 `application/json`, streamed, so a method's lazy
 * lists are never built whole.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { stackOf } from '../errors'
import { clientAddress } from '../http/api'
import { readBody } from '../http/body'
import { ClientGoneError, writeJson } from '../http/json-stream'
import type { Logger } from '../log'
import { BlobmsgType } from './blobmsg'
import { STATUS_TEXT, UbusStatus, type UbusCaller, type UbusMethod, type UbusObject, type UbusReply } from './object'
import { NULL_SESSION, type Sessions } from './sessions'

export interface JsonRpcDoor {
  /** The objects served, the sessions' own `session` object included; read at each request. */
  objects: () => readonly UbusObject[]
  sessions: Sessions
  log: Logger
  /** How long one ubus call may take before the answer is -32003 (default 30 s, as uhttpd's -t). */
  timeoutMs?: number
}

/** uhttpd's default script timeout (`-t`), which also bounds its ubus calls. */
export const DEFAULT_TIMEOUT_MS = 30_000

/** uhttpd's UH_UBUS_MAX_POST_SIZE: a larger body is a parse error. */
export const POST_LIMIT = 65_536

interface RpcError { code: number; message: string }

/** uhttpd-mod-ubus' JSON-RPC errors (-32600 and -32001 are defined there but never sent). */
export const RPC_ERRORS = {
  PARSE: { code: -32700, message: 'Parse error' },
  METHOD: { code: -32601, message: 'Method not found' },
  PARAMS: { code: -32602, message: 'Invalid parameters' },
  INTERNAL: { code: -32603, message: 'Internal error' },
  OBJECT: { code: -32000, message: 'Object not found' },
  ACCESS: { code: -32002, message: 'Access denied' },
  TIMEOUT: { code: -32003, message: 'ubus request timed out' },
} as const satisfies Record<string, RpcError>

const HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }

const LEGACY_PATH = /^\/ubus\/?$/
const CALL_PATH = /^\/ubus\/call\/(.+)$/s
const LIST_PATH = /^\/ubus\/list(?:\/(.*))?$/s

/** Whether a request is for this door: /ubus, /ubus/, /ubus/call/<object>, /ubus/list[/<object>]. */
export const isJsonRpcPath = (pathname: string): boolean =>
  LEGACY_PATH.test(pathname) || CALL_PATH.test(pathname) || LIST_PATH.test(pathname)

/** libubus' ubus_strerror. */
export const statusText = (status: number): string => STATUS_TEXT[status] ?? `Unknown error: ${status}`

/** The names uhttpd gives blobmsg types in a signature. */
const TYPE_NAMES: Readonly<Record<number, string>> = {
  [BlobmsgType.INT8]: 'boolean',
  [BlobmsgType.INT32]: 'number',
  [BlobmsgType.STRING]: 'string',
  [BlobmsgType.ARRAY]: 'array',
  [BlobmsgType.TABLE]: 'object',
}

type Signature = Record<string, Record<string, string>>

const signatureOf = (o: UbusObject): Signature => Object.fromEntries([...o.methods].map(([name, m]) => [
  name,
  Object.fromEntries(Object.entries(m.policy).map(([arg, type]) => [arg, TYPE_NAMES[type] ?? 'unknown'])),
]))

/** The objects a ubus LOOKUP of `pattern` finds: the exact path, or with a trailing `*` a prefix; sorted as ubusd keeps them. */
const lookup = (door: JsonRpcDoor, pattern: string): UbusObject[] => {
  const sorted = [...door.objects()].sort((a, b) => a.path < b.path ? -1 : 1)
  if (!pattern.endsWith('*')) return sorted.filter((o) => o.path === pattern)
  const prefix = pattern.slice(0, -1)
  return sorted.filter((o) => o.path.startsWith(prefix))
}

type Json = Record<string, unknown>

const isTable = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

const hasData = (data: UbusReply['data']): data is Json => data !== undefined && Object.keys(data).length > 0

const success = (id: unknown, result: unknown): Json => ({ jsonrpc: '2.0', id, result })
const failure = (id: unknown, error: RpcError): Json => ({ jsonrpc: '2.0', id, error })

/** The outcome of a call: a JSON-RPC error before or instead of the method's answer, or its reply. */
type Outcome = { error: RpcError } | { reply: UbusReply }

/** Runs a method for at most the door's timeout; a throw (a bug: methods answer a status) is UNKNOWN_ERROR. */
const run = async (door: JsonRpcDoor, label: string, method: UbusMethod, args: Json, caller: UbusCaller): Promise<Outcome> => {
  const ms = door.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      door.log.warn(`ubus: ${label} did not answer within ${ms} ms`)
      resolve({ error: RPC_ERRORS.TIMEOUT })
    }, ms)
  })
  const answered = Promise.resolve().then(() => method.handler(args, caller)).then(
    (reply): Outcome => ({ reply }),
    (err: unknown): Outcome => {
      door.log.error(`ubus: ${label} failed: ${stackOf(err)}`)
      return { reply: { status: UbusStatus.UNKNOWN_ERROR } }
    })
  try {
    return await Promise.race([answered, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** What uhttpd does for one call: lookup, session access, args check, then the method itself. */
const call = async (door: JsonRpcDoor, sid: string, path: string, name: string, args: Json, address: string): Promise<Outcome> => {
  const object = door.objects().find((o) => o.path === path)
  if (object === undefined) return { error: RPC_ERRORS.OBJECT }
  if (!door.sessions.allowed(sid, path, name)) return { error: RPC_ERRORS.ACCESS }
  if (Object.hasOwn(args, 'ubus_rpc_session')) return { error: RPC_ERRORS.PARAMS }
  const method = object.methods.get(name)
  if (method === undefined) return { reply: { status: UbusStatus.METHOD_NOT_FOUND } }
  const caller: UbusCaller = { user: door.sessions.userOf(sid), address }
  return run(door, `${path}.${name}`, method, { ...args, ubus_rpc_session: sid }, caller)
}

/** JSON-RPC `list`: names without params, else the signatures of every name or pattern given. */
const list = (door: JsonRpcDoor, params: unknown): unknown => {
  if (!Array.isArray(params)) return lookup(door, '*').map((o) => o.path)
  const found = new Map<string, Signature>()
  for (const pattern of params) {
    if (typeof pattern !== 'string') continue
    for (const o of lookup(door, pattern)) found.set(o.path, signatureOf(o))
  }
  return Object.fromEntries(found)
}

/** The answer to one request object of a legacy `/ubus` body (or one member of a batch). */
const answerLegacy = async (door: JsonRpcDoor, request: unknown, address: string): Promise<Json> => {
  if (!isTable(request)) return failure(null, RPC_ERRORS.PARSE)
  const id = request.id ?? null
  if (request.jsonrpc !== '2.0' || typeof request.method !== 'string') return failure(id, RPC_ERRORS.PARSE)
  if (request.method === 'list') return success(id, list(door, request.params))
  if (request.method !== 'call') return failure(id, RPC_ERRORS.METHOD)
  const [sid, object, name, args] = Array.isArray(request.params) ? request.params as unknown[] : []
  if (typeof sid !== 'string' || typeof object !== 'string' || typeof name !== 'string' || !isTable(args)) {
    return failure(id, RPC_ERRORS.PARSE)
  }
  const outcome = await call(door, sid, object, name, args, address)
  if ('error' in outcome) return failure(id, outcome.error)
  const { status, data } = outcome.reply
  return success(id, hasData(data) ? [status, data] : [status])
}

/** The answer to `POST /ubus/call/<path>`. */
const answerCall = async (door: JsonRpcDoor, req: IncomingMessage, request: unknown, path: string): Promise<Json> => {
  if (!isTable(request)) return failure(null, RPC_ERRORS.PARSE)
  const id = request.id ?? null
  if (request.jsonrpc !== '2.0' || typeof request.method !== 'string') return failure(id, RPC_ERRORS.PARSE)
  const args = request.params ?? {}
  if (!isTable(args)) return failure(id, RPC_ERRORS.PARAMS)
  const auth = req.headers.authorization
  const sid = auth !== undefined && /^bearer /i.test(auth) ? auth.slice(7) : NULL_SESSION
  const outcome = await call(door, sid, path, request.method, args, clientAddress(req))
  if ('error' in outcome) return failure(id, outcome.error)
  const { status, data } = outcome.reply
  if (status !== UbusStatus.OK) return failure(id, { code: status, message: statusText(status) })
  return success(id, hasData(data) ? data : null)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The body as JSON; undefined when it is too large, cut short, not UTF-8 or not JSON. */
const readJson = async (req: IncomingMessage): Promise<unknown> => {
  try {
    return JSON.parse(utf8.decode(await readBody(req, POST_LIMIT))) as unknown
  } catch {
    return undefined
  }
}

/** Starts a 200 answer; a body left unread (too large) would be read as the next request, so close. */
const begin = (req: IncomingMessage, res: ServerResponse): void => {
  if (!req.complete) res.setHeader('Connection', 'close')
  res.writeHead(200, HEADERS)
}

const send = async (req: IncomingMessage, res: ServerResponse, value: unknown): Promise<void> => {
  begin(req, res)
  await writeJson(res, value)
  res.end()
}

/** Legacy `/ubus`: one request object, or a batch answered member by member as each completes. */
const serveLegacy = async (door: JsonRpcDoor, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const body = await readJson(req)
  const address = clientAddress(req)
  if (!Array.isArray(body)) {
    await send(req, res, await answerLegacy(door, body, address))
    return
  }
  begin(req, res)
  res.write('[')
  for (const [i, request] of body.entries()) {
    const answer = await answerLegacy(door, request, address)
    if (i > 0) res.write(',')
    await writeJson(res, answer)
  }
  res.end(']')
}

/** `GET /ubus/list` (every object, by name) or `GET /ubus/list/<pattern>` (their methods, merged). */
const serveList = async (door: JsonRpcDoor, req: IncomingMessage, res: ServerResponse, pattern: string | undefined): Promise<void> => {
  if (pattern === undefined || pattern === '') {
    await send(req, res, Object.fromEntries(lookup(door, '*').map((o) => [o.path, signatureOf(o)])))
    return
  }
  const found = lookup(door, pattern)
  if (found.length === 0) {
    res.writeHead(404, HEADERS)
    res.end(JSON.stringify({ code: UbusStatus.NOT_FOUND, message: statusText(UbusStatus.NOT_FOUND) }))
    return
  }
  await send(req, res, Object.assign({}, ...found.map(signatureOf)) as Signature)
}

/** Anything but the methods a path takes: 200 and no body for OPTIONS, else 405. */
const refuse = (req: IncomingMessage, res: ServerResponse, allow: string): void => {
  if (!req.complete) res.setHeader('Connection', 'close')
  res.writeHead(req.method === 'OPTIONS' ? 200 : 405, { Allow: `${allow}, OPTIONS`, 'Content-Length': '0' })
  res.end()
}

const route = async (door: JsonRpcDoor, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
  const listed = LIST_PATH.exec(pathname)
  if (listed !== null) {
    if (req.method === 'GET') await serveList(door, req, res, listed[1])
    else refuse(req, res, 'GET')
    return
  }
  if (req.method !== 'POST') {
    refuse(req, res, 'POST')
    return
  }
  const called = CALL_PATH.exec(pathname)
  if (called === null) {
    await serveLegacy(door, req, res)
    return
  }
  await send(req, res, await answerCall(door, req, await readJson(req), called[1] as string))
}

/**
 * Answers one request for a path `isJsonRpcPath` accepts. Never throws: a failure before the
 * answer starts is logged and answered -32603; once an answer is streaming, the connection is
 * cut (and logged, unless the client went away first).
 */
export const handleJsonRpc = async (door: JsonRpcDoor, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
  try {
    await route(door, req, res, url.pathname)
  } catch (err) {
    if (err instanceof ClientGoneError) {
      res.destroy()
      return
    }
    if (res.headersSent) {
      door.log.error(`ubus: answer cut short: ${stackOf(err)}`)
      res.destroy()
      return
    }
    door.log.error(`ubus: ${stackOf(err)}`)
    res.writeHead(200, HEADERS)
    res.end(JSON.stringify(failure(null, RPC_ERRORS.INTERNAL)))
  }
}
