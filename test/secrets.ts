import t from 'tap'
import { join } from 'node:path'
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { loadConfig } from '../src/config/config'
import { verifyPassword, PASSWORD_ALPHABET, PASSWORD_LENGTH } from '../src/config/password'
import { runSecrets } from '../src/secrets'

const shipped = readFileSync(join(__dirname, '..', 'openwrt', 'files', 'hotspotd.config'), 'utf8')

const collect = (isTTY: boolean): { out: string[]; io: { write: (s: string) => void; isTTY: boolean } } => {
  const out: string[] = []
  return { out, io: { write: (s) => { out.push(s) }, isTTY } }
}

t.test('a fresh install: the shipped config gets a key and a password, shown on a terminal', async (t) => {
  const file = join(t.testdir({ hotspotd: shipped }), 'hotspotd')
  chmodSync(file, 0o600)
  const { out, io } = collect(true)
  t.same(await runSecrets(file, io), { key: true, password: true })
  const { config } = loadConfig(file)
  t.match(config.api.key, /^[0-9a-f]{32}$/, 'a 128-bit key')
  t.equal(out[0], `hotspotd: generated the API key ${config.api.key} (api.key; show it again with: uci get hotspotd.api.key)\n`)
  const m = /^hotspotd: generated the password (\S+) for user admin; it is not shown again \(change it with: hotspotd passwd\)\n$/.exec(out[1] as string)
  t.ok(m, 'the password line')
  const password = (m as RegExpExecArray)[1] as string
  t.equal(password.length, PASSWORD_LENGTH)
  t.ok([...password].every((c) => PASSWORD_ALPHABET.includes(c)), 'from the look-alike-free alphabet')
  t.ok(await verifyPassword(password, config.adminPasswordHash), 'the saved hash is of the shown password')
  t.notMatch(readFileSync(file, 'utf8'), password, 'only the hash is stored')
  t.equal(statSync(file).mode & 0o777, 0o600, 'the file keeps its mode')
  t.match(readFileSync(file, 'utf8'), "config portal 'portal'", 'the rest of the file is kept')
})

t.test('without a terminal the secrets are not printed', async (t) => {
  const file = join(t.testdir({ hotspotd: shipped }), 'hotspotd')
  const { out, io } = collect(false)
  await runSecrets(file, io)
  const { config } = loadConfig(file)
  t.same(out, [
    'hotspotd: generated an API key (show it with: uci get hotspotd.api.key)\n',
    'hotspotd: generated a password for user admin; set your own with: hotspotd passwd\n',
  ])
  t.notMatch(out.join(''), config.api.key)
})

t.test('existing secrets are never replaced', async (t) => {
  const hash = '$scrypt$ln=14,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$' + 'A'.repeat(43)
  const text = `config api 'api'\n\toption key 'aaaabbbbccccddddeeeeffff00001111'\n\nconfig admin 'admin'\n\toption password_hash '${hash}'\n`
  const file = join(t.testdir({ hotspotd: text }), 'hotspotd')
  const { out, io } = collect(true)
  t.same(await runSecrets(file, io), { key: false, password: false })
  t.equal(readFileSync(file, 'utf8'), text, 'the file is untouched')
  t.same(out, ['hotspotd: the API key and the admin password are already set; nothing changed\n'])

  writeFileSync(file, `config api 'api'\n\toption key 'aaaabbbbccccddddeeeeffff00001111'\n`)
  t.same(await runSecrets(file, collect(false).io), { key: false, password: true }, 'only the missing one is made')
  t.equal(loadConfig(file).config.api.key, 'aaaabbbbccccddddeeeeffff00001111')
})

t.test('a config that cannot be read is an error, and nothing is written', async (t) => {
  const dir = t.testdir({ bad: "config api 'api'\n\toption port 'eighty'\n" })
  await t.rejects(runSecrets(join(dir, 'missing'), collect(false).io), { message: /cannot read config .*missing: ENOENT/ })
  await t.rejects(runSecrets(join(dir, 'bad'), collect(false).io), { message: /port/ })
  t.equal(readFileSync(join(dir, 'bad'), 'utf8'), "config api 'api'\n\toption port 'eighty'\n")
})
