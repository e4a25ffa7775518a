/**
 * @module store/driver
 * The one module that knows which SQLite library is underneath. The rest of the store speaks
 * only this small interface, so two drivers can sit under it: better-sqlite3, fast, where its
 * native addon loads; SQLite compiled to WebAssembly everywhere else (routers whose CPU or C
 * library has no build, and no compiler to make one).
 */
import type BetterSqlite3 from 'better-sqlite3'
import { openWasm } from './driver-wasm'

export type SqlParams = object

export interface Statement<Row = Record<string, unknown>> {
  run: (params?: SqlParams) => { changes: number; lastInsertRowid: number }
  get: (params?: SqlParams) => Row | undefined
  all: (params?: SqlParams) => Row[]
}

/** 'auto': better-sqlite3 when its addon loads here, WebAssembly otherwise. */
export type DriverChoice = 'auto' | 'native' | 'wasm'

export interface Database {
  readonly path: string
  /** better-sqlite3's native addon, or SQLite compiled to WebAssembly. */
  readonly driver: 'native' | 'wasm'
  /** SQLite's own version, e.g. '3.49.2'. */
  readonly version: string
  /** Why 'auto' did not take better-sqlite3: the first line of its load error. */
  readonly fallback?: string | undefined
  /** Why a lock the wasm driver found and removed at open was stale (a crash left it). */
  readonly staleLock?: string | undefined
  prepare: <Row = Record<string, unknown>>(sql: string) => Statement<Row>
  exec: (sql: string) => void
  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. Nests. */
  transaction: <T>(fn: () => T) => T
  /** The first column of the first row a PRAGMA returns. */
  pragma: (text: string) => unknown
  close: () => void
}

type NativeDatabase = typeof BetterSqlite3

/** Driver-neutral name of a constraint a failed write broke, or null when it was no such error. */
export const constraintOf = (err: unknown): 'unique' | 'other' | null => {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string') {
    if (!code.startsWith('SQLITE_CONSTRAINT')) return null
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? 'unique' : 'other'
  }
  // node-sqlite3-wasm's errors carry no code, only SQLite's message: "UNIQUE constraint failed:
  // t.u" for UNIQUE and PRIMARY KEY alike. (A trigger's RAISE(ABORT) says only its own message.)
  if (!(err instanceof Error) || err.name !== 'SQLite3Error' || !/constraint failed/.test(err.message)) return null
  return err.message.startsWith('UNIQUE constraint failed') ? 'unique' : 'other'
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

/** Required only when asked for: the routers' bundle ships no better-sqlite3 at all. */
const requireNative = (): NativeDatabase => require('better-sqlite3') as NativeDatabase

/** better-sqlite3, once its addon is known to load here (it loads at the first `new`). */
const loadNative = (load: () => NativeDatabase): NativeDatabase => {
  const Native = load()
  new Native(':memory:').close()
  return Native
}

const openNative = (path: string, Native: NativeDatabase): Database => {
  const db = new Native(path)
  let version: string
  try {
    // Any statement reads the schema: a file that is no database fails here.
    version = db.prepare('SELECT sqlite_version()').pluck().get() as string
  } catch (err) {
    db.close()
    throw err
  }
  return {
    path,
    driver: 'native',
    version,
    prepare: <Row>(sql: string) => wrap<Row>(db.prepare(sql)),
    exec: (sql) => { db.exec(sql) },
    transaction: (fn) => db.transaction(fn)(),
    pragma: (text) => db.pragma(text, { simple: true }),
    close: () => { db.close() },
  }
}

/**
 * Opens (creating if needed) a database file. Only a failure to load better-sqlite3 (not
 * installed, an addon for another CPU, C library or Node.js) makes 'auto' take WebAssembly; a
 * file that cannot be opened is an error with either driver. `load` stands in for
 * `require('better-sqlite3')` in tests.
 * @throws Error when 'native' is asked for and better-sqlite3 does not load
 */
export const openDatabase = (path: string, choice: DriverChoice = 'auto', load: () => NativeDatabase = requireNative): Database => {
  if (choice === 'wasm') return openWasm(path)
  let Native: NativeDatabase
  try {
    Native = loadNative(load)
  } catch (err) {
    const reason = String((err as Error).message).split('\n')[0] as string
    if (choice === 'native') throw new Error(`better-sqlite3 cannot be loaded: ${reason}`, { cause: err })
    return { ...openWasm(path), fallback: reason }
  }
  return openNative(path, Native)
}
