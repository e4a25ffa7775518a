import t from 'tap'
import { ApiError } from '../../src/errors'
import { likePattern, VOUCHER_SORTS, type NewVoucher, type VoucherQuery, type VoucherRow } from '../../src/store/vouchers'
import { errorOf } from '../fixtures/error-of'
import { copyOnDisk, eachDriver, freshStore, sqliteError } from '../fixtures/store'

const voucher = (username: string, over: Partial<NewVoucher> = {}): NewVoucher => ({
  username,
  passcode: `pass-${username}`,
  fullname: `Guest ${username}`,
  valid_for: '1 day',
  valid_from: 1_700_000_000,
  created_at: 1_700_000_100,
  download_limit: 0,
  upload_limit: 0,
  ...over,
})

// The seed's voucher list order.
const COLUMN_ORDER = ['id', 'username', 'passcode', 'fullname', 'created_at', 'last_modified', 'first_login',
  'last_login', 'valid_for', 'valid_from', 'mac', 'download_limit', 'upload_limit']

eachDriver(t, (t, driver) => {
  t.test('insert returns the stored row with its id and last_modified = created_at', (t) => {
    const { vouchers } = freshStore(t, driver)
    const row = vouchers.insert(voucher('alice', { download_limit: 500, upload_limit: 100, valid_for: '2 hours' }))
    t.same(row, {
      id: 1,
      username: 'alice',
      passcode: 'pass-alice',
      fullname: 'Guest alice',
      created_at: 1_700_000_100,
      last_modified: 1_700_000_100,
      first_login: null,
      last_login: null,
      valid_for: '2 hours',
      valid_from: 1_700_000_000,
      mac: null,
      download_limit: 500,
      upload_limit: 100,
    }, 'every column of the new row')
    t.same(Object.keys(row), COLUMN_ORDER, 'columns in the seed order')
    t.equal(vouchers.insert(voucher('bob')).id, 2, 'the next voucher gets the next id')
    t.end()
  })

  t.test('insert writes the row to disk before it returns', (t) => {
    const dir = t.testdir()
    const store = freshStore(t, driver, dir)
    const row = store.vouchers.insert(voucher('alice'))
    t.same(copyOnDisk(t, driver, dir).vouchers.find('alice'), row, 'a copy of the files on disk has the committed row')
    t.end()
  })

  // [case, username of the second insert]
  const duplicates: ReadonlyArray<[string, string]> = [
    ['same case', 'alice'],
    ['upper case', 'ALICE'],
    ['mixed case', 'AlIcE'],
  ]

  t.test('rejects a second voucher with the same username, in any case', (t) => {
    for (const [name, second] of duplicates) {
      t.test(name, (t) => {
        const { vouchers } = freshStore(t, driver)
        const first = vouchers.insert(voucher('alice'))
        const err = errorOf(() => vouchers.insert(voucher(second, { passcode: 'other' })))
        t.match(err, { kind: 'conflict', message: 'Username already exists' }, `${name}: conflict, seed message`)
        t.ok(err instanceof ApiError, `${name}: an ApiError`)
        t.match((err as ApiError).cause, sqliteError(driver, 'SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed: vouchers.username'), `${name}: the SQLite error is the cause`)
        t.equal(vouchers.count(), 1, `${name}: count unchanged`)
        t.same([...vouchers.list()], [first], `${name}: only the first voucher is stored, unchanged`)
        t.end()
      })
    }
    t.end()
  })

  t.test('a refused insert leaves nothing behind, and the next id follows on', (t) => {
    const { vouchers } = freshStore(t, driver)
    vouchers.insert(voucher('alice'))
    t.throws(() => vouchers.insert(voucher('Alice')), { kind: 'conflict', message: 'Username already exists' },
      'a duplicate in another case is refused')
    t.equal(vouchers.insert(voucher('bob')).id, 2, 'the refused insert used no id')
    t.equal(vouchers.count(), 2, 'two vouchers')
    t.end()
  })

  t.test('errors that are not a taken username propagate unchanged', (t) => {
    t.test('NOT NULL violation', (t) => {
      const { vouchers } = freshStore(t, driver)
      const err = errorOf(() => vouchers.insert(voucher('alice', { passcode: null as unknown as string })))
      t.match(err, sqliteError(driver, 'SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed: vouchers.passcode'), 'the SQLite error as it was')
      t.notOk(err instanceof ApiError, 'not turned into an ApiError')
      t.equal(vouchers.count(), 0, 'nothing stored')
      t.end()
    })
    t.test('missing parameter', (t) => {
      const { vouchers } = freshStore(t, driver)
      const partial = { username: 'alice' } as unknown as NewVoucher
      const err = errorOf(() => vouchers.insert(partial))
      t.match(err, { name: 'RangeError', message: /Missing named parameter/ }, 'the driver error as it was')
      t.notOk(err instanceof ApiError, 'not turned into an ApiError')
      t.end()
    })
    t.test('closed database', (t) => {
      const store = freshStore(t, driver)
      store.close()
      const err = errorOf(() => store.vouchers.insert(voucher('alice')))
      t.match(err, { name: 'TypeError', message: /not open/ }, 'the driver error as it was')
      t.notOk(err instanceof ApiError, 'not turned into an ApiError')
      t.end()
    })
    t.end()
  })

  t.test('remove returns the removed row, and undefined when there was none', (t) => {
    const { vouchers } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    const bob = vouchers.insert(voucher('bob'))
    t.equal(vouchers.remove('carol'), undefined, 'unknown username: undefined')
    t.equal(vouchers.count(), 2, 'removing an unknown username changes nothing')
    t.same(vouchers.remove('alice'), alice, 'returns the row as it was')
    const removed = vouchers.remove('bob') as VoucherRow
    t.same(removed, bob, 'the second removal returns its own row')
    t.same(Object.keys(removed), COLUMN_ORDER, 'the removed row has the seed column order')
    t.equal(vouchers.count(), 0, 'both removed')
    t.equal(vouchers.remove('alice'), undefined, 'removing twice: undefined the second time')
    t.end()
  })

  t.test('remove and find match the username regardless of case', (t) => {
    const { vouchers } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('Alice'))
    t.same(vouchers.find('ALICE'), alice, 'find by upper case')
    t.same(vouchers.find('alice'), alice, 'find by lower case')
    t.same(vouchers.remove('aLICE'), alice, 'remove by mixed case')
    t.equal(vouchers.find('Alice'), undefined, 'gone after remove')
    t.end()
  })

  t.test('find returns the stored row or undefined', (t) => {
    const { vouchers } = freshStore(t, driver)
    t.equal(vouchers.find('alice'), undefined, 'empty table: undefined')
    const alice = vouchers.insert(voucher('alice'))
    vouchers.insert(voucher('bob'))
    t.same(vouchers.find('alice'), alice, 'finds alice')
    t.equal(vouchers.find('alic'), undefined, 'a prefix is not a match')
    t.end()
  })

  t.test('byId returns the row with that id or undefined', (t) => {
    const { vouchers } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    t.same(vouchers.byId(alice.id), alice)
    t.equal(vouchers.byId(alice.id + 1), undefined)
    t.equal(vouchers.usernameOf(alice.id), alice.username, 'usernameOf reads the username alone')
    t.equal(vouchers.usernameOf(alice.id + 1), undefined, 'and nothing for an id with no voucher')
    t.end()
  })

  t.test('list yields every voucher in id order, and count agrees', (t) => {
    const { vouchers } = freshStore(t, driver)
    t.same([...vouchers.list()], [], 'empty table: empty list')
    t.equal(vouchers.count(), 0, 'empty table: count 0')
    const names = ['zed', 'amy', 'mo', 'bea']
    const rows = names.map((n) => vouchers.insert(voucher(n)))
    vouchers.remove('mo')
    const expected = rows.filter((r) => r.username !== 'mo')
    t.same([...vouchers.list()], expected, 'insertion (id) order, not name order, without the removed one')
    t.equal(vouchers.count(), 3, 'count after a removal')
    t.end()
  })

  t.test('a list of 1,200 vouchers streams in pages without holding the database', (t) => {
    const { db, vouchers } = freshStore(t, driver)
    const n = 1200
    db.transaction(() => {
      for (let i = 1; i <= n; i++) vouchers.insert(voucher(`user${String(i).padStart(4, '0')}`))
    })
    const ids: number[] = []
    for (const row of vouchers.list()) {
      ids.push(row.id)
      // Writes between rows work only because no statement stays open across pages.
      if (row.id === 1) vouchers.insert(voucher('late-arrival'))
      if (row.id === 600) vouchers.remove('user0001')
    }
    t.equal(ids.length, n + 1, 'every voucher, including one added while listing')
    t.same(ids, Array.from({ length: n + 1 }, (_, i) => i + 1), 'each id once, in order')
    t.equal(vouchers.count(), n, 'count after one insert and one remove')
    t.end()
  })

  t.test('recordLogin stamps last_login, and first_login only when asked and still unset', (t) => {
    const { vouchers } = freshStore(t, driver)
    const alice = vouchers.insert(voucher('alice'))
    const bob = vouchers.insert(voucher('bob'))
    t.equal(vouchers.recordLogin(alice.id, 1_700_001_000, false), false, 'not a first login: nothing stamped')
    t.match(vouchers.byId(alice.id), { first_login: null, last_login: 1_700_001_000, last_modified: alice.last_modified },
      'last_login set, first_login left unset, last_modified unchanged')
    t.equal(vouchers.recordLogin(alice.id, 1_700_002_000, true), true, 'a first login: stamped')
    t.match(vouchers.byId(alice.id), { first_login: 1_700_002_000, last_login: 1_700_002_000 }, 'both set to now')
    t.equal(vouchers.recordLogin(alice.id, 1_700_003_000, true), false, 'first_login already set: not stamped again')
    t.match(vouchers.byId(alice.id), { first_login: 1_700_002_000, last_login: 1_700_003_000 }, 'first_login kept, last_login moved')
    t.same(vouchers.byId(bob.id), bob, 'another voucher is untouched')
    t.equal(vouchers.recordLogin(999, 1_700_004_000, true), false, 'a voucher that does not exist: false')
    t.equal(vouchers.count(), 2, 'and nothing is created')
    t.end()
  })

  t.test('recordLogin writes both stamps in one transaction', (t) => {
    const store = freshStore(t, driver)
    const alice = store.vouchers.insert(voucher('alice'))
    store.db.exec(`CREATE TRIGGER no_last_login BEFORE UPDATE OF last_login ON vouchers
      BEGIN SELECT RAISE(ABORT, 'last_login refused'); END`)
    t.throws(() => store.vouchers.recordLogin(alice.id, 1_700_002_000, true), /last_login refused/, 'the second write fails')
    t.same(store.vouchers.byId(alice.id), alice, 'the first_login written before it is rolled back')
    t.end()
  })

  t.test('page sorts, searches and pages, with the total of what matches', (t) => {
    const { vouchers } = freshStore(t, driver)
    const rows = [
      vouchers.insert(voucher('bob', { fullname: 'zoe Hill', created_at: 30, valid_from: 5 })),
      vouchers.insert(voucher('Alice', { fullname: 'Amy 100%', created_at: 10, valid_from: 5 })),
      vouchers.insert(voucher('carol', { fullname: 'Ann_Lee', created_at: 20, valid_from: 1 })),
    ]
    vouchers.recordLogin(rows[2]!.id, 900, true)
    const names = (q: Partial<VoucherQuery>): string[] =>
      vouchers.page({ sort: 'username', order: 'asc', offset: 0, limit: 50, ...q }).rows.map((r) => r.username)
    // [case, query, usernames expected]
    const cases: ReadonlyArray<[string, Partial<VoucherQuery>, string[]]> = [
      ['username, any case', {}, ['Alice', 'bob', 'carol']],
      ['username descending', { order: 'desc' }, ['carol', 'bob', 'Alice']],
      ['fullname, any case', { sort: 'fullname' }, ['Alice', 'carol', 'bob']],
      ['created_at', { sort: 'created_at' }, ['Alice', 'carol', 'bob']],
      ['valid_from, ties by id', { sort: 'valid_from' }, ['carol', 'bob', 'Alice']],
      ['valid_from descending, ties by id descending', { sort: 'valid_from', order: 'desc' }, ['Alice', 'bob', 'carol']],
      ['first_login: never logged in first', { sort: 'first_login' }, ['bob', 'Alice', 'carol']],
      ['last_login descending', { sort: 'last_login', order: 'desc' }, ['carol', 'Alice', 'bob']],
      ['offset and limit', { offset: 1, limit: 1 }, ['bob']],
      ['offset past the end', { offset: 5 }, []],
      ['search in the username, any case', { search: 'ALI' }, ['Alice']],
      ['search in the full name', { search: 'hill' }, ['bob']],
      ['search matching both', { search: 'a' }, ['Alice', 'carol']],
      ['% is a literal', { search: '0%' }, ['Alice']],
      ['_ is a literal', { search: 'n_l' }, ['carol']],
      ['no match', { search: 'zzz' }, []],
    ]
    for (const [name, q, expected] of cases) t.same(names(q), expected, name)
    t.equal(vouchers.page({ sort: 'username', order: 'asc', offset: 0, limit: 1 }).total, 3, 'total counts every voucher, not the page')
    t.equal(vouchers.page({ search: 'a', sort: 'username', order: 'asc', offset: 1, limit: 1 }).total, 2, 'total counts what matches')
    t.same(vouchers.page({ search: 'bob', sort: 'username', order: 'asc', offset: 0, limit: 5 }).rows, [rows[0]], 'rows are whole stored rows')
    t.end()
  })

  t.test('every sort walks an index: no sort step over the table', (t) => {
    const { db } = freshStore(t, driver)
    for (const sort of VOUCHER_SORTS) {
      for (const order of ['asc', 'desc'] as const) {
        const dir = order.toUpperCase()
        const by = sort === 'fullname' ? 'fullname COLLATE NOCASE' : sort
        const sql = `EXPLAIN QUERY PLAN SELECT * FROM vouchers ORDER BY ${by} ${dir}${sort === 'username' ? '' : `, id ${dir}`} LIMIT 50 OFFSET 100`
        const plan = db.prepare<{ detail: string }>(sql).all().map((r) => r.detail).join('; ')
        t.notMatch(plan, /TEMP B-TREE/, `${sort} ${order}: ${plan}`)
        t.match(plan, /USING (COVERING )?INDEX/, `${sort} ${order} uses an index`)
      }
    }
    t.end()
  })
})

t.test('likePattern wraps the text in % and escapes LIKE\'s wildcards', async (t) => {
  t.equal(likePattern('ab'), '%ab%')
  t.equal(likePattern('1%_\\'), '%1\\%\\_\\\\%')
})
