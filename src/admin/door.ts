/**
 * @module admin/door
 * The admin panel's door, on the LAN/MGMT listener only (http/routes mounts it there and nowhere
 * else): the panel's files, sign-in and sessions (admin/auth), one call into the whole action
 * table with the user's ACL checked first, and CSV exports of the lists. The routes are those of
 * admin/protocol. Errors are the seed's envelope with the status of their kind, as on /api/.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dispatch } from '../actions/dispatch'
import type { Action, ActionContext } from '../actions/spec'
import {
  ApiError, FOREIGN_REQUEST, MALFORMED_BODY, NOT_ALLOWED, NOT_SIGNED_IN, SIGN_IN_FAILED, stackOf, TOO_MANY_ATTEMPTS,
  UNKNOWN_ACTION, UNKNOWN_ERROR,
} from '../errors'
import { clientAddress, HTTP_STATUS, keyMatches, notFound } from '../http/api'
import { parseBody, readBody } from '../http/body'
import { ClientGoneError, writeJson } from '../http/json-stream'
import type { Throttle } from '../http/throttle'
import type { Logger } from '../log'
import type { AdminAuth, AdminSession } from './auth'
import { CsvClientGone, EXPORTS, isExportList, writeCsv } from './csv'
import { ADMIN_PATH, API_CALL, API_EXPORT, API_LOGIN, API_LOGOUT, API_SESSION, CSRF_HEADER, SESSION_COOKIE } from './protocol'
import { PANEL_HEADERS, serveStatic } from './static'

export interface AdminDoor {
  /** The whole table, admin actions too: the user's ACL decides. */
  actions: readonly Action[]
  ctx: ActionContext
  auth: AdminAuth
  /** Counts failed sign-ins per client address. */
  throttle: Throttle
  /** Where index.html, app.js and app.css are (with their .gz). */
  staticDir: string
  log: Logger
  nowMs?: () => number
}

const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...PANEL_HEADERS }

/** A refusal of the door itself, with its own status (401 is no ErrorKind of the table's). */
class Refusal extends Error {
  constructor (readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message)
  }
}

/** Whether a request is for this door. */
export const isAdminPath = (pathname: string): boolean => pathname === '/admin' || pathname.startsWith(ADMIN_PATH)

/** The value of cookie `name`, if the request carries it. */
export const cookieOf = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

const cookie = (value: string, maxAge?: number): string =>
  `${SESSION_COOKIE}=${value}; Path=${ADMIN_PATH}; HttpOnly; SameSite=Strict${maxAge === undefined ? '' : `; Max-Age=${maxAge}`}`

/**
 * Whether a POST comes from the panel's own page: an Origin header, when sent, must be this
 * host's (browsers send it on every cross-site POST; SameSite=Strict keeps the cookie off them too).
 */
export const sameOrigin = (req: IncomingMessage): boolean => {
  const origin = req.headers.origin
  if (origin === undefined) return true
  const host = req.headers.host ?? ''
  return origin === `http://${host}` || origin === `https://${host}`
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { ...JSON_HEADERS, ...headers })
  res.end(JSON.stringify(body))
}

/** The JSON object of a POST body; anything else is malformed. */
const jsonBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  const type = String(req.headers['content-type']).split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') throw new ApiError('invalid', MALFORMED_BODY)
  return parseBody(type, await readBody(req))
}

const signIn = async (door: AdminDoor, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const address = clientAddress(req)
  const now = (door.nowMs ?? Date.now)()
  const wait = door.throttle.retryAfter(address, now)
  if (wait > 0) throw new Refusal(429, TOO_MANY_ATTEMPTS, { 'Retry-After': String(wait) })
  const { username, password } = await jsonBody(req)
  if (typeof username !== 'string' || typeof password !== 'string') throw new ApiError('invalid', MALFORMED_BODY)
  const outcome = await door.auth.login(username, password, address)
  if (!outcome.ok) {
    if (outcome.why === 'unavailable') {
      door.log.error(`admin: sign-in of ${username} from ${address}: the session object failed`)
      throw new ApiError('internal', UNKNOWN_ERROR)
    }
    if (door.throttle.fail(address, now)) {
      const { limit, lockMs } = door.throttle.options
      door.log.warn(`admin: ${limit} failed sign-ins from ${address}; refusing it for ${lockMs / 1000} s`)
    }
    throw new Refusal(401, SIGN_IN_FAILED)
  }
  door.throttle.succeed(address)
  const info = await door.auth.info(outcome.session)
  if (info === undefined) throw new Refusal(401, NOT_SIGNED_IN)
  send(res, 200, info, { 'Set-Cookie': cookie(outcome.session.id) })
}

/** The request's live session, or 401. */
const sessionOf = (door: AdminDoor, req: IncomingMessage): AdminSession => {
  const s = door.auth.find(cookieOf(req.headers.cookie, SESSION_COOKIE))
  if (s === undefined) throw new Refusal(401, NOT_SIGNED_IN, { 'Set-Cookie': cookie('', 0) })
  return s
}

/** A state-changing request's session: its CSRF token checked in constant time. */
const postSession = (door: AdminDoor, req: IncomingMessage): AdminSession => {
  const s = sessionOf(door, req)
  const given = req.headers[CSRF_HEADER.toLowerCase()]
  if (typeof given !== 'string' || !keyMatches(given, s.csrf)) throw new Refusal(403, FOREIGN_REQUEST)
  return s
}

/** The ACL's answer for `action`: 401 when the session behind it ended, 403 when it is denied. */
const permit = async (door: AdminDoor, s: AdminSession, action: string): Promise<void> => {
  const ok = await door.auth.may(s, action)
  if (ok === undefined) throw new Refusal(401, NOT_SIGNED_IN, { 'Set-Cookie': cookie('', 0) })
  if (!ok) throw new Refusal(403, NOT_ALLOWED)
}

/** Streams one result (a long list as it is read) or one CSV file; a client gone mid-answer is cut. */
const stream = async (door: AdminDoor, res: ServerResponse, write: () => Promise<void>): Promise<void> => {
  try {
    await write()
    res.end()
  } catch (err) {
    if (!(err instanceof ClientGoneError || err instanceof CsvClientGone)) door.log.error(`admin: answer cut short: ${stackOf(err)}`)
    res.destroy()
  }
}

const call = async (door: AdminDoor, req: IncomingMessage, res: ServerResponse): Promise<void> => {
  const s = postSession(door, req)
  const { action, params = {} } = await jsonBody(req)
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new ApiError('invalid', MALFORMED_BODY)
  // An action outside the table is the table's answer ("No action set", "Unknown action"), not the ACL's.
  const name = typeof action === 'string' ? action : undefined
  if (name !== undefined && door.actions.some((a) => a.name === name)) await permit(door, s, name)
  else if (name !== undefined && name !== '') throw new ApiError('invalid', UNKNOWN_ACTION)
  const result = await dispatch(door.actions, name, params as Record<string, unknown>, door.ctx)
  res.writeHead(200, JSON_HEADERS)
  await stream(door, res, () => writeJson(res, result))
}

const exportCsv = async (door: AdminDoor, req: IncomingMessage, res: ServerResponse, file: string): Promise<void> => {
  const list = file.endsWith('.csv') ? file.slice(0, -4) : ''
  if (!isExportList(list)) {
    notFound(res)
    return
  }
  const s = sessionOf(door, req)
  const { action, columns } = EXPORTS[list]
  await permit(door, s, action)
  const result = await dispatch(door.actions, action, {}, door.ctx)
  res.writeHead(200, {
    ...PANEL_HEADERS,
    'Content-Type': 'text/csv; charset=utf-8; header=present',
    'Content-Disposition': `attachment; filename="hotspotd-${list}.csv"`,
    'Cache-Control': 'no-store',
  })
  await stream(door, res, () => writeCsv(res, columns, result.users as Iterable<Record<string, unknown>>))
}

/** Which route a method and path are, or the methods the path takes when the method is wrong. */
const route = async (door: AdminDoor, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
  const method = req.method as string // node:http always sets it on a server's request
  const read = method === 'GET' || method === 'HEAD'
  const only = (allowed: string): never => { throw new Refusal(405, NOT_ALLOWED, { Allow: allowed }) }
  if (path === API_SESSION) {
    if (!read) only('GET')
    const info = await door.auth.info(sessionOf(door, req))
    if (info === undefined) throw new Refusal(401, NOT_SIGNED_IN, { 'Set-Cookie': cookie('', 0) })
    send(res, 200, info)
  } else if (path === API_LOGIN || path === API_LOGOUT || path === API_CALL) {
    if (method !== 'POST') only('POST')
    if (!sameOrigin(req)) throw new Refusal(403, FOREIGN_REQUEST)
    if (path === API_LOGIN) await signIn(door, req, res)
    else if (path === API_CALL) await call(door, req, res)
    else {
      await door.auth.logout(postSession(door, req))
      res.writeHead(204, { ...PANEL_HEADERS, 'Cache-Control': 'no-store', 'Set-Cookie': cookie('', 0) })
      res.end()
    }
  } else if (path.startsWith(API_EXPORT)) {
    if (!read) only('GET')
    await exportCsv(door, req, res, path.slice(API_EXPORT.length))
  } else if (path.startsWith(`${ADMIN_PATH}api/`)) {
    notFound(res)
  } else {
    if (!read) only('GET')
    serveStatic(door.staticDir, path.slice(ADMIN_PATH.length), req, res)
  }
}

/**
 * Answers one request under `/admin`. Never throws: every failure becomes the seed's envelope
 * (its kind's status, or the door's 401/403/405/429), or a cut connection once an answer began.
 */
export const handleAdmin = async (door: AdminDoor, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
  if (url.pathname === '/admin') {
    res.writeHead(301, { Location: ADMIN_PATH, 'Cache-Control': 'no-store' })
    res.end()
    return
  }
  try {
    await route(door, req, res, url.pathname)
  } catch (err) {
    // A body left unread (refused early, or too large) would be read as the next request.
    if (!req.complete) res.setHeader('Connection', 'close')
    if (err instanceof Refusal) {
      send(res, err.status, { message: err.message, error: true }, err.headers)
      return
    }
    const e = err instanceof ApiError ? err : new ApiError('internal', UNKNOWN_ERROR, { cause: err })
    if (!(err instanceof ApiError)) door.log.error(`admin: ${stackOf(err)}`)
    send(res, HTTP_STATUS[e.kind], { message: e.message, error: true })
  }
}
