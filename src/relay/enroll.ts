/**
 * @module relay/enroll
 * Enrollment (cloud/protocol, step 1): a router without a credential posts the operator's
 * enrollment key and gets a fresh endpoint id with its device credential. Off unless the
 * operator gave a key; wrong keys count against the client's address in the throttle.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { newEndpointId, signCredential } from '../cloud/credential'
import { endpointUrl, type Enrollment } from '../cloud/protocol'
import type { Throttle } from '../http/throttle'
import type { Logger } from '../log'
import { refuse, sendJson } from './reply'

export interface EnrollDoor {
  /** The enrollment key; undefined: enrollment is off. */
  key: Buffer | undefined
  secret: Buffer
  domain: string
  throttle: Throttle
  log: Logger
  nowMs: () => number
}

const digest = (b: Buffer): Buffer => createHash('sha256').update(b).digest()

/** Compares secrets in constant time (hashing first hides the length too). */
export const sameSecret = (given: Buffer, expected: Buffer): boolean =>
  timingSafeEqual(digest(given), digest(expected))

/** The token of an `Authorization: Bearer <token>` header; undefined without one. */
export const bearerToken = (req: IncomingMessage): string | undefined =>
  /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1]

/**
 * Answers `POST <ENROLL_PATH>` for `client`, reached at `port` (the public URL's port, from the
 * Host header); returns the body bytes sent.
 */
export const handleEnroll = (door: EnrollDoor, req: IncomingMessage, res: ServerResponse, client: string, port: number): number => {
  if (door.key === undefined) return refuse(res, 'notFound')
  const now = door.nowMs()
  const wait = door.throttle.retryAfter(client, now)
  if (wait > 0) return refuse(res, 'throttled', { 'Retry-After': String(wait) })
  const token = bearerToken(req)
  if (token === undefined || !sameSecret(Buffer.from(token), door.key)) {
    if (door.throttle.fail(client, now)) {
      door.log.warn(`enroll: ${door.throttle.options.limit} wrong enrollment keys from ${client}; refusing it for ${door.throttle.options.lockMs / 1000} s`)
    }
    door.log.info(`enroll: refused ${client}: wrong enrollment key`)
    return refuse(res, 'enrollKey')
  }
  door.throttle.succeed(client)
  const id = newEndpointId()
  const answer: Enrollment = { id, credential: signCredential(door.secret, id), endpoint: endpointUrl(id, door.domain, port) }
  const bytes = sendJson(res, 200, answer)
  door.log.info(`enroll: new endpoint ${id} for ${client}`)
  return bytes
}
