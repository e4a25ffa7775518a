import t, { type Test } from 'tap'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Enforcer } from '../../src/enforce/enforcer'
import { NdsctlError } from '../../src/backend/ndsctl'
import { parseNdsClients, type NdsClient } from '../../src/backend/nds-json'
import { CLOCK_FLOOR } from '../../src/domain/enforcement'
import { createUsage, type LiveCount, type UsageStore } from '../../src/store/usage'
import { countingDb, noStats, type DbStats } from '../fixtures/store'
import type { Store } from '../../src/store/db'
import type { NewVoucher, VoucherRow } from '../../src/store/vouchers'
import { fixture } from '../fixtures/fake-ndsctl'
import { testContext, type Emitted } from '../fixtures/context'

/** The real `ndsctl json` after traffic: an authenticated client (someone else's custom) and a preauthenticated one. */
const [AUTHED, PREAUTH] = parseNdsClients(fixture('ndsctl-json-after-traffic.json')) as [NdsClient, NdsClient]

/** 3 s after the fixture's session started: a set clock. */
const T0 = 1_795_442_880
const KiB = 1024
const MAC1 = '02:77:00:00:00:11'
const MAC2 = '02:77:00:00:00:12'
const MAC3 = '02:77:00:00:00:13'

/** The fixture's authenticated client as a session hotspotd authorized for a voucher. */
const session = (voucherId: number, token: string, mac: string, downloadKiB: number, uploadKiB: number, state = 'Authenticated'): NdsClient =>
  ({ ...AUTHED, custom: `hs-v${voucherId}`, token, mac, state, downloadKiB, uploadKiB })

/** openNDS as the enforcer sees it: a client list the test edits, and deauth that removes a client. */
class FakeNds {
  list: NdsClient[] = []
  /** Thrown by clients() while set. */
  failure: Error | undefined
  /** Thrown by the next deauth() calls, one each. */
  deauthFailures: Error[] = []
  /** deauth() leaves the client listed (as if openNDS were slow to drop it). */
  keepListed = false
  deauthed: string[] = []
  calls = 0
  /** clients() waits for this while set. */
  gate: Promise<void> | undefined
  /** Called at each clients() call. */
  onCall: (n: number) => void = () => {}

  async clients (): Promise<NdsClient[]> {
    this.onCall(++this.calls)
    if (this.gate !== undefined) await this.gate
    if (this.failure !== undefined) throw this.failure
    return this.list.map((c) => ({ ...c }))
  }

  async deauth (mac: string): Promise<boolean> {
    const failure = this.deauthFailures.shift()
    if (failure !== undefined) throw failure
    this.deauthed.push(mac)
    const had = this.list.some((c) => c.mac === mac)
    if (!this.keepListed) this.list = this.list.filter((c) => c.mac !== mac)
    return had
  }

  /** Sets a listed session's counters. */
  count (token: string, downloadKiB: number, uploadKiB: number): void {
    const c = this.list.find((s) => s.token === token) as NdsClient
    c.downloadKiB = downloadKiB
    c.uploadKiB = uploadKiB
  }

  drop (token: string): void {
    this.list = this.list.filter((c) => c.token !== token)
  }
}


interface Rig {
  store: Store
  nds: FakeNds
  clock: { wall: number; mono: number }
  /** Moves both clocks on. */
  advance: (seconds: number) => void
  /** A new enforcer on the same store (as after a restart). */
  make: () => Enforcer
  enforcer: Enforcer
  lines: string[]
  events: Emitted[]
  /** A voucher valid for a day, started an hour before T0. */
  voucher: (username: string, over?: Partial<NewVoucher & Pick<VoucherRow, 'first_login'>>) => VoucherRow
  /** The BinAuth spool directory the enforcer reads. */
  spool: string
  /** Spools a deauth event as hotspotd's BinAuth script does (bytes). */
  spoolDeauth: (reason: string, token: string, mac: string, downloadBytes: number, uploadBytes: number, custom: string) => void
}

const rig = (t: Test, opts: { usage?: (real: UsageStore, store: Store) => UsageStore; pollSeconds?: number } = {}): Rig => {
  const { ctx, lines, events } = testContext(t)
  lines.length = 0 // the store's migration line
  const store: Store = opts.usage === undefined ? ctx.store : { ...ctx.store, usage: opts.usage(ctx.store.usage, ctx.store) }
  const nds = new FakeNds()
  const clock = { wall: T0, mono: 5000 }
  const spool = join(t.testdir(), 'binauth')
  let spooled = 0
  const spoolDeauth: Rig['spoolDeauth'] = (reason, token, mac, down, up, custom) => {
    mkdirSync(spool, { recursive: true })
    writeFileSync(join(spool, `ev.${token}.${++spooled}`), `${reason} ${mac.toLowerCase()} ${down} ${up} ${T0 - 60} ${T0} ${token} ${encodeURIComponent(custom)}\n`)
  }
  const make = (): Enforcer => new Enforcer({
    ndsctl: nds,
    store,
    log: ctx.log,
    emit: ctx.emit,
    wallNow: () => clock.wall,
    monoNow: () => clock.mono,
    pollSeconds: opts.pollSeconds ?? 10,
    flushSeconds: 300,
    binauthSpool: spool,
  })
  const voucher: Rig['voucher'] = (username, over = {}) => {
    const { first_login: firstLogin = T0 - 3600, ...fields } = over
    const v = store.vouchers.insert({
      username, passcode: 'secret-passcode', fullname: '', valid_for: '1 day', valid_from: T0 - 7200, created_at: T0 - 7200,
      download_limit: 0, upload_limit: 0, ...fields,
    })
    store.db.prepare('UPDATE vouchers SET first_login = @firstLogin WHERE id = @id').run({ id: v.id, firstLogin })
    return store.vouchers.byId(v.id) as VoucherRow
  }
  return {
    store, nds, clock, make, enforcer: make(), lines, events, voucher, spool, spoolDeauth,
    advance: (s) => { clock.wall += s; clock.mono += s },
  }
}

const bytes = (downKiB: number, upKiB: number): { downloadBytes: number; uploadBytes: number } =>
  ({ downloadBytes: downKiB * KiB, uploadBytes: upKiB * KiB })

const logout = (username: string | null, mac: string, reason: string): Emitted =>
  ({ event: 'hotspot.session', data: { event: 'logout', username, mac, reason } })
const voucherEvent = (event: string, username: string): Emitted => ({ event: 'hotspot.voucher', data: { event, username } })

t.test('counts voucher sessions in memory and writes them once per flush interval', async (t) => {
  const { store, nds, enforcer, advance, events, lines, voucher } = rig(t)
  const alice = voucher('alice')
  const bob = voucher('bob')
  nds.list = [
    session(alice.id, 'a1000001', MAC1, 100, 10),
    PREAUTH,
    AUTHED, // authorized by someone else (custom voucher=RIG-0001)
    { ...session(alice.id, 'e1000001', MAC3, 1, 1), custom: 'hs-e1' }, // an e-mail guest, not a voucher
    { ...session(alice.id, 'a7000001', MAC3, 9, 9), state: 'Trusted' },
    session(bob.id, 'b1000001', MAC2, 50, 5),
    session(bob.id, 'b2000001', MAC3, 7, 7, 'AuthBlocked'),
  ]
  await enforcer.poll()
  t.same(events, [], 'no event for new sessions: the portal announces logins, with their method')
  t.same(store.usage.of(alice.id), bytes(0, 0), 'nothing written yet')
  t.same(enforcer.usage(alice.id), bytes(100, 10), 'alice: counted in memory')
  t.same(enforcer.usage(bob.id), bytes(57, 12), 'bob: both sessions, AuthBlocked included')
  t.same(enforcer.usage(999), bytes(0, 0), 'a voucher without sessions: nothing')

  advance(10)
  nds.count('a1000001', 200, 20)
  await enforcer.poll()
  t.equal(events.length, 0, 'sessions seen again: still no event')
  t.same(store.usage.live(), [], 'still nothing written 10 s in')
  t.same(enforcer.usage(alice.id), bytes(200, 20), 'alice grows')

  advance(290)
  await enforcer.poll()
  t.same(store.usage.of(alice.id), bytes(200, 20), 'written once 300 s have passed')
  t.same(store.usage.of(bob.id), bytes(57, 12), 'bob too')
  t.same(store.usage.live().map((c) => [c.token, c.downloadKiB, c.uploadKiB]),
    [['a1000001', 200, 20], ['b1000001', 50, 5], ['b2000001', 7, 7]], 'what is counted of each live session')
  t.same(enforcer.usage(alice.id), bytes(200, 20), 'stored + nothing pending')

  nds.count('a1000001', 250, 20)
  advance(10)
  await enforcer.poll()
  t.same(enforcer.usage(alice.id), bytes(250, 20), 'growth after the flush is pending again')
  t.same(store.usage.of(alice.id), bytes(200, 20), 'and not written')
  t.same(lines, [], 'nothing logged: logins are the portal\'s to log')
})

t.test('500 sessions for an hour: one write transaction per flush interval', async (t) => {
  let stats: DbStats = noStats()
  const { nds, enforcer, advance, store, voucher } = rig(t, {
    usage: (_real, s) => {
      const c = countingDb(s.db)
      stats = c.stats
      return createUsage(c.db)
    },
  })
  const ids = Array.from({ length: 250 }, (_, i) => voucher(`v${i}`).id)
  nds.list = ids.flatMap((id, i) => [
    session(id, `a${String(i).padStart(7, '0')}`, `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, 0, 0),
    session(id, `b${String(i).padStart(7, '0')}`, `02:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, 0, 0),
  ])
  const start = { ...stats }
  for (let poll = 1; poll <= 360; poll++) {
    advance(10)
    for (const c of nds.list) {
      c.downloadKiB += 30
      c.uploadKiB += 3
    }
    await enforcer.poll()
  }
  t.equal(stats.transactions - start.transactions, 12, '12 transactions in an hour of 10 s polls')
  t.equal(stats.readsOutside - start.readsOutside, 360, 'one query per poll outside them')
  t.same(store.usage.of(ids[0] as number), bytes(2 * 360 * 30, 2 * 360 * 3), 'every KiB counted, once')
})

t.test('a poll of 1,000 sessions makes one query and no write', async (t) => {
  let stats: DbStats = noStats()
  const { nds, enforcer, voucher } = rig(t, {
    usage: (_real, s) => {
      const c = countingDb(s.db)
      stats = c.stats
      return createUsage(c.db)
    },
  })
  const ids = Array.from({ length: 100 }, (_, i) => voucher(`v${i}`).id)
  nds.list = Array.from({ length: 1000 }, (_, i) =>
    session(ids[i % 100] as number, `c${String(i).padStart(7, '0')}`, `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, i, i))
  const before = { ...stats }
  await enforcer.poll()
  await enforcer.poll()
  t.same({ reads: stats.reads - before.reads, writes: stats.writes - before.writes, transactions: stats.transactions - before.transactions },
    { reads: 2, writes: 0, transactions: 0 }, 'two polls: one query each, nothing written')
})

t.test('deauthenticates the sessions of a voucher that must end', async (t) => {
  // [case, voucher fields, KiB already stored for it, session counters, deauth reason or 'keep', voucher event]
  type Case = [string, Partial<NewVoucher & Pick<VoucherRow, 'first_login'>> | 'missing', [number, number], [number, number], string, string | null]
  const cases: Case[] = [
    ['download quota used up', { download_limit: 1 }, [0, 0], [1024, 0], 'download_exhausted', 'exhausted'],
    ['upload quota used up', { upload_limit: 1 }, [0, 0], [0, 1024], 'upload_exhausted', 'exhausted'],
    ['quota used up with what earlier sessions used', { download_limit: 1 }, [1000, 0], [24, 0], 'download_exhausted', 'exhausted'],
    ['one KiB short of the quota', { download_limit: 1, upload_limit: 1 }, [0, 0], [1023, 1023], 'keep', null],
    ['validity over', { valid_for: '1 hour', first_login: T0 - 3600 }, [0, 0], [0, 0], 'expired', 'expired'],
    ['one second of validity left', { valid_for: '1 hour', first_login: T0 - 3599 }, [0, 0], [0, 0], 'keep', null],
    ['not valid yet and never started', { valid_from: T0 + 3600, first_login: null }, [0, 0], [0, 0], 'not_yet_valid', null],
    ['voucher removed', 'missing', [0, 0], [5, 5], 'removed', null],
  ]
  for (const [name, fields, stored, [down, up], reason, event] of cases) {
    t.test(name, async (t) => {
      const { store, nds, enforcer, events, lines, voucher } = rig(t)
      const v = fields === 'missing' ? undefined : voucher('alice', fields)
      const id = v?.id ?? 42
      if (stored[0] > 0) store.usage.flush([{ token: 'earlier1', voucherId: id, mac: MAC2, downloadKiB: stored[0], uploadKiB: stored[1] }], ['earlier1'])
      nds.list = [session(id, 'a1000001', MAC1, down, up)]
      await enforcer.poll()
      const username = v === undefined ? null : 'alice'
      if (reason === 'keep') {
        t.same(nds.deauthed, [], 'kept')
        t.same(events, [], 'no event')
        t.same(lines, [], 'nothing logged')
        return
      }
      t.same(nds.deauthed, [MAC1], 'deauthenticated by MAC')
      t.same(events, [
        logout(username, MAC1, reason),
        ...(event === null ? [] : [voucherEvent(event, 'alice')]),
      ], 'login, logout with the reason, and the voucher event if any')
      t.same(lines, [`info: enforce: voucher ${username ?? '#42'} on ${MAC1}: session ended (${reason})`],
        'one info line, no passcode')
      t.notMatch(lines.join('\n'), /secret-passcode/, 'the passcode is never logged')
      t.same(store.usage.live(), [], 'the ended session is flushed at once and forgotten')
      if (v !== undefined) t.same(store.usage.of(id), bytes(stored[0] + down, stored[1] + up), 'its last counts are in the totals')
    })
  }
  t.end()
})

t.test('a voucher\'s event is emitted once; a deauthed session still listed is left alone', async (t) => {
  const { store, nds, enforcer, events, advance, voucher } = rig(t)
  const alice = voucher('alice', { download_limit: 1 })
  nds.keepListed = true
  nds.list = [session(alice.id, 'a1000001', MAC1, 600, 0), session(alice.id, 'a2000001', MAC2, 600, 0)]
  await enforcer.poll()
  t.same(nds.deauthed, [MAC1, MAC2], 'both sessions deauthenticated')
  t.same(events, [
    logout('alice', MAC1, 'download_exhausted'),
    voucherEvent('exhausted', 'alice'),
    logout('alice', MAC2, 'download_exhausted'),
  ], 'one voucher event for two sessions')

  advance(10)
  nds.count('a1000001', 900, 0)
  await enforcer.poll()
  t.same(nds.deauthed, [MAC1, MAC2], 'not deauthenticated again while openNDS still lists them')
  t.equal(events.length, 3, 'no new logout')
  t.same(store.usage.of(alice.id), bytes(1200, 0), 'nothing counted twice')

  nds.keepListed = false
  nds.list = [session(alice.id, 'a3000001', MAC1, 10, 0)]
  advance(10)
  await enforcer.poll()
  t.same(nds.deauthed, [MAC1, MAC2, MAC1], 'a new session of the exhausted voucher is ended too')
  t.same(events.slice(3), [logout('alice', MAC1, 'download_exhausted')], 'without a second voucher event')
})

t.test('sessions openNDS ended are written at once', async (t) => {
  const { store, nds, enforcer, events, advance, lines, voucher } = rig(t)
  const alice = voucher('alice', { download_limit: 1 })
  const bob = voucher('bob')
  nds.list = [session(alice.id, 'a1000001', MAC1, 800, 10), session(bob.id, 'b1000001', MAC2, 20, 2)]
  await enforcer.poll()
  advance(10)
  nds.count('a1000001', 1500, 12) // over the quota, then dropped by openNDS before the next poll
  nds.drop('a1000001')
  nds.count('b1000001', 30, 3)
  await enforcer.poll()
  t.same(events, [logout('alice', MAC1, 'ended')], 'logout with reason ended')
  t.same(nds.deauthed, [], 'nothing to deauthenticate')
  t.same(store.usage.of(alice.id), bytes(800, 10), 'the counts last seen are written at once')
  t.same(store.usage.of(bob.id), bytes(30, 3), 'with every other session\'s')
  t.same(store.usage.live().map((c) => c.token), ['b1000001'], 'the ended session is forgotten')

  // bob's voucher ends when openNDS times his next session out (it was granted the minutes left).
  advance(10)
  store.db.exec(`UPDATE vouchers SET valid_for = '1 hour', first_login = ${T0 + 30 - 3600} WHERE id = ${bob.id}`)
  nds.list = [session(bob.id, 'b2000001', MAC2, 5, 0)]
  await enforcer.poll()
  t.same(events.slice(1), [logout('bob', MAC2, 'ended')], 'bob\'s old session ended (a new one began)')
  advance(10)
  nds.drop('b2000001')
  await enforcer.poll()
  t.same(events.slice(2), [logout('bob', MAC2, 'ended'), voucherEvent('expired', 'bob')],
    'a session openNDS ended as the voucher ran out (its session timeout) announces the voucher expired')
  t.same(nds.deauthed, [], 'still nothing deauthenticated by the enforcer')
  t.same(lines, [], 'nothing logged')
})

t.test('a restart continues from what was counted: nothing lost of live sessions, nothing counted twice', async (t) => {
  const { store, nds, enforcer, make, events, advance, voucher } = rig(t)
  const alice = voucher('alice')
  const bob = voucher('bob')
  nds.list = [
    session(alice.id, 'a1000001', MAC1, 100, 10),
    session(bob.id, 'b1000001', MAC2, 50, 5),
    session(alice.id, 'c1000001', MAC3, 1, 1),
  ]
  await enforcer.poll()
  advance(300)
  await enforcer.poll()
  t.same(store.usage.of(alice.id), bytes(101, 11), 'flushed before the crash')
  nds.count('a1000001', 180, 18)
  advance(10)
  await enforcer.poll()

  // The daemon dies without a flush. Meanwhile b1 ends, a1 goes on, and token c1 comes back as bob's.
  nds.list = [
    session(alice.id, 'a1000001', MAC1, 200, 20),
    { ...session(bob.id, 'c1000001', MAC3, 4, 4) },
    session(bob.id, 'b2000001', MAC2, 3, 3),
  ]
  events.length = 0
  const again = make()
  t.same(again.usage(alice.id), bytes(101, 11), 'after the restart: what was stored')
  advance(10)
  await again.poll()
  t.same(events, [], 'no event: nothing ended')
  t.same(store.usage.live().map((c) => c.token), ['a1000001', 'b2000001', 'c1000001'],
    'the session that ended while the daemon was down is forgotten at once, with a flush')
  await again.stop()
  t.same(store.usage.of(alice.id), bytes(200 + 1, 20 + 1), 'alice: a1 continues from its count (all of its growth), c1 as counted')
  t.same(store.usage.of(bob.id), bytes(50 + 4 + 3, 5 + 4 + 3),
    'bob: b1 as counted before the crash (its growth since is lost), the reused token from 0, the new session')
})

t.test('a removed voucher: its sessions are deauthenticated and its pending counts forgotten', async (t) => {
  const { store, nds, enforcer, events, advance, lines, voucher } = rig(t)
  const alice = voucher('alice')
  const bob = voucher('bob')
  nds.list = [session(alice.id, 'a1000001', MAC1, 100, 10), session(bob.id, 'b1000001', MAC3, 7, 7), session(alice.id, 'a2000001', MAC2, 1, 1)]
  await enforcer.poll()
  t.same(enforcer.usage(alice.id), bytes(101, 11), 'counted in memory')
  store.vouchers.remove('alice')
  enforcer.forget(alice.id)
  t.same(enforcer.usage(alice.id), bytes(0, 0), 'forgotten')
  t.same(enforcer.usage(bob.id), bytes(7, 7), 'another voucher\'s counts stay')
  advance(10)
  nds.count('a1000001', 150, 15)
  await enforcer.poll()
  t.same(nds.deauthed, [MAC1, MAC2], 'both sessions deauthenticated')
  t.same(events, [logout('alice', MAC1, 'removed'), logout('alice', MAC2, 'removed')],
    'logout with reason removed, under the name the voucher had; no voucher event')
  t.match(lines, [/voucher alice on 02:77:00:00:00:11: session ended \(removed\)/, /voucher alice on 02:77:00:00:00:12/], 'logged')
  t.same(store.usage.of(alice.id), bytes(0, 0), 'no totals written for it')
  t.same(store.usage.live().map((c) => c.token), ['b1000001'], 'only bob\'s live row')
  t.same(store.usage.of(bob.id), bytes(7, 7), 'bob\'s counts written with the flush the deauths made')
})

t.test('openNDS cannot be read: logged once, counted data still flushed on time, retried each poll', async (t) => {
  const { store, nds, enforcer, advance, lines, events, voucher } = rig(t)
  const alice = voucher('alice')
  nds.list = [session(alice.id, 'a1000001', MAC1, 100, 10)]
  await enforcer.poll()
  nds.failure = new NdsctlError('not_running', 'ndsctl json: exit 3: cannot connect to opennds', 3)
  advance(10)
  await enforcer.poll()
  advance(10)
  await enforcer.poll()
  t.same(lines, ['warn: enforce: openNDS cannot be read: ndsctl json: exit 3: cannot connect to opennds'], 'one warning for the same failure')
  t.same(store.usage.of(alice.id), bytes(0, 0), 'not due yet')
  advance(280)
  await enforcer.poll()
  t.same(store.usage.of(alice.id), bytes(100, 10), 'written when due, even while openNDS is down')
  nds.failure = new Error('unreadable ndsctl json output: empty output')
  advance(10)
  await enforcer.poll()
  nds.failure = undefined
  nds.count('a1000001', 120, 10)
  advance(10)
  await enforcer.poll()
  t.same(lines.slice(1), [
    'warn: enforce: openNDS cannot be read: unreadable ndsctl json output: empty output',
    'info: enforce: openNDS answers again',
  ], 'another failure is logged, and the recovery')
  t.same(events, [
    { event: 'hotspot.backend', data: { event: 'down', backend: 'opennds', reason: 'ndsctl json: exit 3: cannot connect to opennds' } },
    { event: 'hotspot.backend', data: { event: 'up', backend: 'opennds' } },
  ], 'one event when it stops answering, one when it is back')
  t.same(enforcer.usage(alice.id), bytes(120, 10), 'the session continues from where it was')
})

t.test('a failed deauth is logged once and tried again at each poll', async (t) => {
  const { nds, enforcer, events, advance, lines, voucher } = rig(t)
  const alice = voucher('alice', { upload_limit: 1 })
  nds.list = [session(alice.id, 'a1000001', MAC1, 0, 2000)]
  const locked = new NdsctlError('locked', 'ndsctl deauth 02:77:00:00:00:11: exit 4 (lock held) on all 21 attempts', 4)
  nds.deauthFailures = [locked, locked]
  await enforcer.poll()
  advance(10)
  await enforcer.poll()
  t.same(lines, [`warn: enforce: voucher alice on ${MAC1}: session not ended (upload_exhausted): ${locked.message}`], 'one warning')
  t.same(events, [], 'no logout yet')
  advance(10)
  await enforcer.poll()
  t.same(nds.deauthed, [MAC1], 'the third try ends it')
  t.same(events, [logout('alice', MAC1, 'upload_exhausted'), voucherEvent('exhausted', 'alice')], 'logout and voucher event')
  t.equal(lines[1], `info: enforce: voucher alice on ${MAC1}: session ended (upload_exhausted)`, 'logged')
})

t.test('a failed write is logged once and retried; what it held is still counted', async (t) => {
  let failing = true
  const flushes: Array<[LiveCount[], string[]]> = []
  const { store, nds, enforcer, advance, lines, voucher } = rig(t, {
    usage: (real) => ({
      ...real,
      flush: (counts, ended) => {
        if (failing) throw new Error('disk I/O error')
        flushes.push([[...counts], [...ended]])
        real.flush(counts, ended)
      },
    }),
  })
  const alice = voucher('alice')
  const bob = voucher('bob')
  nds.list = [session(alice.id, 'a1000001', MAC1, 100, 10), session(bob.id, 'b1000001', MAC2, 50, 5)]
  await enforcer.poll()
  nds.list = []
  advance(10)
  await enforcer.poll()
  advance(10)
  await enforcer.poll()
  t.same(lines, ['error: enforce: usage not saved: disk I/O error'], 'logged once')
  t.same(enforcer.usage(alice.id), bytes(100, 10), 'the ended session\'s counts are kept in memory')
  enforcer.forget(bob.id)
  t.same(enforcer.usage(bob.id), bytes(0, 0), 'a removed voucher\'s ended session is forgotten')
  failing = false
  advance(10)
  await enforcer.poll()
  t.same(flushes, [[[{ token: 'a1000001', voucherId: alice.id, mac: MAC1, downloadKiB: 100, uploadKiB: 10 }], ['a1000001']]],
    'retried at the next poll, with alice\'s session only')
  t.same(store.usage.of(alice.id), bytes(100, 10), 'written')
  t.equal(lines[1], 'info: enforce: usage saved again', 'the recovery is logged')
  enforcer.flush()
  t.equal(flushes.length, 1, 'a flush with nothing to write writes nothing')
})

t.test('the clock', async (t) => {
  t.test('a jump moves the first logins stamped before it, so it does not expire them', async (t) => {
    const { store, nds, enforcer, advance, clock, lines, voucher } = rig(t)
    const fresh = voucher('fresh', { first_login: T0 }) // stamped by the portal in this run, with the old clock
    const older = voucher('older', { first_login: T0 - 3600 }) // from an earlier boot
    enforcer.noteFirstLogin(fresh.id)
    nds.list = [session(fresh.id, 'f1000001', MAC1, 0, 0), session(older.id, 'o1000001', MAC2, 0, 0)]
    await enforcer.poll()
    advance(10)
    clock.wall += 30 // NTP nudging by seconds: no jump
    await enforcer.poll()
    t.same(lines, [], 'a step within the tolerance is ignored')

    clock.mono += 10
    clock.wall += 10 + 86_400 // NTP sets a clock that was a day behind
    await enforcer.poll()
    t.equal(store.vouchers.byId(fresh.id)?.first_login, T0 + 86_400, 'the stamp of this run moved with the clock')
    t.equal(store.vouchers.byId(older.id)?.first_login, T0 - 3600, 'an earlier boot\'s stamp stays')
    t.same(nds.deauthed, [MAC2], 'so only the voucher that really ran out expires')
    t.equal(lines[0], 'info: enforce: the clock was set forward by 86400 s; 1 first login(s) stamped before it moved with it', 'logged once')

    clock.mono += 10
    clock.wall -= 7200 - 10
    await enforcer.poll()
    t.equal(store.vouchers.byId(fresh.id)?.first_login, T0 + 86_400 - 7200, 'a stamp moves with every jump: back by two hours')
    t.equal(lines[2], 'info: enforce: the clock was set back by 7200 s; 1 first login(s) stamped before it moved with it', 'a jump back')
  })

  t.test('a stamp made after a jump is not moved by it', async (t) => {
    const { store, nds, enforcer, clock, lines, voucher } = rig(t)
    await enforcer.poll()
    clock.mono += 5
    clock.wall += 5 + 3600 // the clock is set, then the portal stamps a first login with the new time
    const v = voucher('alice', { first_login: clock.wall })
    enforcer.noteFirstLogin(v.id)
    t.equal(lines.length, 1, 'the jump is seen when the stamp is noted')
    clock.mono += 10
    clock.wall += 10
    await enforcer.poll()
    t.equal(store.vouchers.byId(v.id)?.first_login, T0 + 3605, 'not moved')
    clock.mono += 10
    clock.wall += 10 + 600
    nds.list = []
    await enforcer.poll()
    t.equal(store.vouchers.byId(v.id)?.first_login, T0 + 4205, 'moved by the next jump')
  })

  t.test('a jump whose stamps cannot be moved is logged as an error', async (t) => {
    const { enforcer, clock, lines } = rig(t, {
      usage: (real) => ({ ...real, shiftFirstLogins: () => { throw new Error('database is locked') } }),
    })
    await enforcer.poll()
    clock.wall += 1000
    await enforcer.poll()
    t.same(lines, ['error: enforce: the clock was set forward by 1000 s; first logins not moved: database is locked'])
  })

  t.test('while the clock is unset nothing expires, but quotas still end sessions', async (t) => {
    const { nds, enforcer, clock, voucher } = rig(t)
    clock.wall = CLOCK_FLOOR - 1_000_000
    const expired = voucher('expired', { valid_for: '1 hour', first_login: T0 - 86_400 })
    const spent = voucher('spent', { download_limit: 1 })
    nds.list = [session(expired.id, 'e1000001', MAC1, 0, 0), session(spent.id, 's1000001', MAC2, 2048, 0)]
    await enforcer.poll()
    t.same(nds.deauthed, [MAC2], 'only the exhausted voucher\'s session ends')
    clock.wall = T0
    clock.mono += 10
    await enforcer.poll()
    t.same(nds.deauthed, [MAC2, MAC1], 'once the clock is set, the expired one ends too')
  })
  t.end()
})

t.test('poll never runs twice at once and never throws', async (t) => {
  t.test('a poll asked for during one is that one', async (t) => {
    const { nds, enforcer } = rig(t)
    let open = (): void => {}
    nds.gate = new Promise((resolve) => { open = resolve })
    const first = enforcer.poll()
    const second = enforcer.poll()
    t.equal(second, first, 'the same promise')
    open()
    await first
    t.equal(nds.calls, 1, 'one ndsctl call')
    nds.gate = undefined
    await enforcer.poll()
    t.equal(nds.calls, 2, 'the next poll runs')
  })

  t.test('an unexpected failure is logged', async (t) => {
    const { nds, enforcer, lines, voucher } = rig(t, {
      usage: (real) => ({ ...real, watched: () => { throw new Error('The database connection is not open') } }),
    })
    nds.list = [session(voucher('alice').id, 'a1000001', MAC1, 1, 1)]
    await t.resolves(enforcer.poll(), 'resolves')
    t.same(lines, ['error: enforce: poll failed: The database connection is not open'])
  })
  t.end()
})

/** What a captured call returned. */
const returned = (call: object): unknown => (call as { returned?: unknown }).returned

/** The enforcer's timers do not keep the process alive; in a test, this does (the daemon has its server). */
const keepAlive = (t: Test): void => {
  const timer = setInterval(() => {}, 60_000)
  t.teardown(() => { clearInterval(timer) })
}

t.test('start polls at once and then on the interval; stop leaves no timer and writes the counts', async (t) => {
  keepAlive(t)
  const setTimeouts = t.capture(globalThis, 'setTimeout', setTimeout)
  const setIntervals = t.capture(globalThis, 'setInterval', setInterval)
  const clearTimeouts = t.capture(globalThis, 'clearTimeout', clearTimeout)
  const clearIntervals = t.capture(globalThis, 'clearInterval', clearInterval)
  const { store, nds, enforcer, voucher } = rig(t, { pollSeconds: 0.001 })
  const alice = voucher('alice')
  nds.list = [session(alice.id, 'a1000001', MAC1, 100, 10)]
  const third = new Promise<void>((resolve) => { nds.onCall = (n) => { if (n === 3) resolve() } })
  enforcer.start()
  enforcer.start()
  await third
  const interval = setIntervals().filter((c) => c.args[1] === 1)
  const first = setTimeouts().filter((c) => c.args[1] === 0 && clearTimeouts().every((d) => d.args[0] !== returned(c)))
  t.equal(interval.length, 1, 'one interval timer, of pollSeconds, however often start is called')
  const timer = returned(interval[0] as object) as NodeJS.Timeout
  t.equal(timer.hasRef(), false, 'it does not keep the process alive')
  await enforcer.stop()
  const calls = nds.calls
  t.ok(clearIntervals().some((c) => c.args[0] === timer), 'the interval is cleared')
  t.ok(first.some((c) => clearTimeouts().some((d) => d.args[0] === returned(c))), 'the first poll\'s timer is cleared')
  t.same(store.usage.of(alice.id), bytes(100, 10), 'stop writes what was counted')
  t.same(store.usage.live().map((c) => c.token), ['a1000001'], 'and the live count, for the next start')
  await enforcer.poll()
  t.equal(nds.calls, calls + 1, 'a poll asked for after stop still runs (nothing else does)')
})

t.test('stop waits for a poll under way before the last write', async (t) => {
  const { store, nds, enforcer, voucher } = rig(t)
  const alice = voucher('alice')
  nds.list = [session(alice.id, 'a1000001', MAC1, 100, 10)]
  let open = (): void => {}
  nds.gate = new Promise((resolve) => { open = resolve })
  void enforcer.poll()
  let done = false
  const stopped = enforcer.stop().then(() => { done = true })
  nds.count('a1000001', 150, 15)
  await Promise.resolve()
  t.equal(done, false, 'stop is waiting')
  open()
  await stopped
  t.same(store.usage.of(alice.id), bytes(150, 15), 'the poll\'s counts are written')
})

t.test('the first poll does not wait for the interval', async (t) => {
  keepAlive(t)
  const { nds, enforcer } = rig(t, { pollSeconds: 3600 })
  await new Promise<void>((resolve) => { nds.onCall = () => { resolve() }; enforcer.start() })
  t.equal(nds.calls, 1, 'polled at once')
  await enforcer.stop()
})

t.test("BinAuth's final totals: the bytes after the last poll of a session openNDS ended count, to the byte", async (t) => {
  const { store, nds, enforcer, advance, voucher, spool, spoolDeauth, events } = rig(t)
  const alice = voucher('alice', { download_limit: 9 })
  nds.list = [session(alice.id, 'a1000001', MAC1, 8000, 100)]
  await enforcer.poll()
  t.same(events, [], 'under its limit at the last poll')
  // openNDS' own quota check ends the session between two polls, over the limit.
  nds.drop('a1000001')
  spoolDeauth('downquota_deauth', 'a1000001', MAC1, 9240 * KiB + 123, 100 * KiB + 7, `hs-v${alice.id}`)
  advance(10)
  await enforcer.poll()
  t.same(store.usage.of(alice.id), { downloadBytes: 9240 * KiB + 123, uploadBytes: 100 * KiB + 7 }, 'exact totals, written at once')
  t.same(readdirSync(spool), [], 'the event is taken')
  t.match(events, [logout('alice', MAC1, 'ended'), voucherEvent('exhausted', 'alice')], 'the voucher is seen exhausted')
})

t.test('BinAuth totals of a session still listed wait until it is gone, and never lower the count', async (t) => {
  const { store, nds, enforcer, advance, voucher, spoolDeauth, lines } = rig(t)
  const alice = voucher('alice')
  nds.list = [session(alice.id, 'a1000001', MAC1, 500, 50), session(alice.id, 'a2000001', MAC2, 10, 10)]
  await enforcer.poll()
  spoolDeauth('idle_deauth', 'a1000001', MAC1, 600 * KiB, 60 * KiB, `hs-v${alice.id}`)
  spoolDeauth('ndsctl_deauth', 'a2000001', MAC2, 5 * KiB, 5 * KiB, `hs-v${alice.id}`) // lower than what was read
  advance(10)
  await enforcer.poll()
  t.same(store.usage.of(alice.id), bytes(0, 0), 'both still listed: nothing ended')
  nds.drop('a1000001')
  nds.drop('a2000001')
  advance(10)
  await enforcer.poll()
  t.same(store.usage.of(alice.id), bytes(610, 70), 'the final totals of the first, the read counters of the second')
  spoolDeauth('timeout_deauth', 'ffff0001', MAC3, 1, 1, 'voucher=RIG-0001')
  advance(10)
  await enforcer.poll()
  t.same(store.usage.of(alice.id), bytes(610, 70), "another portal's session changes nothing")
  t.match(lines.at(-1), /^debug: enforce: BinAuth totals of a session hotspotd did not count \(timeout_deauth, 02:77:00:00:00:13, voucher=RIG-0001\)$/)
  spoolDeauth('client_deauth', 'ffff0002', MAC3, 1, 1, '')
  advance(10)
  await enforcer.poll()
  t.match(lines.at(-1), /\(client_deauth, 02:77:00:00:00:13, no custom\)$/)
})

t.test('BinAuth totals of a session that ended while hotspotd was down still count', async (t) => {
  const { store, nds, enforcer, make, advance, voucher, spoolDeauth } = rig(t)
  const alice = voucher('alice')
  const bob = voucher('bob')
  nds.list = [session(alice.id, 'a1000001', MAC1, 300, 30), session(bob.id, 'b1000001', MAC2, 40, 4)]
  await enforcer.poll()
  await enforcer.stop()
  t.same(store.usage.of(alice.id), bytes(300, 30))
  // Down for a while: both sessions end; BinAuth spooled alice's, bob's event is lost.
  nds.list = []
  spoolDeauth('shutdown_deauth', 'a1000001', MAC1, 350 * KiB, 31 * KiB, `hs-v${alice.id}`)
  advance(600)
  const again = make()
  await again.poll()
  t.same(store.usage.of(alice.id), bytes(350, 31), 'counted from where the last flush left it')
  t.same(store.usage.of(bob.id), bytes(40, 4), 'without an event, what was flushed stays')
  t.same(store.usage.live(), [], 'no live rows left')
})
