// Bundles the daemon into one minified CommonJS file for Node 18 (OpenWrt 23.05 ships 18.20,
// 24.10 ships 20.x). The SQLite drivers stay external: better-sqlite3's native addon sits beside
// the bundle where there is one, and node-sqlite3-wasm's .js loads its .wasm from its own folder
// (node_modules/node-sqlite3-wasm/ ships beside the bundle).
//
// The relay (src/relay/, dist/hotspotd-relay.js) is a second entry of its own: it runs on a
// server, not on the router, and openwrt/build-ipk.mjs packages only dist/hotspotd.js.
import { build } from 'esbuild'

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
