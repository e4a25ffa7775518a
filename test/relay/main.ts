import t, { type Test } from 'tap'
import { X509Certificate } from 'node:crypto'
import { copyFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import { verifyCredential } from '../../src/cloud/credential'
import { HEALTH_PATH } from '../../src/cloud/protocol'
import { MIN_ENROLL_KEY, runRelay, type RelayProc } from '../../src/relay/main'
import { until } from '../fixtures/bundle'
import { relayRequest } from '../fixtures/stand-in-router'
import { makeTls, type Tls } from '../fixtures/tls'

const SECRET_HEX = 'ab'.repeat(32)
const DOMAIN = 'relay.localhost'

interface Run {
  out: string[]
  err: string[]
  exits: number[]
  signals: Map<string, () => void>
  relay: Awaited<ReturnType<typeof runRelay>>
}

const run = async (argv: string[]): Promise<Run> => {
  const r: Omit<Run, 'relay'> = { out: [], err: [], exits: [], signals: new Map() }
  const proc: RelayProc = {
    argv,
    stdout: (s) => { r.out.push(s) },
    stderr: (s) => { r.err.push(s) },
    onSignal: (signal, fn) => { r.signals.set(signal, fn) },
    exit: (code) => { r.exits.push(code) },
  }
  return { ...r, relay: await runRelay(proc) }
}

interface Files { dir: string; tls: Tls; secret: string; enroll: string; args: string[] }

const files = (t: Test): Files => {
  const dir = t.testdir({ secret: `${SECRET_HEX}\n`, short: 'abc\n', enroll: 'x'.repeat(MIN_ENROLL_KEY), weak: 'x'.repeat(MIN_ENROLL_KEY - 1), junk: 'not a pem\n' })
  const tls = makeTls(dir, DOMAIN)
  const secret = join(dir, 'secret')
  return { dir, tls, secret, enroll: join(dir, 'enroll'), args: ['--domain', DOMAIN, '--listen', '127.0.0.1:0', '--cert', tls.certFile, '--key', tls.keyFile, '--secret-file', secret] }
}

const stop = async (t: Test, r: Run): Promise<void> => {
  t.teardown(() => r.relay?.stop(50))
}

t.test('help, version, and a bad command line (exit 2, with the usage)', async (t) => {
  const help = await run(['--help'])
  t.match(help.out.join(''), /^usage: hotspotd-relay /)
  t.same(help.exits, [])
  t.match((await run(['--version'])).out.join(''), /^hotspotd-relay \d+\.\d+\.\d+\n$/)
  const bad = await run(['--domain'])
  t.same(bad.exits, [2])
  t.match(bad.err.join(''), /^hotspotd-relay: .*--domain[^]*\nusage: hotspotd-relay /)
})

t.test('credential prints a genuine credential, for the id given or a new one', async (t) => {
  const f = files(t)
  const given = await run(['credential', '--secret-file', f.secret, '2b080b3af6'])
  const credential = given.out.join('').trim()
  t.equal(verifyCredential(Buffer.from(SECRET_HEX, 'hex'), credential), '2b080b3af6')
  const fresh = (await run(['credential', '--secret-file', f.secret])).out.join('').trim()
  t.match(fresh, /^[0-9a-f]{10}\./)
  t.ok(verifyCredential(Buffer.from(SECRET_HEX, 'hex'), fresh), 'a random id, signed')
  const missing = await run(['credential', '--secret-file', join(f.dir, 'nope')])
  t.same([missing.exits, missing.err.join('')], [[1], `hotspotd-relay: --secret-file ${join(f.dir, 'nope')}: cannot read it (ENOENT)\n`])
  const short = await run(['credential', '--secret-file', join(f.dir, 'short')])
  t.same(short.exits, [1])
  t.match(short.err.join(''), `--secret-file ${join(f.dir, 'short')}: the relay secret has 3 bytes; it needs at least 32`)
})

t.test('runs: says where it listens, serves, reloads its certificate on SIGHUP, stops on SIGTERM', async (t) => {
  const f = files(t)
  const r = await run([...f.args, '--enroll-key-file', f.enroll, '--log-level', 'debug'])
  await stop(t, r)
  const started = r.out.find((l) => l.includes(' started: ')) as string
  t.match(started, /^info: hotspotd-relay \d+\.\d+\.\d+ started: relay\.localhost and \*\.relay\.localhost on 127\.0\.0\.1:(\d+), enrollment on\n$/)
  const port = Number(/:(\d+),/.exec(started)?.[1])
  t.equal(port, r.relay?.port)
  const health = await relayRequest(port, DOMAIN, f.tls.ca, { path: HEALTH_PATH })
  t.equal(health.status, 200)

  const fingerprint = (): Promise<string> => new Promise((resolve, reject) => {
    const c = tlsConnect({ host: '127.0.0.1', port, servername: DOMAIN, rejectUnauthorized: false }, () => {
      resolve(c.getPeerX509Certificate()?.fingerprint256 as string)
      c.destroy()
    })
    c.on('error', reject)
  })
  // certbot renews: new files in place, then SIGHUP.
  const renewed = makeTls(f.dir, DOMAIN, 'renewed-')
  copyFileSync(renewed.certFile, f.tls.certFile)
  copyFileSync(renewed.keyFile, f.tls.keyFile)
  r.signals.get('SIGHUP')?.()
  t.equal(await fingerprint(), new X509Certificate(renewed.cert).fingerprint256, 'the renewed certificate is served')
  t.ok(r.out.some((l) => l === `info: certificate reloaded from ${f.tls.certFile}\n`))
  writeFileSync(f.tls.keyFile, 'not a key')
  r.signals.get('SIGHUP')?.()
  t.ok(r.out.some((l) => l.startsWith('error: certificate not reloaded, the old one stays: ')), 'a broken renewal is logged')
  t.equal(await fingerprint(), new X509Certificate(renewed.cert).fingerprint256, 'and the old certificate stays')

  r.signals.get('SIGTERM')?.()
  r.signals.get('SIGINT')?.()
  await until(() => r.exits.length > 0, 5000, () => r.out.join(''))
  t.same(r.exits, [0], 'exits 0, once')
  t.ok(r.out.includes('info: stopping: closing tunnels\n'))
  t.ok(r.out.includes('info: stopped\n'))
})

t.test('what keeps it from starting is named, and exits 1', async (t) => {
  const f = files(t)
  const cases: Array<[string[], string]> = [
    [[...f.args.slice(0, 4), '--cert', join(f.dir, 'none.pem'), ...f.args.slice(6)], `--cert ${join(f.dir, 'none.pem')}: cannot read it (ENOENT)`],
    [[...f.args.slice(0, 6), '--key', join(f.dir, 'junk'), ...f.args.slice(8)], `--cert ${f.tls.certFile} and --key ${join(f.dir, 'junk')}: not a certificate and its key (`],
    [[...f.args.slice(0, 8), '--secret-file', join(f.dir, 'short')], `--secret-file ${join(f.dir, 'short')}: the relay secret has 3 bytes`],
    [[...f.args, '--enroll-key-file', join(f.dir, 'weak')], `--enroll-key-file ${join(f.dir, 'weak')}: the key has ${MIN_ENROLL_KEY - 1} characters; it needs at least ${MIN_ENROLL_KEY}`],
    [[...f.args, '--enroll-key-file', join(f.dir, 'none')], `--enroll-key-file ${join(f.dir, 'none')}: cannot read it (ENOENT)`],
  ]
  for (const [argv, message] of cases) {
    const r = await run(argv)
    t.same(r.exits, [1], message)
    t.match(r.err.join(''), `hotspotd-relay: ${message}`, message)
  }
  const first = await run(f.args)
  await stop(t, first)
  t.match(first.out.join(''), /enrollment off/)
  const busy = await run([...f.args.slice(0, 2), '--listen', `127.0.0.1:${first.relay?.port as number}`, ...f.args.slice(4)])
  t.same(busy.exits, [1])
  t.equal(busy.err.join(''), `hotspotd-relay: cannot listen on 127.0.0.1:${first.relay?.port as number}: EADDRINUSE\n`)
})

/** Why [::1] cannot be listened on here, or undefined when it can. */
const noIpv6 = (): Promise<string | undefined> => new Promise((resolve) => {
  const s = createServer()
  s.once('error', (err) => { resolve(`no IPv6 loopback here (${(err as NodeJS.ErrnoException).code as string})`) })
  s.listen(0, '::1', () => { s.close(() => { resolve(undefined) }) })
})

t.test('an IPv6 listen address is written in brackets', async (t) => {
  const why = await noIpv6()
  if (why !== undefined) {
    t.comment(why)
    return
  }
  const f = files(t)
  const r = await run([...f.args.slice(0, 2), '--listen', '[::1]:0', ...f.args.slice(4)])
  await stop(t, r)
  t.match(r.out.join(''), /on \[::1\]:\d+, enrollment off/)
})
