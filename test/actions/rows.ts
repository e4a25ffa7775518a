import t from 'tap'
import { mapRows, seedRow } from '../../src/actions/rows'
import { formatLocal, parseLocal } from '../../src/domain/local-time'

t.test('mapRows converts lazily, in order', async (t) => {
  const seen: number[] = []
  const src = function * () { for (const n of [1, 2, 3]) { seen.push(n); yield n } }
  const it = mapRows(src(), (n) => n * 10)
  t.same(seen, [], 'nothing read before iteration')
  t.same([...it], [10, 20, 30])
})

t.test('seedRow writes times locally, MAC in capitals, renames, keeps order', async (t) => {
  const at = parseLocal('2025-01-17 10:00:00') as number
  const row = { id: 1, passcode: 'p', created_at: at, last_login: null, mac: 'AA:BB:CC:DD:EE:FF', time: at, visits: 3 }
  const out = seedRow(row, { passcode: 'password' })
  t.same(out, { id: 1, password: 'p', created_at: '2025-01-17 10:00:00', last_login: null, MAC: 'AA:BB:CC:DD:EE:FF', time: '2025-01-17 10:00:00', visits: 3 })
  t.same(Object.keys(out), ['id', 'password', 'created_at', 'last_login', 'MAC', 'time', 'visits'])
  t.same(seedRow({ a: 1 }), { a: 1 }, 'no renames by default')
})

t.test('seedRow formats each time column right when times repeat, within a row and across rows', async (t) => {
  const a = parseLocal('2025-01-17 10:00:00') as number
  const b = parseLocal('2025-03-01 23:59:59') as number
  const row = { created_at: a, last_modified: a, first_login: b, last_login: null, valid_from: a, time: b }
  const expected = {
    created_at: '2025-01-17 10:00:00',
    last_modified: '2025-01-17 10:00:00',
    first_login: '2025-03-01 23:59:59',
    last_login: null,
    valid_from: '2025-01-17 10:00:00',
    time: '2025-03-01 23:59:59',
  }
  t.same(seedRow(row), expected, 'a repeated time, a different one between, a null between')
  t.same(seedRow({ ...row, created_at: b }), { ...expected, created_at: '2025-03-01 23:59:59' }, 'the next row starts afresh')
  const zero = formatLocal(0)
  t.same(seedRow({ id: 0, last_login: 0, created_at: 0 }), { id: 0, last_login: zero, created_at: zero }, 'epoch 0 is a time, not a missing one')
})
