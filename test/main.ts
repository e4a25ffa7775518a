import t, { type Test } from 'tap'
import { createServer, type Server } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { firstStartBanner, runMain, type Daemon, type Proc } from '../src/main'
import { loadConfig } from '../src/config/config'

const uci = (o: { enabled?: string; get?: string; post?: string; key?: string; port?: string; backend?: string; stateDir?: string; iface?: string } = {}): string => `
config hotspotd 'main'
	option state_dir '${o.stateDir ?? '/nonexistent'}'
	option backend '${o.backend ?? 'none'}'
config api 'api'
	option enabled '${o.enabled ?? '1'}'
	option get '${o.get ?? '1'}'
	option post '${o.post ?? '1'}'
	option key '${o.key ?? 'k'.repeat(32)}'
	option port '${o.port ?? String(FREE_PORT)}'
	list interface '${o.iface ?? 'lo'}'
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

const run = async (argv: string[], over: Partial<Proc['io']> = {}): Promise<Run> => {
  const out: string[] = []
  const err: string[] = []
  const exits: number[] = []
  const signals = new Map<string, () => void>()
  const proc: Proc = {
    argv,
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
  t.notOk(first.out.some((l) => l.includes('state_dir')), 'with --state-dir, the config\'s state_dir is not watched')
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
  const dir = t.testdir({ config: uci({ iface: 'lo', backend: 'opennds' }) })
  writeFileSync(join(dir, 'config'), uci({ backend: 'opennds' }) + "\tlist interface 'guestless'\n")
  const r = await run(['--config', join(dir, 'config'), '--state-dir', join(dir, 's')])
  const d = r.daemon as Daemon
  t.match(d.listening(), [/^127\.0\.0\.1:\d+$/])
  t.ok(r.out.includes('warn: api: interface guestless has no address'))
  t.ok(r.out.some((l) => l.startsWith("warn: backend: backend 'opennds' is not supported")), 'an unavailable backend is said at start')
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
  writeFileSync(cfg, uci({ post: '0', key: 'n'.repeat(32), backend: 'opennds', stateDir: '/elsewhere' }))
  r.signals.get('SIGHUP')?.()
  await d.reload() // queued behind the SIGHUP's reload
  const url = `http://${d.listening()[0] as string}/api/`
  const post = await fetch(url, { method: 'POST', body: new URLSearchParams({ 'api-key': 'n'.repeat(32), action: 'get_logins' }) })
  t.equal(post.status, 405, 'POST now off')
  const oldKey = await fetch(`${url}?api-key=${'k'.repeat(32)}&action=get_logins`)
  t.same(await oldKey.json(), { message: 'API Key is incorrect', error: true }, 'the old key is refused')
  const status = await (await fetch(`${url}?api-key=${'n'.repeat(32)}&action=get_status`)).json() as { data: { backend: { name: string } } }
  t.equal(status.data.backend.name, 'opennds', 'backend switched')
  t.ok(r.out.includes('warn: reload: a new state_dir takes effect at restart'))
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
