// Bundles the daemon into one minified CommonJS file for Node 18 (OpenWrt 23.05 ships 18.20,
// 24.10 ships 20.x). The SQLite drivers stay external: better-sqlite3's native addon sits beside
// the bundle where there is one, and node-sqlite3-wasm's .js loads its .wasm from its own folder
// (node_modules/node-sqlite3-wasm/ ships beside the bundle).
//
// The relay (src/relay/, dist/hotspotd-relay.js) is a second entry of its own: it runs on a
// server, not on the router: openwrt/build-ipk.mjs packages dist/hotspotd.js and dist/admin/.
//
// The admin panel (src/admin/ui/) is built for browsers as old as the phones that open it
// (ES2019; Safari and iOS 15: esbuild cannot lower destructuring for Safari 13-14, whose
// destructuring it knows to be buggy) into dist/admin/: index.html, app.js and app.css, each with a .gz
// sibling (zlib level 9) that the daemon sends to browsers that accept gzip.
import { build } from 'esbuild'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

await build({
  entryPoints: { hotspotd: 'src/main.ts', 'hotspotd-relay': 'src/relay/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  minify: true,
  legalComments: 'none',
  external: ['better-sqlite3', 'node-sqlite3-wasm'],
  logLevel: 'warning',
})

const UI = 'src/admin/ui'
const ADMIN = 'dist/admin'
const BROWSERS = ['es2019', 'chrome80', 'firefox78', 'safari15', 'ios15']
rmSync(ADMIN, { recursive: true, force: true })
mkdirSync(ADMIN, { recursive: true })
await build({
  entryPoints: { app: `${UI}/main.ts`, app_css: `${UI}/app.css` },
  outdir: ADMIN,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: BROWSERS,
  minify: true,
  legalComments: 'none',
  tsconfig: `${UI}/tsconfig.json`,
  logLevel: 'warning',
})
renameSync(`${ADMIN}/app_css.css`, `${ADMIN}/app.css`)
// The page's few words come from the panel's one strings module, evaluated here.
const strings = await build({ entryPoints: [`${UI}/strings.ts`], bundle: true, format: 'cjs', platform: 'neutral', write: false, logLevel: 'warning' })
const mod = { exports: {} }
new Function('module', 'exports', strings.outputFiles[0].text)(mod, mod.exports)
const { S } = mod.exports
const escape = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
const html = readFileSync(`${UI}/index.html`, 'utf8')
  .replace('{{title}}', escape(S.title)).replace('{{noscript}}', escape(S.noscript))
  .replace(/\n\s*/g, '')
writeFileSync(`${ADMIN}/index.html`, html)
for (const f of ['index.html', 'app.js', 'app.css']) {
  writeFileSync(`${ADMIN}/${f}.gz`, gzipSync(readFileSync(`${ADMIN}/${f}`), { level: 9 }))
}
