/**
 * @module config/password
 * Admin password hashes for the built-in `/ubus` login: scrypt (node:crypto), stored as
 * `$scrypt$ln=14,r=8,p=1$<salt>$<hash>` with salt and hash in base64 without padding. Only
 * the hash is ever kept in the configuration; verifying takes the same scrypt time whether the
 * password is right or wrong, and compares in constant time. Also the first-start password.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto'

/** Cost of new hashes: N = 2^14, r = 8, p = 1 (16 MiB, some tens of ms on a router's CPU). */
export const SCRYPT_COST = { ln: 14, r: 8, p: 1 } as const

/** Bounds accepted in a stored hash, so a hand-edited config cannot ask for absurd work. */
const LIMITS = { ln: [10, 20], r: [1, 16], p: [1, 4], salt: [8, 64], key: [16, 64] } as const

const SALT_BYTES = 16
const KEY_BYTES = 32

interface Scrypt { ln: number; r: number; p: number; salt: Buffer; key: Buffer }

const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

const base64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '')

/** Bytes of canonical unpadded base64, or undefined (Node's decoder would accept anything). */
const unbase64 = (text: string): Buffer | undefined => {
  const bytes = Buffer.from(text, 'base64')
  return base64(bytes) === text ? bytes : undefined
}

const within = (n: number | undefined, [min, max]: readonly [number, number]): n is number =>
  n !== undefined && n >= min && n <= max

/** The parts of a stored hash, or undefined when it is not one this module accepts. */
const parse = (stored: string): Scrypt | undefined => {
  const m = FORMAT.exec(stored)
  if (m === null) return undefined
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const salt = unbase64(m[4] as string)
  const key = unbase64(m[5] as string)
  if (!within(ln, LIMITS.ln) || !within(r, LIMITS.r) || !within(p, LIMITS.p)) return undefined
  if (!within(salt?.length, LIMITS.salt) || !within(key?.length, LIMITS.key)) return undefined
  return { ln, r, p, salt: salt as Buffer, key: key as Buffer }
}

const derive = (password: string, salt: Buffer, length: number, cost: { ln: number; r: number; p: number }): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const N = 2 ** cost.ln
    // scrypt needs about 128 * N * r bytes (plus 128 * r * p); twice that is always enough.
    scrypt(password, salt, length, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r }, (err, key) => {
      if (err === null) resolve(key); else reject(err)
    })
  })

/** Whether `stored` is a hash `verifyPassword` can check (for config validation). */
export const isPasswordHash = (stored: string): boolean => parse(stored) !== undefined

/**
 * A new hash of `password` with a random 16-byte salt and SCRYPT_COST.
 * @example await hashPassword('s3cret') // '$scrypt$ln=14,r=8,p=1$Q2xv...$3q2+7w...'
 */
export const hashPassword = async (password: string): Promise<string> => {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, KEY_BYTES, SCRYPT_COST)
  const { ln, r, p } = SCRYPT_COST
  return `$scrypt$ln=${ln},r=${r},p=${p}$${base64(salt)}$${base64(key)}`
}

/**
 * Whether `password` matches `stored`, compared in constant time. Never throws: a malformed,
 * empty or out-of-bounds stored hash, or a scrypt failure (out of memory), is false.
 */
export const verifyPassword = async (password: string, stored: string): Promise<boolean> => {
  const h = parse(stored)
  if (h === undefined) return false
  try {
    return timingSafeEqual(await derive(password, h.salt, h.key.length, h), h.key)
  } catch {
    return false
  }
}

/** Letters and digits without look-alikes (0/O/o, 1/l/I/i): easy to read off a label or a log. */
export const PASSWORD_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ'

/** Length of a random password: 12 characters of 55 symbols, over 69 bits. */
export const PASSWORD_LENGTH = 12

/** A fresh random password (for the first start), from PASSWORD_ALPHABET without bias. */
export const randomPassword = (): string =>
  Array.from({ length: PASSWORD_LENGTH }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join('')
