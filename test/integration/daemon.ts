// The built daemon (dist/hotspotd.js, made by `make build`) as a real process: the seed's
// "API Usage Examples" in GET and POST form, a real SIGHUP, SIGTERM, and kill -9 followed by
// a restart that keeps every acknowledged voucher.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUNDLE, bundleProblem, runBundle, waitForLine, type BundleProcess } from '../fixtures/bundle'
const KEY = 'your-api-key-0123456789abcdef012'

const config = (o: { get?: string } = {}): string => `
config hotspotd 'main'
	option backend 'none'
config api 'api'
	option enabled '1'
	option post '1'
	option get '${o.get ?? '1'}'
	option key '${KEY}'
`

interface Proc extends BundleProcess { base: string }

const start = async (t: Test, dir: string): Promise<Proc> => {
  const p = await runBundle(t, ['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  const port = /started: .* on 127\.0\.0\.1:(\d+)/.exec(p.started)?.[1]
  if (port === undefined) throw new Error(`not listening on 127.0.0.1: ${p.started}`)
  return { ...p, base: `http://127.0.0.1:${port}/api/` }
}

t.before(() => {
  const missing = bundleProblem()
  if (missing !== null) throw new Error(missing)
})

t.test('the seed\'s examples, GET and POST, against the bundle', async (t) => {
  const dir = t.testdir({ config: config() })
  const d = await start(t, dir)
  const post = async (body: object) => (await fetch(d.base, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json()
  const get = async (query: string) => (await fetch(`${d.base}?${query}`)).json()

  t.same(await post({ 'api-key': KEY, action: 'create_voucher', username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', valid_from: '2025-01-17 10:00:00', download_limit: 1024, upload_limit: 512 }), {
    message: 'User added successfully',
    user: { id: 1, username: 'user123', passcode: 'pass123', fullname: 'John Doe', valid_for: '1 day', valid_from: '2025-01-17 10:00:00', download_limit: '1024', upload_limit: '512' },
    error: false,
  }, '1. create, POST')
  t.match(await get(`api-key=${KEY}&action=create_voucher&username=user1234&passcode=pass123&fullname=John%20Doe&valid_for=1%20day&valid_from=2025-01-17%2010:00:00&download_limit=1024&upload_limit=512`), {
    message: 'User added successfully', user: { id: 2, username: 'user1234', download_limit: '1024' }, error: false,
  }, '1. create, GET')
  t.same(await post({ 'api-key': KEY, action: 'remove_voucher', username: 'user123' }), { message: 'User removed successfully', error: false }, '2. remove, POST')
  t.same(await get(`api-key=${KEY}&action=remove_voucher&username=user123`), { message: "Username doesn't exist", error: true }, '2. remove, GET, again')
  const list = await get(`api-key=${KEY}&action=get_voucher_users`) as { users: Array<Record<string, unknown>> }
  t.same(Object.keys(list.users[0] as object), ['id', 'username', 'password', 'fullname', 'created_at', 'last_modified', 'first_login', 'last_login', 'valid_for', 'valid_from', 'MAC', 'download_limit', 'upload_limit'], '3. voucher list fields')
  t.same(await get(`api-key=${KEY}&action=get_email_users`), { users: [] }, '4. e-mail users')
  t.same(await get(`api-key=${KEY}&action=get_active_guests`), { data: [] }, '5. active guests (no captive portal)')
  t.same(await post({ 'api-key': 'nope', action: 'get_logins' }), { message: 'API Key is incorrect', error: true })
  t.notMatch(d.lines.join('\n'), KEY, 'the key is never logged')
})

t.test('SIGHUP applies the config; SIGTERM exits 0', async (t) => {
  const dir = t.testdir({ config: config() })
  const d = await start(t, dir)
  t.equal((await fetch(`${d.base}?api-key=${KEY}&action=get_logins`)).status, 200)
  writeFileSync(join(dir, 'config'), config({ get: '0' }))
  d.child.kill('SIGHUP')
  await waitForLine(d, /reloaded .*GET off/)
  const res = await fetch(`${d.base}?api-key=${KEY}&action=get_logins`)
  t.equal(res.status, 405)
  t.same(await res.json(), { message: 'API Key not set or method not allowed', error: true })
  d.child.kill('SIGTERM')
  t.equal(await d.exited, 0)
})

t.test('kill -9 and a restart keep every acknowledged voucher', async (t) => {
  const dir = t.testdir({ config: config() })
  const first = await start(t, dir)
  const made: string[] = []
  for (let i = 0; i < 25; i++) {
    const r = await (await fetch(first.base, { method: 'POST', body: new URLSearchParams({ 'api-key': KEY, action: 'create_voucher' }) })).json() as { user: { username: string } }
    made.push(r.user.username)
  }
  first.child.kill('SIGKILL')
  await first.exited
  const second = await start(t, dir)
  const list = await (await fetch(`${second.base}?api-key=${KEY}&action=get_voucher_users`)).json() as { users: Array<{ username: string }> }
  t.same(list.users.map((u) => u.username), made)
})

t.test('a config that cannot be read: one line and exit 1', async (t) => {
  const dir = t.testdir({})
  const child = spawn(process.execPath, [BUNDLE, '--config', join(dir, 'missing')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  t.equal(code, 1)
  t.equal(err, `hotspotd: cannot read config ${join(dir, 'missing')}: ENOENT\n`)
})
