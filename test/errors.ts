import t from 'tap'
import { readFileSync } from 'node:fs'
import { ApiError, errorCode, invalidParam, MESSAGES, stackOf, unknownParam } from '../src/errors'

// The seed's section 4, "API Messages", verbatim.
const SEED_MESSAGES = [
  'API is not enabled', 'API Key is incorrect', 'API Key not set or method not allowed',
  'Username already exists', 'User added successfully', "Username doesn't exist", 'No username set',
  'User removed successfully', 'An error occurred',
]

t.test('the catalog starts with the seed\'s nine messages, spelled exactly', async (t) => {
  t.same(Object.values(MESSAGES).slice(0, 9), SEED_MESSAGES)
  const seed = readFileSync('test/fixtures/seeds/000_6849fed9a2e3a031.txt', 'utf8')
  // The seed separates message and meaning with a no-break space, which \s matches.
  for (const m of SEED_MESSAGES) t.match(seed, new RegExp(`\\n${m}\\s+- `), `"${m}" is in the seed's list`)
})

t.test('every message is written once', async (t) => {
  t.equal(new Set(Object.values(MESSAGES)).size, Object.keys(MESSAGES).length)
})

t.test('every message is documented in the README, and the README documents no other', async (t) => {
  const readme = readFileSync('README.md', 'utf8')
  const section = readme.slice(readme.indexOf('### Messages'), readme.indexOf('\n## ', readme.indexOf('### Messages')))
  const documented = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1])
  t.same(documented, Object.values(MESSAGES), 'the README\'s message table matches the catalog, in order')
})

t.test('ApiError carries kind and message', async (t) => {
  const cause = new Error('low level')
  const e = new ApiError('conflict', MESSAGES.USERNAME_EXISTS, { cause })
  t.match(e, { name: 'ApiError', kind: 'conflict', message: 'Username already exists', cause })
  t.ok(e instanceof Error)
})

t.test('parameter errors name the parameter', async (t) => {
  t.match(invalidParam('valid_for', 'must be one of ...'), { kind: 'invalid', message: 'Invalid valid_for: must be one of ...' })
  t.match(unknownParam('x'), { kind: 'invalid', message: 'Unknown parameter: x' })
})

t.test('errorCode prefers a system code, then the message', async (t) => {
  t.equal(errorCode(Object.assign(new Error('no such file'), { code: 'ENOENT' })), 'ENOENT')
  t.equal(errorCode(new Error('plain')), 'plain')
  t.equal(errorCode('text'), 'text')
  t.equal(errorCode(null), 'null')
  t.equal(errorCode({ code: 5, message: 'numeric code' }), 'numeric code')
})

t.test('stackOf logs a stack where there is one, else the value as text, and never throws', async (t) => {
  t.match(stackOf(new TypeError('boom')), /^TypeError: boom\n\s+at /)
  t.equal(stackOf(undefined), 'undefined')
  t.equal(stackOf(null), 'null')
  t.equal(stackOf('text'), 'text')
  t.equal(stackOf({ stack: 42 }), '[object Object]')
})
