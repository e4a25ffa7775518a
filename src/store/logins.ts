/**
 * @module store/logins
 * The login log: every sign-in attempt at the portal, accepted or refused, with its reason.
 */
import type { Database } from './driver'
import { pages } from './pages'

export interface LoginEntry {
  /** Epoch seconds. */
  time: number
  /** 'voucher', 'email', 'facebook', 'mobile' or 'free'. */
  method: string
  /** The voucher username, e-mail address, phone number, Facebook id or MAC used. */
  identity: string
  mac: string | null
  address: string | null
  /** 'success', or why the attempt was refused (e.g. 'wrong_passcode', 'expired'). */
  result: string
}

export type LoginRow = LoginEntry & { id: number }

export interface Logins {
  record: (entry: LoginEntry) => LoginRow
  list: () => Iterable<LoginRow>
}

const COLUMNS = 'id, time, method, identity, mac, address, result'

export const createLogins = (db: Database): Logins => {
  const insert = db.prepare<LoginRow>(`INSERT INTO logins (time, method, identity, mac, address, result)
    VALUES (@time, @method, @identity, @mac, @address, @result) RETURNING ${COLUMNS}`)
  const page = db.prepare<LoginRow>(`SELECT ${COLUMNS} FROM logins WHERE id > @after ORDER BY id LIMIT @limit`)
  return {
    record: (entry) => db.transaction(() => insert.get(entry) as LoginRow),
    list: () => pages(page),
  }
}
