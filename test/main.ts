import t, { type Test } from 'tap'
import { createServer, type Server } from 'node:net'
import { freePort } from './fixtures/ports'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { firstStartBanner, passwordBanner, readTextFile, runMain, type Daemon, type Proc } from '../src/main'
import { currentZone, useZone } from '../src/domain/local-time'
import { platformZone } from '../src/domain/tz'
import { loadConfig } from '../src/config/config'
import { actions } from '../src/actions/index'
import { PassThrough } from 'node:stream'
import { hashPassword } from '../src/config/password'
import { hotspotObject } from '../src/ubus/bridge'
import { tableFromJson } from '../src/ubus/blobmsg'
import { Attr, encodeMessage, MsgType, type MessageAttr } from '../src/ubus/message'
import { signatureOf } from '../src/ubus/signature'
import { UbusdReplay, type Step } from './fixtures/ubusd-replay'
import { makeTls } from './fixtures/tls'
import { createServer as createHttpsServer } from 'node:https'
import { request } from 'node:http'
import { WebSocketServer } from 'ws'
import { Mux } from '../src/cloud/mux'
import { signCredential } from '../src/cloud/credential'
import { hashOf } from './fixtures/admin'

const uci = (o: { sqlite?: string; enabled?: string; get?: string; post?: string; key?: string; port?: string; backend?: string; stateDir?: string; iface?: string; iface2?: string; socket?: string; jsonrpc?: string; hash?: string; ndsctl?: string } = {}): string => `
config hotspotd 'main'
	option state_dir '${o.stateDir ?? '/nonexistent'}'
	option sqlite '${o.sqlite ?? 'auto'}'
	option backend '${o.backend ?? 'none'}'
config api 'api'
	option enabled '${o.enabled ?? '1'}'
	option get '${o.get ?? '1'}'
	option post '${o.post ?? '1'}'
	option key '${o.key ?? 'k'.repeat(32)}'
	option port '${o.port ?? String(FREE_PORT)}'
	list interface '${o.iface ?? 'lo'}'${o.iface2 === undefined ? '' : `\n\tlist interface '${o.iface2}'`}
config ubus 'ubus'
	option socket '${o.socket ?? '/nonexistent/ubus.sock'}'
	option jsonrpc '${o.jsonrpc ?? '0'}'
config admin 'admin'
	option password_hash '${o.hash ?? ''}'
config opennds 'opennds'
	option ndsctl '${o.ndsctl ?? '/nonexistent/ndsctl'}'
`

// A port that was free a moment ago, for configs that listen by interface.
let FREE_PORT = 0

t.before(async () => {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  FREE_PORT = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
})

interface Run { daemon: Daemon | undefined; out: string[]; err: string[]; exits: number[]; signals: Map<string, () => void>; proc: Proc }

const run = async (argv: string[], over: Partial<Proc['io']> = {}, stdin?: Proc['stdin']): Promise<Run> => {
  const out: string[] = []
  const err: string[] = []
  const exits: number[] = []
  const signals = new Map<string, () => void>()
  const proc: Proc = {
    argv,
    stdin: stdin ?? process.stdin,
    stdout: (s) => { out.push(s) },
    stderr: (s) => { err.push(s) },
    onSignal: (sig, fn) => { signals.set(sig, fn) },
    exit: (code) => { exits.push(code) },
    io: {
      out: (line) => { out.push(line) },
      isTTY: false,
      interfaces: () => ({ lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] }),
      network: () => undefined,
      now: () => new Date(),
      ...over,
    },
  }
  return { daemon: await runMain(proc), out, err, exits, signals, proc }
}

const api = async (d: Daemon, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`http://${d.listening()[0] as string}/api/`, { method: 'POST', body: new URLSearchParams(params) })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

const busyPort = async (t: Test): Promise<number> => {
  const s: Server = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { s.close() })
  return (s.address() as { port: number }).port
}

t.test('--help, --version and a bad command line', async (t) => {
  const help = await run(['--help'])
  t.match(help.out.join(''), /^usage: hotspotd /)
  t.same(help.exits, [0])
  const version = await run(['--version'])
  t.match(version.out.join(''), /^hotspotd \d+\.\d+\.\d+\n$/)
  t.same(version.exits, [0])
  const bad = await run(['--nope'])
  t.match(bad.err.join(''), /^hotspotd: Unknown option '--nope'.*\nusage: /s)
  t.same(bad.exits, [2])
})

t.test('cannot start: one line naming the file, directory or address, exit 1', async (t) => {
  const dir = t.testdir({ config: uci(), afile: 'x', state: { 'hotspotd.db': {} } })
  const cfg = join(dir, 'config')
  const cases: Array<[string, string[], RegExp]> = [
    ['missing config', ['--config', join(dir, 'nope')], new RegExp(`^hotspotd: cannot read config ${join(dir, 'nope')}: ENOENT\n$`)],
    ['state dir under a file', ['--config', cfg, '--state-dir', join(dir, 'afile', 'sub')], new RegExp(`^hotspotd: state directory ${join(dir, 'afile', 'sub')} is not writable: ENOTDIR\n$`)],
    ['database that cannot open', ['--config', cfg, '--state-dir', join(dir, 'state')], new RegExp(`^hotspotd: cannot open the database in ${join(dir, 'state')}: .+\n$`)],
  ]
  for (const [name, argv, message] of cases) {
    const r = await run(argv)
    t.match(r.err.join(''), message, name)
    t.same(r.exits, [1], `${name}: exit 1`)
    t.equal(r.daemon, undefined)
  }
  const port = await busyPort(t)
  const r = await run(['--config', cfg, '--state-dir', join(dir, 's2'), '--listen', `127.0.0.1:${port}`])
  t.equal(r.err.join(''), `hotspotd: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`, 'port in use')
  t.same(r.exits, [1])
})

t.test('starts, serves, stops on SIGTERM, and a restart keeps every voucher', async (t) => {
  const dir = t.testdir({ config: uci() })
  const argv = ['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0']
  const first = await run(argv)
  const d = first.daemon as Daemon
  t.match(first.out.join('\n'), /info: hotspotd \d+\.\d+\.\d+ started: API enabled \(POST on, GET on\) on 127\.0\.0\.1:\d+; backend none/)
  await d.reload()
  t.notOk(first.out.some((l) => l.includes('state_dir')), 'an unchanged state_dir is not mentioned')
  for (const username of ['a1', 'b2', 'c3']) {
    t.equal((await api(d, { 'api-key': 'k'.repeat(32), action: 'create_voucher', username })).status, 200)
  }
  first.signals.get('SIGTERM')?.()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(first.exits, [0], 'exit 0 after SIGTERM')
  t.ok(first.out.includes('info: hotspotd stopped'))
  const second = await run(argv)
  const users = (await api(second.daemon as Daemon, { 'api-key': 'k'.repeat(32), action: 'get_voucher_users' })).body.users as Array<{ username: string }>
  t.same(users.map((u) => u.username), ['a1', 'b2', 'c3'])
  second.signals.get('SIGINT')?.()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(second.exits, [0], 'SIGINT stops too')
})

t.test('an empty key is generated, saved, and shown once only to a person', async (t) => {
  const dir = t.testdir({ quiet: uci({ key: '' }), tty: uci({ key: '' }) })
  const quiet = await run(['--config', join(dir, 'quiet'), '--state-dir', join(dir, 'q'), '--listen', '127.0.0.1:0'])
  const key = loadConfig(join(dir, 'quiet')).config.api.key
  t.match(key, /^[0-9a-f]{32}$/, 'saved in the config')
  t.ok(quiet.out.includes(`info: api: generated a new API key and saved it in ${join(dir, 'quiet')} (api.key)`))
  t.notMatch(quiet.out.join('\n'), key, 'not in the log when nobody is watching')
  t.equal((await api(quiet.daemon as Daemon, { 'api-key': key, action: 'get_logins' })).status, 200, 'the new key works')
  await quiet.daemon?.close()

  const tty = await run(['--config', join(dir, 'tty'), '--state-dir', join(dir, 't'), '--listen', '127.0.0.1:0'], { isTTY: true })
  const ttyKey = loadConfig(join(dir, 'tty')).config.api.key
  const endpoint = `http://${(tty.daemon as Daemon).listening()[0] as string}/api/`
  t.ok(tty.out.includes(firstStartBanner(endpoint, ttyKey)), 'the banner for a person at the terminal')
  await tty.daemon?.close()
  const again = await run(['--config', join(dir, 'tty'), '--state-dir', join(dir, 't'), '--listen', '127.0.0.1:0'], { isTTY: true })
  t.notMatch(again.out.join('\n'), ttyKey, 'shown once: not on the next start')
  await again.daemon?.close()
})

t.test('the banner holds the endpoint, the key and a curl line that works', async (t) => {
  const b = firstStartBanner('http://127.0.0.1:8080/api/', 'abc')
  t.match(b, 'API endpoint: http://127.0.0.1:8080/api/')
  t.match(b, 'API key:      abc')
  t.match(b, `curl -s -H 'Content-Type: application/json' -d '{"api-key":"abc","action":"get_voucher_users"}' http://127.0.0.1:8080/api/`)
})

t.test('listens on the configured interfaces, and warns about those with no address', async (t) => {
  const dir = t.testdir({ config: uci({ iface: 'lo', iface2: 'guestless', backend: 'opennds' }) })
  const r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's')])
  const d = r.daemon as Daemon
  t.match(d.listening(), [/^127\.0\.0\.1:\d+$/])
  t.ok(r.out.includes('warn: api: interface guestless has no address'))
  t.ok(r.out.includes('warn: backend: ndsctl json: cannot run /nonexistent/ndsctl (ENOENT)'), 'an unavailable backend is said at start')
  await d.close()
})

t.test('SIGHUP applies toggles, key, port and backend without a restart', async (t) => {
  const dir = t.testdir({})
  const cfg = join(dir, 'config')
  writeFileSync(cfg, uci({ stateDir: join(dir, 's') }))
  const r = await run(['--config', cfg])
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  t.equal((await api(d, { 'api-key': 'k'.repeat(32), action: 'get_logins' })).status, 200)
  const port = await busyPort(t)
  writeFileSync(cfg, uci({ post: '0', key: 'n'.repeat(32), backend: 'opennds', stateDir: '/elsewhere', sqlite: 'wasm' }))
  r.signals.get('SIGHUP')?.()
  await d.reload() // queued behind the SIGHUP's reload
  const url = `http://${d.listening()[0] as string}/api/`
  const post = await fetch(url, { method: 'POST', body: new URLSearchParams({ 'api-key': 'n'.repeat(32), action: 'get_logins' }) })
  t.equal(post.status, 405, 'POST now off')
  const oldKey = await fetch(`${url}?api-key=${'k'.repeat(32)}&action=get_logins`)
  t.same(await oldKey.json(), { message: 'API Key is incorrect', error: true }, 'the old key is refused')
  const status = await (await fetch(`${url}?api-key=${'n'.repeat(32)}&action=get_status`)).json() as { data: { backend: { name: string } } }
  t.equal(status.data.backend.name, 'opennds', 'backend switched')
  t.ok(r.out.includes('warn: reload: state_dir /elsewhere takes effect at the next start (service hotspotd restart)'))
  t.ok(r.out.includes("warn: reload: sqlite 'wasm' takes effect at the next start (service hotspotd restart)"))
  t.match(r.out.join('\n'), /info: reloaded .*: API enabled \(POST off, GET on\)/)

  const serving = d.listening()
  writeFileSync(cfg, uci({ port: String(port) }))
  await d.reload()
  t.ok(r.out.includes(`error: reload: cannot listen on 127.0.0.1:${port}: EADDRINUSE`), 'a busy port is logged')
  t.same(d.listening(), serving, 'and the running addresses keep serving')

  writeFileSync(cfg, "config api 'api'\n\toption enabled 'maybe'\n")
  const before = d.listening()
  await d.reload()
  t.ok(r.out.some((l) => /^error: reload: .*option hotspotd\.api\.enabled.*; keeping the running configuration$/.test(l)), 'a broken file is refused')
  t.same(d.listening(), before)

  writeFileSync(cfg, uci({ key: '', enabled: '0', get: '0' }))
  await d.reload()
  t.match(loadConfig(cfg).config.api.key, /^[0-9a-f]{32}$/, 'an emptied key is generated again')
  t.same(await (await fetch(url)).json(), { message: 'API is not enabled', error: true }, 'API switched off')
  t.match(r.out.join('\n'), /info: reloaded .*: API disabled \(POST on, GET off\)/)
})

t.test('with no address yet, it runs and says so', async (t) => {
  const dir = t.testdir({ config: uci({ iface: 'guestless' }) })
  const r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's')])
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  t.same(d.listening(), [])
  t.match(r.out.join('\n'), /started: API enabled \(POST on, GET on\) on no address; backend none/)
})

/** One frame as hex, built with the codec that test/ubus/ checks against the recorded ubusd. */
const frame = (type: number, seq: number, peer: number, attrs: MessageAttr[] = []): string =>
  encodeMessage({ version: 0, type, seq, peer, attrs }).toString('hex')
const u32 = (id: number, value: number): MessageAttr => ({ id, kind: 'u32', value })
const str = (id: number, value: string): MessageAttr => ({ id, kind: 'string', value })
const table = (id: number, value: Record<string, unknown>): MessageAttr => ({ id, kind: 'blobmsg', value: tableFromJson(value) })

/**
 * What ubusd and hotspotd say when hotspotd connects as client `client`: HELLO, ADD_OBJECT of
 * hotspot with the action table's signature (answered with object id `obj`), the anonymous
 * listener object (`listener`) and its registration for netifd's `network.interface` events.
 */
const connectSteps = (client: number, obj: number, listener: number): Step[] => {
  const signature = signatureOf(hotspotObject(actions, {} as never).methods)
  return [
    { send: frame(MsgType.HELLO, 0, client) },
    { expect: frame(MsgType.ADD_OBJECT, 1, 0, [str(Attr.OBJPATH, 'hotspot'), { id: Attr.SIGNATURE, kind: 'blobmsg', value: signature }]) },
    { send: frame(MsgType.DATA, 1, 0, [u32(Attr.OBJID, obj), u32(Attr.OBJTYPE, 0x3355aba5)]) },
    { send: frame(MsgType.STATUS, 1, 0, [u32(Attr.STATUS, 0)]) },
    { expect: frame(MsgType.ADD_OBJECT, 2, 0) },
    { send: frame(MsgType.DATA, 2, 0, [u32(Attr.OBJID, listener)]) },
    { send: frame(MsgType.STATUS, 2, 0, [u32(Attr.STATUS, 0)]) },
    { expect: frame(MsgType.INVOKE, 3, 1, [u32(Attr.OBJID, 1), str(Attr.METHOD, 'register'), table(Attr.DATA, { object: listener | 0, pattern: 'network.interface' })]) },
    { send: frame(MsgType.STATUS, 3, 1, [u32(Attr.STATUS, 0)]) },
  ]
}

const until = async (what: () => boolean): Promise<void> => {
  while (!what()) await new Promise((resolve) => setTimeout(resolve, 5))
}

t.test('on ubus: publishes hotspot, answers calls, sends events, and re-publishes after ubusd restarts', async (t) => {
  const VOUCHER = { username: 'ubus1', passcode: 'pass1234', fullname: 'Via Ubus', valid_for: '1 day', valid_from: '2025-01-17 10:00:00' }
  const created = { event: 'created', username: 'ubus1', valid_for: '1 day', valid_from: '2025-01-17 10:00:00' }
  const reply = { message: 'User added successfully', user: { id: 1, ...VOUCHER, download_limit: '0', upload_limit: '0' }, error: false }
  const CALLER = 0xcafe0001
  let r: Run | undefined
  let panel: Promise<Response> = Promise.reject(new Error('not asked'))
  panel.catch(() => {})
  const status = async (): Promise<{ connected: boolean }> =>
    ((await api(r?.daemon as Daemon, { 'api-key': 'k'.repeat(32), action: 'get_status' })).body.data as { ubus: { connected: boolean } }).ubus
  const replay = new UbusdReplay(t, [
    ...connectSteps(0x11111111, 0x233acf04, 0x6588a736),
    { run: () => until(() => r?.out.includes('info: ubus: published hotspot as object 233acf04') === true) },
    { run: async () => { t.same(await status(), { socket: replay.path, connected: true, jsonrpc: false }, 'the status says so') } },
    // ubusd forwards `ubus call hotspot create_voucher {...}` from client CALLER
    { send: frame(MsgType.INVOKE, 7, CALLER, [u32(Attr.OBJID, 0x233acf04), str(Attr.METHOD, 'create_voucher'), str(Attr.USER, 'root'), str(Attr.GROUP, 'root'), table(Attr.DATA, VOUCHER)]) },
    { expect: frame(MsgType.INVOKE, 4, 1, [u32(Attr.OBJID, 1), str(Attr.METHOD, 'send'), table(Attr.DATA, { id: 'hotspot.voucher', data: created })]) },
    { expect: frame(MsgType.DATA, 7, CALLER, [u32(Attr.OBJID, 0x233acf04), table(Attr.DATA, reply)]) },
    { expect: frame(MsgType.STATUS, 7, CALLER, [u32(Attr.STATUS, 0), u32(Attr.OBJID, 0x233acf04)]) },
    { send: frame(MsgType.STATUS, 4, 1, [u32(Attr.STATUS, 0)]) },
    // a call that fails: the seed's message, ubus status 4
    { send: frame(MsgType.INVOKE, 8, CALLER, [u32(Attr.OBJID, 0x233acf04), str(Attr.METHOD, 'remove_voucher'), table(Attr.DATA, { username: 'nobody' })]) },
    { expect: frame(MsgType.DATA, 8, CALLER, [u32(Attr.OBJID, 0x233acf04), table(Attr.DATA, { message: "Username doesn't exist", error: true })]) },
    { expect: frame(MsgType.STATUS, 8, CALLER, [u32(Attr.STATUS, 4), u32(Attr.OBJID, 0x233acf04)]) },
    // an admin panel sign-in asks rpcd first; with no `session` object on the bus, the built-in sessions
    { run: () => { panel = fetch(`http://${(r?.daemon as Daemon).listening()[0] as string}/admin/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"admin","password":"x"}' }) } },
    { expect: frame(MsgType.LOOKUP, 5, 0, [str(Attr.OBJPATH, 'session')]) },
    { send: frame(MsgType.STATUS, 5, 0, [u32(Attr.STATUS, 4)]) },
    { run: async () => { t.equal((await panel).status, 401, 'no rpcd: the built-in sessions refuse (no admin password set)') } },
    // ubusd goes away and comes back: hotspotd reconnects and publishes again, from seq 1
    { close: true },
    ...connectSteps(0x22222222, 0x0e6f2747, 0x502f4461),
    { run: () => until(() => r?.out.includes('info: ubus: published hotspot as object 0e6f2747') === true) },
    // a voucher created over HTTP is announced on the new connection
    { run: async () => { t.equal((await api(r?.daemon as Daemon, { 'api-key': 'k'.repeat(32), action: 'create_voucher', ...VOUCHER, username: 'http2' })).status, 200) } },
    { expect: frame(MsgType.INVOKE, 4, 1, [u32(Attr.OBJID, 1), str(Attr.METHOD, 'send'), table(Attr.DATA, { id: 'hotspot.voucher', data: { ...created, username: 'http2' } })]) },
    { send: frame(MsgType.STATUS, 4, 1, [u32(Attr.STATUS, 0)]) },
  ])
  await replay.listen()
  const dir = t.testdirName // made by the replay, which keeps its socket there
  writeFileSync(join(dir, 'config'), uci({ socket: replay.path }))
  r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'])
  await replay.done
  t.same(replay.mismatches, [])
  t.ok(r.out.some((l) => l.startsWith(`warn: ubus: connection to ${replay.path} lost`)), 'the drop is one log line')
  await r.daemon?.close()
})

t.test('netifd\'s interface events and status decide the listen addresses while on ubus', async (t) => {
  let r: Run | undefined
  const lo = 0x7e570001
  const statusCall = (seq: number, up: boolean, address = '127.0.0.1'): Step[] => [
    { expect: frame(MsgType.LOOKUP, seq, 0, [str(Attr.OBJPATH, 'network.interface.lo')]) },
    { send: frame(MsgType.DATA, seq, 0, [str(Attr.OBJPATH, 'network.interface.lo'), u32(Attr.OBJID, lo), u32(Attr.OBJTYPE, 5), { id: Attr.SIGNATURE, kind: 'blobmsg', value: [] }]) },
    { send: frame(MsgType.STATUS, seq, 0, [u32(Attr.STATUS, 0)]) },
    { expect: frame(MsgType.INVOKE, seq + 1, lo, [u32(Attr.OBJID, lo), str(Attr.METHOD, 'status'), table(Attr.DATA, {})]) },
    { send: frame(MsgType.DATA, seq + 1, lo, [u32(Attr.OBJID, lo), table(Attr.DATA, { up, 'ipv4-address': [{ address, mask: 8 }] })]) },
    { send: frame(MsgType.STATUS, seq + 1, lo, [u32(Attr.STATUS, 0), u32(Attr.OBJID, lo)]) },
  ]
  const replay = new UbusdReplay(t, [
    ...connectSteps(0x33333333, 0x44444444, 0x55555555),
    ...statusCall(4, true), // on connecting, the addresses are asked of netifd
    { run: () => until(() => r?.out.some((l) => l.startsWith('info: ubus: connected')) === true) },
    // netifd: lo went down
    { send: frame(MsgType.INVOKE, 9, 0, [u32(Attr.OBJID, 0x55555555), str(Attr.METHOD, 'network.interface'), table(Attr.DATA, { action: 'ifdown', interface: 'lo' })]) },
    { expect: frame(MsgType.STATUS, 9, 0, [u32(Attr.STATUS, 0), u32(Attr.OBJID, 0x55555555)]) },
    ...statusCall(6, false),
    { run: () => until(() => r?.out.includes('info: interface lo ifdown: API now on no address') === true) },
    // an interface the API does not listen on changes nothing
    { send: frame(MsgType.INVOKE, 10, 0, [u32(Attr.OBJID, 0x55555555), str(Attr.METHOD, 'network.interface'), table(Attr.DATA, { action: 'ifup', interface: 'wan' })]) },
    { expect: frame(MsgType.STATUS, 10, 0, [u32(Attr.STATUS, 0), u32(Attr.OBJID, 0x55555555)]) },
    { send: frame(MsgType.INVOKE, 11, 0, [u32(Attr.OBJID, 0x55555555), str(Attr.METHOD, 'network.interface'), table(Attr.DATA, { action: 'ifup', interface: 'lo' })]) },
    { expect: frame(MsgType.STATUS, 11, 0, [u32(Attr.STATUS, 0), u32(Attr.OBJID, 0x55555555)]) },
    ...statusCall(8, true),
    { run: () => until(() => r?.out.some((l) => /^info: interface lo ifup: API now on 127\.0\.0\.1:\d+$/.test(l)) === true) },
    // an address this host does not have: logged, and the running address keeps serving
    { send: frame(MsgType.INVOKE, 12, 0, [u32(Attr.OBJID, 0x55555555), str(Attr.METHOD, 'network.interface'), table(Attr.DATA, { action: 'ifupdate', interface: 'lo' })]) },
    { expect: frame(MsgType.STATUS, 12, 0, [u32(Attr.STATUS, 0), u32(Attr.OBJID, 0x55555555)]) },
    ...statusCall(10, true, '192.0.2.77'),
    { run: () => until(() => r?.out.some((l) => l.startsWith('error: interface lo ifupdate: cannot listen on 192.0.2.77:')) === true) },
  ])
  await replay.listen()
  const dir = t.testdirName
  writeFileSync(join(dir, 'config'), uci({ socket: replay.path }))
  r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's')])
  await replay.done
  t.same(replay.mismatches, [])
  t.same(r.daemon?.listening().length, 1)
  await r.daemon?.close()
})

const piped = (text: string): PassThrough => {
  const s = new PassThrough()
  s.end(text)
  return s
}

/** A JSON-RPC call to the daemon's /ubus; answers the `result` or `error`. */
const rpc = async (d: Daemon, params: unknown[]): Promise<unknown> => {
  const res = await fetch(`http://${d.listening()[0] as string}/ubus`, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'call', params }) })
  const body = await res.json() as { result?: unknown; error?: unknown }
  return body.result ?? body.error
}
const NULL_SID = '0'.repeat(32)
const DENIED = { code: -32002, message: 'Access denied' }

t.test('passwd, then the seed\'s JSON-RPC session on the built-in /ubus, with the admin actions', async (t) => {
  const dir = t.testdir({ config: uci({ jsonrpc: '1' }) })
  const cfg = join(dir, 'config')
  const set = await run(['passwd', '--config', cfg], {}, piped('rigpass-long\n'))
  t.same(set.exits, [0])
  t.match(set.err.join(''), `Password for admin saved in ${cfg}`)
  const short = await run(['passwd', '--config', cfg], {}, piped('short\n'))
  t.same(short.exits, [1])
  t.equal(short.err.join(''), 'hotspotd passwd: password too short: at least 8 characters; nothing changed\n')

  let clock = Date.now()
  const r = await run(['--config', cfg, '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'], { now: () => new Date(clock) })
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  t.match(r.out.join('\n'), /started: .*; built-in \/ubus on/)
  t.same(await rpc(d, [NULL_SID, 'session', 'login', { username: 'admin', password: 'wrong-pass' }]), [6], 'a wrong password is [6]')
  const login = await rpc(d, [NULL_SID, 'session', 'login', { username: 'admin', password: 'rigpass-long', timeout: 300 }]) as [number, { ubus_rpc_session: string }]
  const sid = login[1].ubus_rpc_session
  t.match(sid, /^[0-9a-f]{32}$/)
  const reads = actions.filter((a) => a.access === 'read').map((a) => a.name)
  const writes = actions.filter((a) => a.access === 'write').map((a) => a.name)
  t.same(login, [0, {
    ubus_rpc_session: sid, timeout: 300, expires: 300,
    acls: {
      'access-group': { 'hotspotd-read': ['read'], 'hotspotd-write': ['write'], unauthenticated: ['read'] },
      ubus: { hotspot: [...reads, ...writes], session: ['destroy', 'access', 'login'] },
    },
    data: { username: 'admin' },
  }], 'rpcd\'s login reply, with hotspotd\'s groups')
  t.same(await rpc(d, [sid, 'hotspot', 'get_voucher_users', {}]), [0, { users: [] }], 'a call with the session')
  t.same(await rpc(d, [NULL_SID, 'hotspot', 'get_voucher_users', {}]), DENIED, 'the null session is denied')
  t.same(await rpc(d, [sid, 'hotspot', 'remove_voucher', { username: 'nobody' }]), [4, { message: "Username doesn't exist", error: true }])

  // the admin actions write the UCI file and apply at once
  t.match(await rpc(d, [sid, 'hotspot', 'set_api_settings', { get: false }]), [0, { message: 'API settings saved', data: { get: false, post: true } }])
  t.equal(loadConfig(cfg).config.api.get, false, 'written to the file')
  const get = await fetch(`http://${d.listening()[0] as string}/api/?api-key=${'k'.repeat(32)}&action=get_logins`)
  t.equal(get.status, 405)
  t.same(await get.json(), { message: 'API Key not set or method not allowed', error: true }, 'GET is refused with the seed\'s message')
  const rotated = await rpc(d, [sid, 'hotspot', 'rotate_api_key', {}]) as [number, { key: string }]
  t.match(rotated, [0, { message: 'API key regenerated', key: /^[0-9a-f]{32}$/ }])
  t.equal(loadConfig(cfg).config.api.key, rotated[1].key)
  t.same((await api(d, { 'api-key': 'k'.repeat(32), action: 'get_logins' })).body, { message: 'API Key is incorrect', error: true }, 'the old key is refused')
  t.equal((await api(d, { 'api-key': rotated[1].key, action: 'get_logins' })).status, 200, 'the new key works')
  t.same(await rpc(d, [sid, 'hotspot', 'show_api_key', {}]), [0, { key: rotated[1].key }])
  await rpc(d, [sid, 'hotspot', 'set_api_settings', { get: true }])
  t.equal((await fetch(`http://${d.listening()[0] as string}/api/?api-key=${rotated[1].key}&action=get_logins`)).status, 200, 'GET on again')
  t.same((await api(d, { 'api-key': rotated[1].key, action: 'show_api_key' })).body, { message: 'Unknown action', error: true }, 'admin actions are not on /api/')

  // sessions expire: 300 s without use
  clock += 301_000
  t.same(await rpc(d, [sid, 'hotspot', 'get_voucher_users', {}]), DENIED, 'expired')

  // a new password ends the admin's sessions at the next reload
  const again = await rpc(d, [NULL_SID, 'session', 'login', { username: 'admin', password: 'rigpass-long' }]) as [number, { ubus_rpc_session: string }]
  await run(['passwd', '--config', cfg], {}, piped('another-pass\n'))
  t.match(await rpc(d, [NULL_SID, 'session', 'login', { username: 'admin', password: 'another-pass' }]), [0, { data: { username: 'admin' } }], 'the new password applies at the next sign-in')
  await d.reload()
  t.same(await rpc(d, [again[1].ubus_rpc_session, 'hotspot', 'get_status', {}]), DENIED, 'sessions from before the change are gone')

  // a config that does not parse at login: the running one's password is used, and said
  writeFileSync(cfg, "config api 'api\n")
  t.match(await rpc(d, [NULL_SID, 'session', 'login', { username: 'admin', password: 'another-pass' }]), [0, { data: { username: 'admin' } }])
  t.ok(r.out.some((l) => l.startsWith('warn: ubus: ') && l.endsWith("; using the running configuration's admin password")))
})

t.test('the built-in /ubus with no password: generated and shown once to a person, else a warning', async (t) => {
  const dir = t.testdir({ tty: uci({ jsonrpc: 'auto' }), quiet: uci({ jsonrpc: 'auto' }) })
  const tty = await run(['--config', join(dir, 'tty'), '--state-dir', join(dir, 't'), '--listen', '127.0.0.1:0'], { isTTY: true })
  const d = tty.daemon as Daemon
  const banner = tty.out.find((l) => l.includes('generated a password for user admin')) as string
  const password = /Password: +(\S+)/.exec(banner)?.[1] as string
  t.equal(banner, passwordBanner(`http://${d.listening()[0] as string}/ubus`, password))
  t.match(await rpc(d, [NULL_SID, 'session', 'login', { username: 'admin', password }]), [0, { data: { username: 'admin' } }], 'it works')
  t.notMatch(loadConfig(join(dir, 'tty')).config.adminPasswordHash, password, 'only its hash is saved')
  await d.close()

  const quiet = await run(['--config', join(dir, 'quiet'), '--state-dir', join(dir, 'q'), '--listen', '127.0.0.1:0'])
  t.ok(quiet.out.includes(`warn: ubus: no admin password is set, so /ubus logins are refused; set one with: hotspotd passwd --config ${join(dir, 'quiet')}`))
  t.same(await rpc(quiet.daemon as Daemon, [NULL_SID, 'session', 'login', { username: 'admin', password: '' }]), [6], 'no password: no login')
  await quiet.daemon?.close()
})

t.test('jsonrpc auto: served while no ubusd socket exists; a new socket in UCI reconnects at reload', async (t) => {
  const replay = new UbusdReplay(t, connectSteps(0x66666666, 0x77777777, 0x88888888))
  const dir = t.testdirName
  const cfg = join(dir, 'config')
  writeFileSync(cfg, uci({ jsonrpc: 'auto', socket: join(dir, 'none.sock'), hash: await hashPassword('rigpass-long') }))
  const r = await run(['--config', cfg, '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'])
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  t.match(await rpc(d, [NULL_SID, 'session', 'login', { username: 'admin', password: 'rigpass-long' }]), [0, {}], 'no socket: /ubus serves')
  await replay.listen()
  writeFileSync(cfg, uci({ jsonrpc: 'auto', socket: replay.path }))
  await d.reload()
  await replay.done
  t.same(replay.mismatches, [])
  const off = await fetch(`http://${d.listening()[0] as string}/ubus`, { method: 'POST', body: '{}' })
  t.equal(off.status, 404, 'ubusd is there: the built-in /ubus is off')
  t.match(r.out.join('\n'), /reloaded .*; built-in \/ubus off/)
})

t.test('the openNDS backend: live sessions name the voucher they belong to', async (t) => {
  const dir = t.testdir({})
  const ndsctl = join(dir, 'ndsctl')
  const json = readFileSync('test/fixtures/opennds/ndsctl-json-before-shutdown.json', 'utf8')
    .replace('"custom":"final"', '"custom":"hs-v1"').replace('"custom":"final"', '"custom":"hs-e1"')
  writeFileSync(join(dir, 'clients.json'), json)
  writeFileSync(ndsctl, `#!/bin/sh\ncat '${join(dir, 'clients.json')}'\n`, { mode: 0o755 })
  writeFileSync(join(dir, 'config'), uci({ backend: 'opennds', ndsctl }))
  const r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'])
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  t.equal((await api(d, { 'api-key': 'k'.repeat(32), action: 'create_voucher', username: 'room101' })).status, 200)
  const guests = (await api(d, { 'api-key': 'k'.repeat(32), action: 'get_active_guests' })).body.data as Array<{ logins: string; 'mac-address': string }>
  t.same(guests.map((g) => [g.logins, g['mac-address']]), [['room101', '02:77:00:00:00:12'], ['', '02:77:00:00:00:11']],
    'the voucher\'s username; an e-mail user that does not exist has no login')
  const hosts = await api(d, { 'api-key': 'k'.repeat(32), action: 'get_guest_hosts' })
  t.same(hosts, { status: 200, body: { data: [] } }, 'no guest interface on this host: no guest hosts')
})

t.test('with openNDS, the enforcement loop runs in the daemon: a removed voucher\'s session is ended', async (t) => {
  const dir = t.testdir({})
  const ndsctl = join(dir, 'ndsctl')
  const json = readFileSync('test/fixtures/opennds/ndsctl-json-authed-client.json', 'utf8').replace('voucher=RIG-0001', 'hs-v1')
  writeFileSync(join(dir, 'client.json'), `{"client_list_length":"1","clients":{"02:77:00:00:00:11":${json}}}`)
  // json: the one session; deauth: says so, and logs what it was asked
  writeFileSync(ndsctl, `#!/bin/sh\necho "$*" >> '${join(dir, 'calls')}'\nif [ "$1" = json ]; then cat '${join(dir, 'client.json')}'; else echo "Client $2 deauthenticated."; fi\n`, { mode: 0o755 })
  const cfg = join(dir, 'config')
  writeFileSync(cfg, uci({ backend: 'opennds', ndsctl }).replace("config opennds 'opennds'", "config opennds 'opennds'\n\toption poll_interval '1'"))
  const r = await run(['--config', cfg, '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'])
  const d = r.daemon as Daemon
  t.equal((await api(d, { 'api-key': 'k'.repeat(32), action: 'create_voucher', username: 'room101' })).status, 200)
  t.equal((await api(d, { 'api-key': 'k'.repeat(32), action: 'remove_voucher', username: 'room101' })).status, 200)
  await until(() => r.out.some((l) => /^info: enforce: .*room101|^info: enforce: .*session ended \(removed\)/.test(l)))
  t.match(readFileSync(join(dir, 'calls'), 'utf8'), /^deauth 02:77:00:00:00:11$/m, 'ndsctl deauth was run')
  writeFileSync(cfg, uci({ backend: 'opennds', ndsctl }).replace("config opennds 'opennds'", "config opennds 'opennds'\n\toption poll_interval '2'"))
  await d.reload() // a new interval: the loop is restarted with it
  await d.close()
  t.ok(r.out.includes('info: hotspotd stopped'))
})


t.test('the guest portal: on the guest interfaces, a voucher sign-in authorizes through ndsctl', async (t) => {
  const dir = t.testdir({})
  const ndsctl = join(dir, 'ndsctl')
  const guest = '{"gatewayname":"hsrig","gatewayaddress":"127.0.0.1:2050","gatewayfqdn":"disable","version":"9.10.0","client_type":"cpd_can","mac":"00:1a:2b:3c:4d:5e","ip":"127.0.0.1","clientif":"lo","session_start":"0","session_end":"null","last_active":"1795442876","token":"dbe12224","state":"Preauthenticated","custom":"none","download_rate_limit_threshold":"null","download_packet_rate":"null","download_bucket_size":"null","upload_rate_limit_threshold":"null","upload_packet_rate":"null","upload_bucket_size":"null","download_quota":"null","upload_quota":"null","download_this_session":"0","download_session_avg":"0.00","upload_this_session":"0","upload_session_avg":"0.00"}'
  writeFileSync(join(dir, 'guest.json'), guest)
  writeFileSync(ndsctl, [
    '#!/bin/sh',
    `echo "$*" >> '${join(dir, 'calls')}'`,
    'case "$1 $2" in',
    `  "json 127.0.0.1") cat '${join(dir, 'guest.json')}' ;;`,
    '  "json ") echo \'{"client_list_length":"0","clients":{}}\' ;;',
    '  auth*) echo "Client $2 authenticated." ;;',
    'esac',
  ].join('\n') + '\n', { mode: 0o755 })
  const port = await freePort()
  const cfg = join(dir, 'config')
  writeFileSync(cfg, uci({ backend: 'opennds', ndsctl }) + `config portal 'portal'\n\tlist guest_interface 'lo'\n\toption port '${port}'\n`)
  const r = await run(['--config', cfg, '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'])
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  t.ok(r.out.some((l) => l.endsWith(`; portal on 127.0.0.1:${port}`)), 'the start line says where the portal is')
  await api(d, { 'api-key': 'k'.repeat(32), action: 'create_voucher', username: 'room9', passcode: 'pass1234' })
  const portal = `http://127.0.0.1:${port}/portal/`
  const page = await (await fetch(portal)).text()
  const sid = /name="sid" value="([0-9a-f]{32})"/.exec(page)?.[1] as string
  t.match(sid, /^[0-9a-f]{32}$/, 'the sign-in page')
  const res = await fetch(`${portal}login`, { method: 'POST', body: new URLSearchParams({ sid, method: 'voucher', username: 'room9', passcode: 'pass1234' }) })
  t.equal(res.status, 200)
  t.match(readFileSync(join(dir, 'calls'), 'utf8'), /^auth 127\.0\.0\.1 1440 .*hs-v1$/m, 'authorized with the voucher\'s identity')
  const logins = (await api(d, { 'api-key': 'k'.repeat(32), action: 'get_logins' })).body.users as Array<{ identity: string; result: string }>
  t.same(logins.map((l) => [l.identity, l.result]), [['room9', 'success']], 'and the login log says so')
  t.equal((await fetch(`http://127.0.0.1:${port}/api/`)).status, 404, 'the API is not on the guest side')
  t.equal((await fetch(`http://127.0.0.1:${port}/admin/`)).status, 404, 'nor the admin panel')
  t.match((await api(d, { 'api-key': 'k'.repeat(32), action: 'get_status' })).body.data, { portal: { url: `${portal}?code={username}`, page: portal } }, 'where a voucher\'s QR code leads')
})

t.test('a portal port in use stops the start, like the API\'s', async (t) => {
  const dir = t.testdir({})
  const port = await busyPort(t)
  writeFileSync(join(dir, 'config'), uci({ backend: 'opennds' }) + `config portal 'portal'\n\tlist guest_interface 'lo'\n\toption port '${port}'\n`)
  const r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'])
  t.same(r.exits, [1])
  t.equal(r.err.join(''), `hotspotd: cannot listen on 127.0.0.1:${port}: EADDRINUSE\n`)
})

t.test('netifd\'s events for a guest interface move the portal', async (t) => {
  let r: Run | undefined
  const lo = 0x7e570002
  const statusCall = (seq: number, up: boolean): Step[] => [
    { expect: frame(MsgType.LOOKUP, seq, 0, [str(Attr.OBJPATH, 'network.interface.lo')]) },
    { send: frame(MsgType.DATA, seq, 0, [str(Attr.OBJPATH, 'network.interface.lo'), u32(Attr.OBJID, lo), u32(Attr.OBJTYPE, 5), { id: Attr.SIGNATURE, kind: 'blobmsg', value: [] }]) },
    { send: frame(MsgType.STATUS, seq, 0, [u32(Attr.STATUS, 0)]) },
    { expect: frame(MsgType.INVOKE, seq + 1, lo, [u32(Attr.OBJID, lo), str(Attr.METHOD, 'status'), table(Attr.DATA, {})]) },
    { send: frame(MsgType.DATA, seq + 1, lo, [u32(Attr.OBJID, lo), table(Attr.DATA, { up, 'ipv4-address': [{ address: '127.0.0.1', mask: 8 }] })]) },
    { send: frame(MsgType.STATUS, seq + 1, lo, [u32(Attr.STATUS, 0), u32(Attr.OBJID, lo)]) },
  ]
  const replay = new UbusdReplay(t, [
    ...connectSteps(0x33333334, 0x44444445, 0x55555556),
    ...statusCall(4, true),
    { run: () => until(() => r?.out.some((l) => l.startsWith('info: ubus: connected')) === true) },
    { send: frame(MsgType.INVOKE, 9, 0, [u32(Attr.OBJID, 0x55555556), str(Attr.METHOD, 'network.interface'), table(Attr.DATA, { action: 'ifdown', interface: 'lo' })]) },
    { expect: frame(MsgType.STATUS, 9, 0, [u32(Attr.STATUS, 0), u32(Attr.OBJID, 0x55555556)]) },
    ...statusCall(6, false),
    { run: () => until(() => r?.out.includes('info: interface lo ifdown: portal now on no address') === true) },
  ])
  await replay.listen()
  const dir = t.testdirName
  const port = await freePort()
  writeFileSync(join(dir, 'config'), uci({ socket: replay.path, backend: 'opennds' }) + `config portal 'portal'\n\tlist guest_interface 'lo'\n\toption port '${port}'\n`)
  r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'])
  await replay.done
  t.same(replay.mismatches, [])
  await r.daemon?.close()
})

t.test('signals that arrive while the daemon is starting are acted on once it is up', async (t) => {
  const dir = t.testdir({ config: uci() })
  let lines: string[] = []
  const proc = (fire: Array<'SIGHUP' | 'SIGTERM'>): Promise<Run> => {
    lines = []
    const fired = new Set<string>()
    const signals = new Map<string, () => void>()
    const exits: number[] = []
    const p: Proc = {
      argv: ['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'],
      stdin: process.stdin,
      stdout: () => {},
      stderr: () => {},
      onSignal: (sig, fn) => {
        signals.set(sig, fn)
        // every handler is in place before the start begins: fire the wanted ones then
        if (signals.size === 3) for (const s of fire) { fired.add(s); signals.get(s)?.() }
      },
      exit: (code) => { exits.push(code) },
      io: { out: (line) => { lines.push(line) }, isTTY: false, interfaces: () => ({}), network: () => undefined, now: () => new Date() },
    }
    return runMain(p).then((daemon) => ({ daemon, out: lines, err: [], exits, signals, proc: p }))
  }
  const hup = await proc(['SIGHUP', 'SIGHUP'])
  const d = hup.daemon as Daemon
  await d.reload() // queued behind the early reload
  t.equal(hup.out.filter((l) => l.startsWith('info: reloaded ')).length, 2, 'two early SIGHUPs make one reload, then ours')
  await d.close()

  const term = await proc(['SIGTERM', 'SIGHUP'])
  await until(() => term.exits.length > 0)
  t.same(term.exits, [0], 'an early SIGTERM stops the daemon as soon as it is up, and a later SIGHUP does not undo it')
  t.equal(term.out.filter((l) => l.startsWith('info: reloaded ')).length, 0)
})

t.test('secrets: generates what the config lacks, exit 0; an unreadable config is exit 1', async (t) => {
  const dir = t.testdir({ config: uci({ key: '', hash: '' }) })
  const ok = await run(['secrets', '--config', join(dir, 'config')])
  t.same(ok.exits, [0])
  t.equal(ok.out.length, 2, 'one line for the key, one for the password')
  const { config } = loadConfig(join(dir, 'config'))
  t.match(config.api.key, /^[0-9a-f]{32}$/)
  t.match(config.adminPasswordHash, /^\$scrypt\$/)
  const bad = await run(['secrets', '--config', join(dir, 'nope')])
  t.same(bad.exits, [1])
  t.match(bad.err.join(''), /^hotspotd secrets: cannot read config .*nope: ENOENT\n$/)
})

t.test('local time follows the router\'s zone rule (OpenWrt\'s /etc/TZ), re-read at each reload', async (t) => {
  const dir = t.testdir({ config: uci(), TZ: '<+0530>-5:30\n' })
  let tz: string | undefined = readTextFile(join(dir, 'TZ'))
  t.equal(tz, '<+0530>-5:30')
  t.equal(readTextFile(join(dir, 'missing')), undefined)
  t.teardown(() => { useZone(platformZone) })
  const r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'], { timezone: () => tz })
  const d = r.daemon as Daemon
  t.ok(r.out.includes('info: local time: the rule <+0530>-5:30'))
  const key = 'k'.repeat(32)
  t.match((await api(d, { 'api-key': key, action: 'create_voucher', username: 'tz1', valid_from: '2030-01-01 00:00:00' })).body, { user: { valid_from: '2030-01-01 00:00:00' } })
  tz = 'UTC0'
  await d.reload()
  t.ok(r.out.includes('info: local time: the rule UTC0'))
  const users = (await api(d, { 'api-key': key, action: 'get_voucher_users' })).body.users as Array<{ valid_from: string }>
  t.equal(users[0]?.valid_from, '2029-12-31 18:30:00', 'the same instant, shown in the new zone')
  await d.reload()
  t.equal(r.out.filter((l) => l.startsWith('info: local time:')).length, 2, 'an unchanged zone is not logged again')
  tz = undefined
  await d.reload()
  t.equal(currentZone(), platformZone, 'no TZ and no /etc/TZ: Node\'s own zone')
  await d.close()
})

t.test('a config emptied under a running daemon (a truncated write) is refused at reload: API and key stay', async (t) => {
  const dir = t.testdir({ config: uci() })
  const r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  writeFileSync(join(dir, 'config'), '')
  await d.reload()
  t.ok(r.out.includes(`error: reload: ${join(dir, 'config')} has no sections; keeping the running configuration`))
  t.equal(readFileSync(join(dir, 'config'), 'utf8'), '', 'no key written into it')
  t.equal((await api(d, { 'api-key': 'k'.repeat(32), action: 'get_logins' })).status, 200, 'the API is still on, with its key')
})

t.test('the cloud endpoint: enrolls, saves the credential in UCI, shows the tunnel in get_status, and serves /api/ through it', async (t) => {
  const dir = t.testdir({})
  const tls = makeTls(dir, 'relay.test')
  const credential = signCredential(Buffer.alloc(32, 3), 'abcdef0123')
  // A minimal relay: enrollment, then the tunnel, through which this test sends one request.
  const muxes: Array<Mux> = []
  const relay = createHttpsServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
    res.end(JSON.stringify({ id: 'abcdef0123', credential, endpoint: 'https://abcdef0123.relay.test/api/' }))
  })
  const wss = new WebSocketServer({ noServer: true })
  relay.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const mux = new Mux({ role: 'opener', send: (f, done) => { ws.send(f, done) } })
      ws.on('message', (m: Buffer) => { mux.receive(m) })
      ws.send(JSON.stringify({ type: 'welcome', id: 'abcdef0123', endpoint: 'https://abcdef0123.relay.test/api/' }))
      muxes.push(mux)
    })
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { relay.closeAllConnections(); relay.close() })
  const port = (relay.address() as { port: number }).port
  const file = join(dir, 'hotspotd')
  writeFileSync(file, `${uci({ stateDir: join(dir, 'state') })}
config cloud 'cloud'
	option enabled '1'
	option relay 'wss://relay.test:${port}'
	option relay_address '127.0.0.1'
	option enroll_key 'e'
	option ca_file '${tls.caFile}'
`)
  const r = await run(['--config', file, '--listen', '127.0.0.1:0'])
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  t.ok(r.out.some((l) => l.includes(`; cloud endpoint via wss://relay.test:${port}`)), 'the start line names the relay')
  const deadline = Date.now() + 5000
  while (muxes.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(loadConfig(file).config.cloud.credential, credential, 'the enrolled credential is saved in hotspotd.cloud.credential')
  const status = await api(d, { 'api-key': 'k'.repeat(32), action: 'get_status' })
  t.match((status.body.data as { cloud: unknown }).cloud, { enabled: true, state: 'up', endpoint: 'https://abcdef0123.relay.test/api/', error: null })
  // Through the tunnel: POST works, GET is refused with the seed's message though api.get is on.
  const through = (method: string, path: string, body = ''): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    const req = request({ method, path, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, createConnection: () => (muxes[0] as Mux).open({ client: '203.0.113.9' }) }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => { text += c.toString() })
      res.on('end', () => { resolve({ status: res.statusCode as number, body: text }) })
    })
    req.on('error', reject)
    req.end(body)
  })
  const created = await through('POST', '/api/', `api-key=${'k'.repeat(32)}&action=create_voucher&username=cloud1&passcode=p`)
  t.match(JSON.parse(created.body), { message: 'User added successfully', error: false, user: { username: 'cloud1' } }, 'a voucher created through the tunnel')
  const get = await through('GET', `/api/?api-key=${'k'.repeat(32)}&action=get_voucher_users`)
  t.same([get.status, JSON.parse(get.body)], [405, { message: 'API Key not set or method not allowed', error: true }], 'GET through the tunnel is refused unless cloud.allow_get')
  const other = await through('GET', '/ubus')
  t.equal(other.status, 404, 'nothing but /api/ is reachable')
  for (const path of ['/admin', '/admin/', '/admin/index.html', '/admin/api/session', '/admin/api/export/vouchers.csv']) {
    t.same(await through('GET', path), { status: 404, body: '{"message":"Not found","error":true}' }, `no admin panel through the tunnel: GET ${path}`)
  }
  const signIn = await through('POST', '/admin/api/login', '{"username":"admin","password":"x"}')
  t.equal(signIn.status, 404, 'no admin sign-in through the tunnel')
})

t.test('the admin panel on the LAN/MGMT listener: its files, a built-in sign-in, calls, CSV', async (t) => {
  const dir = t.testdir({ config: uci({ hash: hashOf('panel-pass') }), admin: { 'index.html': '<!doctype html>panel' } })
  const r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's'), '--listen', '127.0.0.1:0'], { adminDir: join(dir, 'admin') })
  const d = r.daemon as Daemon
  t.teardown(() => d.close())
  const base = `http://${d.listening()[0] as string}`
  t.equal(await (await fetch(`${base}/admin/`)).text(), '<!doctype html>panel', 'the panel\'s files from adminDir')
  const login = await fetch(`${base}/admin/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"admin","password":"panel-pass"}' })
  t.equal(login.status, 200)
  const info = await login.json() as { csrf: string; via: string; timeout: number; allowed: string[] }
  t.match(info, { via: 'builtin', timeout: 1800 }, 'no rpcd here: the built-in sessions, with admin.session_timeout')
  t.same(info.allowed, actions.map((a) => a.name))
  const headers = { 'Content-Type': 'application/json', Cookie: (login.headers.get('set-cookie') as string).split(';')[0] as string, 'X-Hotspotd-CSRF': info.csrf }
  const batch = await fetch(`${base}/admin/api/call`, { method: 'POST', headers, body: '{"action":"create_vouchers","params":{"count":3,"prefix":"lan-"}}' })
  t.match(await batch.json(), { message: 'Vouchers added successfully', users: [{ username: /^lan-/ }, {}, {}] })
  const status = await fetch(`${base}/admin/api/call`, { method: 'POST', headers, body: '{"action":"get_status"}' })
  t.match(await status.json(), { data: { vouchers: 3, portal: { url: null, page: null } } }, 'no portal here (backend none)')
  const csv = await (await fetch(`${base}/admin/api/export/vouchers.csv`, { headers })).text()
  t.equal(csv.split('\r\n').length, 5, 'header, three vouchers, end')
})
