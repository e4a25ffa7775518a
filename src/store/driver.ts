/**
 * @module store/driver
 * The one module that knows which SQLite library is underneath. The rest of the store speaks
 * only this small interface, so a second, portable driver can sit beside better-sqlite3 for
 * routers whose CPU has no native build.
 */
import BetterSqlite3 from 'better-sqlite3'

export type SqlParams = object

export interface Statement<Row = Record<string, unknown>> {
  run: (params?: SqlParams) => { changes: number; lastInsertRowid: number }
  get: (params?: SqlParams) => Row | undefined
  all: (params?: SqlParams) => Row[]
}

export interface Database {
  readonly path: string
  prepare: <Row = Record<string, unknown>>(sql: string) => Statement<Row>
  exec: (sql: string) => void
  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  transaction: <T>(fn: () => T) => T
  /** The first column of the first row a PRAGMA returns. */
  pragma: (text: string) => unknown
  close: () => void
}

/** Driver-neutral name of a constraint a failed write broke, or null when it was no such error. */
export const constraintOf = (err: unknown): 'unique' | 'other' | null => {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT')) return null
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? 'unique' : 'other'
}

const wrap = <Row>(stmt: BetterSqlite3.Statement): Statement<Row> => {
  const bind = (params?: SqlParams): unknown[] => (params === undefined ? [] : [params])
  return {
    run: (params) => {
      const r = stmt.run(...bind(params))
      return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) }
    },
    get: (params) => stmt.get(...bind(params)) as Row | undefined,
    all: (params) => stmt.all(...bind(params)) as Row[],
  }
}

/** Opens (creating if needed) a database file with better-sqlite3. */
export const openDatabase = (path: string): Database => {
  const db = new BetterSqlite3(path)
  return {
    path,
    prepare: <Row>(sql: string) => wrap<Row>(db.prepare(sql)),
    exec: (sql) => { db.exec(sql) },
    transaction: (fn) => db.transaction(fn)(),
    pragma: (text) => db.pragma(text, { simple: true }),
    close: () => { db.close() },
  }
}
