// Reliability, security: what the built daemon exposes and what it lets out. Quick forms run in
// `make test`; HOTSPOTD_SOAK=1 (`make soak`) repeats the session of wrong keys and reloads.
//
// - Listening: the daemon's own sockets, as the kernel lists them (/proc/<pid>/net/tcp{,6}, udp
//   too, matched by inode to its descriptors), in a network namespace the test builds: the API
//   on the configured interfaces' addresses only (never 0.0.0.0, ::, the WAN, loopback or
//   link-local), the portal on the guest interface's IPv4 only; an interface with no address
//   (only a link-local one) gives no socket at all, and a reload moves the sockets. What the
//   daemon believes it listens on is test/main.ts "listens on the configured interfaces, and
//   warns about those with no address" and "with no address yet, it runs and says so"; address
//   selection is test/http/listen-addresses.ts.
// - Wrong keys: the lockout itself (10 wrong keys -> 429 with Retry-After, counting down, right
//   key refused too, one warn line) is covered with a real client against the real door by
//   test/http/api.ts "an address that keeps sending wrong keys is locked out with 429". Here only
//   what that cannot show: the running daemon's door does it, per client address (another
//   127.x address is not locked out with the one sending wrong keys), and a reload does not lift it.
// - Secrets in the output: a session against the bundle at log level debug (API calls with the
//   key in bodies and query strings, wrong keys, /ubus logins with a wrong and the right admin
//   password, a key rotation, a SIGHUP, portal sign-ins with a wrong and the right passcode, a
//   malformed body and a stray path carrying the key): no key, password or passcode, right or
//   wrong, in any line it printed. (test/integration/daemon.ts checks the key only, after a short
//   session at the default level.)
// - /ubus session expiry against the bundle (login with timeout 1, then -32002 "Access denied"
//   as rpcd answers) is test/integration/ubus.ts "passwd, then the seed's login flow on the
//   built-in /ubus"; the expiry rules are test/ubus/sessions.ts, the real stack's answers
//   test/ubus/jsonrpc.ts "replays the uhttpd + rpcd transcript". Not repeated here.
// - The ACL: the built-in /ubus has one user, admin, with both groups, so a read-only session
//   cannot exist in the bundle; on OpenWrt, rpcd enforces the shipped acl.d file. Here the
//   shipped file is loaded into the daemon's own rpcd-style sessions behind its JSON-RPC door
//   (over HTTP): a login with only hotspotd-read may read and may not create, remove or touch the
//   key. test/ubus/acl.ts checks the file's groups, test/ubus/sessions.ts the matching rules.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { BUNDLE, bundleProblem, runBundle, until, waitForLine } from '../fixtures/bundle'
import { freePort } from '../fixtures/ports'
import { testContext } from '../fixtures/context'
import {
  apiBase, apiCall, http, listeningSockets, liveNdsctl, netns, netnsProblem, NULL_SID, SOAK, stop, ubusCall, uci,
} from '../fixtures/reliability'
import { actions } from '../../src/actions/index'
import { hashPassword } from '../../src/config/password'
import { Throttle } from '../../src/http/throttle'
import type { AclFile } from '../../src/ubus/acl'
import { hotspotObject } from '../../src/ubus/bridge'
import { handleJsonRpc, type JsonRpcDoor } from '../../src/ubus/jsonrpc'
import { Sessions, type LoginUser } from '../../src/ubus/sessions'

t.setTimeout(SOAK ? 1_800_000 : 120_000)

t.before(() => {
  const missing = bundleProblem()
  if (missing !== null) throw new Error(missing)
})

const DENIED = { code: -32002, message: 'Access denied' }

t.test('the daemon listens on the configured interfaces\' addresses and nowhere else', { skip: netnsProblem() ?? false }, async (t) => {
  const ns = netns(t, 'listen')
  ns.ip('link', 'set', 'lo', 'up')
  /** An interface (one end of a veth pair, both ends up, so IPv6 gives it a link-local address too). */
  const link = (name: string, v4?: string, v6?: string): void => {
    ns.ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`)
    if (v4 !== undefined) ns.ip('addr', 'add', v4, 'dev', name)
    if (v6 !== undefined) ns.ip('-6', 'addr', 'add', v6, 'dev', name, 'nodad')
    ns.ip('link', 'set', `${name}p`, 'up')
    ns.ip('link', 'set', name, 'up')
  }
  link('lan0', '10.77.200.1/24', 'fd00:77::1/64')
  link('mgmt0') // no address but a link-local one
  link('guest0', '192.168.77.1/24', 'fd00:78::1/64')
  link('wan0', '203.0.113.7/24', '2001:db8::7/64')

  const dir = t.testdir({})
  const nds = liveNdsctl(dir)
  const cfg = join(dir, 'config')
  const config = (o: { api: string[]; backend: string }): string => uci({
    main: ['hotspotd', { backend: o.backend }],
    api: ['api', { enabled: 1, key: 'listen-key-0123456789abcdef01234', port: 8080, interface: o.api }],
    ubus: ['ubus', { socket: join(dir, 'no-ubusd.sock'), jsonrpc: 'auto' }], // the built-in /ubus serves, on the API's sockets
    opennds: ['opennds', { ndsctl: nds.path }],
    portal: ['portal', { guest_interface: ['guest0'], port: 2080 }],
  })
  writeFileSync(cfg, config({ api: ['lan0', 'mgmt0'], backend: 'opennds' }))
  const d = await runBundle(t, ['--config', cfg, '--state-dir', join(dir, 'state')], ns.exec([]))
  t.match(readFileSync(`/proc/${d.child.pid as number}/cmdline`, 'utf8'), BUNDLE, 'the pid is the daemon\'s own (ip netns exec does not fork)')
  t.match(d.started, /API enabled .* on 10\.77\.200\.1:8080, \[fd00:77::1\]:8080; backend opennds; built-in \/ubus on; portal on 192\.168\.77\.1:2080$/)
  t.ok(d.lines.includes('warn: api: interface mgmt0 has no address'), 'the interface without an address is named')
  t.same(listeningSockets(d.child.pid as number), ['tcp 10.77.200.1:8080', 'tcp 192.168.77.1:2080', 'tcp6 [fd00:77::1]:8080'],
    'the kernel lists exactly the LAN addresses on 8080 and the guest IPv4 on 2080: no wildcard, WAN, loopback or link-local socket')

  // From inside the namespace: the LAN address answers, the others refuse the connection.
  const probe = (url: string): string => spawnSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e',
    `fetch(${JSON.stringify(url)}).then((r) => console.log(r.status), (e) => console.log(e.cause?.code ?? e.message))`], { encoding: 'utf8' }).stdout.trim()
  t.equal(probe('http://10.77.200.1:8080/api/'), '405', 'the API answers on the LAN address (405: GET is off by default)')
  for (const other of ['http://203.0.113.7:8080/api/', 'http://127.0.0.1:8080/api/', 'http://192.168.77.1:8080/api/', 'http://[2001:db8::7]:8080/api/', 'http://10.77.200.1:2080/portal/']) {
    t.equal(probe(other), 'ECONNREFUSED', `nothing at ${other}`)
  }

  // A reload onto the interface without an address: the API's sockets close, the portal's stay.
  writeFileSync(cfg, config({ api: ['mgmt0'], backend: 'opennds' }))
  d.child.kill('SIGHUP')
  await waitForLine(d, /^info: reloaded .* on no address; backend opennds/)
  t.same(listeningSockets(d.child.pid as number), ['tcp 192.168.77.1:2080'], 'API interface without an address: no API socket at all, no wildcard')
  // And without the portal: nothing listens, though the daemon runs on.
  writeFileSync(cfg, config({ api: ['mgmt0'], backend: 'none' }))
  d.child.kill('SIGHUP')
  await until(() => d.lines.filter((l) => l.startsWith('info: reloaded ')).length === 2, 10_000, () => d.lines.join('\n'))
  t.same(listeningSockets(d.child.pid as number), [], 'no socket of any kind')
  t.equal(d.child.exitCode, null, 'still running')
  t.equal(await stop(d), 0)

  // Started that way, too.
  const quiet = await runBundle(t, ['--config', cfg, '--state-dir', join(dir, 'state')], ns.exec([]))
  t.match(quiet.started, /on no address; backend none; built-in \/ubus on$/)
  t.same(listeningSockets(quiet.child.pid as number), [], 'started with no address: no socket of any kind')
  t.equal(await stop(quiet), 0)
})

t.test('no key, password or passcode in the output; the lockout is per address and outlives a reload', async (t) => {
  const KEY = 'Sec-key-4f1d9a7be2c35d60a8f1e3b7'
  const ADMIN_PW = 'Adm-pw-9c2e7f4a1b'
  const PASSCODE = 'Pc-3e8b1d6f0a'
  const WRONG_PASSCODE = 'Pc-wrong-77c4e1'
  // Wrong keys, one a near miss of the right one (a typo must not be logged either).
  const wrongKeys = [`${KEY.slice(0, -1)}8`, ...Array.from({ length: 11 }, (_, i) => `Wk-${i}-a9f3e6c2d1b0`)]
  const dir = t.testdir({})
  const nds = liveNdsctl(dir, { mac: '02:77:00:00:0c:0c', ip: '127.0.0.1', token: 'c0000001', custom: '' })
  const cfg = join(dir, 'config')
  const portalPort = await freePort()
  const config = (validFor: string, key: string): string => uci({
    main: ['hotspotd', { backend: 'opennds', log_level: 'debug', default_valid_for: validFor }],
    api: ['api', { enabled: 1, post: 1, get: 1, key }],
    ubus: ['ubus', { socket: join(dir, 'no-ubusd.sock'), jsonrpc: '1' }],
    opennds: ['opennds', { ndsctl: nds.path, poll_interval: 1, binauth_spool: join(dir, 'spool') }],
    portal: ['portal', { guest_interface: ['lo'], port: portalPort }],
  })
  writeFileSync(cfg, config('1 day', KEY))
  const passwd = spawnSync(process.execPath, [BUNDLE, 'passwd', '--config', cfg], { input: `${ADMIN_PW}\n`, encoding: 'utf8' })
  t.equal(passwd.status, 0, passwd.stderr)
  // The file now holds the hash: keep it through the rewrites below, with the key of the moment.
  const hashLine = /\n\toption password_hash '[^']+'\n/.exec(readFileSync(cfg, 'utf8'))?.[0] as string
  const write = (validFor: string, key: string): void => { writeFileSync(cfg, `${config(validFor, key)}\nconfig admin 'admin'${hashLine}`) }
  write('1 day', KEY)

  const d = await runBundle(t, ['--config', cfg, '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  const base = apiBase(d)
  const portal = `http://127.0.0.1:${portalPort}/portal/`
  let key = KEY
  const rounds = SOAK ? 200 : 1
  const secrets = new Set([KEY, ADMIN_PW, PASSCODE, WRONG_PASSCODE, ...wrongKeys])
  for (let round = 1; round <= rounds; round++) {
    const user = `sec${round}`
    // Client addresses of this round (a lockout lasts 10 minutes): the one that sends wrong keys, another, and ours.
    const [attacker, other, me] = [1, 2, 3].map((n) => `127.0.${round - 1}.${n}`) as [string, string, string]
    t.equal((await apiCall(base, key, { action: 'create_voucher', username: user, passcode: PASSCODE }, me)).status, 200, 'create, key in the body')
    t.equal((await http(`${base}/api/?api-key=${key}&action=get_voucher_users`, { localAddress: me })).status, 200, 'list, key in the query string')
    t.equal((await http(`${base}/api/`, { body: `{"api-key":"${key}","action":`, headers: { 'Content-Type': 'application/json' }, localAddress: me })).status, 400, 'a malformed body with the key')
    t.equal((await http(`${base}/nowhere?api-key=${key}&passcode=${PASSCODE}`, { localAddress: me })).status, 404, 'a stray path with the key')

    // /ubus: a wrong password, the right one, a rotation of the key (written to the file, reloaded).
    t.same(await ubusCall(base, NULL_SID, 'session', 'login', { username: 'admin', password: `${ADMIN_PW}x` }, me), [6])
    const login = await ubusCall(base, NULL_SID, 'session', 'login', { username: 'admin', password: ADMIN_PW }, me) as [number, { ubus_rpc_session: string }]
    t.equal(login[0], 0, 'admin signs in')
    const rotated = await ubusCall(base, login[1].ubus_rpc_session, 'hotspot', 'rotate_api_key', {}, me) as [number, { key: string }]
    t.match(rotated, [0, { key: /^[0-9a-f]{32}$/ }], 'the key is rotated')
    key = rotated[1].key
    secrets.add(key)
    t.same(await ubusCall(base, login[1].ubus_rpc_session, 'hotspot', 'show_api_key', {}, me), [0, { key }])

    // Portal: a wrong passcode, then the right one. (The guest's address is always 127.0.0.1, and
    // wrong codes from it add up to the portal's own lockout: a few rounds only.)
    const sidOf = async (): Promise<string> => /name="sid" value="([0-9a-f]{32})"/.exec(await (await fetch(portal)).text())?.[1] as string
    if (round <= 3) {
      const wrong = await (await fetch(`${portal}login`, { method: 'POST', body: new URLSearchParams({ sid: await sidOf(), method: 'voucher', username: user, passcode: WRONG_PASSCODE }) })).text()
      t.match(wrong, 'role="alert"', 'a wrong passcode is refused')
    }
    await fetch(`${portal}login`, { method: 'POST', body: new URLSearchParams({ sid: await sidOf(), method: 'voucher', username: user, passcode: PASSCODE }) })
    t.match(nds.calls().filter((c) => c.startsWith('auth ')).pop(), new RegExp(`^auth 127\\.0\\.0\\.1 \\d+ .*hs-v${round}$`), 'the right one lets the guest in')

    // Ten wrong keys from one address lock it out; another address is another client.
    for (const [i, wrongKey] of wrongKeys.slice(0, 10).entries()) {
      const a = await apiCall(base, wrongKey, { action: 'get_logins' }, attacker)
      t.equal(a.status, 403, `wrong key ${i + 1}: 403`)
    }
    const locked = await apiCall(base, key, { action: 'get_logins' }, attacker)
    t.equal(locked.status, 429, 'then even the right key is 429 from that address')
    t.same(locked.json, { message: 'Too many failed attempts, try again later', error: true })
    t.ok(Number(locked.headers['retry-after']) > 590 && Number(locked.headers['retry-after']) <= 600, `with Retry-After (${String(locked.headers['retry-after'])} s)`)
    t.equal((await apiCall(base, key, { action: 'get_logins' }, other)).status, 200, 'another address is not locked out')
    t.equal((await apiCall(base, wrongKeys[10] as string, { action: 'get_logins' }, other)).status, 403, 'and a wrong key from it is just wrong')

    // A reload (a changed file: SIGHUP) keeps the lockout.
    write(round % 2 === 1 ? '2 days' : '1 day', key)
    const reloads = d.lines.filter((l) => l.startsWith('info: reloaded ')).length
    d.child.kill('SIGHUP')
    await until(() => d.lines.filter((l) => l.startsWith('info: reloaded ')).length > reloads, 10_000, () => d.lines.join('\n'))
    t.equal((await apiCall(base, key, { action: 'get_logins' }, attacker)).status, 429, 'after the reload the address is still locked out')
    t.equal((await apiCall(base, key, { action: 'remove_voucher', username: user }, other)).status, 200, 'and the other one still works')
  }
  t.equal(await stop(d), 0, 'stops cleanly')
  const lockouts = d.lines.filter((l) => /^warn: api: 10 wrong API keys from 127\.0\.\d+\.1; refusing it for 600 s$/.test(l))
  t.equal(lockouts.length, rounds, 'each lockout is logged once')
  // The session did print: the lines below are what is searched for secrets.
  for (const re of [/^info: voucher sec1 created/, /^info: ubus: session login by admin from 127\.0\.0\.3$/, /^info: reloaded /, /^info: portal: voucher sec1 .* signed in/, /^debug: /]) {
    t.ok(d.lines.some((l) => re.test(l)), `the output has ${String(re)}`)
  }
  const leaks = d.lines.flatMap((l) => [...secrets].filter((s) => l.includes(s)).map((s) => `${s} in: ${l}`))
  t.same(leaks, [], `none of ${secrets.size} secrets in any of ${d.lines.length} output lines`)
})

t.test('the shipped rpcd ACL: a read-only login reads, and may not create, remove or touch the key', async (t) => {
  const acl = JSON.parse(readFileSync('openwrt/files/usr/share/rpcd/acl.d/hotspotd.json', 'utf8')) as AclFile
  const { ctx } = testContext(t)
  const users = new Map<string, LoginUser>([
    // As /etc/config/rpcd gives them: list read / list write of group names.
    ['frontdesk', { hash: await hashPassword('frontdesk-pw'), read: ['hotspotd-read'], write: [] }],
    ['manager', { hash: await hashPassword('manager-pw'), read: ['hotspotd-read'], write: ['hotspotd-write'] }],
  ])
  const sessions = new Sessions({ acl, users: () => users, now: () => Date.now(), throttle: new Throttle(), log: ctx.log })
  const door: JsonRpcDoor = { objects: () => [sessions.object, hotspotObject(actions, ctx)], sessions, log: ctx.log }
  const server = createServer((req, res) => { void handleJsonRpc(door, req, res, new URL(req.url as string, 'http://hotspotd')) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() }))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const sid = async (username: string, password: string): Promise<string> =>
    ((await ubusCall(base, NULL_SID, 'session', 'login', { username, password })) as [number, { ubus_rpc_session: string }])[1].ubus_rpc_session

  const manager = await sid('manager', 'manager-pw')
  t.match(await ubusCall(base, manager, 'hotspot', 'create_voucher', { username: 'made-by-manager' }), [0, { message: 'User added successfully' }], 'read and write: may create')
  const front = await sid('frontdesk', 'frontdesk-pw')
  t.match(await ubusCall(base, front, 'hotspot', 'get_voucher_users'), [0, { users: [{ username: 'made-by-manager' }] }], 'read only: may read the list')
  t.match(await ubusCall(base, front, 'hotspot', 'get_status'), [0, { data: {} }], 'and the status')
  for (const [method, args] of [['create_voucher', { username: 'by-frontdesk' }], ['remove_voucher', { username: 'made-by-manager' }], ['rotate_api_key', {}], ['show_api_key', {}], ['set_api_settings', { enabled: false }]] as const) {
    t.same(await ubusCall(base, front, 'hotspot', method, args), DENIED, `read only: ${method} is "Access denied"`)
    t.same(await ubusCall(base, NULL_SID, 'hotspot', method, args), DENIED, `the null session: ${method} is "Access denied"`)
  }
  t.same([...ctx.store.vouchers.list()].map((v) => v.username), ['made-by-manager'], 'nothing was created or removed by the denied calls')
  t.equal(ctx.admin.api().key, 'k'.repeat(32), 'and the key was neither shown nor replaced')
})
