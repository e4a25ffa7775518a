// Reliability, faults: the built daemon (and, for the clock, the daemon in this process) when
// what it depends on misbehaves. Quick forms run in `make test`; HOTSPOTD_SOAK=1 (`make soak`)
// runs the long forms (more restarts, longer outages, more rounds).
//
// (a) ubusd restarts: the fake ubusd's socket is closed (the file is gone, as when procd restarts
//     ubusd) and opened again after a while; the daemon must say HELLO's part again and publish
//     `hotspot` (ADD_OBJECT) and its event registration within a bound that follows from its
//     back-off (0.5 s doubling, jittered: at most about twice the outage, capped at 30 s), and
//     serve the API all along. Already covered elsewhere, not repeated here: the exact frames of
//     a re-publication after ubusd drops the connection (test/main.ts "on ubus: publishes
//     hotspot, answers calls, sends events, and re-publishes after ubusd restarts"), and the
//     client's retry and re-registration logic (test/ubus/client.ts "re-registers everything
//     after the socket drops", "a missing socket: warned once, retried until ubusd is there").
// (b) ndsctl hangs, then fails, then recovers: the daemon's poll loop kills the hung call at
//     its 10 s timeout and carries on, the API keeps answering, each distinct failure is logged
//     once, and live data comes back with ndsctl. The runner's timeout and queue on their own are
//     test/backend/ndsctl.ts "run: a call that hangs is killed at the timeout, and the queue goes
//     on"; the loop's logging with a fake ndsctl object is test/enforce/enforcer.ts "openNDS
//     cannot be read: logged once, counted data still flushed on time, retried each poll".
// (c) the state directory's disk fills up: a 1 MiB tmpfs in a private mount namespace that a
//     holder process keeps (nothing is mounted in the test's own namespace, and it all goes when
//     the holder is killed), filled from outside through /proc/<holder>/root. Per SQLite engine.
//     Elsewhere a full disk is only simulated: a stubbed insert that throws (test/actions/
//     create-voucher.ts) and a trigger raising "database or disk is full" (test/portal/login.ts).
// (d) the clock jumps forward and back: the system clock cannot be stepped in a test, so the
//     daemon runs in this process with its own `io.now` (the only wall clock it reads: DaemonIo.now
//     in src/main.ts; the monotonic clock stays real, which is what a real step looks like to
//     the enforcer). The jump logic itself (which stamps move, the tolerance, an unset clock) is
//     test/enforce/enforcer.ts "the clock"; here it runs end to end: the portal stamps first
//     logins, the poll loop sees the jumps, vouchers expire or not, removed vouchers stay removed,
//     and counted usage never goes backwards; a stamp moves back with a jump back, and a step
//     while a poll waits for `ndsctl json` is seen before that poll's verdicts.
import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, openSync, statfsSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { bundleProblem, runBundle, until, type BundleProcess } from '../fixtures/bundle'
import { UbusdReplay, type Step } from '../fixtures/ubusd-replay'
import { freePort } from '../fixtures/ports'
import { alive, apiBase, apiCall, liveNdsctl, SOAK, sleep, stop, uci, type Answer, type FakeClient } from '../fixtures/reliability'
import { actions } from '../../src/actions/index'
import { hotspotObject } from '../../src/ubus/bridge'
import { tableFromJson } from '../../src/ubus/blobmsg'
import { Attr, encodeMessage, MsgType, type MessageAttr } from '../../src/ubus/message'
import { signatureOf } from '../../src/ubus/signature'
import { runMain, type Daemon, type Proc } from '../../src/main'

t.setTimeout(SOAK ? 3_600_000 : 120_000)

const KEY = 'faults-key-0123456789abcdef01234'

t.before(() => {
  const missing = bundleProblem()
  if (missing !== null) throw new Error(missing)
})

/** The `users` of get_voucher_users, by username. */
const usernames = async (base: string): Promise<string[]> => {
  const a = await apiCall(base, KEY, { action: 'get_voucher_users' })
  if (a.status !== 200) throw new Error(`get_voucher_users: ${a.status} ${a.text}`)
  return (a.json as { users: Array<{ username: string }> }).users.map((u) => u.username)
}

// ---------------------------------------------------------------------------------------------
// (a) ubusd restarted

const frame = (type: number, seq: number, peer: number, attrs: MessageAttr[] = []): string =>
  encodeMessage({ version: 0, type, seq, peer, attrs }).toString('hex')
const u32 = (id: number, value: number): MessageAttr => ({ id, kind: 'u32', value })
const str = (id: number, value: string): MessageAttr => ({ id, kind: 'string', value })
const table = (id: number, value: Record<string, unknown>): MessageAttr => ({ id, kind: 'blobmsg', value: tableFromJson(value) })

/**
 * ubusd's HELLO and what hotspotd must send after it, answered as ubusd answers: ADD_OBJECT of
 * hotspot with the action table's signature (object id `obj`), the anonymous listener object and
 * its registration for netifd's events. `published` runs as soon as the ADD_OBJECT came.
 */
const connectSteps = (client: number, obj: number, listener: number, published: () => void): Step[] => [
  { send: frame(MsgType.HELLO, 0, client) },
  { expect: frame(MsgType.ADD_OBJECT, 1, 0, [str(Attr.OBJPATH, 'hotspot'), { id: Attr.SIGNATURE, kind: 'blobmsg', value: signatureOf(hotspotObject(actions, {} as never).methods) }]) },
  { run: published },
  { send: frame(MsgType.DATA, 1, 0, [u32(Attr.OBJID, obj), u32(Attr.OBJTYPE, 0x3355aba5)]) },
  { send: frame(MsgType.STATUS, 1, 0, [u32(Attr.STATUS, 0)]) },
  { expect: frame(MsgType.ADD_OBJECT, 2, 0) },
  { send: frame(MsgType.DATA, 2, 0, [u32(Attr.OBJID, listener)]) },
  { send: frame(MsgType.STATUS, 2, 0, [u32(Attr.STATUS, 0)]) },
  { expect: frame(MsgType.INVOKE, 3, 1, [u32(Attr.OBJID, 1), str(Attr.METHOD, 'register'), table(Attr.DATA, { object: listener | 0, pattern: 'network.interface' })]) },
  { send: frame(MsgType.STATUS, 3, 1, [u32(Attr.STATUS, 0)]) },
]

t.test('(a) ubusd restarted: hotspot is published again within seconds, the API serves throughout', async (t) => {
  // How long ubusd stays away each time (ms). The back-off doubles from 0.5 s to 30 s, so the
  // long outages also check that it stops doubling.
  const outages = SOAK ? [300, 1500, 4000, 9000, 20_000, 45_000, 700, 2500] : [1500]
  const hex = (n: number): string => n.toString(16).padStart(8, '0')
  let daemon: BundleProcess | undefined
  let base = ''
  const timings: Array<{ outage: number; reconnectMs: number }> = []
  let reopenedAt = 0
  const lostLines = (): string[] => daemon?.lines.filter((l) => l.startsWith('warn: ubus: connection to ')) ?? []
  let replay: UbusdReplay | undefined
  const steps: Step[] = [
    ...connectSteps(0x51000000, 0x61000000, 0x71000000, () => {}),
    { run: () => until(() => daemon?.lines.includes(`info: ubus: published hotspot as object ${hex(0x61000000)}`) === true, 10_000, () => 'not published') },
  ]
  outages.forEach((outage, i) => {
    const obj = 0x61000001 + i
    steps.push(
      {
        run: async () => {
          const lost = lostLines().length
          const r = replay as UbusdReplay
          await r.close() // ubusd goes away: its socket file with it
          t.notOk(existsSync(r.path), `restart ${i + 1}: the socket is gone`)
          const downAt = performance.now()
          await until(() => lostLines().length === lost + 1, 5000, () => 'the drop was not noticed')
          const status = await apiCall(base, KEY, { action: 'get_status' })
          t.match(status.json, { data: { ubus: { connected: false } } }, `restart ${i + 1}: get_status says ubus is down`)
          const made = await apiCall(base, KEY, { action: 'create_voucher', username: `down${i}` })
          t.equal(made.status, 200, `restart ${i + 1}: the API creates vouchers while ubusd is away`)
          await sleep(Math.max(0, outage - (performance.now() - downAt)))
          await r.listen()
          reopenedAt = performance.now()
        },
      },
      { close: true }, // the script moves on to the next connection
      ...connectSteps(0x52000000 + i, obj, 0x72000000 + i, () => {
        const ms = performance.now() - reopenedAt
        timings.push({ outage, reconnectMs: Math.round(ms) })
        // The attempt after the one that failed last comes at most twice the outage (plus the
        // first 0.5 s) later, never more than 30 s: within that, plus slack for a busy machine.
        const bound = Math.min(2 * outage + 500, 30_000) + 2000
        t.ok(ms <= bound, `restart ${i + 1} (${outage} ms away): ADD_OBJECT ${Math.round(ms)} ms after ubusd is back (bound ${bound} ms)`)
      }),
      { run: () => until(() => daemon?.lines.includes(`info: ubus: published hotspot as object ${hex(obj)}`) === true, 10_000, () => 'not published again') },
    )
  })
  // A voucher created after the last restart is announced on the new connection.
  steps.push(
    { run: async () => { t.equal((await apiCall(base, KEY, { action: 'create_voucher', username: 'after', valid_from: '2025-01-17 10:00:00' })).status, 200) } },
    { expect: frame(MsgType.INVOKE, 4, 1, [u32(Attr.OBJID, 1), str(Attr.METHOD, 'send'), table(Attr.DATA, { id: 'hotspot.voucher', data: { event: 'created', username: 'after', valid_for: '1 day', valid_from: '2025-01-17 10:00:00' } })]) },
    { send: frame(MsgType.STATUS, 4, 1, [u32(Attr.STATUS, 0)]) },
  )
  const ubusd = replay = new UbusdReplay(t, steps)
  await ubusd.listen()
  const dir = t.testdirName // made by the replay, which keeps its socket there
  writeFileSync(join(dir, 'config'), uci({
    main: ['hotspotd', { backend: 'none' }],
    api: ['api', { enabled: 1, key: KEY }],
    ubus: ['ubus', { socket: ubusd.path, jsonrpc: 'auto' }],
  }))
  daemon = await runBundle(t, ['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  base = apiBase(daemon)
  t.match(daemon.started, /built-in \/ubus off/, 'ubusd\'s socket is there: no built-in /ubus')
  let timer: NodeJS.Timeout | undefined
  const played = await Promise.race([ubusd.done.then(() => true), new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(false) }, outages.reduce((a, b) => a + b, 0) + 60_000 * outages.length) })])
  clearTimeout(timer)
  t.ok(played, 'every step of the script played')
  t.same(ubusd.mismatches, [], 'every frame as a fresh libubus client sends it')
  t.equal(ubusd.connections, outages.length + 1, 'one connection per ubusd run')
  t.equal(lostLines().length, outages.length, 'one warning per restart')
  t.notOk(daemon.lines.some((l) => l.startsWith('warn: ubus: cannot connect')), 'the failed attempts while it is away are not warned about again')
  t.match((await apiCall(base, KEY, { action: 'get_status' })).json, { data: { ubus: { connected: true } } }, 'connected again')
  t.same((await usernames(base)).sort(), [...outages.map((_o, i) => `down${i}`), 'after'].sort())
  t.comment(`reconnects: ${timings.map((x) => `${x.outage} ms away -> ${x.reconnectMs} ms`).join(', ')}`)
  t.equal(await stop(daemon), 0)
})

// ---------------------------------------------------------------------------------------------
// (b) ndsctl hanging, failing, recovering

t.test('(b) ndsctl hangs, then fails, then recovers: the loop times out and carries on', async (t) => {
  const dir = t.testdir({})
  const nds = liveNdsctl(dir)
  writeFileSync(join(dir, 'config'), uci({
    main: ['hotspotd', { backend: 'opennds' }],
    api: ['api', { enabled: 1, key: KEY }],
    ubus: ['ubus', { socket: join(dir, 'no-ubusd.sock'), jsonrpc: '0' }],
    opennds: ['opennds', { ndsctl: nds.path, poll_interval: 1, binauth_spool: join(dir, 'spool') }],
    portal: ['portal', { enabled: 0 }],
  }))
  const d = await runBundle(t, ['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  const base = apiBase(d)
  t.equal((await apiCall(base, KEY, { action: 'create_voucher', username: 'room1' })).status, 200)
  t.equal((await apiCall(base, KEY, { action: 'create_voucher', username: 'room2' })).status, 200)
  const session: FakeClient = { mac: '02:77:00:00:01:01', ip: '10.77.0.11', token: 'a0000001', custom: 'hs-v1', downloadKiB: 100 }
  nds.setClients([session])
  // Live calls may wait in ndsctl's queue behind several hung calls (10 s each).
  const live = (): Promise<Answer> => apiCall(base, KEY, { action: 'get_active_guests' }, undefined, 120_000)
  /** Live data as it is after the list changed (a list read within the last second is reused). */
  const liveUntil = async (ok: (a: Answer) => boolean): Promise<Answer> => {
    let a = await live()
    const end = performance.now() + 5000
    while (!ok(a) && performance.now() < end) {
      await sleep(200)
      a = await live()
    }
    return a
  }
  const guests = (a: Answer): Array<Record<string, string>> => (a.json as { data?: Array<Record<string, string>> }).data ?? []
  t.match(await liveUntil((a) => guests(a).length === 1), { status: 200, json: { data: [{ logins: 'room1', 'mac-address': '02:77:00:00:01:01' }] } }, 'live data while ndsctl answers')
  const enforceWarns = (): string[] => d.lines.filter((l) => l.startsWith('warn: enforce: openNDS cannot be read: '))
  const TIMEOUT = 'warn: enforce: openNDS cannot be read: ndsctl json: no answer within 10000 ms, killed'
  const FAILED = 'warn: enforce: openNDS cannot be read: ndsctl json: exit 1: ndsctl: fake failure'

  const rounds = SOAK ? 3 : 1
  for (let round = 1; round <= rounds; round++) {
    const callsBefore = nds.calls().length
    const hangsBefore = nds.hangPids().length
    nds.setMode('hang')
    // The poll loop is the only caller of ndsctl now: its next poll is the call that hangs.
    await until(() => nds.hangPids().length > hangsBefore, 5000, () => 'the poll loop did not call ndsctl')
    const hungAt = performance.now()
    // Live actions wait for the hung call (they share its list, or queue behind it: one ndsctl at a
    // time); they are answered once it is killed.
    const liveDuring = live()
    const removeDuring = round === 1 ? apiCall(base, KEY, { action: 'remove_voucher', username: 'room2' }, undefined, 120_000).then((a) => ({ ...a, after: performance.now() - hungAt })) : undefined
    // The API's own data does not wait: reads and writes answer at once all through the hang.
    const slow: string[] = []
    let n = 0
    const hangFor = SOAK ? 25_000 : 5_000 // a few polls' worth of hanging (soak: more than two timeouts)
    while (performance.now() - hungAt < hangFor) {
      for (const [action, params] of [['get_voucher_users', {}], ['create_voucher', { username: `r${round}n${++n}` }], ['get_logins', {}]] as const) {
        const a = await apiCall(base, KEY, { action, ...params })
        if (a.status !== 200 || a.ms > 3000) slow.push(`${action}: ${a.status} in ${Math.round(a.ms)} ms`)
      }
      await sleep(200)
    }
    t.same(slow, [], `round ${round}: while ndsctl hangs, ${n} rounds of reads and creates all answered 200 within 3 s (not after the 10 s ndsctl timeout)`)
    // Calls starting from now fail at once; the hung ones are still to be killed.
    nds.setMode('fail')
    await until(() => enforceWarns().filter((l) => l === TIMEOUT).length === round, 20_000, () => `the hang was not logged:\n${d.lines.join('\n')}`)
    const killedAfter = performance.now() - hungAt
    if (!SOAK) t.ok(killedAfter < 13_000, `round ${round}: the hung poll was killed at the timeout (${Math.round(killedAfter)} ms after the hang began)`)
    t.match(await liveDuring, { status: 503, json: { message: 'Captive portal backend is not available', error: true } }, `round ${round}: a live call made during the hang answers 503`)
    if (removeDuring !== undefined) {
      const r = await removeDuring
      t.match(r, { status: 200, json: { message: 'User removed successfully', error: false } }, 'remove_voucher during the hang: the removal stands')
      t.comment(`remove_voucher during the hang answered after ${Math.round(r.after)} ms (it waits for ndsctl to end the voucher's sessions)`)
    }
    const failingSince = nds.calls().length
    await until(() => enforceWarns().filter((l) => l === FAILED).length === round, 15_000, () => `no warning for the failure:\n${d.lines.join('\n')}`)
    await sleep(SOAK ? 10_000 : 3500) // several failing polls
    t.ok(nds.calls().length - failingSince >= 3, `round ${round}: the loop kept polling while ndsctl fails (${nds.calls().length - failingSince} calls)`)
    const failed = await live()
    t.match(failed, { status: 503, json: { message: 'Captive portal backend is not available', error: true } }, `round ${round}: live actions answer 503 while ndsctl fails`)
    t.ok(failed.ms < 2000, `round ${round}: and at once (${Math.round(failed.ms)} ms)`)
    t.ok(nds.calls().length > callsBefore, 'ndsctl was called')

    nds.setMode('ok')
    session.downloadKiB = (session.downloadKiB ?? 0) + 100
    nds.setClients([session])
    await until(() => d.lines.filter((l) => l === 'info: enforce: openNDS answers again').length === round, 5000, () => `not back:\n${d.lines.join('\n')}`)
    const bytes = String(session.downloadKiB * 1024)
    t.match(await liveUntil((a) => guests(a)[0]?.['bytes-out'] === bytes), { status: 200, json: { data: [{ logins: 'room1', 'bytes-out': bytes }] } }, `round ${round}: live data is back with ndsctl`)
  }
  t.same(enforceWarns().filter((l) => l === TIMEOUT).length, rounds, `the hang is logged once per outage${SOAK ? ', not once per hung poll' : ''}`)
  t.same(enforceWarns().filter((l) => l === FAILED).length, rounds, 'so is the failure')
  t.equal(enforceWarns().length, 2 * rounds, 'and nothing else is warned about by the loop')
  t.ok(d.lines.filter((l) => l.startsWith('warn: backend: openNDS cannot be read')).length <= 2 * rounds, 'the live actions\' failures are logged once per reason too')
  t.equal(d.child.exitCode, null, 'the daemon is still running')
  for (const pid of nds.hangPids()) t.notOk(alive(pid), `the hung ndsctl ${pid} was killed, not left behind`)
  t.equal(await stop(d), 0, 'and stops cleanly')
})

// ---------------------------------------------------------------------------------------------
// (c) disk full

const TMPFS_MAGIC = 0x01021994

/**
 * A 1 MiB tmpfs at `dir` in a private mount namespace, kept by a `sleep` (the holder). The test's
 * own namespace never sees the mount; killing the holder at the end takes the tmpfs with it.
 */
const tinyDisk = async (t: Test, dir: string): Promise<{ pid: number; inside: (p: string) => string }> => {
  mkdirSync(dir, { recursive: true })
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=1m,mode=0755 hsreltiny "$0" && echo mounted && exec sleep 3600', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { holder.kill('SIGKILL') })
  let err = ''
  holder.stderr.on('data', (c: Buffer) => { err += c.toString() })
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => { resolve() })
    holder.once('exit', (code) => { reject(new Error(`no private tmpfs (exit ${String(code)}): ${err}`)) })
  })
  const pid = holder.pid as number
  const inside = (p: string): string => `/proc/${pid}/root${p}`
  // Before anything is written to fill it: the path must be the tiny tmpfs, never the real disk.
  const fs = statfsSync(inside(dir))
  if (fs.type !== TMPFS_MAGIC || fs.blocks * fs.bsize > 2 * 1024 * 1024) throw new Error(`${inside(dir)} is not the 1 MiB tmpfs (type ${fs.type.toString(16)}, ${fs.blocks * fs.bsize} bytes)`)
  if (statfsSync(dir).type === TMPFS_MAGIC && statfsSync(dir).blocks * statfsSync(dir).bsize <= 2 * 1024 * 1024) throw new Error('the tmpfs leaked into the test\'s own mount namespace')
  return { pid, inside }
}

/** Fills the file system of `file` (a tmpfs of at most 2 MiB, checked by the caller) until ENOSPC. */
const fill = (file: string): number => {
  const fd = openSync(file, 'w')
  const chunk = Buffer.alloc(16 * 1024)
  let written = 0
  try {
    for (;;) {
      if (written > 4 * 1024 * 1024) throw new Error(`${file}: 4 MiB written and still not full; not the tiny disk?`)
      written += writeSync(fd, chunk)
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
  return written
}

for (const engine of ['native', 'wasm'] as const) {
  t.test(`(c) the state directory's disk fills up (${engine} SQLite): clean errors, no half voucher, and it recovers`, async (t) => {
    const dir = t.testdir({})
    const disk = join(dir, 'disk')
    const { pid: holder, inside } = await tinyDisk(t, disk)
    const state = join(disk, 'state')
    writeFileSync(join(dir, 'config'), uci({
      main: ['hotspotd', { backend: 'none', sqlite: engine }],
      api: ['api', { enabled: 1, key: KEY }],
      ubus: ['ubus', { socket: join(dir, 'no-ubusd.sock'), jsonrpc: '0' }],
    }))
    const start = (): Promise<BundleProcess> =>
      runBundle(t, ['--config', join(dir, 'config'), '--state-dir', state, '--listen', '127.0.0.1:0'], ['nsenter', '-t', String(holder), '-m'])
    let d = await start()
    let base = apiBase(d)
    const expected = new Set<string>()
    for (const u of ['pre1', 'pre2', 'pre3']) {
      t.equal((await apiCall(base, KEY, { action: 'create_voucher', username: u, passcode: 'pass-of-' + u })).status, 200)
      expected.add(u)
    }
    const filled = fill(inside(join(disk, 'filler')))
    t.ok(filled > 0, `the disk is full (${filled} bytes of filler)`)

    const ERROR = { message: 'An error occurred', error: true }
    const failed: string[] = []
    const odd: string[] = []
    for (let i = 1; i <= 60 && failed.length < 5; i++) {
      const username = `full${i}`
      const a = await apiCall(base, KEY, { action: 'create_voucher', username, fullname: 'F'.repeat(128), passcode: 'p'.repeat(64) })
      if (a.status === 200 && (a.json as { message?: string }).message === 'User added successfully') expected.add(username)
      else if (a.status === 500 && JSON.stringify(a.json) === JSON.stringify(ERROR)) failed.push(username)
      else odd.push(`${username}: ${a.status} ${a.text}`)
    }
    t.same(odd, [], 'every answer is either the voucher or the seed\'s error envelope')
    t.ok(failed.length >= 1, `creating vouchers on a full disk fails (${failed.length} refused, ${expected.size - 3} still fitted)`)
    const removal = await apiCall(base, KEY, { action: 'remove_voucher', username: 'pre1' })
    if (removal.status === 200) expected.delete('pre1')
    else t.same({ status: removal.status, json: removal.json }, { status: 500, json: ERROR }, 'a removal on a full disk fails the same way')
    t.equal(d.child.exitCode, null, 'the daemon keeps running')
    t.same((await usernames(base)).sort(), [...expected].sort(), 'reads work, and list exactly what was acknowledged: no half-written voucher')
    const errors = d.lines.filter((l) => l.startsWith('error: '))
    t.ok(errors.length >= failed.length, 'each failure is logged')
    t.ok(errors.every((l) => /: (SqliteError: database or disk is full|SQLite3Error: disk I\/O error)$/.test(l)), `saying why: ${[...new Set(errors)].join(' | ')}`)

    unlinkSync(inside(join(disk, 'filler')))
    for (const username of failed) {
      t.match(await apiCall(base, KEY, { action: 'create_voucher', username }), { status: 200, json: { message: 'User added successfully', user: { username } } }, `space freed: ${username} is created now`)
      expected.add(username)
    }
    t.equal((await apiCall(base, KEY, { action: 'remove_voucher', username: 'pre2' })).status, 200, 'and removed')
    expected.delete('pre2')
    t.same((await usernames(base)).sort(), [...expected].sort())
    t.equal(await stop(d), 0, 'stops cleanly')

    // SQLite resolves symbolic links in a path, and /proc/<pid>/root is one (to "/"): the check
    // runs inside the holder's mount namespace instead, with the same better-sqlite3.
    const check = spawnSync('nsenter', ['-t', String(holder), '-m', process.execPath, '-e', `
      const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(join(state, 'hotspotd.db'))}, { fileMustExist: true })
      const out = { check: db.pragma('integrity_check', { simple: true }), users: db.prepare('SELECT username FROM vouchers ORDER BY username').all().map((r) => r.username) }
      db.close()
      console.log(JSON.stringify(out))`], { encoding: 'utf8' })
    t.equal(check.status, 0, check.stderr)
    const found = JSON.parse(check.stdout) as { check: string; users: string[] }
    t.equal(found.check, 'ok', 'PRAGMA integrity_check: ok')
    t.same(found.users, [...expected].sort(), 'the file holds what was acknowledged')
    d = await start()
    base = apiBase(d)
    t.notOk(d.lines.some((l) => /integrity check/.test(l)), 'a restart finds the database sound')
    t.same((await usernames(base)).sort(), [...expected].sort(), 'and serves the same vouchers')
    t.equal(await stop(d), 0)
  })
}

// ---------------------------------------------------------------------------------------------
// (d) the clock jumping forward and back (in process: io.now is the daemon's only wall clock)

const LO = { lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }] }

/** runMain with a wall clock the test moves (`clock.offsetMs` ahead of the real one). */
const runWithClock = async (argv: string[], clock: { offsetMs: number }): Promise<{ daemon: Daemon; out: string[] }> => {
  const out: string[] = []
  const proc: Proc = {
    argv,
    stdin: process.stdin,
    stdout: (s) => { out.push(s) },
    stderr: (s) => { out.push(s) },
    onSignal: () => {},
    exit: (code) => { out.push(`exit ${code}`) },
    io: { out: (line) => { out.push(line) }, isTTY: false, interfaces: () => LO, network: () => undefined, now: () => new Date(Date.now() + clock.offsetMs) },
  }
  const daemon = await runMain(proc)
  if (daemon === undefined) throw new Error(`did not start:\n${out.join('\n')}`)
  return { daemon, out }
}

t.test('(d) the clock jumps forward and back: expiry follows it, removed vouchers stay removed, usage never goes back', async (t) => {
  const dir = t.testdir({})
  const state = join(dir, 'state')
  const DEVICE_A: FakeClient = { mac: '02:77:00:00:0a:0a', ip: '127.0.0.1', token: 'pre0000a', custom: '' }
  const DEVICE_B: FakeClient = { mac: '02:77:00:00:0b:0b', ip: '127.0.0.1', token: 'pre0000b', custom: '' }
  const nds = liveNdsctl(dir, DEVICE_A)
  const portalPort = await freePort()
  writeFileSync(join(dir, 'config'), uci({
    main: ['hotspotd', { backend: 'opennds', sqlite: 'native' }],
    api: ['api', { enabled: 1, key: KEY }],
    ubus: ['ubus', { socket: join(dir, 'no-ubusd.sock'), jsonrpc: '0' }],
    opennds: ['opennds', { ndsctl: nds.path, poll_interval: 1, binauth_spool: join(dir, 'spool') }],
    portal: ['portal', { guest_interface: ['lo'], port: portalPort, max_devices: 1 }],
  }))
  const argv = ['--config', join(dir, 'config'), '--state-dir', state, '--listen', '127.0.0.1:0']
  const portal = `http://127.0.0.1:${portalPort}/portal/`
  /** The sign-in page's form, as a device sends it; gives the page the portal answered with. */
  const signIn = async (username: string, passcode: string): Promise<string> => {
    const page = await (await fetch(portal)).text()
    const sid = /name="sid" value="([0-9a-f]{32})"/.exec(page)?.[1]
    if (sid === undefined) throw new Error(`no sign-in page:\n${page}`)
    return await (await fetch(`${portal}login`, { method: 'POST', body: new URLSearchParams({ sid, method: 'voucher', username, passcode }) })).text()
  }
  const authCalls = (): string[] => nds.calls().filter((c) => c.startsWith('auth '))
  const clock = { offsetMs: 0 }

  // First boot: voucher "early" is first used; its stamp is from a boot before the jumps.
  const first = await runWithClock(argv, clock)
  const base1 = `http://${first.daemon.listening()[0] as string}`
  t.equal((await apiCall(base1, KEY, { action: 'create_voucher', username: 'early', passcode: 'early-pass', valid_for: '1 hour' })).status, 200)
  await signIn('early', 'early-pass')
  t.match(authCalls(), [/^auth 127\.0\.0\.1 60 .*hs-v1$/], 'early signed in (60 min)')
  await first.daemon.close()

  // This boot: voucher "fresh" is first used now, so its stamp is this run's.
  const { daemon, out } = await runWithClock(argv, clock)
  t.teardown(() => daemon.close())
  const base = `http://${daemon.listening()[0] as string}`
  t.equal((await apiCall(base, KEY, { action: 'create_voucher', username: 'fresh', passcode: 'fresh-pass', valid_for: '1 hour' })).status, 200)
  nds.setPreauth(DEVICE_B)
  await signIn('fresh', 'fresh-pass')
  t.match(authCalls()[1], /^auth 127\.0\.0\.1 60 .*hs-v2$/, 'fresh signed in')
  const reader = new Database(join(state, 'hotspotd.db'), { readonly: true, fileMustExist: true })
  t.teardown(() => { reader.close() })
  const firstLogin = (username: string): number => (reader.prepare('SELECT first_login FROM vouchers WHERE username = ?').get(username) as { first_login: number }).first_login
  const usedKiB = (username: string): number => ((reader.prepare('SELECT u.download_used AS d FROM voucher_usage u JOIN vouchers v ON v.id = u.voucher_id WHERE v.username = ?').get(username) as { d: number } | undefined)?.d ?? 0) / 1024
  const early0 = firstLogin('early')
  const fresh0 = firstLogin('fresh')

  const sessionA: FakeClient = { mac: DEVICE_A.mac, ip: '10.77.0.10', token: 'e0000001', custom: 'hs-v1', downloadKiB: 100 }
  const sessionB: FakeClient = { mac: DEVICE_B.mac, ip: '10.77.0.11', token: 'f0000001', custom: 'hs-v2', downloadKiB: 100 }
  nds.setClients([sessionA, sessionB])
  const lists = (of: () => string[]): number => of().filter((c) => c === 'json').length
  /** Until a poll has read the list as it is now (one `ndsctl json` started after the change and ended), and judged it. */
  const polled = async (): Promise<void> => {
    const from = lists(nds.calls)
    await until(() => lists(nds.calls) > from, 10_000, () => 'no poll')
    await until(() => lists(nds.ends) > from, 10_000, () => 'the poll did not end') // one ndsctl at a time: in order
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  /**
   * Steps the clock between two polls: just after one has read openNDS, so the step is seen at
   * the start of the next. (A step while a poll waits for ndsctl is the finding of the next test.)
   */
  const step = async (offsetMs: number): Promise<void> => {
    const ended = lists(nds.ends)
    await until(() => lists(nds.ends) > ended, 10_000, () => 'no poll ended')
    await new Promise((resolve) => setTimeout(resolve, 100))
    clock.offsetMs = offsetMs
  }
  await polled()
  t.same(nds.calls().filter((c) => c.startsWith('deauth')), [], 'both sessions are valid: nothing ended')

  // Forward by two hours (NTP setting a clock that ran behind): this boot's stamp moves with it,
  // the earlier boot's does not, so "early" (first used over an hour before, by the new clock) expires.
  await step(2 * 3600_000)
  await until(() => out.some((l) => /^info: enforce: the clock was set forward by 7[12]\d\d s; 1 first login\(s\) stamped before it moved with it$/.test(l)), 10_000, () => out.join('\n'))
  await until(() => out.includes(`info: enforce: voucher early on ${DEVICE_A.mac.toUpperCase()}: session ended (expired)`), 10_000, () => out.join('\n'))
  t.same(nds.calls().filter((c) => c.startsWith('deauth')), [`deauth ${DEVICE_A.mac}`], 'only early\'s session is ended')
  t.equal(firstLogin('early'), early0, 'the earlier boot\'s stamp stays')
  t.ok(Math.abs(firstLogin('fresh') - (fresh0 + 7200)) <= 2, `this boot's stamp moved with the clock (${firstLogin('fresh') - fresh0} s)`)

  // openNDS drops the ended session; the owner removes the expired voucher.
  nds.setClients([sessionB])
  t.match(await apiCall(base, KEY, { action: 'remove_voucher', username: 'early' }), { status: 200 })
  // fresh's guest moves data, then leaves: its counts are written at once.
  sessionB.downloadKiB = 600
  nds.setClients([sessionB])
  await polled()
  nds.setClients([])
  await until(() => usedKiB('fresh') === 600, 10_000, () => `fresh used ${usedKiB('fresh')} KiB`)

  // Back by two hours (the clock set back): nothing comes back, nothing counted is undone. (No
  // session is listed now, so the step needs no care about a poll under way.)
  clock.offsetMs = 0
  await until(() => out.some((l) => /^info: enforce: the clock was set back by 7[12]\d\d s; 1 first login\(s\) stamped before it moved with it$/.test(l)), 10_000, () => out.join('\n'))
  t.notOk((await apiCall(base, KEY, { action: 'get_voucher_users' })).text.includes('"early"'), 'the removed voucher is not listed again')
  nds.setPreauth(DEVICE_A)
  const authsBefore = authCalls().length
  const page = await (await fetch(portal)).text()
  t.match(page, /name="sid"/, 'its device gets the sign-in page, not an automatic re-login')
  t.match(await signIn('early', 'early-pass'), 'role="alert"', 'and its code is refused')
  t.equal(authCalls().length, authsBefore, 'openNDS was not asked to let it in')
  t.equal(usedKiB('fresh'), 600, 'the counted usage stays after the clock went back')
  const sessionB2: FakeClient = { ...sessionB, token: 'f0000002', downloadKiB: 300 }
  nds.setClients([sessionB2])
  await polled()
  nds.setClients([])
  await until(() => usedKiB('fresh') === 900, 10_000, () => `fresh used ${usedKiB('fresh')} KiB`)
  t.pass('a new session after the jump adds to it: 900 KiB')
  t.same(nds.calls().filter((c) => c.startsWith('deauth')), [`deauth ${DEVICE_A.mac}`], 'and fresh was never ended')

  // A stamp moves with every jump: after a jump forward and the same jump back, "fresh" runs as
  // long as bought (kept at the forward jump, it would run two hours longer).
  t.ok(Math.abs(firstLogin('fresh') - fresh0) <= 4, `after a jump forward and back, fresh's first login is where it was stamped (it is ${Math.round(firstLogin('fresh') - fresh0)} s from there)`)
})

// Enforcer.cycle reads the wall clock for its verdicts after `await ndsctl.clients()`: a step that
// lands while a poll waits for openNDS must be seen (and the stamps moved) before those verdicts,
// else the vouchers stamped this boot would be expired at once.
t.test('(d) a clock step while a poll waits for ndsctl does not expire a voucher stamped this boot', async (t) => {
  const dir = t.testdir({})
  const DEVICE: FakeClient = { mac: '02:77:00:00:0d:0d', ip: '127.0.0.1', token: 'pre0000d', custom: '' }
  const nds = liveNdsctl(dir, DEVICE)
  const portalPort = await freePort()
  writeFileSync(join(dir, 'config'), uci({
    main: ['hotspotd', { backend: 'opennds', sqlite: 'native' }],
    api: ['api', { enabled: 1, key: KEY }],
    ubus: ['ubus', { socket: join(dir, 'no-ubusd.sock'), jsonrpc: '0' }],
    opennds: ['opennds', { ndsctl: nds.path, poll_interval: 1, binauth_spool: join(dir, 'spool') }],
    portal: ['portal', { guest_interface: ['lo'], port: portalPort }],
  }))
  const clock = { offsetMs: 0 }
  const { daemon, out } = await runWithClock(['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'], clock)
  t.teardown(() => daemon.close())
  const base = `http://${daemon.listening()[0] as string}`
  t.equal((await apiCall(base, KEY, { action: 'create_voucher', username: 'fresh', passcode: 'fresh-pass', valid_for: '1 hour' })).status, 200)
  const portal = `http://127.0.0.1:${portalPort}/portal/`
  const sid = /name="sid" value="([0-9a-f]{32})"/.exec(await (await fetch(portal)).text())?.[1] as string
  await fetch(`${portal}login`, { method: 'POST', body: new URLSearchParams({ sid, method: 'voucher', username: 'fresh', passcode: 'fresh-pass' }) })
  nds.setClients([{ mac: DEVICE.mac, ip: '10.77.0.13', token: 'f000000d', custom: 'hs-v1', downloadKiB: 10 }])
  // openNDS is slow to answer (a held lock, a busy router): each `ndsctl json` takes 0.5 s.
  nds.setDelay(0.5)
  const started = nds.calls().filter((c) => c === 'json').length
  await until(() => nds.calls().filter((c) => c === 'json').length > started, 10_000, () => 'no poll')
  await new Promise((resolve) => setTimeout(resolve, 200))
  clock.offsetMs = 2 * 3600_000 // NTP steps the clock while that poll waits for the list
  await until(() => out.some((l) => /the clock was set forward/.test(l)), 10_000, () => out.join('\n'))
  const after = nds.calls().filter((c) => c === 'json').length
  await until(() => nds.ends().filter((c) => c === 'json').length >= after, 10_000, () => 'no poll after the step') // the poll that saw the step is judged
  t.same(nds.calls().filter((c) => c.startsWith('deauth')), [], 'the session of the voucher stamped this boot is not ended')
  t.notOk(out.some((l) => l.includes('session ended (expired)')), `the log: ${out.filter((l) => l.startsWith('info: enforce')).join(' | ')}`)
})
