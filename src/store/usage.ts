/**
 * @module store/usage
 * What vouchers have used, which devices they are bound to, and how much of each live openNDS
 * session is already counted (tables of migration 2).
 *
 * openNDS counts per session, in KiB, from 0 at every auth, and forgets a client at deauth. The
 * enforcer polls those counters and hands them here at most once per flush interval: {@link
 * UsageStore.flush} adds each session's growth since it was last counted to its voucher's totals
 * (bytes) and remembers the new count per token, in one transaction. A session that is still live
 * after a restart continues from its remembered count, so nothing is counted twice and at most
 * one flush interval of counting is lost.
 *
 * Rows of a removed voucher are deleted by a trigger, and the writes here skip a voucher that no
 * longer exists, so a session seen after its voucher was removed leaves nothing behind.
 */
import type { Database } from './driver'
import type { VoucherRow } from './vouchers'
import type { Usage } from '../domain/enforcement'

export type { Usage }

/** Per live openNDS session: its counters (KiB, since its auth) as last read, or as last counted. */
export interface LiveCount {
  /** openNDS' token for the session. */
  token: string
  voucherId: number
  /** Upper case, colon separated. */
  mac: string
  downloadKiB: number
  uploadKiB: number
}

/** The voucher fields the enforcer judges a session by, with the voucher's stored totals. */
export type WatchedVoucher = Pick<VoucherRow,
  'id' | 'username' | 'valid_from' | 'valid_for' | 'first_login' | 'mac' | 'download_limit' | 'upload_limit'> & {
  /** The totals as stored (without what is counted but not yet flushed). */
  used: Usage
}

export interface UsageStore {
  /** The stored totals of a voucher, in bytes (0 and 0 for one never counted or not existing). */
  of: (voucherId: number) => Usage
  /** The MACs bound to a voucher, in the order they were first seen. */
  devices: (voucherId: number) => string[]
  /**
   * Binds a device to a voucher (idempotent: a bound MAC keeps its first_seen), and records it in
   * vouchers.mac when the voucher has none yet. Nothing happens for a voucher that does not exist.
   * The MAC is stored upper case, colon separated.
   */
  bind: (voucherId: number, mac: string, now: number) => void
  /**
   * The vouchers a device is bound to (any case or separator), most recently bound first: where
   * the portal looks for a voucher to let a forgotten device back in with.
   */
  vouchersOf: (mac: string) => number[]
  /** What was counted per live session at the last flush (for a restart). */
  live: () => LiveCount[]
  /**
   * One transaction: adds each session's growth since it was last counted to its voucher (growth =
   * current − counted KiB for the same token; a token not counted yet, or counted for another
   * voucher, counts from 0; a counter below its count adds 0 and resets the count), remembers the
   * new counts, then drops the `ended` tokens. Sessions of a voucher that no longer exists are
   * skipped. A token may be in both lists: its last counts are added, then it is dropped.
   */
  flush: (counts: readonly LiveCount[], ended: readonly string[]) => void
  /**
   * The vouchers among `ids` that exist, with their stored totals, in one query (the enforcer
   * calls it once per poll for every voucher with a live session).
   */
  watched: (ids: Iterable<number>) => Map<number, WatchedVoucher>
  /**
   * Moves first_login of vouchers after a clock jump, in one transaction: each of `ids` that
   * exists gets `shift(first_login)`. Returns how many changed.
   */
  shiftFirstLogins: (ids: Iterable<number>, shift: (firstLogin: number | null) => number | null) => number
}

/** A MAC as the store keeps it: upper case, colon separated. */
const normalizeMac = (mac: string): string => mac.trim().toUpperCase().replace(/-/g, ':')

interface LiveRow { token: string; voucher_id: number; mac: string; download_counted_kib: number; upload_counted_kib: number }
type WatchedRow = Omit<WatchedVoucher, 'used'> & { download_used: number; upload_used: number }

export const createUsage = (db: Database): UsageStore => {
  const of = db.prepare<{ download_used: number; upload_used: number }>(
    'SELECT download_used, upload_used FROM voucher_usage WHERE voucher_id = @id')
  const devices = db.prepare<{ mac: string }>(
    'SELECT mac FROM voucher_devices WHERE voucher_id = @id ORDER BY first_seen, rowid')
  const bindDevice = db.prepare(`INSERT INTO voucher_devices (voucher_id, mac, first_seen)
    SELECT id, @mac, @now FROM vouchers WHERE id = @id
    ON CONFLICT (voucher_id, mac) DO NOTHING`)
  const vouchersOf = db.prepare<{ voucher_id: number }>(
    'SELECT voucher_id FROM voucher_devices WHERE mac = @mac ORDER BY first_seen DESC, rowid DESC')
  const bindFirst = db.prepare('UPDATE vouchers SET mac = @mac WHERE id = @id AND mac IS NULL')
  const live = db.prepare<LiveRow>(
    'SELECT token, voucher_id, mac, download_counted_kib, upload_counted_kib FROM live_sessions ORDER BY token')
  const counted = db.prepare<LiveRow>(
    'SELECT token, voucher_id, mac, download_counted_kib, upload_counted_kib FROM live_sessions WHERE token = @token')
  const remember = db.prepare(`INSERT INTO live_sessions (token, voucher_id, mac, download_counted_kib, upload_counted_kib)
    SELECT @token, @voucherId, @mac, @downloadKiB, @uploadKiB WHERE EXISTS (SELECT 1 FROM vouchers WHERE id = @voucherId)
    ON CONFLICT (token) DO UPDATE SET voucher_id = excluded.voucher_id, mac = excluded.mac,
      download_counted_kib = excluded.download_counted_kib, upload_counted_kib = excluded.upload_counted_kib`)
  const add = db.prepare(`INSERT INTO voucher_usage (voucher_id, download_used, upload_used)
    SELECT id, @down, @up FROM vouchers WHERE id = @id
    ON CONFLICT (voucher_id) DO UPDATE SET download_used = download_used + excluded.download_used,
      upload_used = upload_used + excluded.upload_used`)
  const drop = db.prepare('DELETE FROM live_sessions WHERE token = @token')
  const watched = db.prepare<WatchedRow>(`SELECT v.id, v.username, v.valid_from, v.valid_for, v.first_login, v.mac,
      v.download_limit, v.upload_limit,
      coalesce(u.download_used, 0) AS download_used, coalesce(u.upload_used, 0) AS upload_used
    FROM json_each(@ids) AS j JOIN vouchers AS v ON v.id = j.value
    LEFT JOIN voucher_usage AS u ON u.voucher_id = v.id`)
  const firstLogin = db.prepare<{ first_login: number | null }>('SELECT first_login FROM vouchers WHERE id = @id')
  const setFirstLogin = db.prepare('UPDATE vouchers SET first_login = @firstLogin WHERE id = @id')

  return {
    of: (id) => {
      const row = of.get({ id })
      return { downloadBytes: row?.download_used ?? 0, uploadBytes: row?.upload_used ?? 0 }
    },

    devices: (id) => devices.all({ id }).map((r) => r.mac),

    bind: (id, mac, now) => {
      const normalized = normalizeMac(mac)
      db.transaction(() => {
        bindDevice.run({ id, mac: normalized, now })
        bindFirst.run({ id, mac: normalized })
      })
    },

    vouchersOf: (mac) => vouchersOf.all({ mac: normalizeMac(mac) }).map((r) => r.voucher_id),

    live: () => live.all().map((r) => ({
      token: r.token,
      voucherId: r.voucher_id,
      mac: r.mac,
      downloadKiB: r.download_counted_kib,
      uploadKiB: r.upload_counted_kib,
    })),

    flush: (counts, ended) => {
      db.transaction(() => {
        const growth = new Map<number, { down: number; up: number }>()
        for (const c of counts) {
          const before = counted.get({ token: c.token })
          const from = before !== undefined && before.voucher_id === c.voucherId ? before : undefined
          const down = Math.max(0, c.downloadKiB - (from?.download_counted_kib ?? 0))
          const up = Math.max(0, c.uploadKiB - (from?.upload_counted_kib ?? 0))
          const sum = growth.get(c.voucherId) ?? { down: 0, up: 0 }
          sum.down += down
          sum.up += up
          growth.set(c.voucherId, sum)
          remember.run({ token: c.token, voucherId: c.voucherId, mac: c.mac, downloadKiB: c.downloadKiB, uploadKiB: c.uploadKiB })
        }
        for (const [id, { down, up }] of growth) {
          if (down > 0 || up > 0) add.run({ id, down: down * 1024, up: up * 1024 })
        }
        for (const token of ended) drop.run({ token })
      })
    },

    watched: (ids) => {
      const list = [...new Set(ids)]
      const out = new Map<number, WatchedVoucher>()
      if (list.length === 0) return out
      for (const r of watched.all({ ids: JSON.stringify(list) })) {
        out.set(r.id, {
          id: r.id,
          username: r.username,
          valid_from: r.valid_from,
          valid_for: r.valid_for,
          first_login: r.first_login,
          mac: r.mac,
          download_limit: r.download_limit,
          upload_limit: r.upload_limit,
          used: { downloadBytes: r.download_used, uploadBytes: r.upload_used },
        })
      }
      return out
    },

    shiftFirstLogins: (ids, shift) => db.transaction(() => {
      let changed = 0
      for (const id of new Set(ids)) {
        const row = firstLogin.get({ id })
        if (row === undefined) continue
        const moved = shift(row.first_login)
        if (moved === row.first_login) continue
        setFirstLogin.run({ id, firstLogin: moved })
        changed++
      }
      return changed
    }),
  }
}
