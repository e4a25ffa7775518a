/**
 * @module http/api
 * The seed's `/api/` door: API switch, GET/POST toggles, API key, then one action from the
 * table. Parameters are read only from the enabled methods: the query string when GET is on,
 * the body of a POST when POST is on (a POST's query string counts as GET parameters). Answers
 * are the seed's JSON, errors `{"message": ..., "error": true}`.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dispatch } from '../actions/dispatch'
import type { Action, ActionContext } from '../actions/spec'
import {
  API_DISABLED, ApiError, type ErrorKind, KEY_INCORRECT, KEY_NOT_SET, NOT_FOUND, stackOf, TOO_MANY_ATTEMPTS, UNKNOWN_ERROR,
} from '../errors'
import type { Logger } from '../log'
import { parseBody, readBody } from './body'
import { ClientGoneError, writeJson } from './json-stream'
import type { Throttle } from './throttle'

/** The API's switches, read afresh for every request so a reload applies at once. */
export interface ApiSettings { enabled: boolean; get: boolean; post: boolean; key: string }

/** The HTTP status for each kind of error. */
export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthorized: 403,
  disabled: 403,
  method: 405,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
}

const HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
}

export interface ApiDoor {
  actions: readonly Action[]
  ctx: ActionContext
  settings: () => ApiSettings
  throttle: Throttle
  log: Logger
  nowMs?: () => number
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Compares keys in constant time (hashing first hides the length too). */
export const keyMatches = (given: string, expected: string): boolean =>
  expected !== '' && timingSafeEqual(digest(given), digest(expected))

/** The client's address, IPv4-mapped IPv6 written as plain IPv4. */
export const clientAddress = (req: IncomingMessage): string =>
  (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '')

const allowed = (s: ApiSettings): string =>
  [s.get ? 'GET' : '', s.post ? 'POST' : ''].filter(Boolean).join(', ')

/** Parameters from the enabled sources of this request; body values win over the query's. */
const gatherParams = async (req: IncomingMessage, url: URL, s: ApiSettings): Promise<Record<string, unknown>> => {
  const query = s.get ? Object.fromEntries(url.searchParams) : {}
  if (req.method !== 'POST') return query
  return { ...query, ...parseBody(req.headers['content-type'], await readBody(req)) }
}

/** Everything up to the action: switch, method, key. Returns the action's name and parameters. */
const admit = async (door: ApiDoor, req: IncomingMessage, res: ServerResponse, url: URL):
Promise<{ action: unknown; params: Record<string, unknown> }> => {
  const s = door.settings()
  if (!s.enabled) throw new ApiError('disabled', API_DISABLED)
  const address = clientAddress(req)
  const now = (door.nowMs ?? Date.now)()
  const wait = door.throttle.retryAfter(address, now)
  if (wait > 0) {
    res.setHeader('Retry-After', String(wait))
    throw new ApiError('rate_limited', TOO_MANY_ATTEMPTS)
  }
  if (!((req.method === 'GET' && s.get) || (req.method === 'POST' && s.post))) {
    res.setHeader('Allow', allowed(s))
    throw new ApiError('method', KEY_NOT_SET)
  }
  const { 'api-key': key, action, ...params } = await gatherParams(req, url, s)
  if (key === undefined || key === null || key === '') throw new ApiError('unauthorized', KEY_NOT_SET)
  if (typeof key !== 'string' || !keyMatches(key, s.key)) {
    if (door.throttle.fail(address, now)) {
      const { limit, lockMs } = door.throttle.options
      door.log.warn(`api: ${limit} wrong API keys from ${address}; refusing it for ${lockMs / 1000} s`)
    }
    throw new ApiError('unauthorized', KEY_INCORRECT)
  }
  door.throttle.succeed(address)
  return { action, params }
}

const sendError = (res: ServerResponse, err: ApiError): void => {
  res.writeHead(HTTP_STATUS[err.kind], HEADERS)
  res.end(JSON.stringify({ message: err.message, error: true }))
}

/** Whether a request is for this door. */
export const isApiPath = (pathname: string): boolean => pathname === '/api' || pathname === '/api/'

/**
 * Answers one request on `/api/`. Never throws: every failure becomes the seed's error
 * envelope, or, once an answer has begun streaming, a cut connection and a log line.
 */
export const handleApi = async (door: ApiDoor, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
  let result
  try {
    const { action, params } = await admit(door, req, res, url)
    result = await dispatch(door.actions, typeof action === 'string' ? action : undefined, params, door.ctx)
  } catch (err) {
    const e = err instanceof ApiError ? err : new ApiError('internal', UNKNOWN_ERROR, { cause: err })
    if (!(err instanceof ApiError)) door.log.error(`api: ${stackOf(err)}`)
    // A body left unread (refused early, or too large) would be read as the next request.
    if (!req.complete) res.setHeader('Connection', 'close')
    sendError(res, e)
    return
  }
  res.writeHead(200, HEADERS)
  try {
    await writeJson(res, result)
    res.end()
  } catch (err) {
    if (!(err instanceof ClientGoneError)) door.log.error(`api: answer cut short: ${stackOf(err)}`)
    res.destroy()
  }
}

/** The seed's envelope for requests outside `/api/`. */
export const notFound = (res: ServerResponse): void => { sendError(res, new ApiError('not_found', NOT_FOUND)) }
