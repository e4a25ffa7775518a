import t from 'tap'
import * as crypto from 'node:crypto'
import { randomBytes, scryptSync } from 'node:crypto'
import {
  hashPassword, isPasswordHash, PASSWORD_ALPHABET, PASSWORD_LENGTH, randomPassword, SCRYPT_COST, verifyPassword,
} from '../../src/config/password'

const b64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '')

/** A stored hash made with node:crypto directly, with any parameters. */
const made = (password: string, ln: number, r: number, p: number, saltBytes = 16, keyBytes = 32): string => {
  const salt = randomBytes(saltBytes)
  const key = scryptSync(password, salt, keyBytes, { N: 2 ** ln, r, p, maxmem: 256 * 2 ** ln * r })
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`
}

t.test('hashPassword writes $scrypt$ln=14,r=8,p=1$<salt>$<hash> with a fresh salt', async (t) => {
  t.same(SCRYPT_COST, { ln: 14, r: 8, p: 1 }, 'new hashes cost N=2^14, r=8, p=1')
  const a = await hashPassword('correct horse')
  const b = await hashPassword('correct horse')
  const m = /^\$scrypt\$ln=14,r=8,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(a)
  t.ok(m, `the format: ${a}`)
  t.equal(Buffer.from(m?.[1] ?? '', 'base64').length, 16, '16 bytes of salt')
  t.equal(Buffer.from(m?.[2] ?? '', 'base64').length, 32, '32 bytes of hash')
  t.equal(m?.[1]?.length, 22, 'salt: base64 without its == padding')
  t.equal(m?.[2]?.length, 43, 'hash: base64 without its = padding')
  t.not(a, b, 'the same password hashes differently each time (random salt)')
  t.equal(isPasswordHash(a), true, 'isPasswordHash knows its own output')
})

t.test('verifyPassword accepts the right password and only it', async (t) => {
  const stored = await hashPassword('s3cret-Pässword')
  t.equal(await verifyPassword('s3cret-Pässword', stored), true, 'right password')
  t.equal(await verifyPassword('s3cret-Password', stored), false, 'one letter off')
  t.equal(await verifyPassword('', stored), false, 'empty password')
  t.equal(await verifyPassword('s3cret-Pässword ', stored), false, 'trailing space')
  const empty = await hashPassword('')
  t.equal(await verifyPassword('', empty), true, 'an empty password can be hashed and checked like any other')
})

t.test('verifyPassword checks hashes with other parameters within bounds', async (t) => {
  const cases: Array<[string, string]> = [
    ['lowest cost ln=10,r=1,p=1', made('pw', 10, 1, 1)],
    ['p=4 and a 64-byte key', made('pw', 10, 2, 4, 16, 64)],
    ['r=16', made('pw', 10, 16, 1)],
    ['an 8-byte salt and a 16-byte key', made('pw', 11, 8, 1, 8, 16)],
    ['a 64-byte salt', made('pw', 10, 8, 2, 64, 32)],
  ]
  for (const [name, stored] of cases) {
    t.equal(isPasswordHash(stored), true, `${name}: accepted`)
    t.equal(await verifyPassword('pw', stored), true, `${name}: right password`)
    t.equal(await verifyPassword('pW', stored), false, `${name}: wrong password`)
  }
})

t.test('a malformed, empty or out-of-bounds stored hash is false, never an error', async (t) => {
  const good = made('pw', 10, 8, 1)
  const [, , , salt, key] = good.split('$') as [string, string, string, string, string]
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['a plain password', 'pw'],
    ['rpcd\'s shadow reference', '$p$root'],
    ['a crypt(3) hash', '$1$abcdefgh$0123456789abcdefghijkl'],
    ['no hash part', `$scrypt$ln=10,r=8,p=1$${salt}`],
    ['empty salt and hash', '$scrypt$ln=10,r=8,p=1$$'],
    ['parameters out of order', `$scrypt$r=8,ln=10,p=1$${salt}$${key}`],
    ['ln below 10', `$scrypt$ln=9,r=8,p=1$${salt}$${key}`],
    ['ln above 20', `$scrypt$ln=21,r=8,p=1$${salt}$${key}`],
    ['r of 0', `$scrypt$ln=10,r=0,p=1$${salt}$${key}`],
    ['r above 16', `$scrypt$ln=10,r=17,p=1$${salt}$${key}`],
    ['p of 0', `$scrypt$ln=10,r=8,p=0$${salt}$${key}`],
    ['p above 4', `$scrypt$ln=10,r=8,p=5$${salt}$${key}`],
    ['a three-digit ln', `$scrypt$ln=100,r=8,p=1$${salt}$${key}`],
    ['padded base64', `${good}=`],
    ['non-canonical base64 (stray low bits)', `$scrypt$ln=10,r=8,p=1$${salt}$${key.slice(0, -1)}B`],
    ['a salt under 8 bytes', `$scrypt$ln=10,r=8,p=1$${b64(randomBytes(7))}$${key}`],
    ['a salt over 64 bytes', `$scrypt$ln=10,r=8,p=1$${b64(randomBytes(65))}$${key}`],
    ['a key under 16 bytes', `$scrypt$ln=10,r=8,p=1$${salt}$${b64(randomBytes(15))}`],
    ['a key over 64 bytes', `$scrypt$ln=10,r=8,p=1$${salt}$${b64(randomBytes(65))}`],
    ['trailing garbage', `${good}$x`],
    ['a newline after it', `${good}\n`],
  ]
  t.equal(await verifyPassword('pw', good), true, 'the unaltered hash matches (so the cases below fail for their defect)')
  for (const [name, stored] of cases) {
    t.equal(isPasswordHash(stored), false, `${name}: not a hash`)
    t.equal(await verifyPassword('pw', stored), false, `${name}: false`)
  }
})

t.test('a failing scrypt (out of memory) is a mismatch, not a crash', async (t) => {
  const { verifyPassword: verify } = t.mockRequire<typeof import('../../src/config/password')>('../../src/config/password', {
    'node:crypto': {
      ...crypto,
      scrypt: (_pw: unknown, _salt: unknown, _len: unknown, _opts: unknown, cb: (err: Error | null) => void) => {
        cb(new Error('memory limit exceeded'))
      },
    },
  })
  t.equal(await verify('pw', made('pw', 10, 8, 1)), false, 'false, with the right password even')
})

t.test('randomPassword: 12 characters without look-alikes, over 64 bits, different each time', async (t) => {
  t.equal(new Set(PASSWORD_ALPHABET).size, PASSWORD_ALPHABET.length, 'no symbol twice in the alphabet')
  t.notMatch(PASSWORD_ALPHABET, /[0O1lIio]/, 'no 0/O/o or 1/l/I/i')
  t.ok(PASSWORD_LENGTH * Math.log2(PASSWORD_ALPHABET.length) >= 64, 'at least 64 bits of entropy')
  const draws = Array.from({ length: 200 }, randomPassword)
  t.ok(draws.every((pw) => pw.length === PASSWORD_LENGTH), `every password has ${PASSWORD_LENGTH} characters`)
  t.ok(draws.every((pw) => [...pw].every((c) => PASSWORD_ALPHABET.includes(c))), 'only alphabet symbols')
  t.equal(new Set(draws).size, draws.length, '200 draws, 200 different passwords')
  t.equal(new Set(draws.join('')).size, PASSWORD_ALPHABET.length, 'the whole alphabet is used, not a corner of it')
})
