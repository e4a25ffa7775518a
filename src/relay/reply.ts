/**
 * @module relay/reply
 * The relay's answers of its own, all in the seed's envelope (`{"message": ..., "error": true}`):
 * one table from refusal to status and catalog message, written to an HTTP response or, before
 * a WebSocket upgrade, straight to the socket.
 */
import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  BODY_TOO_LARGE, CREDENTIAL_FOREIGN, CREDENTIAL_INVALID, ENROLL_KEY_INCORRECT, NOT_FOUND, ROUTER_BUSY,
  ROUTER_LOST, ROUTER_OFFLINE, ROUTER_TIMEOUT, TOO_MANY_ATTEMPTS, TOO_MANY_REQUESTS, TUNNEL_PROTOCOL, UNKNOWN_ERROR,
} from '../errors'

/** Every refusal the relay makes: its HTTP status and its message from the catalog. */
export const REFUSALS = {
  notFound: [404, NOT_FOUND],
  offline: [502, ROUTER_OFFLINE],
  lost: [502, ROUTER_LOST],
  timeout: [504, ROUTER_TIMEOUT],
  busy: [503, ROUTER_BUSY],
  rateLimited: [429, TOO_MANY_REQUESTS],
  throttled: [429, TOO_MANY_ATTEMPTS],
  tooLarge: [413, BODY_TOO_LARGE],
  credentialInvalid: [401, CREDENTIAL_INVALID],
  credentialForeign: [403, CREDENTIAL_FOREIGN],
  tunnelProtocol: [400, TUNNEL_PROTOCOL],
  enrollKey: [401, ENROLL_KEY_INCORRECT],
  internal: [500, UNKNOWN_ERROR],
} as const satisfies Record<string, readonly [number, string]>

export type Refusal = keyof typeof REFUSALS

/** The headers of every JSON answer the relay writes itself. */
export const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const

/** Whether the request still has body bytes on the way (node would read them to reuse the connection). */
const bodyPending = (res: ServerResponse): boolean => {
  const { headers, complete } = res.req
  return !complete && (headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0)
}

/**
 * Writes `body` as the whole JSON answer; returns the body's length in bytes (for the access
 * log). A request whose body was not read is answered with `Connection: close`, so that a large
 * body is not read in vain just to keep the connection.
 */
export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): number => {
  const text = Buffer.from(JSON.stringify(body))
  const close = bodyPending(res) ? { Connection: 'close' } : {}
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': text.length, ...close, ...headers })
  res.end(text)
  return text.length
}

/** Answers with a refusal in the seed's envelope. */
export const refuse = (res: ServerResponse, refusal: Refusal, headers: OutgoingHttpHeaders = {}): number => {
  const [status, message] = REFUSALS[refusal]
  return sendJson(res, status, { message, error: true }, headers)
}

/** Answers a request that asked for an upgrade with a refusal, on its socket, and closes it. */
export const refuseUpgrade = (socket: Duplex, refusal: Refusal, headers: Record<string, string> = {}): void => {
  const [status, message] = REFUSALS[refusal]
  const body = Buffer.from(JSON.stringify({ message, error: true }))
  const head = { ...JSON_HEADERS, 'Content-Length': String(body.length), Connection: 'close', ...headers }
  const lines = Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status] as string}\r\n${lines}\r\n`), body]), () => { socket.destroy() })
}
