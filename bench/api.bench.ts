/**
 * API throughput: requests/s of an authenticated `get_active_guests` with 50 live openNDS
 * sessions, and of `create_voucher`, against a bare `node:http` server answering the same bytes
 * from memory. One load generator for both (this process): 16 keep-alive connections, each
 * sending its next request when the answer before it has been read to the end, for 3 s a round;
 * daemon and bare server alternate for 5 rounds.
 *
 * openNDS is played by a fake `ndsctl` printing a recorded `ndsctl json`
 * (test/fixtures/opennds/ndsctl-json-after-traffic.json) whose authenticated client is repeated
 * 50 times with distinct MACs, addresses and tokens, each carrying the custom string of one of
 * 50 vouchers written into the database before the daemon starts (so `logins` is looked up, as
 * on a router). A third figure, a read that needs no backend (`get_voucher_users` of those 50
 * vouchers, before any create_voucher round), shows what the HTTP and API layers cost on their own.
 */
import { Agent, request } from 'node:http'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { alternate, benchConfig, dirs, median, report, round, runBench, startServer, stop } from './lib'
import { openStore } from '../src/store/db'
import { createLogger } from '../src/log'

const BUNDLE = resolve('dist/hotspotd.js')
const RECORDED = resolve('test/fixtures/opennds/ndsctl-json-after-traffic.json')
const KEY = 'benchkey0123456789abcdef01234567'
const GUESTS = 50
const ROUNDS = 5
const ROUND_MS = 3000
const CONNECTIONS = 16

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

const once = (port: number, path: string, body: string, agent?: Agent): Promise<Answer> => new Promise((resolve, reject) => {
  const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: agent ?? false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
    const parts: Buffer[] = []
    res.on('data', (b: Buffer) => parts.push(b))
    res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }) })
    res.on('error', reject)
  })
  req.on('error', reject)
  req.end(body)
})

/**
 * The load: `CONNECTIONS` loops over one keep-alive agent, each sending `body()` when its last
 * answer has been read, for `ms`. Requests/s of 2xx answers; anything else is counted apart.
 */
const load = async (port: number, path: string, body: () => string, ms: number): Promise<{ rps: number; ok: number; other: number }> => {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  let ok = 0
  let other = 0
  const t0 = performance.now()
  const end = t0 + ms
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const a = await once(port, path, body(), agent)
      if (a.status >= 200 && a.status < 300) ok++; else other++
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, loop))
  const elapsed = performance.now() - t0
  agent.destroy()
  return { rps: ok / (elapsed / 1000), ok, other }
}

/** A bare node:http server: reads the request, answers the recorded bytes for its action. */
const BARE = `
const http = require('node:http')
const fs = require('node:fs')
const [reads, creates, list] = process.argv.slice(1).map((f) => fs.readFileSync(f))
const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }
http.createServer((req, res) => {
  const parts = []
  req.on('data', (b) => parts.push(b))
  req.on('end', () => {
    const body = Buffer.concat(parts).toString()
    const answer = body.includes('create_voucher') ? creates : body.includes('get_voucher_users') ? list : reads
    res.writeHead(200, headers)
    res.end(answer)
  })
}).listen(0, '127.0.0.1', function () { console.log('listening on ' + this.address().port) })
`

/** `ndsctl json` with the recorded authenticated client `GUESTS` times, each a session of voucher i. */
const ndsJson = (): string => {
  const recorded = JSON.parse(readFileSync(RECORDED, 'utf8')) as { clients: Record<string, Record<string, string>> }
  const client = Object.values(recorded.clients).find((c) => c.state === 'Authenticated')
  if (client === undefined) throw new Error(`${RECORDED} has no authenticated client`)
  const clients: Record<string, Record<string, string>> = {}
  for (let i = 1; i <= GUESTS; i++) {
    const mac = `02:77:00:00:01:${i.toString(16).padStart(2, '0')}`
    clients[mac] = { ...client, mac, ip: `10.77.1.${i}`, token: (0x0ccd1200 + i).toString(16).padStart(8, '0'), custom: `hs-v${i}` }
  }
  return JSON.stringify({ client_list_length: String(GUESTS), clients }, null, 2)
}

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-bench-api-'))
  dirs.push(dir)
  const stateDir = join(dir, 'state')
  mkdirSync(stateDir)
  writeFileSync(join(dir, 'ndsctl.json'), ndsJson())
  const ndsctl = join(dir, 'ndsctl')
  // Only `ndsctl json` is expected; anything else (a deauth) is refused as openNDS would refuse an unknown client.
  writeFileSync(ndsctl, `#!/bin/sh\n[ "$1" = json ] && [ $# -eq 1 ] && exec cat '${join(dir, 'ndsctl.json')}'\necho "ndsctl $*: not in this bench" >&2\nexit 1\n`)
  chmodSync(ndsctl, 0o755)
  const config = join(dir, 'config')
  writeFileSync(config, benchConfig(KEY, { backend: 'opennds' }, `config opennds 'opennds'
	option ndsctl '${ndsctl}'
	option binauth_spool '${join(dir, 'binauth')}'
	list leases '${join(dir, 'no-leases')}'
config portal 'portal'
	option enabled '0'
`))
  // The 50 vouchers whose sessions openNDS lists: valid always, unlimited, so the enforcer leaves them be.
  const store = openStore(stateDir, createLogger(() => {}), 'native')
  try {
    const now = Math.floor(Date.now() / 1000)
    for (let i = 1; i <= GUESTS; i++) {
      store.vouchers.insert({ username: `guest${i}`, passcode: `pass${i}word`, fullname: `Guest ${i}`, valid_for: 'always', valid_from: now - 3600, created_at: now - 3600, download_limit: 0, upload_limit: 0 })
    }
  } finally {
    store.close()
  }

  const daemon = await startServer([BUNDLE, '--config', config, '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--ubus-socket', join(dir, 'no-ubusd.sock')], / started: .* on 127\.0\.0\.1:(\d+)/)
  const readBody = JSON.stringify({ 'api-key': KEY, action: 'get_active_guests' })
  const listBody = JSON.stringify({ 'api-key': KEY, action: 'get_voucher_users' })
  let made = 0
  const createBody = (): string => JSON.stringify({ 'api-key': KEY, action: 'create_voucher', username: `bench${++made}` })

  // Captured once: the daemon's answers, checked, become the bare server's.
  const reads = await once(daemon.port, '/api/', readBody)
  const guests = (JSON.parse(reads.body.toString()) as { data?: Array<{ logins: string }> }).data ?? []
  if (reads.status !== 200 || guests.length !== GUESTS || guests.some((g) => !/^guest\d+$/.test(g.logins))) {
    throw new Error(`get_active_guests answered ${reads.status} with ${guests.length} guests, not ${GUESTS} with their logins: ${reads.body.toString().slice(0, 300)}\n${daemon.lines.join('\n')}`)
  }
  const creates = await once(daemon.port, '/api/', createBody())
  if (creates.status !== 200 || !creates.body.toString().includes('User added successfully')) throw new Error(`create_voucher answered ${creates.status}: ${creates.body.toString()}`)
  const list = await once(daemon.port, '/api/', listBody)
  if (list.status !== 200 || (JSON.parse(list.body.toString()) as { users: unknown[] }).users.length !== GUESTS + 1) throw new Error(`get_voucher_users answered ${list.status}`)
  for (const [name, a] of [['reads', reads], ['creates', creates], ['list', list]] as const) writeFileSync(join(dir, name), a.body)
  console.log(`daemon answers: get_active_guests ${reads.body.length} bytes (${GUESTS} guests), create_voucher ${creates.body.length} bytes, get_voucher_users ${list.body.length} bytes`)

  const bare = await startServer(['-e', BARE, join(dir, 'reads'), join(dir, 'creates'), join(dir, 'list')], /listening on (\d+)/)
  for (const [name, a] of [['reads', readBody], ['creates', createBody()], ['list', listBody]] as const) {
    const b = await once(bare.port, '/api/', a)
    if (!b.body.equals(readFileSync(join(dir, name)))) throw new Error(`the bare server's ${name} answer differs from the daemon's`)
  }

  try {
    // Warm both up (JIT, connections) before the rounds.
    for (const port of [daemon.port, bare.port]) {
      await load(port, '/api/', () => readBody, 500)
      await load(port, '/api/', () => listBody, 500)
    }

    const figure = async (name: string, body: () => string, target: string, goal: (ratio: number) => boolean, note: string): Promise<void> => {
      const errors = { daemon: [] as number[], bare: [] as number[] }
      const oks: number[] = []
      const r = await alternate(ROUNDS,
        async () => { const x = await load(daemon.port, '/api/', body, ROUND_MS); errors.daemon.push(x.other); oks.push(x.ok); return round(x.rps) },
        async () => { const x = await load(bare.port, '/api/', body, ROUND_MS); errors.bare.push(x.other); return round(x.rps) })
      const value = median(r.subject)
      const baseline = median(r.baseline)
      report({
        name,
        unit: 'req/s',
        value: round(value),
        baseline: round(baseline),
        baselineName: 'bare node:http, same bytes from memory',
        target,
        ratio: round(value / baseline),
        met: goal(value / baseline),
        raw: {
          'hotspotd req/s': r.subject,
          'bare req/s': r.baseline,
          'hotspotd non-2xx per round': errors.daemon,
          'bare non-2xx per round': errors.bare,
          'answers per round (hotspotd)': oks,
          load: `${CONNECTIONS} keep-alive connections, ${ROUND_MS / 1000} s per round, ${ROUNDS} rounds alternating; POST JSON`,
          note,
        },
      })
    }

    await figure('API reads: get_active_guests with 50 live sessions, requests/s', () => readBody,
      'value/baseline >= 0.85', (x) => x >= 0.85,
      'backend opennds; every request runs ndsctl json (a fake: sh + cat of the recorded output, 50 clients) and looks up 50 logins; hotspotd runs one ndsctl at a time')
    await figure('API reads without the backend: get_voucher_users of 51 vouchers, requests/s (for scale)', () => listBody,
      'reported', () => true,
      'a database read and the streamed JSON writer, no ndsctl: what the HTTP and API layers cost against a bare server')
    await figure('API writes: create_voucher, requests/s', createBody,
      'reported', () => true,
      'each create is one durable SQLite transaction (WAL, synchronous=FULL: fsync before the answer), generated passcode and name; the bare server writes nothing')
  } finally {
    await stop(daemon.child)
    await stop(bare.child)
  }
}

runBench(main)
