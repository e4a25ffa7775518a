// Two relays (the built dist/hotspotd-relay.js) behind Debian's haproxy, run with the shipped
// deploy/relay/haproxy.cfg on loopback ports: each stand-in router's tunnel and the requests for
// its id land on the same relay, routers on different relays answer for their own ids, the
// relays see the client's address through X-Forwarded-For from haproxy only, and when a relay
// stops its routers move to the other one. Skipped, saying why, without haproxy.
import t, { type Test } from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { join, resolve } from 'node:path'
import { newEndpointId, signCredential } from '../../src/cloud/credential'
import { CLOSE_GOING_AWAY } from '../../src/cloud/protocol'
import { until, waitForLine } from '../fixtures/bundle'
import { freePort } from '../fixtures/ports'
import { connectStandIn, relayRequest, type StandIn } from '../fixtures/stand-in-router'
import { makeTls } from '../fixtures/tls'

const RELAY = resolve('dist/hotspotd-relay.js')
const CONFIG = resolve('deploy/relay/haproxy.cfg')
const DOMAIN = 'relay.localhost'
/** The integrator's address: another loopback address than haproxy's, to tell them apart. */
const CLIENT = '127.0.0.2'

const why = ((): string | null => {
  if (spawnSync('haproxy', ['-v']).error !== undefined) return 'haproxy is not installed (make test installs Debian\'s)'
  if (!existsSync(RELAY)) return `${RELAY} is missing: run make build (make test does)`
  return null
})()

interface Proc { child: ChildProcess; lines: string[]; exited: Promise<void> }

const run = (t: Test, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc => {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const lines: string[] = []
  const collect = (chunk: Buffer): void => { lines.push(...chunk.toString().split('\n').filter(Boolean)) }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  t.teardown(() => { child.kill('SIGKILL') })
  return { child, lines, exited }
}

/**
 * The shipped config with a global section of the test's own (in the foreground as this user,
 * no chroot, logging to stdout); its defaults, frontend and backend are used as shipped, with
 * the test's addresses and files given through the variables the config documents.
 */
const testConfig = (dir: string): string => {
  const shipped = readFileSync(CONFIG, 'utf8')
  const at = shipped.indexOf('\ndefaults\n')
  if (!/\nglobal\n/.test(shipped.slice(0, at)) || at < 0) throw new Error(`${CONFIG} no longer has a global section followed by defaults`)
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, `global\n\tlog stdout format raw local0 info\n\tmaxconn 1000\n${shipped.slice(at)}`)
  return file
}

t.test('two relays behind haproxy: each router\'s tunnel and requests land on the same relay', { skip: why ?? false }, async (t) => {
  const dir = t.testdir({ secret: randomBytes(32).toString('hex') })
  const tls = makeTls(dir, DOMAIN)
  writeFileSync(join(dir, 'lb.pem'), Buffer.concat([tls.cert, tls.key]))
  const secret = Buffer.from(readFileSync(join(dir, 'secret'), 'utf8'), 'hex')
  const [lbPort, port1, port2] = [await freePort(), await freePort(), await freePort()]

  const relays = [port1, port2].map((port, n) => {
    const p = run(t, process.execPath, [RELAY, '--domain', DOMAIN, '--listen', `127.0.0.1:${port}`, '--cert', tls.certFile, '--key', tls.keyFile,
      '--secret-file', join(dir, 'secret'), '--trust-proxy', '127.0.0.1', '--log-level', 'debug'])
    return { ...p, name: `relay${n + 1}` }
  })
  for (const r of relays) await waitForLine(r, / started: /)

  const config = testConfig(dir)
  const env = {
    RELAY_LB_BIND: `127.0.0.1:${lbPort}`, RELAY_LB_CERT: join(dir, 'lb.pem'), RELAY_DOMAIN: DOMAIN, RELAY_CA: tls.caFile,
    RELAY_1: `127.0.0.1:${port1}`, RELAY_2: `127.0.0.1:${port2}`,
  }
  const check = spawnSync('haproxy', ['-c', '-f', config], { env: { ...process.env, ...env }, encoding: 'utf8' })
  t.equal(check.status, 0, `haproxy accepts the shipped config: ${check.stdout}${check.stderr}`)
  const lb = run(t, 'haproxy', ['-db', '-f', config], env)
  // Both relays up: haproxy's health checks reach each (logged at debug).
  await until(() => relays.every((r) => r.lines.some((l) => l.includes('/.hotspotd/health 200'))), 15_000,
    () => `health checks:\n${relays.map((r) => r.lines.join('\n')).join('\n')}\n${lb.lines.join('\n')}`)

  /** Which relay holds the tunnel of `id`, once it connected. */
  const holder = async (id: string): Promise<number> => {
    await until(() => relays.some((r) => r.lines.some((l) => l.includes(`tunnel ${id}: connected`))), 5000, () => 'no relay got the tunnel')
    return relays.findIndex((r) => r.lines.some((l) => l.includes(`tunnel ${id}: connected`)))
  }
  const answer = (id: string) => (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify({ id, client: req.socket.remoteAddress, url: req.url }))
  }
  const dial = (id: string): Promise<StandIn> =>
    connectStandIn({ host: `${id}.${DOMAIN}`, port: lbPort, credential: signCredential(secret, id), ca: tls.ca, handler: answer(id) })

  // Routers with random ids until one tunnel sits on each relay (the hash decides where).
  const routers = new Map<number, { id: string; standIn: StandIn }>()
  for (let tries = 0; routers.size < 2 && tries < 24; tries++) {
    const id = newEndpointId()
    const standIn = await dial(id)
    const at = await holder(id)
    if (routers.has(at)) standIn.ws.terminate()
    else routers.set(at, { id, standIn })
  }
  t.equal(routers.size, 2, 'the hash spread the routers over both relays')
  t.teardown(() => { for (const r of routers.values()) r.standIn.ws.terminate() })

  for (const [at, { id }] of routers) {
    for (let i = 0; i < 5; i++) {
      const a = await relayRequest(lbPort, `${id}.${DOMAIN}`, tls.ca, {
        path: `/api/?n=${i}&api-key=k${i}`, headers: { 'X-Forwarded-For': '203.0.113.66' }, options: { localAddress: CLIENT },
      })
      t.same([a.status, JSON.parse(a.body)], [200, { id, client: CLIENT, url: `/api/?n=${i}&api-key=k${i}` }],
        `request ${i} for ${id} is answered by its own router, told the client's address (not the forged one)`)
    }
    const own = relays[at] as Proc & { name: string }
    const other = relays[1 - at] as Proc & { name: string }
    const line = new RegExp(`access \\S+ ${CLIENT.replace(/\./g, '\\.')} ${id} GET /api/\\?n=\\d&api-key=\\[redacted\\] 200 `)
    const served = (): number => own.lines.filter((l) => line.test(l)).length
    await until(() => served() === 5, 5000, () => own.lines.join('\n'))
    t.equal(served(), 5, `${own.name} holds ${id}'s tunnel and served all five of its requests (its access log, client address from haproxy)`)
    t.notOk(other.lines.some((l) => l.includes(` ${id} GET `)), `${other.name} served none of them`)
  }
  const upper = [...routers.values()][0] as { id: string }
  const shouted = await relayRequest(lbPort, `${upper.id.toUpperCase()}.${DOMAIN.toUpperCase()}`, tls.ca, { options: { servername: `${upper.id}.${DOMAIN}` } })
  t.equal(JSON.parse(shouted.body).id, upper.id, 'a host name in capitals hashes to the same relay')

  // A relay stops: its router is told (going away), redials, and lands on the other one.
  const [stoppedAt, moving] = [...routers.entries()][0] as [number, { id: string; standIn: StandIn }]
  const stopped = relays[stoppedAt] as Proc
  const survivor = relays[1 - stoppedAt] as Proc
  stopped.child.kill('SIGTERM')
  t.equal((await moving.standIn.closed).code, CLOSE_GOING_AWAY, 'the router is told the relay is going away')
  await stopped.exited
  const deadline = Date.now() + 20_000
  let moved: StandIn | undefined
  while (moved === undefined) {
    try {
      moved = await dial(moving.id)
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  t.teardown(() => { moved?.ws.terminate() })
  await until(() => survivor.lines.some((l) => l.includes(`tunnel ${moving.id}: connected`)), 5000, () => survivor.lines.join('\n'))
  t.pass('its tunnel is now on the other relay')
  const a = await relayRequest(lbPort, `${moving.id}.${DOMAIN}`, tls.ca)
  t.same([a.status, JSON.parse(a.body).id], [200, moving.id], 'and its requests follow it there')
})
