import t from 'tap'
import { join } from 'node:path'
import { openDatabase, type Database } from '../../src/store/driver'
import { MIGRATIONS } from '../../src/store/migrations'
import { errorOf } from '../fixtures/error-of'
import { eachDriver, sqliteError, type Driver } from '../fixtures/store'

/** A database file in this test's directory with every step applied, closed when the test ends. */
const migratedDb = (t: tap.Test, driver: Driver): Database => {
  const db = openDatabase(join(t.testdir(), 'schema.db'), driver)
  t.teardown(() => db.close())
  for (const step of MIGRATIONS) db.exec(step)
  return db
}

interface Column { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }

// [name, type, NOT NULL, default, position in the primary key (0: not part of it)]
type Col = [string, string, 0 | 1, string | null, 0 | 1 | 2]
const id: Col = ['id', 'INTEGER', 0, null, 1]
const guestCommon: Col[] = [
  ['created_at', 'INTEGER', 1, null, 0],
  ['last_login', 'INTEGER', 0, null, 0],
  ['mac', 'TEXT', 0, null, 0],
  ['visits', 'INTEGER', 1, '0', 0],
  ['comments', 'TEXT', 0, null, 0],
  ['comments1', 'TEXT', 0, null, 0],
  ['comments2', 'TEXT', 0, null, 0],
  ['last_modified', 'INTEGER', 1, null, 0],
  ['marketing', 'INTEGER', 1, '0', 0],
]
const verified: Col = ['verified', 'INTEGER', 1, '0', 0]

const TABLES: Record<string, Col[]> = {
  vouchers: [
    id,
    ['username', 'TEXT', 1, null, 0],
    ['passcode', 'TEXT', 1, null, 0],
    ['fullname', 'TEXT', 1, null, 0],
    ['valid_for', 'TEXT', 1, null, 0],
    ['valid_from', 'INTEGER', 1, null, 0],
    ['created_at', 'INTEGER', 1, null, 0],
    ['last_modified', 'INTEGER', 1, null, 0],
    ['first_login', 'INTEGER', 0, null, 0],
    ['last_login', 'INTEGER', 0, null, 0],
    ['mac', 'TEXT', 0, null, 0],
    ['download_limit', 'INTEGER', 1, '0', 0],
    ['upload_limit', 'INTEGER', 1, '0', 0],
  ],
  email_users: [id, ['email', 'TEXT', 1, null, 0], ...guestCommon, verified],
  fb_users: [id, ['facebook_id', 'TEXT', 1, null, 0], ['name', 'TEXT', 0, null, 0], ['email', 'TEXT', 0, null, 0],
    ...guestCommon],
  mobile_users: [id, ['mobile', 'TEXT', 1, null, 0], ...guestCommon, verified],
  free_users: [id, ...guestCommon],
  logins: [
    id,
    ['time', 'INTEGER', 1, null, 0],
    ['method', 'TEXT', 1, null, 0],
    ['identity', 'TEXT', 1, null, 0],
    ['mac', 'TEXT', 0, null, 0],
    ['address', 'TEXT', 0, null, 0],
    ['result', 'TEXT', 1, null, 0],
  ],
  voucher_usage: [
    ['voucher_id', 'INTEGER', 0, null, 1],
    ['download_used', 'INTEGER', 1, '0', 0],
    ['upload_used', 'INTEGER', 1, '0', 0],
  ],
  voucher_devices: [
    ['voucher_id', 'INTEGER', 1, null, 1],
    ['mac', 'TEXT', 1, null, 2],
    ['first_seen', 'INTEGER', 1, null, 0],
  ],
  live_sessions: [
    ['token', 'TEXT', 1, null, 1],
    ['voucher_id', 'INTEGER', 1, null, 0],
    ['mac', 'TEXT', 1, null, 0],
    ['download_counted_kib', 'INTEGER', 1, '0', 0],
    ['upload_counted_kib', 'INTEGER', 1, '0', 0],
  ],
}

eachDriver(t, (t, driver) => {
  t.test('every step is a non-empty SQL script', (t) => {
    t.ok(MIGRATIONS.length >= 1, 'there is at least the first step')
    MIGRATIONS.forEach((step, i) => {
      t.type(step, 'string', `step ${i + 1} is a string`)
      t.ok(step.trim().length > 0, `step ${i + 1} is not empty`)
    })
    t.end()
  })

  t.test('the schema applies on an empty database and is sound', (t) => {
    const db = migratedDb(t, driver)
    t.equal(db.pragma('integrity_check'), 'ok', 'integrity_check passes')
    t.same(db.prepare('SELECT * FROM pragma_foreign_key_check').all(), [], 'no foreign key violations')
    t.end()
  })

  t.test('creates exactly the expected tables', (t) => {
    const db = migratedDb(t, driver)
    const tables = db.prepare<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all()
    t.same(tables.map((r) => r.name), Object.keys(TABLES).sort(), 'table names')
    t.end()
  })

  t.test('each table has the expected columns, in order', (t) => {
    const db = migratedDb(t, driver)
    const info = db.prepare<Column>('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(@table)')
    for (const [table, cols] of Object.entries(TABLES)) {
      const got = info.all({ table }).map((c) => [c.name, c.type, c.notnull, c.dflt_value, c.pk])
      t.same(got, cols, `${table}: names, types, NOT NULL, defaults and primary key`)
    }
    t.end()
  })

  t.test('ids are AUTOINCREMENT so a removed id is never handed out again', (t) => {
    const db = migratedDb(t, driver)
    const sql = db.prepare<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = @table")
    for (const [table, cols] of Object.entries(TABLES)) {
      if (cols.includes(id)) t.match(sql.get({ table })?.sql, /id INTEGER PRIMARY KEY AUTOINCREMENT/, `${table}.id`)
    }
    t.end()
  })

  t.test('has the expected indexes', (t) => {
    const db = migratedDb(t, driver)
    const indexes = db.prepare<{ name: string; tbl_name: string }>(
      "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name").all()
    t.same(indexes, [
      { name: 'free_users_mac', tbl_name: 'free_users' }, { name: 'logins_time', tbl_name: 'logins' },
      ...['created_at', 'first_login', 'fullname', 'last_login', 'valid_from'].map((c) => ({ name: `vouchers_${c}`, tbl_name: 'vouchers' })),
    ], 'free_users by mac, logins by time, vouchers by every column the panel sorts by')
    t.end()
  })

  const voucher = (username: string): string => `INSERT INTO vouchers
    (username, passcode, fullname, valid_for, valid_from, created_at, last_modified)
    VALUES ('${username}', 'p', 'f', '1 day', 0, 0, 0)`
  const guest = (table: string, col: string, value: string): string =>
    `INSERT INTO ${table} (${col}, created_at, last_modified) VALUES ('${value}', 0, 0)`

  // [case, first insert, second insert, second is refused]
  const uniqueness: ReadonlyArray<[string, string, string, boolean]> = [
    ['voucher username, same case', voucher('alice'), voucher('alice'), true],
    ['voucher username, upper case', voucher('alice'), voucher('ALICE'), true],
    ['voucher username, mixed case', voucher('alice'), voucher('aLiCe'), true],
    ['voucher username, a different name', voucher('alice'), voucher('alice2'), false],
    ['e-mail, same case', guest('email_users', 'email', 'a@b.c'), guest('email_users', 'email', 'a@b.c'), true],
    ['e-mail, other case', guest('email_users', 'email', 'a@b.c'), guest('email_users', 'email', 'A@B.C'), true],
    ['facebook id', guest('fb_users', 'facebook_id', '1001'), guest('fb_users', 'facebook_id', '1001'), true],
    ['mobile number', guest('mobile_users', 'mobile', '+4412'), guest('mobile_users', 'mobile', '+4412'), true],
    ['free user mac', guest('free_users', 'mac', 'AA:BB:CC:DD:EE:FF'), guest('free_users', 'mac', 'AA:BB:CC:DD:EE:FF'), true],
    ['free user, another mac', guest('free_users', 'mac', 'AA:BB:CC:DD:EE:FF'), guest('free_users', 'mac', 'AA:BB:CC:DD:EE:00'), false],
  ]

  t.test('identities are unique where the schema says so', (t) => {
    for (const [name, first, second, refused] of uniqueness) {
      t.test(name, (t) => {
        const db = migratedDb(t, driver)
        db.exec(first)
        if (refused) t.match(errorOf(() => db.exec(second)), sqliteError(driver, 'SQLITE_CONSTRAINT_UNIQUE', /^UNIQUE constraint failed/), `${name}: second insert refused as UNIQUE`)
        else t.doesNotThrow(() => db.exec(second), `${name}: second insert accepted`)
        t.end()
      })
    }
    t.end()
  })

  t.test('required columns refuse NULL', (t) => {
    const db = migratedDb(t, driver)
    const err = errorOf(() => db.exec(
      "INSERT INTO logins (time, method, identity, result) VALUES (1, 'voucher', NULL, 'success')"))
    t.match(err, sqliteError(driver, 'SQLITE_CONSTRAINT_NOTNULL', /NOT NULL constraint failed: logins\.identity/), 'logins.identity is required')
    t.end()
  })

  t.test('step 2 binds the devices already in vouchers.mac and forgets a removed voucher\'s rows', (t) => {
    const db = openDatabase(join(t.testdir(), 'step2.db'), driver)
    t.teardown(() => db.close())
    db.exec(MIGRATIONS[0] as string)
    db.exec(`${voucher('alice')}; ${voucher('bob')}; ${voucher('carol')};
      UPDATE vouchers SET mac = 'aa:bb:cc:00:00:01', first_login = 100 WHERE username = 'alice';
      UPDATE vouchers SET mac = 'AA:BB:CC:00:00:02' WHERE username = 'bob'`)
    db.exec(MIGRATIONS[1] as string)
    t.same(db.prepare('SELECT voucher_id, mac, first_seen FROM voucher_devices ORDER BY voucher_id').all(), [
      { voucher_id: 1, mac: 'AA:BB:CC:00:00:01', first_seen: 100 },
      { voucher_id: 2, mac: 'AA:BB:CC:00:00:02', first_seen: 0 },
    ], 'one device per voucher with a MAC, upper case, first seen at its first login (else its creation)')

    db.exec(`INSERT INTO voucher_usage VALUES (1, 10, 20), (2, 30, 40);
      INSERT INTO live_sessions VALUES ('0ccd12cb', 1, 'AA:BB:CC:00:00:01', 5, 6), ('dbe12224', 2, 'AA:BB:CC:00:00:02', 7, 8)`)
    db.exec("DELETE FROM vouchers WHERE username = 'alice'")
    const left = (table: string): unknown[] => db.prepare(`SELECT voucher_id FROM ${table}`).all().map((r) => r.voucher_id)
    for (const table of ['voucher_usage', 'voucher_devices', 'live_sessions']) t.same(left(table), [2], `${table}: only bob's rows are left`)
    t.end()
  })
})
