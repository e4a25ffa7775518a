import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as sqliteWasm from 'node-sqlite3-wasm'
import { loadWasmModule, openWasm, parametersOf, type WasmModule } from '../../src/store/driver-wasm'
import type { Database } from '../../src/store/driver'
import { errorOf } from '../fixtures/error-of'

const DRIVER = join(__dirname, '..', '..', 'src', 'store', 'driver-wasm.ts')

/** A fresh database file in this test's directory, closed when the test ends. */
const freshDb = (t: tap.Test, schema = ''): Database => {
  const db = openWasm(join(t.testdir(), 'wasm.db'))
  if (schema !== '') db.exec(schema)
  t.teardown(() => db.close())
  return db
}

interface Prepared { sql: string; stmt: sqliteWasm.Statement }

/**
 * node-sqlite3-wasm, keeping every statement it prepares to look at (its own get, all and run
 * prepare one too, and finalize it at once).
 */
const countingModule = (): { wasm: WasmModule; prepared: Prepared[] } => {
  const prepared: Prepared[] = []
  class Counting extends sqliteWasm.Database {
    override prepare (sql: string): sqliteWasm.Statement {
      const stmt = super.prepare(sql)
      prepared.push({ sql, stmt })
      return stmt
    }
  }
  return { wasm: { ...sqliteWasm, Database: Counting }, prepared }
}

const unfinalized = (prepared: readonly Prepared[]): string[] => prepared.filter((p) => !p.stmt.isFinalized).map((p) => p.sql)

/** What the owner file of `path` says. */
const ownerOf = (path: string): unknown => JSON.parse(readFileSync(`${path}.owner`, 'utf8'))

const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
const startOf = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19] as string
const noProc = process.platform !== 'linux' && 'the owner file is checked against /proc'

/** Node running `code` (CommonJS, may require TypeScript) with the test's loaders, `DB` in its environment. */
const node = (code: string, db: string): ChildProcess =>
  spawn(process.execPath, [...process.execArgv, '-e', code], { env: { ...process.env, DB: db }, stdio: ['ignore', 'pipe', 'inherit'] })

const exited = (child: ChildProcess): Promise<void> => new Promise((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve()
  else child.once('exit', () => { resolve() })
})

/** A pid that was a process a moment ago and is no more. */
const deadPid = async (): Promise<number> => {
  const child = spawn(process.execPath, ['-e', ''])
  await exited(child)
  return child.pid as number
}

t.test('parametersOf finds the named parameters, not look-alikes in literals, quoted names or comments', (t) => {
  const cases: ReadonlyArray<[string, string[]]> = [
    ['SELECT 1', []],
    ['SELECT @a, :b, $c', ['@a', ':b', '$c']],
    ['SELECT @a + @a, @a_2', ['@a', '@a_2']],
    ["SELECT '@x :y $z', 'it''s @not', @yes", ['@yes']],
    ['SELECT "@col", `@col`, [@col], @yes', ['@yes']],
    ['SELECT @yes -- @no\n, @also', ['@yes', '@also']],
    ['SELECT /* @no */ @yes /* @unterminated', ['@yes']],
    ["SELECT json_extract(@doc, '$.a')", ['@doc']],
  ]
  for (const [sql, expected] of cases) t.same(parametersOf(sql), expected, JSON.stringify(sql))
  t.end()
})

t.test('binds better-sqlite3-style parameter objects to any prefix', (t) => {
  const db = freshDb(t)
  const row = db.prepare("SELECT @a AS a, :b AS b, $c AS c, @a + @a AS twice, '@x :y $z' AS lit /* @w */ -- :v").get({ a: 1, b: 'two', c: null })
  t.same(row, { a: 1, b: 'two', c: null, twice: 2, lit: '@x :y $z' }, 'each prefix, a name used twice, look-alikes left alone')
  t.same(db.prepare('SELECT @a AS a').get({ a: undefined, extra: 1 }), { a: null }, 'undefined binds NULL; extra keys are ignored')
  t.throws(() => db.prepare('SELECT @a AS a').get(), { name: 'RangeError', message: 'Missing named parameter "a"' },
    'no parameters for a statement that has some')
  t.end()
})

t.test('lastInsertRowid is a number even beyond 2^53', (t) => {
  const db = freshDb(t, 'CREATE TABLE n (id INTEGER PRIMARY KEY)')
  const r = db.prepare('INSERT INTO n VALUES (9007199254740993)').run()
  t.equal(typeof r.lastInsertRowid, 'number', 'a number, not a bigint')
  t.equal(r.lastInsertRowid, 9007199254740992, 'rounded as a double')
  t.end()
})

t.test('statements are cached per SQL text and finalized at close', (t) => {
  const path = join(t.testdir(), 'cache.db')
  const { wasm, prepared } = countingModule()
  const db = openWasm(path, wasm)
  db.exec('CREATE TABLE n (v INTEGER)')
  const insert = db.prepare('INSERT INTO n VALUES (@v)')
  for (let v = 0; v < 1000; v++) db.prepare('INSERT INTO n VALUES (@v)').run({ v })
  t.equal(db.prepare('INSERT INTO n VALUES (@v)'), insert, 'the same SQL gives the same statement')
  const count = db.prepare('SELECT count(*) AS n FROM n')
  t.same(count.get(), { n: 1000 }, 'every insert ran')
  db.pragma('user_version = 1')
  db.pragma('user_version = 2')
  t.same(unfinalized(prepared), ['INSERT INTO n VALUES (@v)', 'SELECT count(*) AS n FROM n'],
    'two SQL texts, two live statements (PRAGMAs do not stay in the cache)')
  t.ok(existsSync(`${path}.lock`), 'the lock is held while open')
  db.close()
  t.same(unfinalized(prepared), [], 'close finalized every statement')
  t.notOk(existsSync(`${path}.lock`), 'so the database really closed and released its lock')
  t.notOk(existsSync(`${path}.owner`), 'and the owner file is gone')
  t.notOk(existsSync(`${path}-wal`), 'and the WAL was checkpointed away')
  t.end()
})

t.test('a statement whose step failed is prepared again and keeps working', (t) => {
  const path = join(t.testdir(), 'failed.db')
  const { wasm, prepared } = countingModule()
  const db = openWasm(path, wasm)
  db.exec('CREATE TABLE u (k TEXT UNIQUE)')
  const insert = db.prepare('INSERT INTO u VALUES (@k)')
  insert.run({ k: 'a' })
  t.match(errorOf(() => insert.run({ k: 'a' })), { name: 'SQLite3Error', message: 'UNIQUE constraint failed: u.k' }, 'the failure')
  t.same(insert.run({ k: 'b' }), { changes: 1, lastInsertRowid: 2 }, 'the next run works')
  t.equal(prepared.filter((p) => p.sql === 'INSERT INTO u VALUES (@k)').length, 2, 'on a statement prepared again')
  t.same(unfinalized(prepared), ['INSERT INTO u VALUES (@k)'], 'the failed one was finalized')
  t.match(errorOf(() => insert.run({ k: 'b' })), { message: /UNIQUE/ }, 'another failure')
  db.close()
  t.same(unfinalized(prepared), [], 'every statement finalized, failed ones too')
  t.notOk(existsSync(`${path}.lock`), 'the database closed')
  t.end()
})

t.test('get reads its statement to the end, so the transaction around it can commit', (t) => {
  const db = freshDb(t, 'CREATE TABLE n (id INTEGER PRIMARY KEY, v INTEGER)')
  const insert = db.prepare<{ id: number }>('INSERT INTO n (v) VALUES (@v), (@v) RETURNING id')
  t.same(db.transaction(() => insert.get({ v: 7 })), { id: 1 }, 'the first row of an INSERT … RETURNING, committed')
  t.same(db.prepare('SELECT v FROM n ORDER BY id').get(), { v: 7 }, 'the first row of a longer answer')
  t.same(db.transaction(() => db.prepare('SELECT count(*) AS n FROM n').get()), { n: 2 }, 'both rows were inserted')
  t.end()
})

t.test('transactions nest as savepoints, as better-sqlite3\'s do', (t) => {
  const db = freshDb(t, 'CREATE TABLE n (v INTEGER)')
  const insert = db.prepare('INSERT INTO n VALUES (@v)')
  const boom = new Error('inner')
  db.transaction(() => {
    insert.run({ v: 1 })
    db.transaction(() => insert.run({ v: 2 }))
    errorOf(() => db.transaction(() => { insert.run({ v: 3 }); throw boom }))
  })
  t.same(db.prepare('SELECT v FROM n ORDER BY v').all(), [{ v: 1 }, { v: 2 }], 'the inner one that threw is undone alone')
  t.equal(errorOf(() => db.transaction(() => { insert.run({ v: 4 }); throw boom })), boom, 'an outer one that throws')
  t.same(db.prepare('SELECT v FROM n ORDER BY v').all(), [{ v: 1 }, { v: 2 }], 'is rolled back')
  t.end()
})

t.test('a transaction whose function ended it itself is not rolled back twice', (t) => {
  const db = freshDb(t, 'CREATE TABLE n (v INTEGER)')
  const boom = new Error('boom')
  t.equal(errorOf(() => db.transaction(() => {
    db.exec('INSERT INTO n VALUES (1); ROLLBACK')
    throw boom
  })), boom, 'the function\'s error comes out')
  t.same(db.prepare('SELECT v FROM n').all(), [], 'rolled back')
  t.equal(db.transaction(() => 'again'), 'again', 'the next transaction works')
  t.end()
})

t.test('WAL in exclusive locking mode, the lock held from open to close', (t) => {
  const path = join(t.testdir(), 'wal.db')
  const db = openWasm(path)
  t.equal(db.driver, 'wasm', 'the wasm driver')
  t.equal(db.staleLock, undefined, 'no stale lock to remove')
  t.match(db.version, /^3\.\d+\.\d+$/, 'SQLite\'s version')
  t.equal(db.pragma('locking_mode'), 'exclusive', 'exclusive locking')
  t.ok(existsSync(`${path}.lock`), 'the lock is taken at open')
  t.equal(db.pragma('journal_mode = WAL'), 'wal', 'WAL is accepted')
  db.exec('CREATE TABLE n (v); INSERT INTO n VALUES (1)')
  t.ok(existsSync(`${path}-wal`), 'writes go to the -wal file')
  t.notOk(existsSync(`${path}-shm`), 'without shared memory')
  if (noProc === false) {
    t.same(ownerOf(path), { pid: process.pid, boot: bootId, start: startOf(process.pid) }, 'the owner file names this process')
  }
  db.close()
  t.equal(readFileSync(path).readUInt8(18), 2, 'the file header says WAL (as better-sqlite3 writes it)')
  t.end()
})

t.test('a file that is no database: the error, and nothing left held', (t) => {
  const path = join(t.testdir(), 'junk.db')
  writeFileSync(path, Buffer.alloc(8192, 'Z'))
  t.match(errorOf(() => openWasm(path)), { name: 'SQLite3Error', message: 'file is not a database' }, 'SQLite\'s error')
  t.notOk(existsSync(`${path}.lock`), 'no lock left')
  t.notOk(existsSync(`${path}.owner`), 'no owner file written')
  t.end()
})

t.test('after close: every call is refused, closing again is harmless', (t) => {
  const db = openWasm(join(t.testdir(), 'closed.db'))
  const stmt = db.prepare('SELECT 1 AS one')
  db.close()
  const notOpen = { name: 'TypeError', message: 'The database connection is not open' }
  t.throws(() => db.prepare('SELECT 1'), notOpen, 'prepare')
  t.throws(() => stmt.all(), notOpen, 'a statement prepared before')
  t.throws(() => db.exec('SELECT 1'), notOpen, 'exec')
  t.throws(() => db.transaction(() => 1), notOpen, 'transaction')
  t.throws(() => db.pragma('user_version'), notOpen, 'pragma')
  t.doesNotThrow(() => db.close(), 'close again')
  t.end()
})

t.test('a database held by a live process is refused, with its pid', (t) => {
  const path = join(t.testdir(), 'held.db')
  const db = openWasm(path)
  t.teardown(() => db.close())
  t.throws(() => openWasm(path), { message: `database ${path} is in use by process ${process.pid}` }, 'this process holds it')
  db.exec('CREATE TABLE still (ok)')
  t.pass('the holder is undisturbed')
  t.end()
})

t.test('a lock whose holder is gone is removed, and why is told', { skip: noProc }, async (t) => {
  const dead = await deadPid()
  // [case, the owner file (undefined: none), why it is stale (undefined: it is not)]
  const cases: ReadonlyArray<[string, string | undefined, string | undefined]> = [
    ['no owner file (a power cut before it was written)', undefined, 'no owner file names its holder'],
    ['an owner file that is not JSON', 'garbage', 'no owner file names its holder'],
    ['an owner file without a valid pid', JSON.stringify({ pid: 0 }), 'no owner file names its holder'],
    ['a holder from before the last reboot', JSON.stringify({ pid: process.pid, boot: 'an-older-boot' }),
      `process ${process.pid} held it before the last reboot`],
    ['a holder that is gone', JSON.stringify({ pid: dead, boot: bootId }), `process ${dead} is gone`],
    ['a pid that another process has now', JSON.stringify({ pid: process.pid, boot: bootId, start: '1' }),
      `process ${process.pid} is gone (its pid now belongs to another process)`],
    ['a live holder that recorded no boot id or start time', JSON.stringify({ pid: process.pid }), undefined],
    ['a live holder', JSON.stringify({ pid: process.pid, boot: bootId, start: startOf(process.pid) }), undefined],
  ]
  for (const [name, owner, stale] of cases) {
    t.test(name, (t) => {
      const path = join(t.testdir(), 'stale.db')
      openWasm(path).close()
      mkdirSync(`${path}.lock`)
      if (owner !== undefined) writeFileSync(`${path}.owner`, owner)
      if (stale === undefined) {
        t.throws(() => openWasm(path), { message: `database ${path} is in use by process ${process.pid}` }, `${name}: in use`)
        t.ok(existsSync(`${path}.lock`), `${name}: the lock stays`)
        t.end()
        return
      }
      const started = Date.now()
      const db = openWasm(path)
      t.equal(db.staleLock, stale, `${name}: removed, because ${stale}`)
      if (owner === undefined) t.ok(Date.now() - started >= 90, `${name}: after a moment's grace for a holder still writing it`)
      t.match(ownerOf(path), { pid: process.pid }, `${name}: the owner file is this process's now`)
      db.close()
      t.notOk(existsSync(`${path}.lock`), `${name}: and the lock is released at close`)
      t.end()
    })
  }
})

t.test('after a holder is killed with SIGKILL, the next open recovers its lock and its data', { skip: noProc }, async (t) => {
  const path = join(t.testdir(), 'killed.db')
  const holder = node(`
    const { openWasm } = require(${JSON.stringify(DRIVER)})
    const db = openWasm(process.env.DB)
    db.pragma('journal_mode = WAL')
    db.exec('CREATE TABLE t (v); INSERT INTO t VALUES (42)')
    require('node:fs').writeSync(1, 'ready\\n')
    setInterval(() => {}, 1000)`, path)
  t.teardown(() => { holder.kill('SIGKILL') })
  for await (const line of createInterface({ input: holder.stdout as NodeJS.ReadableStream })) if (line === 'ready') break
  t.throws(() => openWasm(path), { message: `database ${path} is in use by process ${holder.pid}` }, 'the live holder is named')

  holder.kill('SIGKILL')
  await exited(holder)
  t.ok(existsSync(`${path}.lock`) && existsSync(`${path}.owner`), 'the kill left the lock and the owner file behind')
  const db = openWasm(path)
  t.teardown(() => db.close())
  t.equal(db.staleLock, `process ${holder.pid} is gone`, 'the stale lock was removed, and why is told')
  t.same(db.prepare('SELECT v FROM t').all(), [{ v: 42 }], 'the holder\'s committed row is there')
  t.equal(db.pragma('integrity_check'), 'ok', 'sound')
})

t.test('crash safety: every commit a killed writer acknowledged survives', { skip: noProc }, async (t) => {
  const path = join(t.testdir(), 'crash.db')
  const writer = node(`
    const { openWasm } = require(${JSON.stringify(DRIVER)})
    const { writeSync } = require('node:fs')
    const db = openWasm(process.env.DB)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('wal_autocheckpoint = 50')
    db.exec('CREATE TABLE acks (id INTEGER PRIMARY KEY, pad TEXT NOT NULL)')
    const insert = db.prepare('INSERT INTO acks (pad) VALUES (@pad)')
    for (;;) {
      const { lastInsertRowid } = db.transaction(() => insert.run({ pad: 'x'.repeat(700) }))
      writeSync(1, lastInsertRowid + '\\n')
    }`, path)
  t.teardown(() => { writer.kill('SIGKILL') })
  const acked: number[] = []
  for await (const line of createInterface({ input: writer.stdout as NodeJS.ReadableStream })) {
    acked.push(Number(line))
    if (acked.length === 300) writer.kill('SIGKILL')
  }
  await exited(writer)
  t.equal(writer.signalCode, 'SIGKILL', 'the writer was killed mid-loop')

  const db = openWasm(path)
  t.teardown(() => db.close())
  t.equal(db.staleLock, `process ${writer.pid} is gone`, 'its lock was stale')
  t.equal(db.pragma('integrity_check'), 'ok', 'integrity_check: ok')
  const stored = new Set(db.prepare<{ id: number }>('SELECT id FROM acks').all().map((r) => r.id))
  const lost = acked.filter((id) => !stored.has(id))
  t.same(lost, [], `all ${acked.length} acknowledged commits are there (${stored.size} stored)`)
  t.same([...stored].sort((a, b) => a - b), Array.from({ length: stored.size }, (_, i) => i + 1), 'and nothing but whole commits, in order')
})

t.test('the module is node-sqlite3-wasm, loaded once for the whole process', async (t) => {
  const first = loadWasmModule()
  t.equal(first, require('node-sqlite3-wasm'))
  t.equal(loadWasmModule(), first, 'a second open reuses it')
})
