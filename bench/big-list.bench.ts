/**
 * Big lists: 100,000 vouchers. `get_voucher_users` time to last byte, and the daemon's peak RSS
 * growth while it streams them, against Debian's `sqlite3 -json` printing the same SELECT; with
 * better-sqlite3 (what `auto` takes here) and with WebAssembly SQLite (the router's package).
 *
 * The vouchers are written straight into the daemon's database (the real schema, through the
 * store module, one transaction) before the daemon starts. Each round starts a fresh daemon, lets
 * it settle, and asks for the list twice: the first request (cold: nothing of the list was ever
 * allocated in this process) is the figure, the second (warm) is in raw. A worker thread samples
 * /proc/<pid>/status VmRSS every 5 ms while the answer streams, so the bench's own event loop,
 * busy reading the answer, does not delay the samples. Then `sqlite3 -json` runs once, sampled
 * the same way (its whole peak RSS, as it is a fresh process).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Worker } from 'node:worker_threads'
import { benchConfig, children, dirs, median, report, round, rssOf, runBench } from './lib'
import { openStore } from '../src/store/db'
import { createLogger } from '../src/log'

const BUNDLE = resolve('dist/hotspotd.js')
const KEY = 'benchkey0123456789abcdef01234567'
const N = 100_000
const ROUNDS = 5
const MB = 1024 * 1024
/** The daemon's page statement without its keyset paging (src/store/vouchers.ts, COLUMNS). */
const SELECT = 'SELECT id, username, passcode, fullname, created_at, last_modified, first_login, last_login, valid_for, valid_from, mac, download_limit, upload_limit FROM vouchers ORDER BY id'


const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Samples a process's VmRSS every `everyMs` in a worker thread until stopped; resolves with the peak (bytes) and the sample count. */
const sampleRss = (pid: number, everyMs = 5): { stop: () => Promise<{ peak: number; samples: number }> } => {
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads')
    const { readFileSync } = require('node:fs')
    let peak = 0, samples = 0
    const take = () => {
      try {
        const m = /VmRSS:\\s+(\\d+) kB/.exec(readFileSync('/proc/' + workerData.pid + '/status', 'utf8'))
        if (m !== null) { peak = Math.max(peak, Number(m[1]) * 1024); samples++ }
      } catch {}
    }
    take()
    const timer = setInterval(take, workerData.everyMs)
    parentPort.on('message', () => { clearInterval(timer); take(); parentPort.postMessage({ peak, samples }) })
  `, { eval: true, workerData: { pid, everyMs } })
  const ready = new Promise<void>((resolve) => worker.once('online', resolve))
  return {
    stop: async () => {
      await ready
      const result = new Promise<{ peak: number; samples: number }>((resolve) => worker.once('message', resolve))
      worker.postMessage('stop')
      const r = await result
      await worker.terminate()
      return r
    },
  }
}

interface Daemon { child: ChildProcess; port: number; lines: string[] }

const startDaemon = async (config: string, stateDir: string): Promise<Daemon> => {
  const child = spawn(process.execPath, [BUNDLE, '--config', config, '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--ubus-socket', join(stateDir, 'no-ubusd.sock')], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  const lines: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`the daemon did not start within 15 s:\n${lines.join('\n')}`)) }, 15_000)
    const collect = (chunk: Buffer): void => {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      const port = lines.map((l) => / started: .* on 127\.0\.0\.1:(\d+)/.exec(l)?.[1]).find((p) => p !== undefined)
      if (port !== undefined) { clearTimeout(timer); resolve({ child, port: Number(port), lines }) }
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the daemon exited (${code}) before it started:\n${lines.join('\n')}`)) })
  })
}

const stopDaemon = async (d: Daemon): Promise<void> => {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return
  const gone = new Promise<void>((resolve) => d.child.once('exit', () => { resolve() }))
  d.child.kill('SIGTERM')
  await gone
}

/** POSTs `body` and reads the whole answer; ms from sending to the last byte. `keep` keeps the text. */
const post = (port: number, body: string, keep = false): Promise<{ status: number; bytes: number; ms: number; text: string }> => new Promise((resolve, reject) => {
  const t0 = process.hrtime.bigint()
  const req = request({ host: '127.0.0.1', port, path: '/api/', method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
    let bytes = 0
    const parts: Buffer[] = []
    res.on('data', (b: Buffer) => { bytes += b.length; if (keep) parts.push(b) })
    res.on('end', () => { resolve({ status: res.statusCode ?? 0, bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6, text: keep ? Buffer.concat(parts).toString() : '' }) })
    res.on('error', reject)
  })
  req.on('error', reject)
  req.end(body)
})

/** Runs `sqlite3 -json <db> SELECT`, reading its output as the daemon's answer is read. */
const sqlite3 = (db: string, keep = false): Promise<{ bytes: number; ms: number; peak: number; text: string }> => new Promise((resolve, reject) => {
  const t0 = process.hrtime.bigint()
  const child = spawn('sqlite3', ['-json', db, SELECT], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  const sampler = sampleRss(child.pid as number)
  let bytes = 0
  let err = ''
  const parts: Buffer[] = []
  child.stdout?.on('data', (b: Buffer) => { bytes += b.length; if (keep) parts.push(b) })
  child.stderr?.on('data', (b: Buffer) => { err += b.toString() })
  child.once('error', reject)
  child.once('close', (code) => {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    children.delete(child)
    void sampler.stop().then(({ peak }) => {
      if (code !== 0) reject(new Error(`sqlite3 exited ${code}: ${err}`))
      else resolve({ bytes, ms, peak, text: keep ? Buffer.concat(parts).toString() : '' })
    })
  })
})

const NAMES = ['Amber', 'Falcon', 'Quiet', 'Otter', 'Swift', 'Maple', 'Coral', 'Heron', 'Silver', 'Lynx']
const ALPHA = '23456789abcdefghjkmnpqrstuvwxyz'
const code = (i: number, len: number): string => {
  let s = ''
  let x = i * 2654435761 + len
  for (let k = 0; k < len; k++) { s += ALPHA[Math.abs(x) % ALPHA.length]; x = Math.floor(x / 7) + k * 131 }
  return s
}

/** 100,000 vouchers in one transaction, through the store's own schema; a third of them used. */
const fill = (stateDir: string): void => {
  const store = openStore(stateDir, createLogger(() => {}), 'native')
  try {
    const insert = store.db.prepare(`INSERT INTO vouchers (username, passcode, fullname, valid_for, valid_from, created_at, last_modified, first_login, last_login, mac, download_limit, upload_limit)
      VALUES (@username, @passcode, @fullname, @valid_for, @valid_from, @created_at, @created_at, @first_login, @last_login, @mac, @download_limit, @upload_limit)`)
    const t0 = 1_740_000_000
    store.db.transaction(() => {
      for (let i = 1; i <= N; i++) {
        const used = i % 3 === 0
        insert.run({
          username: `${code(i, 6)}${i.toString(36)}`.slice(0, 12), passcode: code(i + 7, 10), fullname: `${NAMES[i % 10]} ${NAMES[(i * 7 + 3) % 10]}`,
          valid_for: i % 2 === 0 ? '1 day' : '30 days', valid_from: t0 + i, created_at: t0 + i,
          first_login: used ? t0 + i + 60 : null, last_login: used ? t0 + i + 3600 : null,
          mac: used ? `02:00:${[(i >> 16) & 255, (i >> 8) & 255, i & 255, 7].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}` : null,
          download_limit: i % 4 === 0 ? 1024 : 0, upload_limit: i % 4 === 0 ? 512 : 0,
        })
      }
    })
    if (store.vouchers.count() !== N) throw new Error(`filled ${store.vouchers.count()} vouchers, not ${N}`)
  } finally {
    store.close()
  }
}

type Engine = 'native' | 'wasm'

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-bench-biglist-'))
  dirs.push(dir)
  const stateDir = join(dir, 'state')
  const configOf = (engine: Engine): string => {
    const config = join(dir, `config.${engine}`)
    writeFileSync(config, benchConfig(KEY, { backend: 'none', sqlite: engine }))
    return config
  }
  mkdirSync(stateDir)
  const tf = Date.now()
  fill(stateDir)
  console.log(`filled ${N} vouchers in ${Date.now() - tf} ms`)
  const db = join(stateDir, 'hotspotd.db')
  const body = JSON.stringify({ 'api-key': KEY, action: 'get_voucher_users' })

  // Once: both print every row, in id order.
  {
    const d = await startDaemon(configOf('native'), stateDir)
    const r = await post(d.port, body, true)
    await stopDaemon(d)
    const users = (JSON.parse(r.text) as { users: Array<{ id: number }> }).users
    const s = await sqlite3(db, true)
    const rows = JSON.parse(s.text) as Array<{ id: number }>
    if (r.status !== 200 || users.length !== N || rows.length !== N || users.some((u, i) => u.id !== rows[i]?.id)) {
      throw new Error(`the daemon listed ${users.length} (HTTP ${r.status}), sqlite3 ${rows.length}; not the same ${N} rows`)
    }
    console.log(`checked: both list ${N} rows in the same order (daemon ${r.bytes} bytes of JSON, sqlite3 ${s.bytes} bytes)`)
  }

  for (const engine of ['native', 'wasm'] as const) {
    const label = engine === 'native' ? 'better-sqlite3' : 'WebAssembly SQLite'
    const config = configOf(engine)
    const cold = { ms: [] as number[], growth: [] as number[], before: [] as number[], samples: [] as number[] }
    const warm = { ms: [] as number[], growth: [] as number[], total: [] as number[] }
    const base = { ms: [] as number[], peak: [] as number[] }
    let bytes = 0
    let baseBytes = 0
    for (let i = 0; i < ROUNDS; i++) {
      const d = await startDaemon(config, stateDir)
      try {
        if (!d.lines.some((l) => (engine === 'native' ? /via better-sqlite3/ : /via WebAssembly/).test(l))) throw new Error(`not ${label}:\n${d.lines.join('\n')}`)
        await sleep(1000)
        const pid = d.child.pid as number
        const start = rssOf(pid)
        for (const which of ['cold', 'warm'] as const) {
          const before = rssOf(pid)
          const sampler = sampleRss(pid)
          const r = await post(d.port, body)
          const { peak, samples } = await sampler.stop()
          if (r.status !== 200) throw new Error(`get_voucher_users answered ${r.status}`)
          bytes = r.bytes
          if (which === 'cold') {
            cold.ms.push(round(r.ms)); cold.growth.push(round((peak - before) / MB)); cold.before.push(round(before / MB)); cold.samples.push(samples)
          } else {
            warm.ms.push(round(r.ms)); warm.growth.push(round((peak - before) / MB)); warm.total.push(round((peak - start) / MB))
          }
        }
      } finally {
        await stopDaemon(d)
      }
      // The daemon is stopped first: the WebAssembly engine's lock is exclusive.
      const s = await sqlite3(db)
      base.ms.push(round(s.ms)); base.peak.push(round(s.peak / MB))
      baseBytes = s.bytes
    }

    const ms = median(cold.ms)
    const baseMs = median(base.ms)
    report({
      name: `Big lists: get_voucher_users of 100,000 vouchers, time to last byte, ${label}`,
      unit: 'ms',
      value: round(ms),
      baseline: round(baseMs),
      baselineName: 'sqlite3 -json, same SELECT',
      target: 'value/baseline <= 2',
      ratio: round(ms / baseMs),
      met: ms / baseMs <= 2,
      raw: {
        'hotspotd ms (first request after start)': cold.ms,
        'hotspotd ms (second request)': warm.ms,
        'sqlite3 ms': base.ms,
        'hotspotd bytes': bytes,
        'sqlite3 bytes': baseBytes,
        note: 'fresh daemon per round, 1 s settle, then two requests; the sqlite3 3.40 CLI is a fresh process each round and prints the stored numbers, the daemon formats 5 time columns per row',
      },
    })
    const growth = median(cold.growth)
    report({
      name: `Big lists: daemon RSS growth while streaming 100,000 vouchers, ${label}`,
      unit: 'MB',
      value: round(growth),
      baseline: round(median(base.peak)),
      baselineName: 'sqlite3 -json peak RSS (whole process)',
      target: 'growth < 16 MB (ratio is the growth)',
      ratio: round(growth),
      met: growth < 16,
      raw: {
        'growth MB (first request after start)': cold.growth,
        'growth MB (second request, from just before it)': warm.growth,
        'growth MB (second request, from before the first)': warm.total,
        'RSS MB just before the first request': cold.before,
        'VmRSS samples per request (every 5 ms)': cold.samples,
        'sqlite3 peak RSS MB': base.peak,
      },
    })
  }
}

runBench(main)
