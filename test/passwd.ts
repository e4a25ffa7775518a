import t from 'tap'
import { PassThrough } from 'node:stream'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { loadConfig } from '../src/config/config'
import { verifyPassword } from '../src/config/password'
import { passwordProblem, readFirstLine, readHidden, runPasswd, type PasswdInput } from '../src/passwd'

/** A terminal: feeds `keys` one chunk at a time once reading starts, and records raw mode. */
const terminal = (chunks: string[]): PasswdInput & { modes: boolean[] } => {
  const s = new PassThrough() as unknown as PasswdInput & { modes: boolean[] }
  s.isTTY = true
  s.modes = []
  s.setRawMode = (raw: boolean) => {
    s.modes.push(raw)
    if (raw) setImmediate(() => { const c = chunks.shift(); if (c !== undefined) (s as unknown as PassThrough).write(c) })
    return s
  }
  return s
}

const piped = (text: string): PasswdInput => {
  const s = new PassThrough()
  s.end(text)
  return s
}

t.test('a password piped in: the first line is hashed and saved', async (t) => {
  const dir = t.testdir({ hotspotd: "config api 'api'\n\toption key 'k'\n" })
  const file = join(dir, 'hotspotd')
  const out: string[] = []
  await runPasswd(file, { stdin: piped('correct horse\r\nsecond line\n'), write: (s) => { out.push(s) } })
  const { config } = loadConfig(file)
  t.ok(await verifyPassword('correct horse', config.adminPasswordHash))
  t.equal(config.api.key, 'k', 'the rest of the file kept')
  t.notMatch(readFileSync(file, 'utf8'), 'correct horse', 'only the hash is stored')
  t.same(out, [`Password for admin saved in ${file}; it applies at the next sign-in.\n`])
})

t.test('on a terminal it asks twice, without echo; backspace works, other control keys are ignored', async (t) => {
  const dir = t.testdir({ hotspotd: '' })
  const file = join(dir, 'hotspotd')
  const out: string[] = []
  const tty = terminal(['secreT\u007ft\u001b99\r', 'secret99\n'])
  await runPasswd(file, { stdin: tty, write: (s) => { out.push(s) } })
  t.ok(await verifyPassword('secret99', loadConfig(file).config.adminPasswordHash))
  t.same(tty.modes, [true, false, true, false], 'raw mode on while typing, restored after')
  t.same(out.slice(0, 4), ['New password for admin: ', '\n', 'Retype the password: ', '\n'], 'nothing typed is echoed')
})

t.test('refusals change nothing', async (t) => {
  const dir = t.testdir({ hotspotd: '' })
  const file = join(dir, 'hotspotd')
  const io = (stdin: PasswdInput) => ({ stdin, write: () => {} })
  await t.rejects(runPasswd(file, io(terminal(['password1\r', 'password2\r']))), { code: 'PASSWD', message: 'the passwords do not match; nothing changed' })
  await t.rejects(runPasswd(file, io(piped('short\n'))), { code: 'PASSWD', message: 'password too short: at least 8 characters; nothing changed' })
  await t.rejects(runPasswd(file, io(terminal(['\u0003']))), { code: 'PASSWD', message: 'cancelled' })
  await t.rejects(runPasswd(file, io(terminal(['\u0004']))), { code: 'PASSWD', message: 'cancelled' })
  t.equal(readFileSync(file, 'utf8'), '')
})

t.test('passwordProblem and the readers on their own', async (t) => {
  t.equal(passwordProblem('12345678'), null)
  t.equal(passwordProblem('x'.repeat(1025)), 'too long: at most 1024 characters')
  t.equal(passwordProblem('ü'.repeat(8)), null, 'counts characters, not bytes')
  t.equal(await readFirstLine(piped('no newline at all')), 'no newline at all')
  t.equal(await readFirstLine(piped('')), '')
  const plain = new PassThrough() as unknown as PasswdInput // a terminal without raw mode still works
  setImmediate(() => {
    (plain as unknown as PassThrough).write('ty') // keys arrive in pieces
    setImmediate(() => { (plain as unknown as PassThrough).write('ped\n') })
  })
  t.equal(await readHidden(plain, () => {}, '> '), 'typed')
})
