/**
 * @module store/vouchers
 * The vouchers table. A write is one statement in one transaction: it is on disk when the
 * call returns, or it left nothing behind.
 */
import type { Database, Statement } from './driver'
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

/** The columns a voucher page may be sorted by, each backed by an index (migration 3). */
export const VOUCHER_SORTS = ['username', 'fullname', 'created_at', 'valid_from', 'first_login', 'last_login'] as const
export type VoucherSort = typeof VOUCHER_SORTS[number]

export interface VoucherQuery {
  /** A substring of the username or the full name, in any case (ASCII); '' or undefined: every voucher. */
  search?: string | undefined
  sort: VoucherSort
  order: 'asc' | 'desc'
  offset: number
  limit: number
}

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
  /** One page of vouchers matching `q.search`, in `q.sort` order (ties by id), and how many match in all. */
  page: (q: VoucherQuery) => { total: number; rows: VoucherRow[] }
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

/** `%text%` for LIKE, with LIKE's own wildcards in `text` taken literally. */
export const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, '\\$&')}%`

// The sort column as ORDER BY names it: fullname in any case, as its index is built.
const ORDER_BY: Readonly<Record<VoucherSort, string>> = {
  username: 'username',
  fullname: 'fullname COLLATE NOCASE',
  created_at: 'created_at',
  valid_from: 'valid_from',
  first_login: 'first_login',
  last_login: 'last_login',
}

const MATCH = "(username LIKE @pattern ESCAPE '\\' OR fullname LIKE @pattern ESCAPE '\\')"

/** The statements behind `page`, prepared on first use: one per sort, order and search-or-not. */
const pageStatements = (db: Database): ((q: VoucherQuery) => { count: Statement<{ n: number }>; rows: Statement<VoucherRow> }) => {
  const cache = new Map<string, { count: Statement<{ n: number }>; rows: Statement<VoucherRow> }>()
  return (q) => {
    const searching = q.search !== undefined && q.search !== ''
    const key = `${q.sort} ${q.order} ${searching}`
    let stmts = cache.get(key)
    if (stmts === undefined) {
      const where = searching ? `WHERE ${MATCH}` : ''
      const dir = q.order === 'desc' ? 'DESC' : 'ASC'
      // username is unique, so it needs no tie-break (and its index holds no other order).
      const ties = q.sort === 'username' ? '' : `, id ${dir}`
      stmts = {
        count: db.prepare<{ n: number }>(`SELECT count(*) AS n FROM vouchers ${where}`),
        rows: db.prepare<VoucherRow>(`SELECT ${COLUMNS} FROM vouchers ${where}
          ORDER BY ${ORDER_BY[q.sort]} ${dir}${ties} LIMIT @limit OFFSET @offset`),
      }
      cache.set(key, stmts)
    }
    return stmts
  }
}

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
  const statementsFor = pageStatements(db)
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
    page: (q) => {
      const stmts = statementsFor(q)
      const pattern = q.search === undefined || q.search === '' ? {} : { pattern: likePattern(q.search) }
      // One transaction: the total and the page are read from the same snapshot.
      return db.transaction(() => ({
        total: (stmts.count.get(pattern) as { n: number }).n,
        rows: stmts.rows.all({ ...pattern, limit: q.limit, offset: q.offset }),
      }))
    },
    recordLogin: (id, now, firstLogin) => db.transaction(() => {
      const stamped = firstLogin && stampFirst.run({ id, now }).changes > 0
      stampLast.run({ id, now })
      return stamped
    }),
  }
}
