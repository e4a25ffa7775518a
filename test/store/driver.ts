import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { openDatabase, constraintOf, type Database } from '../../src/store/driver'
import { errorOf } from '../fixtures/error-of'
import { eachDriver, sqliteError, type Driver } from '../fixtures/store'

type Native = typeof BetterSqlite3

/** A fresh database file in this test's own directory, closed when the test ends. */
const freshDb = (t: tap.Test, driver: Driver, schema = ''): Database => {
  const db = openDatabase(join(t.testdir(), 'driver.db'), driver)
  if (schema !== '') db.exec(schema)
  t.teardown(() => { try { db.close() } catch { /* already closed by the test */ } })
  return db
}

/** A loader that fails as `require('better-sqlite3')` does where the package is not installed. */
const notInstalled = (t: tap.Test) => (): Native => require(join(t.testdir(), 'better-sqlite3')) as Native

/**
 * better-sqlite3 as it is on a router of another CPU: the package loads, its addon does not, at
 * the first `new` (the .node file is junk, so the dlopen error is real).
 */
const foreignAddon = (t: tap.Test) => (): Native => {
  const addon = join(t.testdir(), 'better_sqlite3.node')
  writeFileSync(addon, Buffer.alloc(4096, 7))
  return class {
    constructor () { require(addon) }
  } as unknown as Native
}

eachDriver(t, (t, driver) => {
  t.test('opens a database file at the given path', (t) => {
    const path = join(t.testdir(), 'named.db')
    const db = openDatabase(path, driver)
    t.equal(db.path, path, 'path is the one it was opened with')
    t.equal(db.driver, driver, `the ${driver} driver`)
    t.match(db.version, /^3\.\d+\.\d+$/, 'SQLite\'s version')
    db.exec('CREATE TABLE x (a)')
    db.close()
    const again = openDatabase(path, driver)
    t.same(again.prepare('SELECT name FROM sqlite_master').all(), [{ name: 'x' }],
      'the table written before close is in the file')
    again.close()
    t.end()
  })

  t.test('prepared statements bind named parameters', (t) => {
    const db = freshDb(t, driver, 'CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)')
    const insert = db.prepare('INSERT INTO people (name, age) VALUES (@name, @age)')
    t.same(insert.run({ name: 'ada', age: 36 }), { changes: 1, lastInsertRowid: 1 }, 'first insert: one change, rowid 1')
    const second = insert.run({ name: 'alan', age: 41 })
    t.equal(typeof second.lastInsertRowid, 'number', 'lastInsertRowid is a plain number, not a bigint')
    t.equal(second.lastInsertRowid, 2, 'second insert: rowid 2')

    const byName = db.prepare<{ id: number; age: number }>('SELECT id, age FROM people WHERE name = @name')
    t.same(byName.get({ name: 'alan' }), { id: 2, age: 41 }, 'get with a parameter returns the matching row')
    t.equal(byName.get({ name: 'nobody' }), undefined, 'get returns undefined when no row matches')
    t.same(byName.get({ name: 'ada', unused: 1 }), { id: 1, age: 36 }, 'keys the statement does not use are ignored')

    const older = db.prepare('SELECT name FROM people WHERE age > @age ORDER BY id')
    t.same(older.all({ age: 30 }), [{ name: 'ada' }, { name: 'alan' }], 'all with a parameter returns every match in order')
    t.same(older.all({ age: 100 }), [], 'all returns an empty array when nothing matches')
    t.same(insert.run({ name: 'grace', age: undefined }), { changes: 1, lastInsertRowid: 3 }, 'undefined binds NULL')
    t.same(db.prepare('SELECT age FROM people WHERE id = 3').get(), { age: null }, 'stored as NULL')
    t.throws(() => byName.get({}), { name: 'RangeError', message: 'Missing named parameter "name"' }, 'a missing parameter is an error')
    t.end()
  })

  t.test('prepared statements run without parameters', (t) => {
    const db = freshDb(t, driver, 'CREATE TABLE n (v INTEGER)')
    t.same(db.prepare('INSERT INTO n VALUES (1), (2), (3)').run(), { changes: 3, lastInsertRowid: 3 },
      'run with no parameters reports every change')
    t.same(db.prepare('SELECT sum(v) AS s FROM n').get(), { s: 6 }, 'get with no parameters')
    t.same(db.prepare('SELECT v FROM n ORDER BY v DESC').all(), [{ v: 3 }, { v: 2 }, { v: 1 }],
      'all with no parameters')
    t.same(db.prepare('DELETE FROM n WHERE v > 5').run(), { changes: 0, lastInsertRowid: 3 },
      'a write that matches nothing reports zero changes')
    t.end()
  })

  t.test('exec runs several statements at once', (t) => {
    const db = freshDb(t, driver)
    db.exec('CREATE TABLE a (x); CREATE TABLE b (y); INSERT INTO a VALUES (1);')
    t.same(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all(),
      [{ name: 'a' }, { name: 'b' }], 'both tables exist')
    t.same(db.prepare('SELECT x FROM a').all(), [{ x: 1 }], 'the insert ran too')
    t.end()
  })

  t.test('a transaction commits when its function returns', (t) => {
    const db = freshDb(t, driver, 'CREATE TABLE n (v INTEGER)')
    const insert = db.prepare('INSERT INTO n VALUES (@v)')
    const result = db.transaction(() => {
      insert.run({ v: 1 })
      insert.run({ v: 2 })
      return 'done'
    })
    t.equal(result, 'done', 'transaction returns what the function returned')
    db.close()
    const again = openDatabase(db.path, driver)
    t.teardown(() => again.close())
    t.same(again.prepare('SELECT v FROM n ORDER BY v').all(), [{ v: 1 }, { v: 2 }],
      'both rows are in the file: they were committed')
    t.end()
  })

  t.test('a transaction rolls back when its function throws', (t) => {
    const db = freshDb(t, driver, 'CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (0);')
    const insert = db.prepare('INSERT INTO n VALUES (@v)')
    const boom = new Error('boom')
    const thrown = errorOf(() => db.transaction(() => {
      insert.run({ v: 1 })
      insert.run({ v: 2 })
      throw boom
    }))
    t.equal(thrown, boom, 'the very error the function threw comes out')
    t.same(db.prepare('SELECT v FROM n').all(), [{ v: 0 }], 'neither insert of the failed transaction is left')

    const failing = errorOf(() => db.transaction(() => {
      insert.run({ v: 3 })
      db.exec('INSERT INTO missing VALUES (1)')
    }))
    t.match(failing, sqliteError(driver, 'SQLITE_ERROR', /no such table: missing/), 'a failing statement propagates')
    t.same(db.prepare('SELECT v FROM n').all(), [{ v: 0 }], 'the insert before the failing statement is undone')
    t.end()
  })

  t.test('a transaction inside a transaction is a savepoint', (t) => {
    const db = freshDb(t, driver, 'CREATE TABLE n (v INTEGER)')
    const insert = db.prepare('INSERT INTO n VALUES (@v)')
    const values = (): unknown[] => db.prepare<{ v: number }>('SELECT v FROM n ORDER BY v').all().map((r) => r.v)
    const boom = new Error('inner')
    const outer = db.transaction(() => {
      insert.run({ v: 1 })
      t.equal(db.transaction(() => { insert.run({ v: 2 }); return 'inner done' }), 'inner done', 'the inner result comes out')
      t.equal(errorOf(() => db.transaction(() => { insert.run({ v: 3 }); throw boom })), boom, 'the inner error comes out')
      insert.run({ v: 4 })
      return 'outer done'
    })
    t.equal(outer, 'outer done', 'the outer transaction commits')
    t.same(values(), [1, 2, 4], 'the inner transaction that threw is undone alone')
    errorOf(() => db.transaction(() => {
      db.transaction(() => insert.run({ v: 5 }))
      throw boom
    }))
    t.same(values(), [1, 2, 4], 'an inner transaction that committed is undone with its outer one')
    t.end()
  })

  t.test('pragma returns the first column of the first row', (t) => {
    const db = freshDb(t, driver)
    t.equal(db.pragma('user_version'), 0, 'a new file is at user_version 0')
    t.equal(db.pragma('user_version = 7'), undefined, 'a pragma that returns no row gives undefined')
    t.equal(db.pragma('user_version'), 7, 'user_version reads back what was set')
    t.equal(db.pragma('journal_mode = WAL'), 'wal', 'setting a pragma returns its new value: WAL with either driver')
    t.equal(db.pragma('journal_mode'), 'wal', 'and reading it returns the same')
    t.equal(db.pragma('integrity_check'), 'ok', 'a multi-column-capable pragma gives a single value')
    t.end()
  })

  t.test('close ends the connection', (t) => {
    const db = openDatabase(join(t.testdir(), 'closed.db'), driver)
    const stmt = db.prepare('SELECT 1 AS one')
    db.close()
    t.throws(() => db.prepare('SELECT 1'), { name: 'TypeError', message: /not open/ }, 'prepare after close')
    t.throws(() => stmt.get(), { name: 'TypeError', message: /not open/ }, 'a statement prepared before close')
    t.throws(() => db.exec('SELECT 1'), { name: 'TypeError', message: /not open/ }, 'exec after close')
    t.doesNotThrow(() => db.close(), 'closing again is harmless')
    t.end()
  })

  // Real failures from SQLite, each with the category the store must see. node-sqlite3-wasm
  // reports only SQLite's message, which for a trigger's RAISE(ABORT) is the trigger's own text:
  // without a code it cannot be told from any other error.
  const realFailures: ReadonlyArray<[string, string, string, 'unique' | 'other' | null]> = [
    ['duplicate UNIQUE column', "INSERT INTO t (a, b, c, d) VALUES ('k2', 'u', 'c', 1)", 'SQLITE_CONSTRAINT_UNIQUE', 'unique'],
    ['duplicate TEXT PRIMARY KEY', "INSERT INTO t (a, b, c, d) VALUES ('k', 'v', 'c', 1)", 'SQLITE_CONSTRAINT_PRIMARYKEY', 'unique'],
    ['duplicate INTEGER PRIMARY KEY', 'INSERT INTO i VALUES (1)', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'unique'],
    ['NULL into NOT NULL', "INSERT INTO t (a, b, c, d) VALUES ('k3', 'v', NULL, 1)", 'SQLITE_CONSTRAINT_NOTNULL', 'other'],
    ['failed CHECK', "INSERT INTO t (a, b, c, d) VALUES ('k4', 'w', 'c', 0)", 'SQLITE_CONSTRAINT_CHECK', 'other'],
    ['dangling FOREIGN KEY', "INSERT INTO f VALUES ('nope')", 'SQLITE_CONSTRAINT_FOREIGNKEY', 'other'],
    ['trigger RAISE(ABORT)', 'INSERT INTO g VALUES (1)', 'SQLITE_CONSTRAINT_TRIGGER', driver === 'native' ? 'other' : null],
    ['syntax error', 'SELEC 1', 'SQLITE_ERROR', null],
    ['missing table', 'INSERT INTO nope VALUES (1)', 'SQLITE_ERROR', null],
  ]

  t.test('constraintOf names the constraint a real SQLite failure broke', (t) => {
    const db = freshDb(t, driver, `
      CREATE TABLE t (a TEXT PRIMARY KEY, b TEXT UNIQUE, c TEXT NOT NULL, d INTEGER CHECK (d > 0));
      CREATE TABLE i (id INTEGER PRIMARY KEY);
      CREATE TABLE f (p TEXT REFERENCES t (a));
      CREATE TABLE g (x);
      CREATE TRIGGER g_refuse BEFORE INSERT ON g BEGIN SELECT RAISE(ABORT, 'refused'); END;
      INSERT INTO t VALUES ('k', 'u', 'c', 1);
      INSERT INTO i VALUES (1);`)
    db.pragma('foreign_keys = ON')
    for (const [name, sql, code, expected] of realFailures) {
      const err = errorOf(() => db.prepare(sql).run())
      if (driver === 'native') t.match(err, { code }, `${name}: SQLite reports ${code}`)
      else t.match(err, { name: 'SQLite3Error' }, `${name}: an SQLite3Error`)
      t.equal(constraintOf(err), expected, `${name}: constraintOf gives ${String(expected)}`)
    }
    t.end()
  })
})

// Anything that is not a constraint error (by better-sqlite3's code, or by node-sqlite3-wasm's
// message) means "no constraint".
const values: ReadonlyArray<[string, unknown, 'unique' | 'other' | null]> = [
  ['code SQLITE_CONSTRAINT_UNIQUE', { code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'unique'],
  ['code SQLITE_CONSTRAINT_PRIMARYKEY', { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, 'unique'],
  ['plain code SQLITE_CONSTRAINT', { code: 'SQLITE_CONSTRAINT' }, 'other'],
  ['code SQLITE_CONSTRAINT_NOTNULL', { code: 'SQLITE_CONSTRAINT_NOTNULL' }, 'other'],
  ['code SQLITE_BUSY', { code: 'SQLITE_BUSY' }, null],
  ['code that only contains the word', { code: 'NOT_SQLITE_CONSTRAINT_UNIQUE' }, null],
  ['numeric code 19', { code: 19 }, null],
  ['Error without code', new Error('SQLITE_CONSTRAINT_UNIQUE'), null],
  ['SQLite3Error, UNIQUE', Object.assign(new Error('UNIQUE constraint failed: t.u'), { name: 'SQLite3Error' }), 'unique'],
  ['SQLite3Error, CHECK', Object.assign(new Error('CHECK constraint failed: d > 0'), { name: 'SQLite3Error' }), 'other'],
  ['SQLite3Error, not a constraint', Object.assign(new Error('database is locked'), { name: 'SQLite3Error' }), null],
  ['a plain Error with a constraint message', new Error('UNIQUE constraint failed: t.u'), null],
  ['an object named SQLite3Error', { name: 'SQLite3Error', message: 'UNIQUE constraint failed: t.u' }, null],
  ['empty object', {}, null],
  ['null', null, null],
  ['undefined', undefined, null],
  ['string', 'SQLITE_CONSTRAINT_UNIQUE', null],
  ['number', 19, null],
]

t.test('constraintOf gives null for anything that is not a constraint error', (t) => {
  for (const [name, value, expected] of values) {
    t.equal(constraintOf(value), expected, `${name} -> ${String(expected)}`)
  }
  t.end()
})

t.test('auto takes better-sqlite3 where its addon loads', (t) => {
  const db = openDatabase(join(t.testdir(), 'auto.db'))
  t.teardown(() => db.close())
  t.equal(db.driver, 'native', 'native on this machine')
  t.equal(db.fallback, undefined, 'no fallback')
  t.end()
})

t.test('auto falls back to WebAssembly when better-sqlite3 cannot be loaded', (t) => {
  const cases: ReadonlyArray<[string, (t: tap.Test) => () => Native, RegExp]> = [
    ['not installed', notInstalled, /^Cannot find module '.*better-sqlite3'$/],
    ['an addon for another CPU', foreignAddon, /better_sqlite3\.node: invalid ELF header$/],
  ]
  for (const [name, loader, reason] of cases) {
    t.test(name, (t) => {
      const db = openDatabase(join(t.testdir(), 'fallback.db'), 'auto', loader(t))
      t.teardown(() => db.close())
      t.equal(db.driver, 'wasm', `${name}: the wasm driver`)
      t.match(db.fallback, reason, `${name}: the first line of the load error says why`)
      db.exec('CREATE TABLE x (a); INSERT INTO x VALUES (1)')
      t.same(db.prepare('SELECT a FROM x').all(), [{ a: 1 }], `${name}: and it works`)
      t.end()
    })
  }
  t.end()
})

t.test('native is an error when better-sqlite3 cannot be loaded', (t) => {
  const path = join(t.testdir(), 'native.db')
  const err = errorOf(() => openDatabase(path, 'native', foreignAddon(t)))
  t.match(err, { message: /^better-sqlite3 cannot be loaded: .*invalid ELF header$/, cause: { code: 'ERR_DLOPEN_FAILED' } },
    'a clear message, the load error as the cause')
  t.notOk(existsSync(path), 'no database was created')
  t.end()
})

t.test('a file that cannot be opened is an error, not a reason to fall back', (t) => {
  const path = join(t.testdir(), 'junk.db')
  writeFileSync(path, Buffer.alloc(8192, 'Z'))
  t.match(errorOf(() => openDatabase(path)), { code: 'SQLITE_NOTADB', message: 'file is not a database' },
    'better-sqlite3\'s own error (the wasm driver\'s would have no code)')
  t.notOk(existsSync(`${path}.lock`), 'the wasm driver was not tried')
  t.match(errorOf(() => openDatabase(join(t.testdir(), 'missing', 'x.db'))), { name: 'TypeError', message: /directory does not exist/ },
    'a missing directory: better-sqlite3\'s error')
  t.end()
})
