import t from 'tap'
import {
  ALPHABET, credentialProblem, PASSCODE_LENGTH, randomCode, randomFullname, USERNAME_LENGTH,
} from '../../src/domain/credentials'

t.test('the alphabet has no look-alike characters', async (t) => {
  for (const c of '0o1liI') t.notOk(ALPHABET.includes(c), `no ${c}`)
  t.equal(new Set(ALPHABET).size, ALPHABET.length, 'no repeats')
  t.equal(ALPHABET.length, 31)
})

t.test('a generated passcode carries at least 40 bits', async (t) => {
  t.ok(PASSCODE_LENGTH * Math.log2(ALPHABET.length) >= 40, `${PASSCODE_LENGTH} chars of ${ALPHABET.length}`)
  t.ok(USERNAME_LENGTH >= 8)
})

t.test('codes are drawn from the alphabet, every character reachable', async (t) => {
  const seen = new Set<string>()
  for (let i = 0; i < 200; i++) {
    const code = randomCode(PASSCODE_LENGTH)
    t.match(code, new RegExp(`^[${ALPHABET}]{${PASSCODE_LENGTH}}$`), 'only alphabet characters')
    for (const c of code) seen.add(c)
  }
  t.equal(seen.size, ALPHABET.length, 'all 31 characters appear over 2,000 draws')
})

t.test('an injected source decides the characters', async (t) => {
  t.equal(randomCode(4, () => 0), '2222')
  t.equal(randomCode(3, (max) => max - 1), 'zzz')
  t.equal(randomFullname(() => 0), 'Amber Badger')
  t.equal(randomFullname((max) => max - 1), 'Witty Zebra')
})

t.test('generated names are two capitalised words', async (t) => {
  for (let i = 0; i < 20; i++) t.match(randomFullname(), /^[A-Z][a-z]+ [A-Z][a-z]+$/)
})

const problems: Array<[string, string, string | null]> = [
  ['plain', 'user123', null],
  ['accents', 'Jöhn Dœ', null],
  ['a space', 'a b', null],
  ['a tab', 'tab\there', 'must not contain control characters'],
  ['NUL', 'nul\u0000', 'must not contain control characters'],
  ['a newline', 'line\nbreak', 'must not contain control characters'],
  ['DEL', 'del\u007f', 'must not contain control characters'],
  ['a C1 control', 'c1\u0085', 'must not contain control characters'],
  ['a line separator', 'sep\u2028', 'must not contain control characters'],
]
for (const [name, value, want] of problems) t.equal(credentialProblem(value), want, name)
