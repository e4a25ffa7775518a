/**
 * @module store/vouchers
 * The vouchers table. A write is one statement in one transaction: it is on disk when the
 * call returns, or it left nothing behind.
 */
import type { Database } from './driver'
import { constraintOf } from './driver'
import { pages } from './pages'
import { ApiError, USERNAME_EXISTS } from '../errors'

export interface VoucherRow {
  id: number
  username: string
  passcode: string
  fullname: string
  valid_for: string
  /** Epoch seconds, like every time below. */
  valid_from: number
  created_at: number
  last_modified: number
  first_login: number | null
  last_login: number | null
  /** The device the voucher is bound to (upper case), null until first use. */
  mac: string | null
  /** MB; 0 is unlimited. */
  download_limit: number
  upload_limit: number
}

export type NewVoucher = Pick<VoucherRow,
  'username' | 'passcode' | 'fullname' | 'valid_for' | 'valid_from' | 'created_at' |
  'download_limit' | 'upload_limit'>

export interface Vouchers {
  /** @throws ApiError('conflict', USERNAME_EXISTS) when the username is taken, in any case */
  insert: (v: NewVoucher) => VoucherRow
  /** Removes a voucher and returns what it was, or undefined when there was none. */
  remove: (username: string) => VoucherRow | undefined
  find: (username: string) => VoucherRow | undefined
  byId: (id: number) => VoucherRow | undefined
  /** The username of voucher `id` alone (the live lists ask this for every session: one column is a quarter of the cost of the row). */
  usernameOf: (id: number) => string | undefined
  /** Every voucher in id order, read lazily. */
  list: () => Iterable<VoucherRow>
  count: () => number
  /**
   * Records a login of voucher `id` at `now` (epoch seconds), in one transaction: `last_login =
   * now`, and when `firstLogin`, `first_login = now` if it is still null (a login that started the
   * voucher; a concurrent one that stamped it first wins). Returns true when this call set
   * first_login; false when it did not, or when the voucher does not exist (nothing is written).
   */
  recordLogin: (id: number, now: number, firstLogin: boolean) => boolean
}

// In the order of the seed's voucher list.
const COLUMNS = `id, username, passcode, fullname, created_at, last_modified, first_login,
  last_login, valid_for, valid_from, mac, download_limit, upload_limit`

export const createVouchers = (db: Database): Vouchers => {
  const insert = db.prepare<VoucherRow>(`INSERT INTO vouchers
    (username, passcode, fullname, valid_for, valid_from, created_at, last_modified,
     download_limit, upload_limit)
    VALUES (@username, @passcode, @fullname, @valid_for, @valid_from, @created_at, @created_at,
     @download_limit, @upload_limit)
    RETURNING ${COLUMNS}`)
  const remove = db.prepare<VoucherRow>(`DELETE FROM vouchers WHERE username = @username RETURNING ${COLUMNS}`)
  const find = db.prepare<VoucherRow>(`SELECT ${COLUMNS} FROM vouchers WHERE username = @username`)
  const byId = db.prepare<VoucherRow>(`SELECT ${COLUMNS} FROM vouchers WHERE id = @id`)
  const usernameOf = db.prepare<{ username: string }>('SELECT username FROM vouchers WHERE id = @id')
  const page = db.prepare<VoucherRow>(`SELECT ${COLUMNS} FROM vouchers WHERE id > @after ORDER BY id LIMIT @limit`)
  const count = db.prepare<{ n: number }>('SELECT count(*) AS n FROM vouchers')
  const stampFirst = db.prepare('UPDATE vouchers SET first_login = @now WHERE id = @id AND first_login IS NULL')
  const stampLast = db.prepare('UPDATE vouchers SET last_login = @now WHERE id = @id')
  return {
    insert: (v) => {
      try {
        return db.transaction(() => insert.get(v) as VoucherRow)
      } catch (err) {
        if (constraintOf(err) === 'unique') throw new ApiError('conflict', USERNAME_EXISTS, { cause: err })
        throw err
      }
    },
    remove: (username) => db.transaction(() => remove.get({ username })),
    find: (username) => find.get({ username }),
    byId: (id) => byId.get({ id }),
    usernameOf: (id) => usernameOf.get({ id })?.username,
    list: () => pages(page),
    count: () => (count.get() as { n: number }).n,
    recordLogin: (id, now, firstLogin) => db.transaction(() => {
      const stamped = firstLogin && stampFirst.run({ id, now }).changes > 0
      stampLast.run({ id, now })
      return stamped
    }),
  }
}
