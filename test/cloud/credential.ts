import t from 'tap'
import {
  ID_PATTERN, idOfCredential, MIN_SECRET_BYTES, newEndpointId, parseSecret, signCredential, verifyCredential,
} from '../../src/cloud/credential'

const secret = Buffer.alloc(32, 7)
const other = Buffer.alloc(32, 8)

t.test('endpoint ids are 10 lower-case hex characters, random', async (t) => {
  const ids = new Set(Array.from({ length: 1000 }, newEndpointId))
  t.ok([...ids].every((id) => ID_PATTERN.test(id)), 'all match the pattern')
  t.equal(ids.size, 1000, 'no two alike in a thousand')
  t.ok(ID_PATTERN.test('2b080b3af6'), "the seed's example is one")
  t.notOk(ID_PATTERN.test('2B080B3AF6'), 'upper case is not')
  t.notOk(ID_PATTERN.test('2b080b3af'), 'nine characters are not')
})

t.test('a credential names its id and is checked with the relay secret', async (t) => {
  const c = signCredential(secret, '2b080b3af6')
  t.match(c, /^2b080b3af6\.[A-Za-z0-9_-]{43}$/)
  t.equal(signCredential(secret, '2b080b3af6'), c, 'the same id and secret give the same credential')
  t.equal(idOfCredential(c), '2b080b3af6', 'the router reads its id out of it')
  t.equal(verifyCredential(secret, c), '2b080b3af6', 'the relay accepts it')
  t.equal(verifyCredential(other, c), undefined, 'a relay with another secret does not')
  const forged = `2b080b3af7${c.slice(10)}`
  t.equal(idOfCredential(forged), '2b080b3af7', 'a signature moved to another id still parses')
  t.equal(verifyCredential(secret, forged), undefined, 'but is refused')
  const flipped = c.slice(0, -1) + (c.endsWith('A') ? 'B' : 'A')
  t.equal(verifyCredential(secret, flipped), undefined, 'a changed signature is refused')
  for (const bad of ['', '2b080b3af6', `${c}x`, ` ${c}`, c.replace('.', ':'), c.toUpperCase()]) {
    t.equal(verifyCredential(secret, bad), undefined, `malformed: ${JSON.stringify(bad.slice(0, 20))}`)
    t.equal(idOfCredential(bad), undefined)
  }
  t.throws(() => signCredential(secret, 'not-an-id'), /not an endpoint id: "not-an-id"/)
})

t.test('the relay secret: hex, or raw bytes, at least 32 bytes', async (t) => {
  const hex = 'ab'.repeat(32)
  t.same(parseSecret(Buffer.from(`${hex}\n`)), Buffer.from(hex, 'hex'), 'hex, with a newline, as openssl rand -hex 32 writes it')
  const raw = Buffer.from('x'.repeat(40))
  t.same(parseSecret(raw), raw, 'raw bytes otherwise')
  t.throws(() => parseSecret(Buffer.from('ab'.repeat(31))), new Error(`the relay secret has 31 bytes; it needs at least ${MIN_SECRET_BYTES} (e.g. openssl rand -hex 32)`))
  t.throws(() => parseSecret(Buffer.from('  \n')), /has 0 bytes/)
})
