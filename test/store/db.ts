import t from 'tap'
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openStore, migrate, describeDriver, SchemaTooNewError, DB_FILE } from '../../src/store/db'
import { openDatabase, type Database } from '../../src/store/driver'
import { MIGRATIONS } from '../../src/store/migrations'
import { createLogger, type Logger } from '../../src/log'
import type { NewVoucher } from '../../src/store/vouchers'
import { errorOf } from '../fixtures/error-of'
import { eachDriver, sqliteError, type Driver } from '../fixtures/store'

/** A logger that keeps its lines for the test to read. */
const captured = (): { log: Logger; lines: string[] } => {
  const lines: string[] = []
  return { log: createLogger((line) => { lines.push(line) }, 'debug'), lines }
}

/** The test's directory, symlinks resolved, so paths compare equal to what /proc shows. */
const dirOf = (t: tap.Test): string => realpathSync(t.testdir())

/** File descriptors this process holds on `path` (Linux only), to tell whether a handle was closed. */
const openHandlesOn = (path: string): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path
    } catch {
      return false
    }
  }).length
const noProc = process.platform !== 'linux' && 'open handles are read from /proc/self/fd'

/** A database made by hand, as an older or newer hotspotd might have left it. */
const handMade = (driver: Driver, path: string, userVersion: number, sql = ''): void => {
  const db = openDatabase(path, driver)
  if (sql !== '') db.exec(sql)
  db.pragma(`user_version = ${userVersion}`)
  db.close()
}

const tablesOf = (db: Database): string[] => db.prepare<{ name: string }>(
  "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all()
  .map((r) => r.name)

const voucher = (username: string): NewVoucher => ({
  username, passcode: 'secret', fullname: `Guest ${username}`, valid_for: '1 day',
  valid_from: 1_700_000_000, created_at: 1_700_000_000, download_limit: 0, upload_limit: 0,
})

const SCHEMA_TABLES = ['email_users', 'fb_users', 'free_users', 'live_sessions', 'logins', 'mobile_users', 'voucher_devices',
  'voucher_usage', 'vouchers']

const VIA = { native: 'better-sqlite3', wasm: 'WebAssembly' } as const

/** The line openStore logs first: the SQLite version and the driver. */
const driverLine = (driver: Driver): RegExp => new RegExp(`^info: store: SQLite 3\\.\\d+\\.\\d+ via ${VIA[driver]}$`)

eachDriver(t, (t, driver) => {
  t.test('opens <dir>/hotspotd.db in WAL mode with synchronous FULL', (t) => {
    const dir = dirOf(t)
    const path = join(dir, DB_FILE)
    const { log, lines } = captured()
    const store = openStore(dir, log, driver)
    t.equal(DB_FILE, 'hotspotd.db', 'the file name')
    t.equal(store.db.path, path, 'the database is <dir>/hotspotd.db')
    t.equal(store.db.pragma('journal_mode'), 'wal', 'journal_mode is wal')
    t.ok(existsSync(`${path}-wal`), 'a -wal file sits beside the database while it is open')
    t.equal(store.db.pragma('synchronous'), 2, 'synchronous is FULL (2)')
    t.equal(store.db.pragma('busy_timeout'), 5000, 'waits up to 5 s for a lock')
    t.equal(store.db.pragma('user_version'), MIGRATIONS.length, 'schema at the latest version')
    t.same(tablesOf(store.db), SCHEMA_TABLES, 'every table of the schema')
    t.same(lines, [`info: store: SQLite ${store.db.version} via ${VIA[driver]}`,
      `info: store: ${path} migrated to schema version ${MIGRATIONS.length}`],
    'one info line for the driver, one for the migration, and no integrity error')
    t.equal(store.db.driver, driver, 'store.db says which driver it is')
    if (noProc === false) t.ok(openHandlesOn(path) > 0, 'the file is open')
    store.close()
    if (noProc === false) t.equal(openHandlesOn(path), 0, 'close releases the file')
    t.notOk(existsSync(`${path}-wal`), 'close checkpoints and removes the -wal file')
    t.end()
  })

  t.test('gives the store\'s tables, working on the same database', (t) => {
    const store = openStore(dirOf(t), createLogger(() => {}), driver)
    t.teardown(() => store.close())
    const v = store.vouchers.insert(voucher('alice'))
    t.same(store.vouchers.find('alice'), v, 'vouchers')
    const g = store.guestUsers.recordSignIn('free', { identity: 'AA:BB:CC:00:00:01', mac: 'AA:BB:CC:00:00:01', time: 1 })
    t.same([...store.guestUsers.list('free')].map((r) => r.id), [g.id], 'guest users')
    const l = store.logins.record({ time: 1, method: 'voucher', identity: 'alice', mac: null, address: null, result: 'success' })
    t.same([...store.logins.list()], [l], 'logins')
    t.equal(store.db.prepare('SELECT count(*) AS n FROM vouchers').get()?.n, 1, 'store.db is the same database')
    t.end()
  })

  t.test('a restart keeps every voucher and migrates only on the first open', (t) => {
    const dir = dirOf(t)
    const first = captured()
    const store = openStore(dir, first.log, driver)
    const names = ['alice', 'bob', 'carol', 'dave', 'eve']
    const rows = names.map((n) => store.vouchers.insert(voucher(n)))
    store.vouchers.remove('carol')
    store.close()
    t.match(first.lines, [driverLine(driver), /migrated to schema version/], 'the first open migrates and says so')

    const second = captured()
    const again = openStore(dir, second.log, driver)
    t.teardown(() => again.close())
    t.same([...again.vouchers.list()], rows.filter((r) => r.username !== 'carol'), 'every voucher, as it was written')
    t.equal(again.vouchers.count(), 4, 'four vouchers after the restart')
    t.match(second.lines, [driverLine(driver)], 'the second open logs only the driver: no migration, no integrity error')
    t.equal(second.lines.length, 1, 'one line')
    t.equal(again.db.pragma('journal_mode'), 'wal', 'still WAL after the restart')
    t.equal(again.db.pragma('synchronous'), 2, 'synchronous FULL is set again on every open')
    t.end()
  })

  t.test('brings a file at user_version 0 up to date and keeps what was in it', (t) => {
    const dir = dirOf(t)
    const path = join(dir, DB_FILE)
    handMade(driver, path, 0, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('kept');")
    const { log, lines } = captured()
    const store = openStore(dir, log, driver)
    t.teardown(() => store.close())
    t.equal(store.db.pragma('user_version'), MIGRATIONS.length, 'user_version is the latest')
    t.same(tablesOf(store.db), [...SCHEMA_TABLES, 'notes'].sort(), 'schema tables added beside the old one')
    t.same(store.db.prepare('SELECT x FROM notes').all(), [{ x: 'kept' }], 'the old data is untouched')
    t.same(lines, [`info: store: ${describeDriver(store.db)}`, `info: store: ${path} migrated to schema version ${MIGRATIONS.length}`],
      'the migration is logged')
    t.equal(store.vouchers.insert(voucher('alice')).id, 1, 'the migrated store takes vouchers')
    t.end()
  })

  const STEPS = ['CREATE TABLE a (x)', 'CREATE TABLE b (y)', 'CREATE TABLE c (z)']

  t.test('migrate applies only the missing steps', (t) => {
    // [case, user_version of the file, tables it already has, steps expected to run]
    const cases: ReadonlyArray<[string, number, string, number]> = [
      ['empty file at version 0', 0, '', 3],
      ['file at version 1', 1, 'CREATE TABLE a (x)', 2],
      ['file at version 2', 2, 'CREATE TABLE a (x); CREATE TABLE b (y)', 1],
      ['file already up to date', 3, 'CREATE TABLE a (x); CREATE TABLE b (y); CREATE TABLE c (z)', 0],
    ]
    for (const [name, version, existing, applied] of cases) {
      t.test(name, (t) => {
        const path = join(dirOf(t), 'steps.db')
        handMade(driver, path, version, existing)
        const db = openDatabase(path, driver)
        t.teardown(() => db.close())
        t.equal(migrate(db, STEPS), applied, `${name}: ${applied} step(s) applied`)
        t.equal(db.pragma('user_version'), 3, `${name}: now at version 3`)
        t.same(tablesOf(db), ['a', 'b', 'c'], `${name}: each table once (a step run twice would fail)`)
        t.equal(migrate(db, STEPS), 0, `${name}: a second migrate has nothing to do`)
        t.end()
      })
    }
    t.end()
  })

  t.test('a failing step leaves user_version at the step before it', (t) => {
    const path = join(dirOf(t), 'steps.db')
    handMade(driver, path, 0)
    const db = openDatabase(path, driver)
    t.teardown(() => db.close())
    const broken = [...STEPS.slice(0, 2), 'CREATE TABLE c (z); INSERT INTO missing VALUES (1)', 'CREATE TABLE d (w)']
    t.match(errorOf(() => migrate(db, broken)), sqliteError(driver, 'SQLITE_ERROR', /no such table: missing/),
      'the step\'s own error comes out')
    t.equal(db.pragma('user_version'), 2, 'user_version is that of the last good step')
    t.same(tablesOf(db), ['a', 'b'], 'steps 1 and 2 committed; step 3 rolled back whole; step 4 never ran')

    const fixed = [...STEPS, 'CREATE TABLE d (w)']
    t.equal(migrate(db, fixed), 2, 'a later migrate resumes at step 3')
    t.equal(db.pragma('user_version'), 4, 'and reaches the end')
    t.same(tablesOf(db), ['a', 'b', 'c', 'd'], 'every table')
    t.end()
  })

  t.test('migrate refuses a schema newer than it knows', (t) => {
    const path = join(dirOf(t), 'newer.db')
    handMade(driver, path, 5, 'CREATE TABLE future (x)')
    const db = openDatabase(path, driver)
    t.teardown(() => db.close())
    const err = errorOf(() => migrate(db, STEPS))
    t.ok(err instanceof SchemaTooNewError, 'a SchemaTooNewError')
    t.match(err, { code: 'SCHEMA_TOO_NEW', message: `${path}: schema version 5 is newer than this hotspotd knows (3)` },
      'code and a message naming the file and both versions')
    t.equal(db.pragma('user_version'), 5, 'user_version untouched')
    t.same(tablesOf(db), ['future'], 'no step ran')
    t.end()
  })

  t.test('openStore refuses a file from a newer hotspotd and closes it', (t) => {
    const dir = dirOf(t)
    const path = join(dir, DB_FILE)
    handMade(driver, path, MIGRATIONS.length + 1)
    const { log, lines } = captured()
    const err = errorOf(() => openStore(dir, log, driver))
    t.ok(err instanceof SchemaTooNewError, 'a SchemaTooNewError')
    t.match(err, { code: 'SCHEMA_TOO_NEW', message: /is newer than this hotspotd knows/ }, 'code SCHEMA_TOO_NEW')
    t.notOk(existsSync(`${path}-wal`), 'no -wal file left: the connection was closed')
    if (noProc === false) t.equal(openHandlesOn(path), 0, 'no handle on the file is left open')
    t.notOk(existsSync(`${path}.lock`), 'no lock left')
    t.match(lines, [driverLine(driver)], 'only the driver logged: the caller reports the error')
    t.equal(lines.length, 1, 'one line')
    const db = openDatabase(path, driver)
    t.equal(db.pragma('user_version'), MIGRATIONS.length + 1, 'the newer file is left as it was')
    t.same(tablesOf(db), [], 'no table was added to it')
    db.close()
    t.end()
  })

  t.test('logs an error line when the integrity check fails', (t) => {
    const dir = dirOf(t)
    const path = join(dir, DB_FILE)
    const setup = openStore(dir, createLogger(() => {}), driver)
    setup.vouchers.insert(voucher('corrupt-me'))
    const root = Number(setup.db.prepare<{ rootpage: number }>(
      "SELECT rootpage FROM sqlite_master WHERE name = 'vouchers'").get()?.rootpage)
    const pageSize = Number(setup.db.pragma('page_size'))
    setup.close()

    // Overwrite the username in the table's own page: the row no longer matches its index entry.
    const file = readFileSync(path)
    const page = file.subarray((root - 1) * pageSize, root * pageSize)
    const at = page.indexOf('corrupt-me')
    t.ok(at >= 0, 'the username is in the vouchers table page')
    page.write('zzzzzzzzzz', at)
    writeFileSync(path, file)

    const { log, lines } = captured()
    const store = openStore(dir, log, driver)
    t.teardown(() => store.close())
    t.same(lines, [
      `info: store: ${describeDriver(store.db)}`,
      `error: store: integrity check of ${path} failed: row 1 missing from index sqlite_autoindex_vouchers_1`,
    ], 'one error line naming the file and the first problem; no migration line')
    t.equal(store.db.pragma('journal_mode'), 'wal', 'the store still opens, in WAL mode')
    t.equal(store.vouchers.count(), 1, 'and still reads its vouchers')
    t.end()
  })

  t.test('a file SQLite cannot read at all: openStore throws and closes the handle', { skip: noProc }, (t) => {
    const dir = dirOf(t)
    const path = join(dir, DB_FILE)
    writeFileSync(path, Buffer.alloc(8192, 'Z'))
    const { log, lines } = captured()
    const err = errorOf(() => openStore(dir, log, driver))
    t.match(err, sqliteError(driver, 'SQLITE_NOTADB', 'file is not a database'), 'SQLite\'s error comes out')
    t.equal(openHandlesOn(path), 0, 'no handle on the file is left open')
    t.notOk(existsSync(`${path}.lock`), 'no lock left')
    t.same(lines, [], 'nothing logged: the caller reports the error')
    t.equal(readFileSync(path).toString(), 'Z'.repeat(8192), 'the file is left as it was')
    t.end()
  })
})

t.test('describeDriver names the SQLite underneath, and why it is not better-sqlite3 when auto chose', (t) => {
  const dir = dirOf(t)
  const native = openDatabase(join(dir, 'native.db'), 'native')
  const wasm = openDatabase(join(dir, 'wasm.db'), 'wasm')
  const missing = (): never => require(join(dir, 'better-sqlite3')) as never
  const fallback = openDatabase(join(dir, 'fallback.db'), 'auto', missing)
  t.teardown(() => { native.close(); wasm.close(); fallback.close() })
  t.equal(describeDriver(native), `SQLite ${native.version} via better-sqlite3`, 'better-sqlite3')
  t.equal(describeDriver(wasm), `SQLite ${wasm.version} via WebAssembly`, 'WebAssembly, as asked')
  t.equal(describeDriver(fallback),
    `SQLite ${wasm.version} via WebAssembly (better-sqlite3 does not load here: Cannot find module '${join(dir, 'better-sqlite3')}')`,
    'WebAssembly, and why auto did not take better-sqlite3')
  t.end()
})

t.test('a stale lock a crashed wasm store left is removed, and a warning says so', (t) => {
  const dir = dirOf(t)
  const path = join(dir, DB_FILE)
  openStore(dir, createLogger(() => {}), 'wasm').close()
  mkdirSync(`${path}.lock`) // what a power cut leaves: the lock, and no owner file (it was never synced)
  const { log, lines } = captured()
  const store = openStore(dir, log, 'wasm')
  t.teardown(() => store.close())
  t.same(lines, [
    `warn: store: removed the stale lock on ${path}: no owner file names its holder`,
    `info: store: SQLite ${store.db.version} via WebAssembly`,
  ], 'one warning, then the driver line')
  t.equal(store.vouchers.count(), 0, 'the store works')
  t.end()
})

t.test('a store one driver wrote opens with the other, even from a crash that left its WAL', (t) => {
  const pairs: ReadonlyArray<[Driver, Driver]> = [['native', 'wasm'], ['wasm', 'native']]
  for (const [writer, reader] of pairs) {
    t.test(`${writer} then ${reader}`, (t) => {
      const dir = dirOf(t)
      const first = openStore(dir, createLogger(() => {}), writer)
      t.teardown(() => first.close())
      const rows = ['alice', 'bob'].map((n) => first.vouchers.insert(voucher(n)))
      // The writer is still open: its commits are in the -wal file, not yet in the database file.
      const crashed = join(dir, 'crashed')
      mkdirSync(crashed)
      for (const file of [DB_FILE, `${DB_FILE}-wal`]) copyFileSync(join(dir, file), join(crashed, file))
      const second = openStore(crashed, createLogger(() => {}), reader)
      t.teardown(() => second.close())
      t.equal(second.db.driver, reader, `opened with ${reader}`)
      t.same([...second.vouchers.list()], rows, 'every committed voucher')
      t.equal(second.db.pragma('journal_mode'), 'wal', 'still WAL')
      t.equal(second.db.pragma('integrity_check'), 'ok', 'sound')
      t.end()
    })
  }
  t.end()
})
