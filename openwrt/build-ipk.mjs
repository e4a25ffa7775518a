// Builds dist/hotspotd_<version>_all.ipk without the OpenWrt SDK, in the form OpenWrt's opkg
// reads (the one scripts/ipkg-build writes): a gzip'd tar, not a Debian `ar` archive, holding
// ./debian-binary, ./data.tar.gz and ./control.tar.gz. Installed-Size is, as there, the size of
// the unpacked data tar.
//
// Architecture `all`: the bundle is plain JavaScript and SQLite comes as WebAssembly
// (node-sqlite3-wasm), so the one package runs on every CPU OpenWrt ships Node for. The SDK
// package (openwrt/Makefile) adds the native better-sqlite3 addon for one target.
//
// Reproducible: every mtime is SOURCE_DATE_EPOCH (default: the commit's time), owners are 0:0,
// entries are sorted, modes are set here rather than taken from the checkout, and gzip stores
// no name or time. Two builds of one commit give the same bytes.
//
// Usage: node openwrt/build-ipk.mjs [OUTDIR]   (run `node build.mjs` first; `make ipk` does both)
import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
/** Bumped when the package changes but the program does not (OpenWrt's PKG_RELEASE). */
export const RELEASE = 1
const VERSION = `${PKG.version}-${RELEASE}`
const WASM = 'node_modules/node-sqlite3-wasm'
const LIB = 'usr/lib/hotspotd'

/** [file in this repository, path in the package, mode]. */
export const FILES = [
  ['dist/hotspotd.js', `${LIB}/hotspotd.js`, 0o644],
  // The admin panel's browser files, beside the bundle as the daemon looks for them, each with
  // the .gz it sends to browsers that take gzip.
  ...['index.html', 'app.js', 'app.css'].flatMap((f) => [f, `${f}.gz`]).map((f) => [`dist/admin/${f}`, `${LIB}/admin/${f}`, 0o644]),
  ['openwrt/files/usr/lib/hotspotd/binauth', `${LIB}/binauth`, 0o755],
  [`${WASM}/package.json`, `${LIB}/${WASM}/package.json`, 0o644],
  [`${WASM}/LICENSE`, `${LIB}/${WASM}/LICENSE`, 0o644],
  [`${WASM}/dist/node-sqlite3-wasm.js`, `${LIB}/${WASM}/dist/node-sqlite3-wasm.js`, 0o644],
  [`${WASM}/dist/node-sqlite3-wasm.wasm`, `${LIB}/${WASM}/dist/node-sqlite3-wasm.wasm`, 0o644],
  ['openwrt/files/usr/bin/hotspotd', 'usr/bin/hotspotd', 0o755],
  ['init.d/hotspotd', 'etc/init.d/hotspotd', 0o755],
  // 0600: it holds the API key and the admin password hash.
  ['openwrt/files/hotspotd.config', 'etc/config/hotspotd', 0o600],
  ['openwrt/files/etc/uci-defaults/95_hotspotd', 'etc/uci-defaults/95_hotspotd', 0o755],
  ['openwrt/files/usr/share/rpcd/acl.d/hotspotd.json', 'usr/share/rpcd/acl.d/hotspotd.json', 0o644],
  // LuCI's Services > Hotspot: a menu entry, its view (a link to the panel) and the view's ACL.
  ['openwrt/files/usr/share/luci/menu.d/luci-app-hotspotd.json', 'usr/share/luci/menu.d/luci-app-hotspotd.json', 0o644],
  ['openwrt/files/usr/share/rpcd/acl.d/luci-app-hotspotd.json', 'usr/share/rpcd/acl.d/luci-app-hotspotd.json', 0o644],
  ['openwrt/files/www/luci-static/resources/view/hotspotd/panel.js', 'www/luci-static/resources/view/hotspotd/panel.js', 0o644],
  ['openwrt/files/lib/upgrade/keep.d/hotspotd', 'lib/upgrade/keep.d/hotspotd', 0o644],
]

/** Kept by opkg across upgrades when the owner has changed them. */
export const CONFFILES = ['/etc/config/hotspotd']

const sourceDateEpoch = () => {
  if (process.env.SOURCE_DATE_EPOCH !== undefined) return Number(process.env.SOURCE_DATE_EPOCH)
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
  } catch {
    throw new Error('not a git checkout: set SOURCE_DATE_EPOCH to the time the package should carry')
  }
}

/** The control file; Installed-Size is filled in once the data tar exists. */
const control = (installedSize, epoch) => [
  'Package: hotspotd',
  `Version: ${VERSION}`,
  'Depends: libc, node',
  'Source: hotspotd',
  'SourceName: hotspotd',
  `License: ${PKG.license}`,
  'Section: net',
  `SourceDateEpoch: ${epoch}`,
  'Maintainer: hotspotd developers <dev@hotspotd.invalid>',
  'Architecture: all',
  `Installed-Size: ${installedSize}`,
  `Description:  ${PKG.description}: vouchers with data limits,`,
  ' validity windows and MAC binding, the HTTP API, ubus objects and a guest portal.',
  '',
].join('\n')

/** Creates `dir` and its parents with mode 0755 whatever the umask. */
const makeDir = (base, rel) => {
  let at = base
  for (const part of rel.split('/')) {
    at = join(at, part)
    if (!existsSync(at)) mkdirSync(at)
    chmodSync(at, 0o755)
  }
}

/** `tar` of the entries of `dir` (or of `names` in it), gzip'd, into `out`; returns the tar's size. */
const tarGz = (dir, out, epoch, names = ['.']) => {
  const tar = execFileSync('tar', [
    '--format=gnu', '--numeric-owner', '--owner=0', '--group=0', '--sort=name',
    `--mtime=@${epoch}`, '-C', dir, '-cf', '-', ...names,
  ], { maxBuffer: 256 * 1024 * 1024 })
  writeFileSync(out, execFileSync('gzip', ['-n', '-9', '-c'], { input: tar, maxBuffer: 256 * 1024 * 1024 }))
  return tar.length
}

export const buildIpk = (outDir = join(ROOT, 'dist')) => {
  const epoch = sourceDateEpoch()
  const work = mkdtempSync(join(tmpdir(), 'hotspotd-ipk-'))
  try {
    const data = join(work, 'data')
    makeDir(work, 'data')
    for (const [from, to, mode] of FILES) {
      const source = join(ROOT, from)
      if (!existsSync(source)) throw new Error(`${from} is missing${from.startsWith('dist/') ? ': run `node build.mjs` first' : ''}`)
      makeDir(data, dirname(to))
      copyFileSync(source, join(data, to))
      chmodSync(join(data, to), mode)
    }
    const outer = join(work, 'outer')
    makeDir(work, 'outer')
    const installedSize = tarGz(data, join(outer, 'data.tar.gz'), epoch)

    const ctl = join(work, 'control')
    makeDir(work, 'control')
    writeFileSync(join(ctl, 'control'), control(installedSize, epoch))
    writeFileSync(join(ctl, 'conffiles'), CONFFILES.map((f) => `${f}\n`).join(''))
    chmodSync(join(ctl, 'control'), 0o644)
    chmodSync(join(ctl, 'conffiles'), 0o644)
    for (const script of ['postinst', 'prerm']) {
      copyFileSync(join(ROOT, 'openwrt', 'control', script), join(ctl, script))
      chmodSync(join(ctl, script), 0o755)
    }
    tarGz(ctl, join(outer, 'control.tar.gz'), epoch)

    writeFileSync(join(outer, 'debian-binary'), '2.0\n')
    for (const f of ['debian-binary', 'data.tar.gz', 'control.tar.gz']) chmodSync(join(outer, f), 0o644)
    mkdirSync(outDir, { recursive: true })
    const ipk = join(outDir, `hotspotd_${VERSION}_all.ipk`)
    tarGz(outer, ipk, epoch, ['./debian-binary', './data.tar.gz', './control.tar.gz'])
    return { ipk, size: statSync(ipk).size, installedSize }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { ipk, size, installedSize } = buildIpk(process.argv[2] === undefined ? undefined : resolve(process.argv[2]))
    const bundle = statSync(join(ROOT, 'dist', 'hotspotd.js')).size
    console.log(`${ipk}: ${size} bytes (installed ${installedSize} bytes; bundle ${bundle} bytes)`)
  } catch (err) {
    console.error(`build-ipk: ${err.message}`)
    process.exit(1)
  }
}
