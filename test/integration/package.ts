// The daemon as the package installs it: the ipk unpacked into a root (bundle and SQLite in
// /usr/lib/hotspotd/, the default /etc/config/hotspotd), started with the command line the
// init script gives procd. It answers "API is not enabled" until the API is switched on in UCI
// and the daemon reloaded, as `uci set ...; uci commit hotspotd` and procd's SIGHUP do on a
// router. With no native addon beside it, SQLite is the WebAssembly build; with better-sqlite3
// beside it (the SDK package's layout), the native one.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadConfig } from '../../src/config/config'
import { readUciFile, setOption, writeUciFile } from '../../src/config/uci'
import { bundleProblem, runBundle, until, waitForLine } from '../fixtures/bundle'
import { freePort } from '../fixtures/ports'
import { callsTo, runInitScript } from '../fixtures/openwrt'

const VERSION = `${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}-1`
const LIB = 'usr/lib/hotspotd'

/** The package built and its data unpacked into a fresh root outside the repository (whose node_modules must not be found). */
const installedRoot = (t: Test): string => {
  const work = mkdtempSync(join(tmpdir(), 'hotspotd-pkg-'))
  t.teardown(() => { rmSync(work, { recursive: true, force: true }) })
  execFileSync(process.execPath, ['openwrt/build-ipk.mjs', work], { stdio: 'pipe' })
  execFileSync('tar', ['-xzf', join(work, `hotspotd_${VERSION}_all.ipk`), '-C', work])
  const root = join(work, 'root')
  execFileSync('mkdir', [root])
  execFileSync('tar', ['-xzf', join(work, 'data.tar.gz'), '-C', root])
  return root
}

/** The command the init script hands procd for `root`'s config (see test/openwrt/init-script.ts). */
const initCommand = (root: string): string[] => {
  const record = runInitScript(join(root, 'etc/init.d/hotspotd'), readFileSync(join(root, 'etc/config/hotspotd'), 'utf8'), 'start')
  return (callsTo(record, 'procd_set_param').find((c) => c[0] === 'command') as string[]).slice(1)
}

const post = async (port: number, body: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`http://127.0.0.1:${port}/api/`, { method: 'POST', body: new URLSearchParams(body) })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

const problem = bundleProblem()

for (const [label, native] of [['the _all package: SQLite as WebAssembly', false], ['with the SDK package\'s native better-sqlite3 beside it', true]] as const) {
  t.test(label, { skip: problem ?? false }, async (t) => {
    const root = installedRoot(t)
    if (native) {
      for (const dep of ['better-sqlite3', 'bindings', 'file-uri-to-path']) {
        cpSync(resolve('node_modules', dep), join(root, LIB, 'node_modules', dep), { recursive: true })
      }
    }
    const [node, script, ...args] = initCommand(root)
    t.equal(node, '/usr/bin/node')
    t.equal(script, `/${LIB}/hotspotd.js`)
    // The same command, rooted in the test's directory; the LAN interfaces of the default
    // config do not exist here, so it listens on loopback instead.
    const rooted = args.map((a) => (a.startsWith('/') ? join(root, a) : a))
    const port = await freePort()
    const config = join(root, 'etc/config/hotspotd')

    // what /etc/uci-defaults/95_hotspotd does at install
    execFileSync(process.execPath, [join(root, LIB, 'hotspotd.js'), 'secrets', '--config', config], { stdio: 'pipe' })
    const key = loadConfig(config).config.api.key
    t.match(key, /^[0-9a-f]{32}$/)

    const d = await runBundle(t, [...rooted, '--listen', `127.0.0.1:${port}`, '--ubus-socket', join(root, 'var/run/ubus/ubus.sock')], [], join(root, LIB, 'hotspotd.js'))
    t.match(d.started, /API disabled \(POST on, GET off\)/, 'the shipped defaults')
    t.ok(d.lines.some((l) => (native ? /SQLite 3\.\S+ via better-sqlite3/ : /SQLite 3\.\S+ via WebAssembly/).test(l)), `the SQLite in use is named:\n${d.lines.join('\n')}`)

    const off = await post(port, { 'api-key': key, action: 'get_voucher_users' })
    t.same(off.body, { message: 'API is not enabled', error: true })

    // uci set hotspotd.api.enabled=1; uci commit hotspotd -> procd: /etc/init.d/hotspotd reload -> SIGHUP
    const pkg = readUciFile(config)
    setOption(pkg, 'api', 'api', 'enabled', '1')
    writeUciFile(config, pkg)
    d.child.kill('SIGHUP')
    await waitForLine(d, /reloaded .*API enabled/)

    const made = await post(port, { 'api-key': key, action: 'create_voucher', username: 'room101', valid_for: '1 day' })
    t.match(made.body, { message: 'User added successfully', error: false })
    t.match((await post(port, { 'api-key': key, action: 'get_voucher_users' })).body, { users: [{ username: 'room101' }] })

    d.child.kill('SIGTERM')
    t.equal(await d.exited, 0, 'SIGTERM: a clean exit')
    await until(() => d.lines.includes('info: hotspotd stopped'), 2000, () => d.lines.join('\n'))
  })
}
