/**
 * The cloud endpoint's cost: requests/s of an authenticated `get_voucher_users` (50 vouchers)
 * sent through the relay and the router's tunnel (HTTPS to the relay, one WebSocket to the
 * daemon, the stream multiplexer, the daemon's /api/), against the same requests sent straight
 * to the daemon's LAN listener. Same machine, same load generator (this process, 16 keep-alive
 * connections, each sending its next request when the answer before it has been read), same
 * daemon; relay and direct alternate for 5 rounds of 3 s. The relay runs with a throwaway CA
 * and wildcard certificate made by openssl (test/fixtures/tls.ts), and a rate limit high enough not to interfere.
 *
 * What the ratio holds: TLS on the integrator's side, the relay's parsing and forwarding, the
 * frames over the tunnel and one more HTTP parse in the daemon per request. On a router the
 * tunnel's share is paid by the router's CPU; the relay's by the server's.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { alternate, benchConfig, dirs, median, report, round, runBench, startServer, stop } from './lib'
import { openStore } from '../src/store/db'
import { createLogger } from '../src/log'
import { makeTls } from '../test/fixtures/tls'

const BUNDLE = resolve('dist/hotspotd.js')
const RELAY = resolve('dist/hotspotd-relay.js')
const KEY = 'benchkey0123456789abcdef01234567'
const DOMAIN = 'relay.bench'
const ID = 'be0c4b3e0c'
const VOUCHERS = 50
const ROUNDS = 5
const ROUND_MS = 3000
const CONNECTIONS = 16

type Send = (body: string) => Promise<{ status: number; body: Buffer }>

const collect = (resolve: (a: { status: number; body: Buffer }) => void, reject: (e: Error) => void) => (res: IncomingMessage): void => {
  const parts: Buffer[] = []
  res.on('data', (b: Buffer) => parts.push(b))
  res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }) })
  res.on('error', reject)
}

/** The load: CONNECTIONS loops over one keep-alive agent, for `ms`; requests/s of 2xx answers. */
const load = async (send: Send, body: string, ms: number): Promise<{ rps: number; other: number }> => {
  let ok = 0
  let other = 0
  const t0 = performance.now()
  const loop = async (): Promise<void> => {
    while (performance.now() < t0 + ms) {
      const a = await send(body)
      if (a.status >= 200 && a.status < 300) ok++; else other++
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, loop))
  return { rps: ok / ((performance.now() - t0) / 1000), other }
}

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-bench-cloud-'))
  dirs.push(dir)
  const tls = makeTls(dir, DOMAIN)
  const secretFile = join(dir, 'secret')
  writeFileSync(secretFile, randomBytes(32).toString('hex'))
  const credential = execFileSync(process.execPath, [RELAY, 'credential', '--secret-file', secretFile, ID], { encoding: 'utf8' }).trim()
  const relay = await startServer([RELAY, '--domain', DOMAIN, '--listen', '127.0.0.1:0', '--cert', tls.certFile, '--key', tls.keyFile,
    '--secret-file', secretFile, '--rate', '1000000', '--burst', '1000000'], /127\.0\.0\.1:(\d+)/)

  const stateDir = join(dir, 'state')
  mkdirSync(stateDir)
  const store = openStore(stateDir, createLogger(() => {}), 'native')
  try {
    for (let i = 1; i <= VOUCHERS; i++) store.vouchers.insert({ username: `guest${i}`, passcode: `pass${i}word`, fullname: `Guest ${i}`, valid_for: '1 day', valid_from: 0, created_at: 0, download_limit: 0, upload_limit: 0 })
  } finally {
    store.close()
  }
  const config = join(dir, 'config')
  writeFileSync(config, benchConfig(KEY, { backend: 'none' }, `config cloud 'cloud'
	option enabled '1'
	option relay 'wss://${DOMAIN}:${relay.port}'
	option relay_address '127.0.0.1'
	option credential '${credential}'
	option ca_file '${tls.caFile}'
`))
  const daemon = await startServer([BUNDLE, '--config', config, '--state-dir', stateDir, '--listen', '127.0.0.1:0', '--ubus-socket', join(dir, 'no-ubusd.sock')], / started: .* on 127\.0\.0\.1:(\d+)/)

  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: CONNECTIONS })
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: CONNECTIONS, ca: tls.ca })
  const direct: Send = (body) => new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: daemon.port, path: '/api/', method: 'POST', agent: httpAgent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, collect(resolve, reject))
    req.on('error', reject)
    req.end(body)
  })
  const viaRelay: Send = (body) => new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: `${ID}.${DOMAIN}`, port: relay.port, path: '/api/', method: 'POST', agent: httpsAgent,
      lookup: (_h, _o, cb) => { cb(null, [{ address: '127.0.0.1', family: 4 }] as never, 4) },
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, collect(resolve, reject))
    req.on('error', reject)
    req.end(body)
  })
  const body = JSON.stringify({ 'api-key': KEY, action: 'get_voucher_users' })
  try {
    // Wait for the tunnel, then check both doors give the same bytes.
    const until = Date.now() + 15_000
    let through = await viaRelay(body).catch(() => ({ status: 0, body: Buffer.alloc(0) }))
    while (through.status !== 200 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      through = await viaRelay(body).catch(() => ({ status: 0, body: Buffer.alloc(0) }))
    }
    const straight = await direct(body)
    if (through.status !== 200 || !through.body.equals(straight.body)) {
      throw new Error(`through the relay: ${through.status} ${through.body.toString().slice(0, 200)}\n${relay.lines.join('\n')}\n${daemon.lines.join('\n')}`)
    }
    console.log(`get_voucher_users of ${VOUCHERS} vouchers: ${straight.body.length} bytes, the same through the relay`)
    await load(viaRelay, body, 500)
    await load(direct, body, 500)
    const errors = { relay: [] as number[], direct: [] as number[] }
    const r = await alternate(ROUNDS,
      async () => { const x = await load(viaRelay, body, ROUND_MS); errors.relay.push(x.other); return round(x.rps) },
      async () => { const x = await load(direct, body, ROUND_MS); errors.direct.push(x.other); return round(x.rps) })
    const value = median(r.subject)
    const baseline = median(r.baseline)
    report({
      name: `Cloud endpoint: get_voucher_users of ${VOUCHERS} vouchers through relay + tunnel, requests/s`,
      unit: 'req/s',
      value: round(value),
      baseline: round(baseline),
      baselineName: 'the same requests straight to the daemon\'s LAN listener',
      target: 'reported',
      ratio: round(value / baseline),
      met: true,
      raw: {
        'through relay req/s': r.subject,
        'direct req/s': r.baseline,
        'through relay non-2xx per round': errors.relay,
        'direct non-2xx per round': errors.direct,
        load: `${CONNECTIONS} keep-alive connections (HTTPS to the relay, HTTP direct), ${ROUND_MS / 1000} s per round, ${ROUNDS} rounds alternating; POST JSON`,
        note: 'relay, daemon and load generator on the same 2 cores; one tunnel (WebSocket over TLS) carries all 16 connections',
      },
    })
  } finally {
    httpAgent.destroy()
    httpsAgent.destroy()
    await stop(daemon.child)
    await stop(relay.child)
  }
}

runBench(main)
