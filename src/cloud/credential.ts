/**
 * @module cloud/credential
 * Endpoint ids and the device credential that binds a router to one id.
 *
 * An endpoint id is 40 random bits written as 10 lower-case hex characters, like the seed's
 * `https://2b080b3af6.w-router.com/api/`. A device credential is `<id>.<signature>`, where the
 * signature is an HMAC-SHA256 of the id under the relay's secret (base64url, 43 characters).
 * Every relay instance holds the same secret, so any of them can check any credential without
 * a shared database, and no router can present a credential for an id it was not given: the
 * credential is the router's password for its id. The router treats it as opaque, apart from
 * reading its own id out of it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** An endpoint id: 10 lower-case hex characters. */
export const ID_PATTERN = /^[0-9a-f]{10}$/

const CREDENTIAL_PATTERN = /^([0-9a-f]{10})\.([A-Za-z0-9_-]{43})$/

/** The relay's secret must have at least this many bytes. */
export const MIN_SECRET_BYTES = 32

/** A fresh random endpoint id. */
export const newEndpointId = (): string => randomBytes(5).toString('hex')

const signature = (secret: Buffer, id: string): Buffer =>
  createHmac('sha256', secret).update(`hotspotd-relay device v1:${id}`).digest()

/** The device credential of `id` under the relay's `secret`. */
export const signCredential = (secret: Buffer, id: string): string => {
  if (!ID_PATTERN.test(id)) throw new Error(`not an endpoint id: ${JSON.stringify(id)}`)
  return `${id}.${signature(secret, id).toString('base64url')}`
}

/** The id a credential names, read without checking it (the router's side); undefined when malformed. */
export const idOfCredential = (credential: string): string | undefined =>
  CREDENTIAL_PATTERN.exec(credential)?.[1]

/** The id of a genuine credential (the relay's side): undefined when malformed or forged. */
export const verifyCredential = (secret: Buffer, credential: string): string | undefined => {
  const m = CREDENTIAL_PATTERN.exec(credential)
  if (m === null) return undefined
  const id = m[1] as string
  const given = Buffer.from(m[2] as string, 'base64url')
  const expected = signature(secret, id)
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined
}

/**
 * The relay's secret from the text of its secret file: 64 or more hex characters, or failing
 * that the file's bytes themselves (at least {@link MIN_SECRET_BYTES}). Surrounding whitespace
 * is ignored.
 * @throws Error when it is too short to be a secret
 */
export const parseSecret = (text: Buffer): Buffer => {
  const trimmed = text.toString('latin1').trim()
  const secret = /^([0-9a-fA-F]{2})+$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'latin1')
  if (secret.length < MIN_SECRET_BYTES) throw new Error(`the relay secret has ${secret.length} bytes; it needs at least ${MIN_SECRET_BYTES} (e.g. openssl rand -hex 32)`)
  return secret
}
