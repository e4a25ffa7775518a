// Bundles the daemon into one minified CommonJS file for Node 18 (OpenWrt 23.05 ships 18.20,
// 24.10 ships 20.x). better-sqlite3 stays external: its native addon sits beside the bundle.
import { build } from 'esbuild'

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/hotspotd.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  minify: true,
  legalComments: 'none',
  external: ['better-sqlite3'],
  logLevel: 'warning',
})
