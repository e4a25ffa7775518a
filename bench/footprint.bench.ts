/**
 * Footprint: the daemon's idle RSS and its start time, with each SQLite engine (better-sqlite3,
 * which `auto` takes here, and WebAssembly, which the router's `_all` package uses).
 *
 * Idle RSS: backend none, API on, no ubusd (a socket path that does not exist) and no built-in
 * /ubus, on 127.0.0.1; VmRSS 3 s and 10 s after it printed its started line, against an idle
 * `node -e "setInterval(()=>{},1000)"` sampled as long after it was spawned. The figure is the
 * 10 s one: about 8 s after start V8's memory reducer collects what starting left behind
 * (2.4 MB here), and an idle daemon stays at that; the 3 s one is in raw. RSS barely varies
 * from run to run, so 3 rounds.
 * Start time: from spawn() to the first answer to an authenticated API request (polled every
 * 2 ms until the port answers), against a bare node:http script answering the same way.
 * Each round runs better-sqlite3, WebAssembly and the baseline one after the other; the state
 * directory already holds a database (a restart, not a first start).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { benchConfig, children, dirs, median, report, round, rssOf, runBench } from './lib'

const BUNDLE = resolve('dist/hotspotd.js')
const KEY = 'benchkey0123456789abcdef01234567'
const RSS_ROUNDS = 3
const START_ROUNDS = 9
/** RSS is sampled this long after start, and again once V8's memory reducer has run (it does about 8 s after start). */
const EARLY_MS = 3000
const SETTLE_MS = 10_000
const MB = 1024 * 1024


const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const freePort = async (): Promise<number> => {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((resolve) => s.close(() => { resolve() }))
  return port
}

interface Proc { child: ChildProcess; lines: string[]; t0: bigint }

const run = (args: string[]): Proc => {
  const t0 = process.hrtime.bigint()
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  const lines: string[] = []
  const collect = (chunk: Buffer): void => { lines.push(...chunk.toString().split('\n').filter(Boolean)) }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  return { child, lines, t0 }
}

const stop = async (p: Proc): Promise<void> => {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const gone = new Promise<void>((resolve) => p.child.once('exit', () => { resolve() }))
  p.child.kill('SIGTERM')
  await gone
}

const waitForLine = async (p: Proc, re: RegExp, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms
  while (!p.lines.some((l) => re.test(l))) {
    if (p.child.exitCode !== null || Date.now() > end) throw new Error(`no ${String(re)}:\n${p.lines.join('\n')}`)
    await sleep(10)
  }
}

const BODY = JSON.stringify({ 'api-key': KEY, action: 'get_voucher_users' })

/** One POST; the status, or 0 when nothing answers yet. */
const ask = (port: number): Promise<number> => new Promise((resolve) => {
  const req = request({ host: '127.0.0.1', port, path: '/api/', method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(BODY) } }, (res) => {
    const json = /json/.test(res.headers['content-type'] ?? '')
    res.resume()
    res.on('end', () => { resolve(json ? res.statusCode ?? 0 : 0) })
  })
  req.on('error', () => { resolve(0) })
  req.end(BODY)
})

/** Milliseconds from spawn to the first 2xx/4xx JSON answer on `port`. */
const answered = async (p: Proc, port: number): Promise<number> => {
  const end = Date.now() + 15_000
  for (;;) {
    const status = await ask(port)
    if (status >= 200 && status < 500) return Number(process.hrtime.bigint() - p.t0) / 1e6
    if (p.child.exitCode !== null || Date.now() > end) throw new Error(`no answer on ${port}:\n${p.lines.join('\n')}`)
    await sleep(2)
  }
}

const BARE = `
require('node:http').createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
    res.end('{"users":[]}')
  })
}).listen(Number(process.argv[1]), '127.0.0.1')
`

type Engine = 'native' | 'wasm'

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-bench-footprint-'))
  dirs.push(dir)
  const setup = (engine: Engine): { config: string; state: string } => {
    const config = join(dir, `config.${engine}`)
    const state = join(dir, `state.${engine}`)
    mkdirSync(state)
    writeFileSync(config, benchConfig(KEY, { backend: 'none', sqlite: engine }))
    return { config, state }
  }
  const engines = { native: setup('native'), wasm: setup('wasm') }
  const daemonArgs = (engine: Engine, listen: string): string[] =>
    [BUNDLE, '--config', engines[engine].config, '--state-dir', engines[engine].state, '--listen', listen, '--ubus-socket', join(dir, 'no-ubusd.sock')]

  // First starts: create each database, and check each engine is the one asked for.
  for (const engine of ['native', 'wasm'] as const) {
    const p = run(daemonArgs(engine, '127.0.0.1:0'))
    try {
      await waitForLine(p, / started: /)
      const want = engine === 'native' ? /via better-sqlite3/ : /via WebAssembly/
      if (!p.lines.some((l) => want.test(l))) throw new Error(`${engine}: not the engine asked for:\n${p.lines.join('\n')}`)
    } finally {
      await stop(p)
    }
  }

  // Idle RSS, a round = better-sqlite3, WebAssembly, baseline.
  const rss = { native: [] as number[], wasm: [] as number[], node: [] as number[] }
  const early = { native: [] as number[], wasm: [] as number[], node: [] as number[] }
  const sample = async (p: Proc, which: 'native' | 'wasm' | 'node'): Promise<void> => {
    await sleep(EARLY_MS)
    early[which].push(round(rssOf(p.child.pid as number) / MB))
    await sleep(SETTLE_MS - EARLY_MS)
    rss[which].push(round(rssOf(p.child.pid as number) / MB))
  }
  for (let i = 0; i < RSS_ROUNDS; i++) {
    for (const engine of ['native', 'wasm'] as const) {
      const p = run(daemonArgs(engine, '127.0.0.1:0'))
      try {
        await waitForLine(p, / started: /)
        await sample(p, engine)
      } finally {
        await stop(p)
      }
    }
    const b = run(['-e', 'setInterval(()=>{},1000)'])
    try {
      await sample(b, 'node')
    } finally {
      await stop(b)
    }
  }

  // Start time, a round = better-sqlite3, WebAssembly, bare server.
  const start = { native: [] as number[], wasm: [] as number[], bare: [] as number[] }
  for (let i = 0; i < START_ROUNDS; i++) {
    for (const engine of ['native', 'wasm'] as const) {
      const port = await freePort()
      const p = run(daemonArgs(engine, `127.0.0.1:${port}`))
      try {
        start[engine].push(round(await answered(p, port)))
      } finally {
        await stop(p)
      }
    }
    const port = await freePort()
    const b = run(['-e', BARE, String(port)])
    try {
      start.bare.push(round(await answered(b, port)))
    } finally {
      await stop(b)
    }
  }

  const nodeRss = median(rss.node)
  const bareStart = median(start.bare)
  for (const engine of ['native', 'wasm'] as const) {
    const label = engine === 'native' ? 'better-sqlite3' : 'WebAssembly SQLite'
    const value = median(rss[engine])
    report({
      name: `Idle RSS ${SETTLE_MS / 1000} s after start, ${label}`,
      unit: 'MB',
      value: round(value),
      baseline: round(nodeRss),
      baselineName: 'idle node -e "setInterval(()=>{},1000)"',
      target: 'value - baseline <= +12 MB (ratio is the difference)',
      ratio: round(value - nodeRss),
      met: value - nodeRss <= 12,
      raw: {
        [`hotspotd MB at ${SETTLE_MS / 1000} s`]: rss[engine],
        [`node -e MB at ${SETTLE_MS / 1000} s`]: rss.node,
        [`difference MB at ${SETTLE_MS / 1000} s`]: rss[engine].map((x, i) => round(x - (rss.node[i] as number))),
        [`hotspotd MB at ${EARLY_MS / 1000} s`]: early[engine],
        [`node -e MB at ${EARLY_MS / 1000} s`]: early.node,
        [`difference MB at ${EARLY_MS / 1000} s (median)`]: round(median(early[engine]) - median(early.node)),
        note: 'backend none, API on, no ubusd, no built-in /ubus; times from the started line (node -e: from spawn)',
      },
    })
    const ms = median(start[engine])
    report({
      name: `Start time to first answered request, ${label}`,
      unit: 'ms',
      value: round(ms),
      baseline: round(bareStart),
      baselineName: 'bare node:http script',
      target: 'value - baseline <= +150 ms (ratio is the difference)',
      ratio: round(ms - bareStart),
      met: ms - bareStart <= 150,
      raw: {
        'hotspotd ms': start[engine],
        'bare ms': start.bare,
        note: 'spawn() to the first JSON answer of POST /api/ (polled every 2 ms); a restart on an existing database (integrity check included)',
      },
    })
  }
}

runBench(main)
