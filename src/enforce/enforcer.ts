/**
 * @module enforce/enforcer
 * The poll loop that enforces vouchers over their live openNDS sessions.
 *
 * openNDS checks quotas only every checkinterval (anything moved in between gets through), knows
 * nothing of validity beyond the session length it was given at auth, and forgets a client's
 * counters at deauth. So every `pollSeconds` the enforcer reads `ndsctl json`, counts each
 * hotspotd voucher session's KiB counters towards its voucher, and deauthenticates the sessions of
 * a voucher that has expired, used a quota up or been removed ({@link decideSession}).
 *
 * Counting: per session (openNDS token) the counters are kept in memory with what of them is
 * already in the store; the growth is written by the usage store's `flush`, in one transaction, at
 * most once per `flushSeconds` (by the monotonic clock), and at once when a session ends, is
 * deauthenticated, and at stop. openNDS' counters run on while hotspotd is down, so after a
 * restart (or a crash) a session still live continues from what was counted: nothing of it is lost
 * and nothing counted twice. What a restart can lose is at most one flush interval of the sessions
 * that ended while hotspotd was down (or before it flushed them). Quotas are judged on the stored
 * totals plus what is counted but not yet flushed.
 *
 * Clock: between two polls the wall clock is compared with the monotonic one ({@link clockJump}).
 * After a jump, the first_login stamps this process was told of ({@link Enforcer.noteFirstLogin})
 * since it started are moved with the clock ({@link shiftForJump}), so
 * a jump does not expire every voucher at once. While the clock is obviously unset
 * ({@link clockIsSet}), nothing expires.
 */
import { isOnline } from '../backend/nds-json'
import { clockIsSet, clockJump, decideSession, shiftForJump, type SessionVerdict, type Usage } from '../domain/enforcement'
import { decodeIdentity } from '../backend/identity'
import type { Ndsctl } from '../backend/ndsctl'
import type { ActionContext } from '../actions/spec'
import type { Store } from '../store/db'
import type { LiveCount } from '../store/usage'
import type { Logger } from '../log'
import { takeSpooled, type SessionTotals } from './binauth'

export interface EnforcerOptions {
  ndsctl: Pick<Ndsctl, 'clients' | 'deauth'>
  store: Store
  log: Logger
  emit: ActionContext['emit']
  /** Epoch seconds. */
  wallNow: () => number
  /** Seconds on a monotonic clock (e.g. `performance.now() / 1000`). */
  monoNow: () => number
  /** Seconds between two polls of `ndsctl json`. */
  pollSeconds: number
  /** Seconds between two writes of the counts ({@link DEFAULT_FLUSH_SECONDS}). */
  flushSeconds: number
  /** The BinAuth spool with the final totals of ended sessions (enforce/binauth); none when left out. */
  binauthSpool?: string
}

/** How often the counts are written unless told otherwise: every 5 minutes. */
export const DEFAULT_FLUSH_SECONDS = 300

type DeauthReason = Extract<SessionVerdict, { action: 'deauth' }>['reason']

/** One live openNDS session of a voucher. */
interface Session {
  token: string
  voucherId: number
  mac: string
  /** The voucher's username, once known. */
  username: string | null
  /** The counters as last read (KiB). */
  downloadKiB: number
  uploadKiB: number
  /** What of them is in the store (KiB). */
  countedDownKiB: number
  countedUpKiB: number
}

/** The voucher event for a deauth reason, or undefined when it has none. */
const voucherEvent = (reason: DeauthReason): 'expired' | 'exhausted' | undefined =>
  reason === 'expired' ? 'expired' : reason === 'download_exhausted' || reason === 'upload_exhausted' ? 'exhausted' : undefined

const pendingKiB = (s: Session): [number, number] =>
  [Math.max(0, s.downloadKiB - s.countedDownKiB), Math.max(0, s.uploadKiB - s.countedUpKiB)]

const isDirty = (s: Session): boolean => s.downloadKiB !== s.countedDownKiB || s.uploadKiB !== s.countedUpKiB

const describe = (s: Session): string => `voucher ${s.username ?? `#${s.voucherId}`} on ${s.mac}`

export class Enforcer {
  private readonly opts: EnforcerOptions
  /** Live sessions by token. */
  private readonly sessions = new Map<string, Session>()
  /** Sessions that ended, kept until their last counts are flushed. */
  private readonly ended = new Map<string, Session>()
  /** Final totals from BinAuth of sessions still listed (a deauth under way), until they are gone. */
  private readonly finals = new Map<string, SessionTotals>()
  /** Counts the store had at start, until the first poll that read openNDS. */
  private restored: Map<string, LiveCount> | undefined
  /** Stored tokens that were not live at the first poll: dropped at the next flush. */
  private readonly stale = new Set<string>()
  /** Tokens this enforcer deauthenticated, ignored while openNDS still lists them. */
  private dropped = new Set<string>()
  /** Sessions whose deauth failed (logged once each; retried every poll). */
  private readonly deauthFailed = new Set<string>()
  /** Vouchers whose 'expired' or 'exhausted' event was emitted. */
  private readonly announced = new Set<number>()
  /** Vouchers whose first_login this process stamped since it started (and moved with every jump since). */
  private readonly stamped = new Set<number>()
  private clock: { wall: number; mono: number } | undefined
  private lastFlush: number
  /** The message of the last failed `ndsctl json`, until it answers again. */
  private ndsProblem: string | undefined
  /** The message of the last failed flush, until one succeeds. */
  private flushProblem: string | undefined
  private running: Promise<void> | undefined
  private firstTimer: NodeJS.Timeout | undefined
  private timer: NodeJS.Timeout | undefined

  constructor (opts: EnforcerOptions) {
    this.opts = opts
    this.restored = new Map(opts.store.usage.live().map((c) => [c.token, c]))
    this.lastFlush = opts.monoNow()
  }

  /** Starts polling: the first poll at once, then every `pollSeconds` (the timers do not keep the process alive). */
  start (): void {
    if (this.timer !== undefined) return
    this.firstTimer = setTimeout(() => { void this.poll() }, 0)
    this.firstTimer.unref()
    this.timer = setInterval(() => { void this.poll() }, this.opts.pollSeconds * 1000)
    this.timer.unref()
  }

  /** Stops polling, waits for a poll under way, and writes the counts. */
  async stop (): Promise<void> {
    clearTimeout(this.firstTimer)
    clearInterval(this.timer)
    this.firstTimer = undefined
    this.timer = undefined
    await this.running
    this.flush()
  }

  /**
   * One cycle: read openNDS, count, deauthenticate, flush when due. Never throws: a failure to read
   * openNDS is logged once (until it answers again) and retried at the next poll. A poll asked for
   * while one is under way is that one.
   */
  poll (): Promise<void> {
    this.running ??= this.cycle().catch((err: unknown) => {
      this.opts.log.error(`enforce: poll failed: ${(err as Error).message}`)
    }).finally(() => { this.running = undefined })
    return this.running
  }

  /**
   * Writes the counts now, in one transaction: the live sessions' growth, and the ended sessions'
   * last counts (then forgets them). Nothing is written when nothing changed. A failure is logged
   * (once per distinct error) and everything is kept for the next try: at the next poll when
   * sessions ended, else at the next due time.
   */
  flush (): void {
    const sessions = [...this.sessions.values()].filter(isDirty)
    const ended = [...this.ended.values()].filter(isDirty)
    if (sessions.length === 0 && this.ended.size === 0 && this.stale.size === 0) {
      this.lastFlush = this.opts.monoNow()
      return
    }
    const counts = [...sessions, ...ended].map((s): LiveCount => ({
      token: s.token, voucherId: s.voucherId, mac: s.mac, downloadKiB: s.downloadKiB, uploadKiB: s.uploadKiB,
    }))
    try {
      this.opts.store.usage.flush(counts, [...this.ended.keys(), ...this.stale])
    } catch (err) {
      const why = (err as Error).message
      if (why !== this.flushProblem) this.opts.log.error(`enforce: usage not saved: ${why}`)
      this.flushProblem = why
      return
    }
    if (this.flushProblem !== undefined) this.opts.log.info('enforce: usage saved again')
    this.flushProblem = undefined
    for (const s of sessions) {
      s.countedDownKiB = s.downloadKiB
      s.countedUpKiB = s.uploadKiB
    }
    this.ended.clear()
    this.stale.clear()
    this.lastFlush = this.opts.monoNow()
  }

  /** What a voucher has used: its stored totals plus what is counted but not flushed yet. */
  usage (voucherId: number): Usage {
    return this.withPending(voucherId, this.opts.store.usage.of(voucherId), this.pendingByVoucher())
  }

  /**
   * A voucher was removed: forget what is counted for it and not flushed (its rows are gone). Its
   * sessions still listed are deauthenticated at the next poll if remove_voucher did not end them.
   */
  forget (voucherId: number): void {
    for (const s of this.sessions.values()) {
      if (s.voucherId !== voucherId) continue
      s.countedDownKiB = s.downloadKiB
      s.countedUpKiB = s.uploadKiB
    }
    for (const [token, s] of this.ended) if (s.voucherId === voucherId) this.ended.delete(token)
    this.announced.delete(voucherId)
    this.stamped.delete(voucherId)
  }

  /**
   * The portal stamped a voucher's first_login with the current wall clock: if the clock jumps
   * later, that stamp moves with it. The clock is checked first, so a jump that happened before the
   * stamp does not move it.
   */
  noteFirstLogin (voucherId: number): void {
    this.checkClock()
    this.stamped.add(voucherId)
  }

  /** Compares the wall clock with the monotonic one since the last check; after a jump, moves the noted stamps. */
  private checkClock (): void {
    const wall = this.opts.wallNow()
    const mono = this.opts.monoNow()
    const last = this.clock
    this.clock = { wall, mono }
    if (last === undefined) return
    const jump = clockJump({ wallDelta: wall - last.wall, monoDelta: mono - last.mono })
    if (jump === 0) return
    const by = `the clock was set ${jump > 0 ? 'forward' : 'back'} by ${Math.round(Math.abs(jump))} s`
    // The moved stamps are now in the new clock's time, like those made from now on: a later jump
    // (back after forward, say) moves them again.
    const ids = [...this.stamped]
    try {
      const moved = this.opts.store.usage.shiftFirstLogins(ids, (t) => shiftForJump(t, jump, true))
      this.opts.log.info(`enforce: ${by}; ${moved} first login(s) stamped before it moved with it`)
    } catch (err) {
      this.opts.log.error(`enforce: ${by}; first logins not moved: ${(err as Error).message}`)
    }
  }

  /** Not-yet-flushed KiB per voucher, over live and ended sessions. */
  private pendingByVoucher (): Map<number, [number, number]> {
    const out = new Map<number, [number, number]>()
    for (const sessions of [this.sessions, this.ended]) {
      for (const s of sessions.values()) {
        const [down, up] = pendingKiB(s)
        const sum = out.get(s.voucherId)
        if (sum === undefined) out.set(s.voucherId, [down, up])
        else { sum[0] += down; sum[1] += up }
      }
    }
    return out
  }

  private withPending (voucherId: number, stored: Usage, pending: Map<number, [number, number]>): Usage {
    const [down, up] = pending.get(voucherId) ?? [0, 0]
    return { downloadBytes: stored.downloadBytes + down * 1024, uploadBytes: stored.uploadBytes + up * 1024 }
  }

  private async cycle (): Promise<void> {
    const { log, emit } = this.opts
    this.checkClock()
    let list
    try {
      list = await this.opts.ndsctl.clients()
    } catch (err) {
      const why = (err as Error).message
      if (why !== this.ndsProblem) log.warn(`enforce: openNDS cannot be read: ${why}`)
      if (this.ndsProblem === undefined) emit('hotspot.backend', { event: 'down', backend: 'opennds', reason: why })
      this.ndsProblem = why
      if (this.opts.monoNow() - this.lastFlush >= this.opts.flushSeconds) this.flush()
      return
    }
    if (this.ndsProblem !== undefined) {
      log.info('enforce: openNDS answers again')
      emit('hotspot.backend', { event: 'up', backend: 'opennds' })
    }
    this.ndsProblem = undefined
    // The clock may have been stepped while ndsctl was answering: the stamps move before any verdict.
    this.checkClock()
    // Read after the list, so that a session gone from it has had its deauth event written.
    if (this.opts.binauthSpool !== undefined) for (const [token, f] of takeSpooled(this.opts.binauthSpool, log)) this.finals.set(token, f)
    const now = this.opts.wallNow()
    const clockSet = clockIsSet(now)

    // Count: update the live sessions, note ended ones.
    const seen = new Set<string>()
    const stillListed = new Set<string>()
    for (const c of list) {
      if (!isOnline(c.state)) continue
      const identity = decodeIdentity(c.custom)
      if (identity?.kind !== 'voucher') continue
      if (this.dropped.has(c.token)) {
        stillListed.add(c.token)
        continue
      }
      seen.add(c.token)
      let s = this.sessions.get(c.token)
      if (s === undefined) {
        const before = this.restored?.get(c.token)
        const from = before?.voucherId === identity.id ? before : undefined
        s = {
          token: c.token,
          voucherId: identity.id,
          mac: c.mac,
          username: null,
          downloadKiB: 0,
          uploadKiB: 0,
          countedDownKiB: from?.downloadKiB ?? 0,
          countedUpKiB: from?.uploadKiB ?? 0,
        }
        this.sessions.set(c.token, s)
      }
      s.downloadKiB = c.downloadKiB
      s.uploadKiB = c.uploadKiB
    }
    this.dropped = stillListed
    const gone: Session[] = []
    for (const [token, s] of this.sessions) {
      if (seen.has(token)) continue
      this.sessions.delete(token)
      this.deauthFailed.delete(token)
      this.ended.set(token, s)
      this.takeFinal(s)
      gone.push(s)
    }
    if (this.restored !== undefined) {
      for (const [token, c] of this.restored) {
        if (seen.has(token)) continue
        // Ended while hotspotd was not polling: its final totals, if BinAuth spooled them, still count.
        const s: Session = { token, voucherId: c.voucherId, mac: c.mac, username: null, downloadKiB: c.downloadKiB, uploadKiB: c.uploadKiB, countedDownKiB: c.downloadKiB, countedUpKiB: c.uploadKiB }
        if (this.takeFinal(s)) this.ended.set(token, s)
        else this.stale.add(token)
      }
      this.restored = undefined
    }
    for (const [token, f] of this.finals) {
      if (this.sessions.has(token) || this.dropped.has(token)) continue
      this.finals.delete(token)
      log.debug(`enforce: BinAuth totals of a session hotspotd did not count (${f.reason}, ${f.mac}, ${f.custom === '' ? 'no custom' : f.custom})`)
    }

    // Judge: one query for every voucher concerned, usage from memory.
    const vouchers = this.opts.store.usage.watched([...this.sessions.values(), ...gone].map((s) => s.voucherId))
    const pending = this.pendingByVoucher()
    const verdictOf = (s: Session): SessionVerdict => {
      const v = vouchers.get(s.voucherId)
      if (v !== undefined) s.username = v.username
      return decideSession(v, v === undefined ? { downloadBytes: 0, uploadBytes: 0 } : this.withPending(s.voucherId, v.used, pending), now, clockSet)
    }
    for (const s of gone) {
      const verdict = verdictOf(s)
      emit('hotspot.session', { event: 'logout', username: s.username, mac: s.mac, reason: 'ended' })
      if (verdict.action === 'deauth') this.announce(s, verdict.reason)
    }
    const doomed: Array<[Session, DeauthReason]> = []
    for (const s of this.sessions.values()) {
      const verdict = verdictOf(s)
      if (verdict.action === 'deauth') doomed.push([s, verdict.reason])
    }
    for (const [s, reason] of doomed) await this.deauth(s, reason)

    // Ended sessions (gone or deauthed now, or kept by a failed flush) are written at once.
    if (this.ended.size > 0 || this.stale.size > 0 || this.opts.monoNow() - this.lastFlush >= this.opts.flushSeconds) this.flush()
  }

  /**
   * Takes the BinAuth totals of an ended session, when there are any: they are exact and final,
   * so they replace the last counters read (never lowering them). True when there were.
   */
  private takeFinal (s: Session): boolean {
    const f = this.finals.get(s.token)
    if (f === undefined) return false
    this.finals.delete(s.token)
    s.downloadKiB = Math.max(s.downloadKiB, f.downloadBytes / 1024)
    s.uploadKiB = Math.max(s.uploadKiB, f.uploadBytes / 1024)
    return true
  }

  /** Ends one session. A failure is logged once per session; the next poll tries again. */
  private async deauth (s: Session, reason: DeauthReason): Promise<void> {
    try {
      await this.opts.ndsctl.deauth(s.mac)
    } catch (err) {
      if (!this.deauthFailed.has(s.token)) {
        this.opts.log.warn(`enforce: ${describe(s)}: session not ended (${reason}): ${(err as Error).message}`)
      }
      this.deauthFailed.add(s.token)
      return
    }
    this.deauthFailed.delete(s.token)
    this.sessions.delete(s.token)
    this.ended.set(s.token, s)
    this.dropped.add(s.token)
    this.opts.log.info(`enforce: ${describe(s)}: session ended (${reason})`)
    this.opts.emit('hotspot.session', { event: 'logout', username: s.username, mac: s.mac, reason })
    this.announce(s, reason)
  }

  /** Emits a voucher's 'expired' or 'exhausted' event (its row was read, so its username is known), once per voucher. */
  private announce (s: Session, reason: DeauthReason): void {
    const event = voucherEvent(reason)
    if (event === undefined || this.announced.has(s.voucherId)) return
    this.announced.add(s.voucherId)
    this.opts.emit('hotspot.voucher', { event, username: s.username })
  }
}
