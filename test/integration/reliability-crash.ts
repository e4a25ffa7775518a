// Crash consistency of the built daemon: with openNDS as the backend (a fake ndsctl whose three
// voucher sessions grow at every `ndsctl json`) usage is being counted and flushed every 10 s,
// while two clients create vouchers as fast as the answers come back. At a random moment the
// daemon is killed with SIGKILL, the database files are copied as the kill left them and checked,
// and the daemon is started again on the same state directory; several rounds, each with its own
// random delay, once per SQLite engine (native better-sqlite3 and WebAssembly, side by side).
//
// After every kill:
// - `PRAGMA integrity_check` is ok (on a copy, opened read-only with better-sqlite3, so the
//   daemon's own restart is what recovers the real files);
// - every voucher whose creation was answered (200, "User added successfully") is on disk with the
//   passcode sent, and a voucher whose answer never came is either absent or has it too;
// - usage, in the precise sense of the fake's counters: the fake answers call m of `ndsctl json`
//   with m × rate KiB for each session (rates differ per session and direction), and logs m with
//   its time. What is on disk must be the counts of one single call n for all three sessions at
//   once (one flush is one transaction), each voucher's totals exactly its session's count × 1024
//   (counted once), n never lower than after the previous kill (never backwards), and, when the
//   daemon ran long enough to flush (flush_interval + poll_interval + slack), n at least every
//   call m the fake answered more than that long before the kill: only the counting of the last
//   flush interval may be lost;
// - the restart finds every answered voucher (get_voucher_users), logs no error, and for the
//   WebAssembly engine says it "removed the stale lock" the killed process left.
// At the end a clean stop must leave exactly the counts of the fake's last call: across all the
// crashes nothing was lost for good and nothing counted twice.
//
// Quick form in make test (three rounds per engine: one long enough to flush, one killed around
// the first flush, one short; about 35 s);
// HOTSPOTD_SOAK=1 (make soak) runs 40 rounds per engine (about twelve minutes, the engines side by
// side), HOTSPOTD_SOAK=<n> 4n rounds; HOTSPOTD_SEED=<seed> replays the kill times.
import t, { type Test } from 'tap'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { bundleProblem, runBundle, until, type BundleProcess } from '../fixtures/bundle'
import { fakeNdsctl, FIXTURES, sq } from '../fixtures/fake-ndsctl'
import { seededRandom, soak, soakFactor, testRandom, type Random } from '../fixtures/seeded-random'

const KEY = 'crash-api-key-0123456789abcdef01'
const ENGINES = ['native', 'wasm'] as const
type Engine = typeof ENGINES[number]

const FLUSH_S = 10 // opennds.flush_interval's lowest value (src/config/config.ts)
const POLL_S = 1 // opennds.poll_interval's lowest value
/** Time for a poll's ndsctl, the flush's fsync and a busy machine's scheduling. */
const SLACK_S = 3
const FLUSHED_WITHIN_S = FLUSH_S + POLL_S + SLACK_S
const FACTOR = soakFactor(10)
const ROUNDS = soak() ? 4 * FACTOR : 3
/** The three sessions: voucher id, and KiB per `ndsctl json` call down and up. */
const SESSIONS = [{ id: 1, down: 7, up: 3 }, { id: 2, down: 13, up: 5 }, { id: 3, down: 29, up: 11 }]

t.setTimeout(soak() ? (ROUNDS * 16 + 120) * 1000 * 2 : 150_000)

/**
 * The fake's answer to every call: `ndsctl json` lists the three voucher sessions (once the test
 * has made their vouchers and touched `live`) with counters of m × rate KiB at its m-th json call,
 * and logs "m <ns since the epoch>" to `reported` first.
 */
const fakeStep = (): string => {
  const client = (s: typeof SESSIONS[number]): string =>
    `"02:00:00:00:00:0${s.id}":{"gatewayname":"fake","version":"9.10.0","mac":"02:00:00:00:00:0${s.id}","ip":"10.9.0.${s.id}",` +
    `"clientif":"guest0","session_start":"1735689600","session_end":"null","last_active":"1735689600","token":"c0ffee0${s.id}",` +
    `"state":"Authenticated","custom":"hs-v${s.id}","download_quota":"null","upload_quota":"null",` +
    `"download_this_session":"'$((m * ${s.down}))'","upload_this_session":"'$((m * ${s.up}))'"}`
  return `case "$1" in
json)
  if [ -f "$d/live" ]; then
    m=$(( $(cat "$d/json-count") + 1 ))
    echo "$m" > "$d/json-count"
    echo "$m $(date +%s%N)" >> "$d/reported"
    printf '%s\\n' '{"client_list_length":"${SESSIONS.length}","clients":{${SESSIONS.map(client).join(',')}}}'
  else
    printf '%s\\n' '{"client_list_length":"0","clients":{}}'
  fi ;;
status) cat ${sq(join(FIXTURES, 'ndsctl-status.txt'))} ;;
*) exit 0 ;;
esac`
}

const config = (engine: Engine, dir: string, ndsctl: string): string => `
config hotspotd 'main'
	option backend 'opennds'
	option sqlite '${engine}'
	option log_level 'info'
config api 'api'
	option enabled '1'
	option post '1'
	option get '1'
	option key '${KEY}'
config ubus 'ubus'
	option socket '${join(dir, 'no-ubusd.sock')}'
	option jsonrpc '0'
config opennds 'opennds'
	option ndsctl '${ndsctl}'
	option poll_interval '${POLL_S}'
	option flush_interval '${FLUSH_S}'
	option binauth_spool '${join(dir, 'binauth')}'
	list leases '${join(dir, 'dhcp.leases')}'
config portal 'portal'
	option enabled '0'
`

interface Reported { m: number; atMs: number }

/** The fake's log of its json calls. */
const reported = (dir: string): Reported[] => existsSync(join(dir, 'reported'))
  ? readFileSync(join(dir, 'reported'), 'utf8').split('\n').filter(Boolean).map((l) => {
    const [m, ns] = l.split(' ')
    return { m: Number(m), atMs: Number(BigInt(ns as string) / 1_000_000n) }
  })
  : []

interface OnDisk {
  integrity: string
  vouchers: Map<string, string>
  /** Per session: counted KiB (live_sessions) and totals in bytes (voucher_usage); 0 where there is no row. */
  usage: Array<{ id: number; countedDown: number; countedUp: number; usedDown: number; usedUp: number }>
}

/** The database files as they are now, copied and opened read-only with better-sqlite3. */
const readOnDisk = (state: string, scratch: string): OnDisk => {
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(scratch, { recursive: true })
  for (const f of ['hotspotd.db', 'hotspotd.db-wal', 'hotspotd.db-shm']) {
    if (existsSync(join(state, f))) copyFileSync(join(state, f), join(scratch, f))
  }
  const db = new Database(join(scratch, 'hotspotd.db'), { readonly: true, fileMustExist: true })
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ')
    const vouchers = new Map((db.prepare('SELECT username, passcode FROM vouchers').all() as Array<{ username: string; passcode: string }>).map((v) => [v.username, v.passcode]))
    const live = new Map((db.prepare('SELECT token, voucher_id, download_counted_kib AS d, upload_counted_kib AS u FROM live_sessions').all() as Array<{ token: string; voucher_id: number; d: number; u: number }>).map((r) => [r.token, r]))
    const used = new Map((db.prepare('SELECT voucher_id, download_used AS d, upload_used AS u FROM voucher_usage').all() as Array<{ voucher_id: number; d: number; u: number }>).map((r) => [r.voucher_id, r]))
    return {
      integrity,
      vouchers,
      usage: SESSIONS.map((s) => {
        const l = live.get(`c0ffee0${s.id}`)
        const u = used.get(s.id)
        return { id: s.id, countedDown: l?.d ?? 0, countedUp: l?.u ?? 0, usedDown: u?.d ?? 0, usedUp: u?.u ?? 0 }
      }),
    }
  } finally {
    db.close()
  }
}

/**
 * The single json call whose counts are on disk for all sessions, or why there is none: the
 * counts must be m × rate for one m, and each total exactly count × 1024.
 */
const flushedCall = (d: OnDisk): { n: number } | { problem: string } => {
  const [first] = d.usage
  const n = (first?.countedDown ?? 0) / (SESSIONS[0] as typeof SESSIONS[number]).down
  for (const [i, u] of d.usage.entries()) {
    const s = SESSIONS[i] as typeof SESSIONS[number]
    if (u.countedDown !== n * s.down || u.countedUp !== n * s.up) return { problem: `session ${s.id} holds the counts of another call than session 1 (${JSON.stringify(d.usage)})` }
    if (u.usedDown !== u.countedDown * 1024 || u.usedUp !== u.countedUp * 1024) return { problem: `voucher ${s.id}'s totals are not its session's counts × 1024 (${JSON.stringify(u)})` }
  }
  return Number.isSafeInteger(n) ? { n } : { problem: `counts of no call: ${JSON.stringify(d.usage)}` }
}

interface Daemon extends BundleProcess { base: string; startedAtMs: number }

const start = async (t: Test, dir: string): Promise<Daemon> => {
  const p = await runBundle(t, ['--config', join(dir, 'config'), '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'])
  const startedAtMs = Date.now()
  const port = /started: .* on 127\.0\.0\.1:(\d+)/.exec(p.started)?.[1]
  if (port === undefined) throw new Error(`not listening on 127.0.0.1: ${p.started}`)
  return { ...p, base: `http://127.0.0.1:${port}/api/`, startedAtMs }
}

const api = async (d: Daemon, params: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(d.base, { method: 'POST', body: new URLSearchParams({ 'api-key': KEY, ...params }), signal: AbortSignal.timeout(15_000) })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * How long each round runs before its kill: long enough for a flush (every third round, the first
 * included), around the first flush's due time (a kill during its transaction), or anywhere from
 * 0.2 s to 25 s. The quick form has one round of each kind (the last one up to 3 s), in random order.
 */
const delaysMs = (r: Random): number[] => {
  const long = (): number => FLUSHED_WITHIN_S + 0.5 + r.next() * (soak() ? 12 : 1.5)
  const nearFlush = (): number => FLUSH_S + r.next() * (POLL_S + 0.5)
  const any = (): number => 0.2 + r.next() * (soak() ? 25 : 2.8)
  const seconds = soak()
    ? Array.from({ length: ROUNDS }, (_v, i) => i % 3 === 0 ? long() : r.chance(0.3) ? nearFlush() : any())
    : [long(), nearFlush(), any()].sort(() => r.next() - 0.5)
  return seconds.map((s) => Math.round(s * 1000))
}

const PASS_CHARS = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%&*+-./:;=?@_~äöüßéñ日本🙂'

const crashRounds = async (t: Test, engine: Engine, r: Random): Promise<void> => {
  const fake = fakeNdsctl(t, [], fakeStep())
  const dir = t.testdirName
  writeFileSync(join(dir, 'json-count'), '0\n')
  writeFileSync(join(dir, 'config'), config(engine, dir, fake.path))
  let d = await start(t, dir)
  const logs: string[][] = [d.lines]
  for (const s of SESSIONS) {
    const res = await api(d, { action: 'create_voucher', username: `session${s.id}`, passcode: `pass${s.id}`, valid_for: 'always' })
    if ((res.body.user as { id: number } | undefined)?.id !== s.id) throw new Error(`voucher ${s.id}: ${JSON.stringify(res.body)}`)
  }
  writeFileSync(join(dir, 'live'), '')

  const acked = new Map<string, string>(SESSIONS.map((s) => [`session${s.id}`, `pass${s.id}`]))
  /** Sent, and not answered (yet): may be on disk, and then with this passcode. */
  const sent = new Map<string, string>()
  let lastN = 0
  let created = 0
  /** What went wrong, the first 40 of it (a broken store could lose thousands of vouchers at once). */
  const problems: string[] = []
  let moreProblems = 0
  const problem = (what: string): void => { if (problems.length < 40) problems.push(what); else moreProblems++ }
  const losses: number[] = []
  const plan = delaysMs(r)
  t.comment(`${engine}: kills after ${plan.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s`)

  for (const [round, delay] of plan.entries()) {
    // Clients: create vouchers as fast as the answers come back, until the daemon is gone.
    let stop = false
    const client = async (c: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const username = `r${round}c${c}n${i}-${r.int(0, 0xffffff).toString(36)}`
        const passcode = Array.from({ length: r.int(1, 24) }, () => r.pick([...PASS_CHARS])).join('')
        sent.set(username, passcode)
        try {
          const res = await api(d, { action: 'create_voucher', username, passcode, valid_for: r.pick(['1 day', 'always', '30 days']) })
          if (res.status === 200 && res.body.message === 'User added successfully') {
            const u = res.body.user as { username: string; passcode: string }
            if (u.username !== username || u.passcode !== passcode) problem(`round ${round}: answered ${u.username}/${u.passcode} for ${username}/${passcode}`)
            acked.set(username, passcode)
            sent.delete(username)
            created++
          } else {
            problem(`round ${round}: create_voucher answered ${res.status} ${JSON.stringify(res.body)}`)
          }
        } catch {
          if (!stop) await sleep(20) // the kill: the next attempt finds the daemon gone, or stop is set
        }
      }
    }
    const clients = [client(0), client(1)]
    await sleep(delay)
    const killedAtMs = Date.now()
    d.child.kill('SIGKILL')
    await d.exited
    stop = true
    await Promise.all(clients)

    // The files as the kill left them.
    const disk = readOnDisk(join(dir, 'state'), join(dir, 'after-kill'))
    const where = `round ${round + 1} (${engine}, killed after ${(delay / 1000).toFixed(1)} s)`
    if (disk.integrity !== 'ok') problem(`${where}: integrity_check: ${disk.integrity}`)
    for (const [username, passcode] of acked) {
      if (disk.vouchers.get(username) !== passcode) problem(`${where}: acknowledged voucher ${username} ${disk.vouchers.has(username) ? 'has another passcode' : 'is not on disk'}`)
    }
    for (const [username, passcode] of sent) {
      if (disk.vouchers.has(username) && disk.vouchers.get(username) !== passcode) problem(`${where}: voucher ${username} is on disk with another passcode`)
    }
    const calls = reported(dir)
    const flushed = flushedCall(disk)
    if ('problem' in flushed) {
      problem(`${where}: ${flushed.problem}`)
    } else {
      const { n } = flushed
      const lastM = calls.at(-1)?.m ?? 0
      if (n < lastN) problem(`${where}: usage went backwards, from call ${lastN}'s counts to call ${n}'s`)
      if (n > lastM) problem(`${where}: counts of call ${n}, but the fake only answered ${lastM} calls`)
      if (killedAtMs - d.startedAtMs >= FLUSHED_WITHIN_S * 1000) {
        const due = calls.filter((c) => c.atMs <= killedAtMs - FLUSHED_WITHIN_S * 1000).at(-1)?.m ?? 0
        if (n < due) problem(`${where}: on disk the counts of call ${n}, but call ${due} was answered more than ${FLUSHED_WITHIN_S} s before the kill`)
      }
      losses.push(lastM - n)
      lastN = Math.max(lastN, n)
    }
    const lockLeft = existsSync(join(dir, 'state', 'hotspotd.db.lock'))

    // The restart on the same state directory.
    d = await start(t, dir)
    logs.push(d.lines)
    if (engine === 'wasm') {
      if (!lockLeft) problem(`${where}: the killed WebAssembly engine left no lock directory`)
      if (!d.lines.some((l) => /^warn: store: removed the stale lock on .*hotspotd\.db: process \d+ is gone/.test(l))) problem(`${where}: the restart did not say it removed the stale lock:\n${d.lines.join('\n')}`)
    } else if (d.lines.some((l) => /stale lock/.test(l))) {
      problem(`${where}: a stale lock with the native engine`)
    }
    // The daemon's own view (in the long form every fifth round: the list grows long).
    if (soak() && round % 5 !== 4 && round !== plan.length - 1) continue
    const list = await api(d, { action: 'get_voucher_users' })
    const users = new Map((list.body.users as Array<{ username: string; password: string }>).map((u) => [u.username, u.password]))
    for (const [username, passcode] of acked) {
      if (users.get(username) !== passcode) problem(`${where}: after the restart, acknowledged voucher ${username} ${users.has(username) ? 'has another passcode' : 'is missing'}`)
    }
  }

  // A clean stop after a poll or two: exactly the fake's last counts, over all the crashes.
  const before = reported(dir).at(-1)?.m ?? 0
  await until(() => (reported(dir).at(-1)?.m ?? 0) >= before + 2, 15_000, () => 'the daemon does not poll ndsctl after the last restart')
  d.child.kill('SIGTERM')
  const code = await d.exited
  const final = readOnDisk(join(dir, 'state'), join(dir, 'after-stop'))
  const last = reported(dir).at(-1)?.m ?? 0
  const flushed = flushedCall(final)

  if (moreProblems > 0) problems.push(`... and ${moreProblems} more`)
  t.same(problems, [], `${engine}: after each of ${ROUNDS} kills, the database is whole, every acknowledged voucher is there, usage is as counted (${created} vouchers acknowledged)`)
  // A round too short to flush leaves what the previous rounds did not flush: those add up, and
  // the next flush makes them good (the session counters run on), as the clean stop shows.
  t.comment(`${engine}: calls of counting not on disk at each kill: ${losses.join(', ')}`)
  t.equal(code, 0, `${engine}: a clean stop after the last restart`)
  t.equal(final.integrity, 'ok', `${engine}: integrity_check after the clean stop`)
  t.same(flushed, { n: last }, `${engine}: after all the crashes the totals are exactly the fake's last counts, call ${last} (nothing lost, nothing counted twice)`)
  const errors = logs.flat().filter((l) => /^error: /.test(l))
  t.same(errors, [], `${engine}: no error was logged by any of the ${logs.length} runs`)
  t.ok(created > ROUNDS, `${engine}: vouchers were being created at the kills (${created})`)
}

t.test('kill -9 at random moments, then a restart, with usage being counted: nothing answered is lost', { skip: bundleProblem() ?? false, jobs: 2 }, async (t) => {
  const random = testRandom(t, 'test/integration/reliability-crash.ts')
  for (const [i, engine] of ENGINES.entries()) {
    // Each engine its own stream of numbers, so that they do not depend on how the two interleave.
    const r = seededRandom((random.seed ^ Math.imul(0x9E3779B9, i + 1)) >>> 0)
    t.test(`sqlite ${engine}`, async (t) => { await crashRounds(t, engine, r) })
  }
})
