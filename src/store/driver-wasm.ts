/**
 * @module store/driver-wasm
 * The portable driver: SQLite compiled to WebAssembly (node-sqlite3-wasm), for routers whose CPU
 * or C library has no better-sqlite3 build. It behaves as the better-sqlite3 driver does, which
 * takes some care:
 * - The store binds `{ name }` to `@name`; node-sqlite3-wasm wants the prefix in the key, so each
 *   statement learns its parameter names from its SQL once, at prepare.
 * - A statement that is not finalized leaks WebAssembly memory and keeps the database from
 *   closing. Statements are cached per SQL text (the store prepares a fixed set of texts; PRAGMAs
 *   and exec do not go through the cache) and all finalized at close.
 * - This VFS has no shared memory, so SQLite allows WAL only in exclusive locking mode (and cannot
 *   read a WAL file otherwise). Exclusive mode is set before the first read: both drivers then
 *   keep the same on-disk WAL format, and this connection holds the lock until it closes.
 * - The lock is a directory, `<db>.lock`, that outlives a killed process or a power cut. An owner
 *   file, `<db>.owner`, tells a stale lock from a live one at the next open.
 * - V8 compiles the 1.2 MB module twice by default: quickly (Liftoff), then hot functions again
 *   with its optimizing compiler, whose code and compile jobs cost about 40 MB of RSS. On a router
 *   memory is scarcer than CPU, so the module is loaded with Liftoff only (measured: 64 MB
 *   instead of 102 MB RSS for 50,000 inserts and 20,000 lookups, and no slower).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { resolve } from 'node:path'
import type { Database as WasmDatabase, Statement as WasmStatement } from 'node-sqlite3-wasm'
import type { Database, SqlParams, Statement } from './driver'

export type WasmModule = typeof import('node-sqlite3-wasm')

/** node-sqlite3-wasm, compiled by V8's baseline compiler only (see above). */
export const loadWasmModule = (): WasmModule => {
  setFlagsFromString('--liftoff-only')
  return require('node-sqlite3-wasm') as WasmModule
}

/** The parameters of `sql` with their prefix ('@a', ':b', '$c'), skipping strings, quoted names and comments. */
export const parametersOf = (sql: string): string[] => {
  const tokens = /'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|[@:$][A-Za-z_]\w*/g
  return [...new Set([...sql.matchAll(tokens)].map((m) => m[0]).filter((s) => /^[@:$]/.test(s)))]
}

/** better-sqlite3's binding rules: every parameter must be given, undefined binds NULL, extra keys are ignored. */
const bind = (keys: readonly string[], params: SqlParams = {}): Record<string, never> => {
  const values: Record<string, unknown> = {}
  for (const key of keys) {
    const name = key.slice(1)
    if (!(name in params)) throw new RangeError(`Missing named parameter "${name}"`)
    values[key] = (params as Record<string, unknown>)[name] ?? null
  }
  return values as Record<string, never>
}

const NOT_OPEN = 'The database connection is not open'

/** How long a lock without an owner file may be a holder that is still writing it. */
const OWNER_GRACE_MS = 100

interface Owner { pid: number; boot?: string; start?: string }

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

/** Changes at every boot, so a lock taken before the last one is stale whatever its pid. */
const bootId = (): string | undefined => readText('/proc/sys/kernel/random/boot_id')?.trim()

/** When `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat): tells a reused pid apart. */
const startOf = (pid: number): string | undefined => readText(`/proc/${pid}/stat`)?.split(') ').pop()?.split(' ')[19]

/** The owner file's holder; undefined when the file is missing, unreadable or not one. */
const ownerOf = (file: string): Owner | undefined => {
  try {
    const owner = JSON.parse(readText(file) ?? '') as Owner
    return Number.isInteger(owner.pid) && owner.pid > 0 ? owner : undefined
  } catch {
    return undefined
  }
}

/** Two facts that are both known and disagree (an unknown one, e.g. without /proc, proves nothing). */
const differs = (recorded?: string, now?: string): boolean => recorded !== undefined && now !== undefined && recorded !== now

/** EPERM means the process exists but is another user's: it counts as alive. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** Why the lock `owner` left is stale, or the pid of the live process holding it. */
const verdictOn = (owner: Owner | undefined): string | number => {
  if (owner === undefined) return 'no owner file names its holder'
  const { pid } = owner
  if (differs(owner.boot, bootId())) return `process ${pid} held it before the last reboot`
  if (!alive(pid)) return `process ${pid} is gone`
  if (differs(owner.start, startOf(pid))) return `process ${pid} is gone (its pid now belongs to another process)`
  return pid
}

/**
 * Clears the way to the lock: nothing to do when there is no lock; a stale lock is removed, and
 * why it was stale returned; a live holder is an error.
 */
const clearStaleLock = (path: string, lock: string, ownerFile: string): string | undefined => {
  if (!existsSync(lock)) return undefined
  // A holder writes its owner file just after taking the lock: give it that moment.
  let owner = ownerOf(ownerFile)
  if (owner === undefined) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, OWNER_GRACE_MS)
    owner = ownerOf(ownerFile)
  }
  const verdict = verdictOn(owner)
  if (typeof verdict === 'number') throw new Error(`database ${path} is in use by process ${verdict}`)
  rmSync(lock, { recursive: true, force: true })
  return verdict
}

/** Written whole or not at all (a rename), so a reader never takes a half-written file for a stale lock. */
const writeOwner = (file: string): void => {
  const owner: Owner = { pid: process.pid, boot: bootId(), start: startOf(process.pid) }
  writeFileSync(`${file}.tmp`, JSON.stringify(owner))
  renameSync(`${file}.tmp`, file)
}

interface Cached { api: Statement<never>; finalize: () => void }

/**
 * A statement of the cache. After a failed step node-sqlite3-wasm cannot use a statement again
 * (its reset reports the old error, and it throws it) and has no public reset, so a statement
 * that failed is finalized and prepared again at its next use.
 */
const cached = (db: WasmDatabase, sql: string, live: () => void): Cached => {
  const keys = parametersOf(sql)
  let stmt: WasmStatement | undefined = db.prepare(sql)
  const finalize = (): void => {
    try {
      stmt?.finalize()
    } catch {
      // finalize reports the failure of the last step again; it was thrown already.
    }
    stmt = undefined
  }
  const use = <T>(params: SqlParams | undefined, step: (s: WasmStatement, values: Record<string, never>) => T): T => {
    live()
    const values = bind(keys, params)
    stmt ??= db.prepare(sql)
    try {
      return step(stmt, values)
    } catch (err) {
      finalize()
      throw err
    }
  }
  return {
    api: {
      run: (params) => use(params, (s, values) => {
        const r = s.run(values)
        return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) }
      }),
      // Statement.get would leave the statement mid-step (there is no public reset), which keeps
      // its transaction open: COMMIT then fails with "SQL statements in progress". Reading to the
      // end resets it; the store's single-row reads return one row anyway.
      get: (params) => use(params, (s, values) => s.all(values)[0] as never),
      all: (params) => use(params, (s, values) => s.all(values) as never[]),
    },
    finalize,
  }
}

/**
 * Opens (creating if needed) a database file with node-sqlite3-wasm, in exclusive locking mode.
 * @throws Error "database <path> is in use by process <pid>" when a live process holds it
 */
export const openWasm = (path: string, wasm: WasmModule = loadWasmModule()): Database => {
  const full = resolve(path)
  const ownerFile = `${full}.owner`
  const staleLock = clearStaleLock(path, `${full}.lock`, ownerFile)
  const db: WasmDatabase = new wasm.Database(path)
  let version: string
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE')
    // Reading the schema takes the lock now, rather than at the store's first query.
    version = String(db.get('SELECT sqlite_version() AS v, count(*) FROM sqlite_master')?.v)
    writeOwner(ownerFile)
  } catch (err) {
    db.close()
    throw err
  }

  let open = true
  const live = (): void => {
    if (!open) throw new TypeError(NOT_OPEN)
  }
  const cache = new Map<string, Cached>()

  return {
    path,
    driver: 'wasm',
    version,
    staleLock,
    prepare: <Row>(sql: string): Statement<Row> => {
      live()
      let entry = cache.get(sql)
      if (entry === undefined) {
        entry = cached(db, sql, live)
        cache.set(sql, entry)
      }
      return entry.api as Statement<Row>
    },
    exec: (sql) => {
      live()
      db.exec(sql)
    },
    // better-sqlite3's semantics: a transaction inside a transaction is a savepoint.
    transaction: (fn) => {
      live()
      const nested = db.inTransaction
      db.exec(nested ? 'SAVEPOINT hotspotd' : 'BEGIN')
      try {
        const result = fn()
        db.exec(nested ? 'RELEASE hotspotd' : 'COMMIT')
        return result
      } catch (err) {
        // SQLite may have rolled the whole transaction back already (e.g. on a full disk).
        if (db.inTransaction) db.exec(nested ? 'ROLLBACK TO hotspotd; RELEASE hotspotd' : 'ROLLBACK')
        throw err
      }
    },
    pragma: (text) => {
      live()
      const row = db.get(`PRAGMA ${text}`)
      return row === null ? undefined : Object.values(row)[0]
    },
    close: () => {
      if (!open) return
      open = false
      for (const entry of cache.values()) entry.finalize()
      cache.clear()
      db.close()
      rmSync(ownerFile, { force: true })
    },
  }
}
