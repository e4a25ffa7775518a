// make bench: bundles each bench/*.bench.ts with esbuild (they import the daemon's own modules),
// runs them one after another, collects the figures they print, shows a table and writes
// bench/RESULTS.md with the machine and the date. `node bench/run.mjs api` runs only the
// benchmarks whose file name contains "api". Not part of make test: figures on shared machines
// are only meaningful as ratios against a baseline run side by side, which each bench does.
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { readdirSync, writeFileSync, readFileSync } from 'node:fs'
import { cpus, totalmem, release } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const only = process.argv[2]
const files = readdirSync(join(ROOT, 'bench')).filter((f) => f.endsWith('.bench.ts') && (only === undefined || f.includes(only))).sort()

const figures = []
let failed = false
for (const file of files) {
  const out = join(ROOT, 'dist', 'bench', file.replace(/\.ts$/, '.js'))
  await build({
    entryPoints: [join(ROOT, 'bench', file)], outfile: out, bundle: true, platform: 'node', format: 'cjs',
    target: 'node18', external: ['better-sqlite3', 'node-sqlite3-wasm'], logLevel: 'warning',
  })
  console.log(`\n== ${file}`)
  const r = spawnSync(process.execPath, ['--expose-gc', out], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 })
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('RESULT ')) {
      const f = JSON.parse(line.slice(7))
      figures.push({ file, ...f })
      console.log(`${f.met ? 'met   ' : 'MISSED'} ${f.name}: ${f.value} ${f.unit} vs ${f.baselineName} ${f.baseline} ${f.unit}; ratio ${f.ratio} (target ${f.target})`)
    } else if (line !== '') console.log(`  ${line}`)
  }
  if (r.status !== 0) { failed = true; console.log(`${file} exited with ${r.status}`) }
}

if (only === undefined && !failed) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  const git = spawnSync('git', ['log', '-1', '--format=%h'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim()
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`make bench\` on ${new Date().toISOString().slice(0, 10)}: hotspotd ${pkg.version} (${git || 'no git'}), Node ${process.version},`,
    `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}.`,
    'Each figure is the median of rounds run alternately with its baseline in the same run;',
    'the ratio is what the target speaks of. Raw figures per round are below the table.',
    '',
    '| | figure | hotspotd | baseline | ratio | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...figures.map((f) => `| ${f.met ? 'met' : '**missed**'} | ${f.name} | ${f.value} ${f.unit} | ${f.baseline} ${f.unit} (${f.baselineName}) | ${f.ratio} | ${f.target} |`),
    '',
    '## Raw figures',
    '',
    ...figures.map((f) => `- ${f.name} (\`bench/${f.file}\`): ${Object.entries(f.raw).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : v}`).join('; ')}`),
    '',
  ]
  writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), lines.join('\n'))
  console.log('\nbench/RESULTS.md written')
}
process.exit(failed ? 1 : 0)
