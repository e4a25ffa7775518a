/**
 * @module store/db
 * Opens hotspotd's database: WAL, durable commits, schema migrations by `PRAGMA user_version`,
 * an integrity check at start. Gives the rest of the daemon the store's tables.
 */
import { join } from 'node:path'
import { openDatabase, type Database, type DriverChoice } from './driver'
import { MIGRATIONS } from './migrations'
import { createVouchers, type Vouchers } from './vouchers'
import { createGuestUsers, type GuestUsers } from './guest-users'
import { createLogins, type Logins } from './logins'
import { createUsage, type UsageStore } from './usage'
import type { Logger } from '../log'

export const DB_FILE = 'hotspotd.db'

export interface Store {
  db: Database
  vouchers: Vouchers
  guestUsers: GuestUsers
  logins: Logins
  usage: UsageStore
  close: () => void
}

/** Thrown when the database file is newer than this build understands. */
export class SchemaTooNewError extends Error {
  readonly code = 'SCHEMA_TOO_NEW'
}

/** Brings the schema up to date, one transaction per step; returns the steps applied. */
export const migrate = (db: Database, steps: readonly string[] = MIGRATIONS): number => {
  const from = Number(db.pragma('user_version'))
  if (from > steps.length) {
    throw new SchemaTooNewError(
      `${db.path}: schema version ${from} is newer than this hotspotd knows (${steps.length})`)
  }
  for (let v = from; v < steps.length; v++) {
    db.transaction(() => {
      db.exec(steps[v] as string)
      db.pragma(`user_version = ${v + 1}`)
    })
  }
  return steps.length - from
}

/** The log's name for the SQLite underneath, and why it is not better-sqlite3 when 'auto' chose. */
export const describeDriver = (db: Database): string => {
  if (db.driver === 'native') return `SQLite ${db.version} via better-sqlite3`
  const why = db.fallback === undefined ? '' : ` (better-sqlite3 does not load here: ${db.fallback})`
  return `SQLite ${db.version} via WebAssembly${why}`
}

/**
 * Opens `<dir>/hotspotd.db` with the driver asked for (see {@link openDatabase}). synchronous=FULL
 * makes every commit durable before the API answers (writes are rare: vouchers, sign-ins, and
 * usage flushed on an interval).
 */
export const openStore = (dir: string, log: Logger, driver: DriverChoice = 'auto'): Store => {
  const db = openDatabase(join(dir, DB_FILE), driver)
  if (db.staleLock !== undefined) log.warn(`store: removed the stale lock on ${db.path}: ${db.staleLock}`)
  log.info(`store: ${describeDriver(db)}`)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('busy_timeout = 5000')
    const check = String(db.pragma('integrity_check'))
    if (check !== 'ok') log.error(`store: integrity check of ${db.path} failed: ${check}`)
    const applied = migrate(db)
    if (applied > 0) log.info(`store: ${db.path} migrated to schema version ${MIGRATIONS.length}`)
  } catch (err) {
    db.close()
    throw err
  }
  return {
    db,
    vouchers: createVouchers(db),
    guestUsers: createGuestUsers(db),
    logins: createLogins(db),
    usage: createUsage(db),
    close: () => { db.close() },
  }
}
