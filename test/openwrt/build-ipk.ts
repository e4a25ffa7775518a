// openwrt/build-ipk.mjs: the package as opkg sees it. Builds it (twice, to hold it to the same
// bytes), unpacks it with tar as opkg-lede does, and checks the outer layout, every control
// field, every file with its mode and owner, and the maintainer scripts against a fake root.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { bundleProblem } from '../fixtures/bundle'

const VERSION = `${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}-1`
const NAME = `hotspotd_${VERSION}_all.ipk`
const WASM = 'node_modules/node-sqlite3-wasm'

/** What the package must hold: path in the package, mode, file in this repository. */
const CONTENTS: Array<[string, number, string]> = [
  ['etc/config/hotspotd', 0o600, 'openwrt/files/hotspotd.config'],
  ['etc/init.d/hotspotd', 0o755, 'init.d/hotspotd'],
  ['etc/uci-defaults/95_hotspotd', 0o755, 'openwrt/files/etc/uci-defaults/95_hotspotd'],
  ['lib/upgrade/keep.d/hotspotd', 0o644, 'openwrt/files/lib/upgrade/keep.d/hotspotd'],
  ['usr/bin/hotspotd', 0o755, 'openwrt/files/usr/bin/hotspotd'],
  ...['app.css', 'app.css.gz', 'app.js', 'app.js.gz', 'index.html', 'index.html.gz']
    .map((f): [string, number, string] => [`usr/lib/hotspotd/admin/${f}`, 0o644, `dist/admin/${f}`]),
  ['usr/lib/hotspotd/binauth', 0o755, 'openwrt/files/usr/lib/hotspotd/binauth'],
  ['usr/lib/hotspotd/hotspotd.js', 0o644, 'dist/hotspotd.js'],
  [`usr/lib/hotspotd/${WASM}/LICENSE`, 0o644, `${WASM}/LICENSE`],
  [`usr/lib/hotspotd/${WASM}/dist/node-sqlite3-wasm.js`, 0o644, `${WASM}/dist/node-sqlite3-wasm.js`],
  [`usr/lib/hotspotd/${WASM}/dist/node-sqlite3-wasm.wasm`, 0o644, `${WASM}/dist/node-sqlite3-wasm.wasm`],
  [`usr/lib/hotspotd/${WASM}/package.json`, 0o644, `${WASM}/package.json`],
  ['usr/share/luci/menu.d/luci-app-hotspotd.json', 0o644, 'openwrt/files/usr/share/luci/menu.d/luci-app-hotspotd.json'],
  ['usr/share/rpcd/acl.d/hotspotd.json', 0o644, 'openwrt/files/usr/share/rpcd/acl.d/hotspotd.json'],
  ['usr/share/rpcd/acl.d/luci-app-hotspotd.json', 0o644, 'openwrt/files/usr/share/rpcd/acl.d/luci-app-hotspotd.json'],
  ['www/luci-static/resources/view/hotspotd/panel.js', 0o644, 'openwrt/files/www/luci-static/resources/view/hotspotd/panel.js'],
]

const shells: Array<[string, string[]]> = [['dash', ['/bin/dash']], ['busybox ash', ['/bin/busybox', 'ash']]]

/** A scratch directory outside the repository, removed when the test ends. */
const scratch = (t: Test, name: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `hotspotd-${name}-`))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

const build = (out: string, umask = '022'): Buffer => {
  execFileSync('/bin/sh', ['-c', `umask ${umask} && exec "$0" openwrt/build-ipk.mjs "$1"`, process.execPath, out], { stdio: 'pipe' })
  return readFileSync(join(out, NAME))
}

/** `tar tv` of a gzip'd tar: [mode string, owner, path] per entry, in archive order. */
const listing = (file: string): Array<[string, string, string]> =>
  execFileSync('tar', ['-tvzf', file, '--numeric-owner'], { encoding: 'utf8' }).split('\n').filter(Boolean)
    .map((l) => { const f = l.split(/\s+/); return [f[0] as string, f[1] as string, f[5] as string] })

const modeString = (mode: number, dir = false): string =>
  (dir ? 'd' : '-') + ['r', 'w', 'x', 'r', 'w', 'x', 'r', 'w', 'x'].map((c, i) => (mode & (0o400 >> i)) !== 0 ? c : '-').join('')

const fields = (control: string): Map<string, string> => {
  const m = new Map<string, string>()
  let last = ''
  for (const line of control.split('\n')) {
    if (line.startsWith(' ')) m.set(last, `${m.get(last) as string}\n${line}`)
    else if (line !== '') { const i = line.indexOf(':'); last = line.slice(0, i); m.set(last, line.slice(i + 1).trim()) }
  }
  return m
}

t.test('the ipk', async (t) => {
  const problem = bundleProblem()
  if (problem !== null) throw new Error(problem)
  const out = scratch(t, 'ipk')
  const ipk = build(out)
  const unpacked = scratch(t, 'unpacked')
  execFileSync('tar', ['-xzf', join(out, NAME), '-C', unpacked])

  t.test('is a gzip\'d tar of debian-binary, data and control, as opkg-lede reads it', async (t) => {
    t.same([...ipk.subarray(0, 2)], [0x1f, 0x8b], 'gzip, not a Debian ar archive')
    t.same(listing(join(out, NAME)).map((e) => e[2]), ['./debian-binary', './data.tar.gz', './control.tar.gz'])
    t.same(listing(join(out, NAME)).map((e) => e[1]), ['0/0', '0/0', '0/0'])
    t.equal(readFileSync(join(unpacked, 'debian-binary'), 'utf8'), '2.0\n')
  })

  t.test('control: every field, Installed-Size the size of the unpacked data', async (t) => {
    const ctl = join(unpacked, 'control')
    mkdirSync(ctl)
    execFileSync('tar', ['-xzf', join(unpacked, 'control.tar.gz'), '-C', ctl])
    t.same(listing(join(unpacked, 'control.tar.gz')).map((e) => [e[0], e[1], e[2]]), [
      ['drwxr-xr-x', '0/0', './'], ['-rw-r--r--', '0/0', './conffiles'], ['-rw-r--r--', '0/0', './control'],
      ['-rwxr-xr-x', '0/0', './postinst'], ['-rwxr-xr-x', '0/0', './prerm'],
    ])
    const f = fields(readFileSync(join(ctl, 'control'), 'utf8'))
    t.equal(f.get('Package'), 'hotspotd')
    t.equal(f.get('Version'), VERSION)
    t.equal(f.get('Depends'), 'libc, node', 'OpenWrt\'s node package')
    t.equal(f.get('Architecture'), 'all', 'JavaScript and WebAssembly only')
    t.equal(f.get('Installed-Size'), String(gunzipSync(readFileSync(join(unpacked, 'data.tar.gz'))).length))
    t.equal(f.get('License'), 'MIT')
    t.equal(f.get('Section'), 'net')
    t.equal(f.get('Source'), 'hotspotd')
    t.equal(f.get('SourceName'), 'hotspotd')
    t.match(f.get('SourceDateEpoch'), /^\d+$/)
    t.equal(f.get('Maintainer'), 'hotspotd developers <dev@hotspotd.invalid>')
    t.match(f.get('Description'), /^Hotspot voucher daemon .*\n .+/s, 'a summary and an indented continuation')
    t.same([...f.keys()].sort(), ['Architecture', 'Depends', 'Description', 'Installed-Size', 'License', 'Maintainer', 'Package', 'Section', 'Source', 'SourceDateEpoch', 'SourceName', 'Version'])
    t.equal(readFileSync(join(ctl, 'conffiles'), 'utf8'), '/etc/config/hotspotd\n')
    t.equal(readFileSync(join(ctl, 'postinst'), 'utf8'), readFileSync('openwrt/control/postinst', 'utf8'))
    t.equal(readFileSync(join(ctl, 'prerm'), 'utf8'), readFileSync('openwrt/control/prerm', 'utf8'))
  })

  t.test('data: exactly the listed files, with their modes, owned by root, as in the repository', async (t) => {
    const entries = listing(join(unpacked, 'data.tar.gz'))
    const files = entries.filter((e) => !e[0].startsWith('d'))
    t.same(files.map((e) => e[2]), CONTENTS.map(([path]) => `./${path}`), 'nothing more (no maps, sources, tests or docs), nothing less')
    for (const [path, mode] of CONTENTS) {
      t.equal(files.find((e) => e[2] === `./${path}`)?.[0], modeString(mode), `${path} mode`)
    }
    t.ok(entries.every((e) => e[1] === '0/0'), 'every entry owned by 0/0')
    t.ok(entries.filter((e) => e[0].startsWith('d')).every((e) => e[0] === 'drwxr-xr-x'), 'directories 0755')
    const root = join(unpacked, 'root')
    mkdirSync(root)
    execFileSync('tar', ['-xzf', join(unpacked, 'data.tar.gz'), '-C', root])
    for (const [path, , source] of CONTENTS) t.ok(readFileSync(join(root, path)).equals(readFileSync(source)), `${path} is ${source}`)
  })

  t.test('reproducible: a second build, under another umask, gives the same bytes', async (t) => {
    t.ok(build(scratch(t, 'ipk2'), '077').equals(ipk))
  })

  for (const [label, shell] of shells) {
    const missing = existsSync(shell[0] as string) ? false : `${shell[0] as string} is not installed (make test installs busybox)`
    t.test(`postinst and prerm in an image build (IPKG_INSTROOT), under ${label}`, { skip: missing }, async (t) => {
      const root = scratch(t, 'instroot')
      execFileSync('tar', ['-xzf', join(unpacked, 'data.tar.gz'), '-C', root])
      const ctl = scratch(t, 'ctl')
      execFileSync('tar', ['-xzf', join(unpacked, 'control.tar.gz'), '-C', ctl])
      const script = (name: string, env: Record<string, string> = {}): void => {
        const [cmd, ...args] = shell as [string, ...string[]]
        execFileSync(cmd, [...args, join(ctl, name)], { env: { PATH: process.env.PATH, IPKG_INSTROOT: root, ...env } })
      }
      const tree = (): string[] => execFileSync('find', ['.', '-printf', '%y %m %p %l\\n'], { cwd: root, encoding: 'utf8' }).split('\n').sort()
      const before = tree()

      script('postinst', { IPKG_NO_SCRIPT: '1' })
      t.same(tree(), before, 'IPKG_NO_SCRIPT=1: nothing done')

      script('postinst')
      const links = readdirSync(join(root, 'etc', 'rc.d')).sort()
      t.same(links, ['K10hotspotd', 'S99hotspotd'], 'enabled: the links rc.common enable makes, from START and STOP')
      for (const l of links) {
        t.ok(lstatSync(join(root, 'etc', 'rc.d', l)).isSymbolicLink())
        t.equal(readlinkSync(join(root, 'etc', 'rc.d', l)), '../init.d/hotspotd')
      }
      const added = tree().filter((e) => !before.includes(e))
      t.same(added.map((e) => e.split(' ')[2]).sort(), ['./etc/rc.d', './etc/rc.d/K10hotspotd', './etc/rc.d/S99hotspotd'], 'nothing else changed: no uci-defaults run, nothing started')
      t.ok(existsSync(join(root, 'etc', 'uci-defaults', '95_hotspotd')), 'uci-defaults left for the first boot')

      script('postinst')
      t.same(readdirSync(join(root, 'etc', 'rc.d')).sort(), ['K10hotspotd', 'S99hotspotd'], 'a second run changes nothing')

      script('prerm')
      t.same(readdirSync(join(root, 'etc', 'rc.d')), [], 'prerm disables')
      t.same(tree().filter((e) => !before.includes(e)).map((e) => e.split(' ')[2]), ['./etc/rc.d'])
    })
  }
})

t.test('without git and SOURCE_DATE_EPOCH the build refuses rather than stamping the time', async (t) => {
  const copy = scratch(t, 'nogit')
  execFileSync('cp', ['-r', 'openwrt', 'package.json', copy])
  const r = (() => {
    try {
      execFileSync(process.execPath, [join(copy, 'openwrt', 'build-ipk.mjs')], { cwd: copy, stdio: 'pipe', env: { PATH: process.env.PATH, GIT_CEILING_DIRECTORIES: resolve(copy, '..') } })
      return ''
    } catch (err) { return String((err as { stderr: Buffer }).stderr) }
  })()
  t.equal(r, 'build-ipk: not a git checkout: set SOURCE_DATE_EPOCH to the time the package should carry\n')
  const missing = (() => {
    try {
      execFileSync(process.execPath, [join(copy, 'openwrt', 'build-ipk.mjs')], { cwd: copy, stdio: 'pipe', env: { PATH: process.env.PATH, SOURCE_DATE_EPOCH: '1700000000' } })
      return ''
    } catch (err) { return String((err as { stderr: Buffer }).stderr) }
  })()
  t.equal(missing, 'build-ipk: dist/hotspotd.js is missing: run `node build.mjs` first\n')
})
