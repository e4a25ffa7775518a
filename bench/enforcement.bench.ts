/**
 * Enforcement: what the poll loop costs a router.
 *
 * 1. Poll cycle CPU time with 1,000 live sessions, on each SQLite driver. The `ndsctl json` text
 *    is built by replicating the real recorded clients (test/fixtures/opennds/ndsctl-json-after-
 *    traffic.json: its authenticated entry and its preauthenticated one) with distinct MACs, IPs
 *    and tokens, in openNDS' own layout; the byte counters grow at every poll. 800 of the clients
 *    are sessions of vouchers in the store (real SQLite in a temp dir), 100 are authenticated
 *    with a custom hotspotd did not give, 100 wait at the portal. The enforcer gets the text
 *    through an ndsctl stand-in whose `clients()` is `parseNdsClients(text)` (the real ndsctl's
 *    own parse, without spawning the binary), so one cycle timed with process.cpuUsage is:
 *    parse + count + the one `watched` query + decide, and on every 30th poll (flush interval
 *    300 s, poll 10 s) the flush of every session's counts. A round is 30 polls (one interval,
 *    one flush); two figures: the median of its 29 polls without a flush, and its flush poll.
 *    Baseline, alternately on the same 30 texts: JSON.parse plus a trivial loop over the
 *    clients (its median per text).
 * 2. Database writes per simulated hour with 500 live sessions, on each SQLite driver: 360 polls
 *    (10 s each, by a controllable clock) with counters growing every poll, flush interval 300 s.
 *    Write transactions are counted by test/fixtures/store.ts' countingDb around the usage store;
 *    bytes are the `wchar` delta of /proc/self/io (bytes this process handed to write(2) and
 *    pwrite(2): SQLite's WAL frames and checkpoints; nothing else writes while it runs), with
 *    the block layer's write_bytes beside it in raw. Baseline, alternately: the same enforcer
 *    with flushSeconds = pollSeconds, i.e. the same updates written every poll (360 transactions).
 *    Each round uses a fresh store. The clients are handed over as parsed objects here (the
 *    parse does not touch the database).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { alternate, median, report, round } from './lib'
import { Enforcer } from '../src/enforce/enforcer'
import { parseNdsClients, type NdsClient } from '../src/backend/nds-json'
import { openStore, DB_FILE, type Store } from '../src/store/db'
import { createUsage } from '../src/store/usage'
import { createLogger } from '../src/log'
import { countingDb, DRIVERS, type Driver, type DbStats } from '../test/fixtures/store'

/** Warnings and errors (a failed flush, say) are kept for the figures' raw, and shown on stderr. */
const logged: string[] = []
const log = createLogger((line) => { logged.push(line); console.error(line) }, 'warn')
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }

const dirs: string[] = []
const stores: Store[] = []
const cleanup = (): void => {
  for (const s of stores.splice(0)) { try { s.close() } catch { /* closed */ } }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { cleanup(); process.exit(1) })

const tempStore = (driver: Driver): { dir: string; store: Store } => {
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-bench-enforce-'))
  dirs.push(dir)
  const store = openStore(dir, log, driver)
  stores.push(store)
  return { dir, store }
}
const dropStore = (dir: string, store: Store): void => {
  store.close()
  stores.splice(stores.indexOf(store), 1)
  rmSync(dir, { recursive: true, force: true })
  dirs.splice(dirs.indexOf(dir), 1)
}

// The recorded openNDS 9.10 output: one authenticated client, one preauthenticated one.
type RawClient = Record<string, string>
const RECORDED = JSON.parse(readFileSync('test/fixtures/opennds/ndsctl-json-after-traffic.json', 'utf8')) as { clients: Record<string, RawClient> }
const [AUTHED, PREAUTH] = Object.values(RECORDED.clients) as [RawClient, RawClient]

/** The fixture's wall clock: 3 s after its session started. */
const T0 = 1_795_442_880
const POLL = 10
const FLUSH = 300

/** ndsctl json's layout, as the recorded file has it (two-space steps, no space after the colon). */
const render = (entries: readonly RawClient[]): string => {
  const body = entries.map((e) => `    "${e.mac as string}":{\n${Object.entries(e).map(([k, v]) => `      "${k}":"${v}"`).join(',\n')}\n    }`)
  return `{\n  "client_list_length":"${entries.length}",\n  "clients":{\n${body.join(',\n')}\n  }\n}\n`
}
// The layout is the recorded one, byte for byte.
if (render([AUTHED, PREAUTH]) !== readFileSync('test/fixtures/opennds/ndsctl-json-after-traffic.json', 'utf8')) throw new Error('render() does not reproduce the recorded ndsctl json layout')

const hex2 = (n: number): string => n.toString(16).padStart(2, '0')

interface Population {
  /** What the client list holds, without the counters. */
  base: RawClient[]
  /** Per client: KiB added per poll (down, up); 0 for the preauthenticated. */
  rate: Array<[number, number]>
  /** Voucher id per voucher session (index into base), for the store. */
  voucherOf: Map<number, number>
}

/**
 * `n` clients: 80% voucher sessions (custom hs-v<id>), 10% authenticated by something else,
 * 10% preauthenticated (the sessions past the last of `voucherIds` authenticated by something
 * else too). `voucherIds[k]` is the id of the k-th voucher session.
 */
const population = (n: number, voucherIds: readonly number[]): Population => {
  const base: RawClient[] = []
  const rate: Array<[number, number]> = []
  const voucherOf = new Map<number, number>()
  const tokens = new Set<string>()
  let v = 0
  for (let i = 0; i < n; i++) {
    const kind = i % 10 === 9 ? 'preauth' : i % 10 === 8 || v === voucherIds.length ? 'other' : 'voucher'
    const mac = `02:78:00:00:${hex2(i >> 8)}:${hex2(i & 0xff)}`
    const token = ((0x0ccd12cb + i * 0x9e3779b1) >>> 0).toString(16).padStart(8, '0')
    tokens.add(token)
    const ip = `10.77.${1 + (i >> 8)}.${i & 0xff}`
    if (kind === 'preauth') {
      base.push({ ...PREAUTH, mac, ip, token })
      rate.push([0, 0])
      continue
    }
    let custom = `voucher=RIG-${String(i).padStart(4, '0')}`
    if (kind === 'voucher') {
      const id = voucherIds[v++] as number
      voucherOf.set(i, id)
      custom = `hs-v${id}`
    }
    base.push({ ...AUTHED, mac, ip, token, custom, session_start: String(T0 - 3600 + (i % 600)), last_active: String(T0) })
    rate.push([20 + (i * 37) % 400, 2 + (i * 13) % 40])
  }
  if (tokens.size !== n) throw new Error('tokens collide')
  return { base, rate, voucherOf }
}

/** The list at poll `k`: counters grown k times. */
const snapshot = (p: Population, k: number): RawClient[] => p.base.map((c, i) => {
  const [down, up] = p.rate[i] as [number, number]
  if (down === 0) return c
  return { ...c, download_this_session: String(3071 + down * k), upload_this_session: String(1073 + up * k), last_active: String(T0 + k * POLL) }
})

/** `count` vouchers valid a day, started an hour before T0, with quotas not reached in the bench; in one transaction. */
const seedVouchers = (store: Store, count: number): number[] => store.db.transaction(() => {
  const ids: number[] = []
  const started = store.db.prepare('UPDATE vouchers SET first_login = @t, mac = @mac WHERE id = @id')
  for (let i = 0; i < count; i++) {
    const v = store.vouchers.insert({
      username: `guest${String(i).padStart(4, '0')}`, passcode: 'secret-passcode', fullname: `Guest ${i}`, valid_for: '1 day',
      valid_from: T0 - 7200, created_at: T0 - 7200, download_limit: i % 4 === 0 ? 0 : 20480, upload_limit: i % 4 === 0 ? 0 : 4096,
    })
    started.run({ id: v.id, t: T0 - 3600, mac: `02:78:00:00:${hex2(i >> 8)}:${hex2(i & 0xff)}` })
    ids.push(v.id)
  }
  return ids
})

/** An openNDS stand-in: a list handed over (text or objects), and a deauth that only counts. */
interface Nds { clients: () => Promise<NdsClient[]>; deauth: (mac: string) => Promise<boolean>; deauths: number }

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

// ---------------------------------------------------------------------------------------------
// 1. Poll cycle CPU time, 1,000 live sessions

const CLIENTS = 1000
const VOUCHER_SESSIONS = 800
const CPU_ROUNDS = 7
const POLLS_PER_ROUND = FLUSH / POLL // 30: exactly one flush per round

const pollCycle = async (driver: Driver): Promise<void> => {
  const { dir, store } = tempStore(driver)
  const pop = population(CLIENTS, seedVouchers(store, VOUCHER_SESSIONS))
  let text = ''
  const nds: Nds = { clients: async () => parseNdsClients(text), deauth: async () => { nds.deauths++; return true }, deauths: 0 }
  const clock = { wall: T0, mono: 5000 }
  /** Set by the poll that flushed, with the CPU time of the store's flush itself. */
  let flushed = false
  let flushCpu = 0
  const usage = {
    ...store.usage,
    flush: (...args: Parameters<Store['usage']['flush']>) => {
      flushed = true
      const c0 = cpuMs()
      store.usage.flush(...args)
      flushCpu = cpuMs() - c0
    },
  }
  const enforcer = new Enforcer({
    ndsctl: nds, store: { ...store, usage }, log, emit: () => {}, wallNow: () => clock.wall, monoNow: () => clock.mono, pollSeconds: POLL, flushSeconds: FLUSH,
  })
  let k = 0
  const texts = (): string[] => Array.from({ length: POLLS_PER_ROUND }, (_, j) => render(snapshot(pop, k + j + 1)))
  // Warm up: the first poll creates every session; a whole interval, with its flush.
  for (const t of texts()) { text = t; k++; clock.wall += POLL; clock.mono += POLL; await enforcer.poll() }
  const textBytes = Buffer.byteLength(text)
  const listed = parseNdsClients(text).length

  let pending: string[] = []
  const flushPolls: number[] = []
  const storeFlushes: number[] = []
  const means: number[] = []
  const baselineMeans: number[] = []
  let sink = 0
  const rounds = await alternate(CPU_ROUNDS, async () => {
    pending = texts() // the baseline reads the same texts, after
    gc()
    const plain: number[] = []
    const flushing: number[] = []
    for (const t of pending) {
      text = t
      k++
      clock.wall += POLL
      clock.mono += POLL
      flushed = false
      const c0 = cpuMs()
      await enforcer.poll()
      const ms = cpuMs() - c0
      ;(flushed ? flushing : plain).push(ms)
    }
    if (flushing.length !== 1) throw new Error(`${flushing.length} flushes in a round of ${POLLS_PER_ROUND} polls, expected 1`)
    flushPolls.push(flushing[0] as number)
    storeFlushes.push(flushCpu)
    means.push(mean([...plain, ...flushing]))
    return median(plain)
  }, async () => {
    gc()
    const per: number[] = []
    for (const t of pending) {
      const c0 = cpuMs()
      const doc = JSON.parse(t) as { clients: Record<string, RawClient> }
      let n = 0
      for (const c of Object.values(doc.clients)) if (c.state === 'Authenticated') n += Number(c.download_this_session) + Number(c.upload_this_session)
      sink += n
      per.push(cpuMs() - c0)
    }
    baselineMeans.push(mean(per))
    return median(per)
  })
  if (nds.deauths !== 0) throw new Error(`the bench deauthenticated ${nds.deauths} sessions; every voucher should stay valid`)
  if (sink === 0) throw new Error('baseline read nothing')
  await enforcer.stop()
  dropStore(dir, store)

  const baseline = median(rounds.baseline)
  const raw = {
    'hotspotd median ms/poll (no flush)': rounds.subject.map(round),
    'hotspotd flush poll ms': flushPolls.map(round),
    'hotspotd mean ms/poll over the 30 (one flush)': means.map(round),
    'baseline median ms/poll': rounds.baseline.map(round),
    'baseline mean ms/poll': baselineMeans.map(round),
    'ndsctl json bytes': textBytes,
    'clients listed': listed,
    'polls per round': POLLS_PER_ROUND,
  }
  const what = `${CLIENTS} live sessions (${VOUCHER_SESSIONS} of vouchers), ${driver} SQLite`
  const baselineName = 'JSON.parse of the same text + a loop summing the counters'
  const typical = median(rounds.subject)
  report({
    name: `Poll cycle CPU time, ${what}: a poll without a flush (29 in 30)`,
    unit: 'ms', value: round(typical), baseline: round(baseline), baselineName,
    target: 'value < 20 ms per poll', ratio: round(typical / baseline), met: typical < 20, raw,
  })
  const flush = median(flushPolls)
  report({
    name: `Poll cycle CPU time, ${what}: the poll that flushes the counts (1 in 30)`,
    unit: 'ms', value: round(flush), baseline: round(baseline), baselineName,
    target: 'value < 20 ms per poll', ratio: round(flush / baseline), met: flush < 20,
    raw: {
      'hotspotd flush poll ms': flushPolls.map(round),
      'of which usage.flush (one transaction, 800 sessions) ms': storeFlushes.map(round),
      'baseline median ms/poll': rounds.baseline.map(round),
    },
  })
}

// ---------------------------------------------------------------------------------------------
// 2. Database writes per simulated hour, 500 live sessions

const HOUR_SESSIONS = 500
const HOUR_POLLS = 3600 / POLL
const HOUR_ROUNDS = 3

interface Io { wchar: number; writeBytes: number }
const io = (): Io => {
  const text = readFileSync('/proc/self/io', 'utf8')
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN)
  return { wchar: field('wchar'), writeBytes: field('write_bytes') }
}
const sizeOf = (path: string): number => { try { return statSync(path).size } catch { return 0 } }

interface HourResult { stats: DbStats; wchar: number; writeBytes: number; dbBytes: number; walBytes: number; ms: number; problems: number }

/** One simulated hour on a fresh store: 360 polls; the usage store counted. */
const simulateHour = async (driver: Driver, flushSeconds: number): Promise<HourResult> => {
  const { dir, store } = tempStore(driver)
  // Every client a voucher session here (the others never reach the database).
  const pop = population(HOUR_SESSIONS * 10 / 8, seedVouchers(store, HOUR_SESSIONS))
  const template = parseNdsClients(render(pop.base))
  const sessions = template.map((c, i) => ({ c, i, rate: pop.rate[i] as [number, number] })).filter((s) => pop.voucherOf.has(s.i))
  if (sessions.length !== HOUR_SESSIONS) throw new Error(`${sessions.length} voucher sessions, expected ${HOUR_SESSIONS}`)
  const others = template.filter((_c, i) => !pop.voucherOf.has(i))
  let k = 0
  const nds: Nds = {
    clients: async () => [
      ...sessions.map(({ c, rate: [down, up] }) => ({ ...c, downloadKiB: c.downloadKiB + down * k, uploadKiB: c.uploadKiB + up * k })),
      ...others.map((c) => ({ ...c })),
    ],
    deauth: async () => { nds.deauths++; return true },
    deauths: 0,
  }
  const counting = countingDb(store.db)
  const clock = { wall: T0, mono: 5000 }
  const enforcer = new Enforcer({
    ndsctl: nds, store: { ...store, usage: createUsage(counting.db) }, log, emit: () => {},
    wallNow: () => clock.wall, monoNow: () => clock.mono, pollSeconds: POLL, flushSeconds,
  })
  gc()
  const loggedBefore = logged.length
  const before = io()
  const t0 = performance.now()
  for (k = 1; k <= HOUR_POLLS; k++) {
    clock.wall += POLL
    clock.mono += POLL
    await enforcer.poll()
  }
  const ms = performance.now() - t0
  const after = io()
  const result: HourResult = {
    stats: { ...counting.stats },
    wchar: after.wchar - before.wchar,
    writeBytes: after.writeBytes - before.writeBytes,
    dbBytes: sizeOf(join(dir, DB_FILE)),
    walBytes: sizeOf(join(dir, `${DB_FILE}-wal`)),
    ms,
    problems: logged.length - loggedBefore,
  }
  if (nds.deauths !== 0) throw new Error(`the bench deauthenticated ${nds.deauths} sessions`)
  await enforcer.stop() // writes nothing: the last poll flushed
  dropStore(dir, store)
  return result
}

const hourWrites = async (driver: Driver): Promise<void> => {
  const subject: HourResult[] = []
  const naive: HourResult[] = []
  await alternate(HOUR_ROUNDS, async () => {
    const r = await simulateHour(driver, FLUSH)
    subject.push(r)
    return r.stats.transactions
  }, async () => {
    const r = await simulateHour(driver, POLL)
    naive.push(r)
    return r.stats.transactions
  })
  const tx = median(subject.map((r) => r.stats.transactions))
  const txNaive = median(naive.map((r) => r.stats.transactions))
  const common = (rs: HourResult[], who: string): Record<string, number[]> => ({
    [`${who} transactions`]: rs.map((r) => r.stats.transactions),
    [`${who} statements written`]: rs.map((r) => r.stats.writes),
    [`${who} writes outside a transaction`]: rs.map((r) => r.stats.writesOutside),
    [`${who} reads`]: rs.map((r) => r.stats.reads),
    [`${who} wchar bytes`]: rs.map((r) => r.wchar),
    [`${who} write_bytes (block layer)`]: rs.map((r) => r.writeBytes),
    [`${who} db + wal file bytes after`]: rs.map((r) => r.dbBytes + r.walBytes),
    [`${who} wall ms for the hour`]: rs.map((r) => round(r.ms)),
    [`${who} warnings/errors logged`]: rs.map((r) => r.problems),
  })
  const raw = { ...common(subject, 'hotspotd'), ...common(naive, 'write-every-poll'), sessions: HOUR_SESSIONS, polls: HOUR_POLLS }
  report({
    name: `Write transactions per simulated hour, ${HOUR_SESSIONS} live sessions, ${driver} SQLite (poll 10 s, flush 300 s)`,
    unit: 'transactions',
    value: tx,
    baseline: txNaive,
    baselineName: 'the same enforcer writing every poll (flushSeconds = pollSeconds)',
    target: 'value <= 12 (one per flush interval)',
    ratio: round(tx / txNaive),
    met: tx <= 12,
    raw,
  })
  const bytes = median(subject.map((r) => r.wchar))
  const bytesNaive = median(naive.map((r) => r.wchar))
  report({
    name: `Bytes written to the database per simulated hour, ${HOUR_SESSIONS} live sessions, ${driver} SQLite (/proc/self/io wchar)`,
    unit: 'bytes',
    value: bytes,
    baseline: bytesNaive,
    baselineName: 'the same enforcer writing every poll',
    target: 'reported',
    ratio: round(bytes / bytesNaive),
    met: true,
    raw: {
      'hotspotd wchar bytes': subject.map((r) => r.wchar),
      'write-every-poll wchar bytes': naive.map((r) => r.wchar),
      'hotspotd write_bytes (block layer)': subject.map((r) => r.writeBytes),
      'write-every-poll write_bytes (block layer)': naive.map((r) => r.writeBytes),
      'hotspotd bytes per transaction': subject.map((r) => round(r.wchar / r.stats.transactions)),
      'write-every-poll bytes per transaction': naive.map((r) => round(r.wchar / r.stats.transactions)),
    },
  })
}

const main = async (): Promise<void> => {
  for (const driver of DRIVERS) await pollCycle(driver)
  for (const driver of DRIVERS) await hourWrites(driver)
}

main().then(() => { cleanup() }, (err: unknown) => {
  console.error(err)
  cleanup()
  process.exit(1)
})
