// The built daemon as a real process on a host without ubusd: `hotspotd passwd` with a piped
// password, then the seed's session flow (../shared/seeds/004) against the built-in /ubus:
// login reply shape, a call to hotspot with the session, the null session refused, expiry.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUNDLE, bundleProblem, runBundle } from '../fixtures/bundle'
const NULL_SID = '0'.repeat(32)

t.before(() => {
  const missing = bundleProblem()
  if (missing !== null) throw new Error(missing)
})

t.test('passwd, then the seed\'s login flow on the built-in /ubus', async (t) => {
  const dir = t.testdir({})
  const cfg = join(dir, 'config')
  writeFileSync(cfg, `config hotspotd 'main'\n\toption backend 'none'\nconfig ubus 'ubus'\n\toption socket '${join(dir, 'no-ubusd.sock')}'\n`)
  const passwd = spawnSync(process.execPath, [BUNDLE, 'passwd', '--config', cfg], { input: 'printed-on-the-side\n', encoding: 'utf8' })
  t.equal(passwd.status, 0, passwd.stderr)
  t.match(readFileSync(cfg, 'utf8'), /option password_hash '\$scrypt\$ln=14,r=8,p=1\$/)

  const { started } = await runBundle(t, ['--config', cfg, '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  t.match(started, /built-in \/ubus on/, 'no ubusd socket: the built-in /ubus serves')
  const url = `http://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(started)?.[1] as string}/ubus`
  const call = async (id: number, params: unknown[]): Promise<Record<string, unknown>> =>
    await (await fetch(url, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id, method: 'call', params }) })).json() as Record<string, unknown>

  const login = await call(1, [NULL_SID, 'session', 'login', { username: 'admin', password: 'printed-on-the-side', timeout: 1 }])
  const sid = ((login.result as unknown[])[1] as { ubus_rpc_session: string }).ubus_rpc_session
  t.match(login, {
    jsonrpc: '2.0', id: 1,
    result: [0, { ubus_rpc_session: /^[0-9a-f]{32}$/, timeout: 1, expires: 1, acls: { 'access-group': {}, ubus: { hotspot: Array } }, data: { username: 'admin' } }],
  }, 'the seed\'s login reply')
  t.same(await call(2, [sid, 'hotspot', 'get_voucher_users', {}]), { jsonrpc: '2.0', id: 2, result: [0, { users: [] }] }, 'a call with the session')
  t.same(await call(3, [NULL_SID, 'hotspot', 'get_voucher_users', {}]), { jsonrpc: '2.0', id: 3, error: { code: -32002, message: 'Access denied' } }, 'the null session is refused')
  t.same(await call(4, [NULL_SID, 'session', 'login', { username: 'admin', password: 'wrong-password' }]), { jsonrpc: '2.0', id: 4, result: [6] })
  await new Promise((resolve) => setTimeout(resolve, 2500)) // rpcd expires on a timer too: wait past the 1 s timeout
  t.same(await call(5, [sid, 'hotspot', 'get_voucher_users', {}]), { jsonrpc: '2.0', id: 5, error: { code: -32002, message: 'Access denied' } }, 'expired')
})
