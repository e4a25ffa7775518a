import t from 'tap'
import { PassThrough, Writable } from 'node:stream'
import { actions } from '../../src/actions/index'
import { dispatch } from '../../src/actions/dispatch'
import { CsvClientGone, csvField, csvRecord, EXPORTS, isExportList, writeCsv } from '../../src/admin/csv'
import type { GuestKind } from '../../src/store/guest-users'
import { testContext } from '../fixtures/context'

t.test('fields: RFC 4180 quoting, empty nulls, numbers as they are', async (t) => {
  const cases: Array<[unknown, string]> = [
    [null, ''], [undefined, ''], [0, '0'], [1024, '1024'], [-5, '-5'], [true, 'true'],
    ['plain', 'plain'], ['a,b', '"a,b"'], ['say "hi"', '"say ""hi"""'], ['two\r\nlines', '"two\r\nlines"'], ['lf\nonly', '"lf\nonly"'],
    [{ a: 1 }, '"{""a"":1}"'],
  ]
  for (const [value, expected] of cases) t.equal(csvField(value), expected, JSON.stringify(value))
})

t.test('text that a spreadsheet would run as a formula gets a leading quote', async (t) => {
  const cases: Array<[string, string]> = [
    ['=HYPERLINK("http://evil")', '"\'=HYPERLINK(""http://evil"")"'],
    ['+1+1', "'+1+1"], ['-2', "'-2"], ['@SUM(A1)', "'@SUM(A1)"], ['\tx', "'\tx"], ['\rx', '"\'\rx"'],
    ['a=b', 'a=b'], ['user@example.com', 'user@example.com'],
  ]
  for (const [value, expected] of cases) t.equal(csvField(value), expected, JSON.stringify(value))
})

t.test('a record ends in CRLF', async (t) => {
  t.equal(csvRecord(['id', 1, null, 'x,y']), 'id,1,,"x,y"\r\n')
})

t.test('each export\'s columns are exactly the fields of its action\'s rows', async (t) => {
  const { ctx } = testContext(t)
  ctx.store.vouchers.insert({ username: 'u', passcode: 'p', fullname: 'f', valid_for: '1 day', valid_from: 0, created_at: 0, download_limit: 0, upload_limit: 0 })
  const kinds: GuestKind[] = ['email', 'facebook', 'mobile', 'free']
  for (const kind of kinds) ctx.store.guestUsers.recordSignIn(kind, { identity: kind === 'free' ? 'AA:BB:CC:DD:EE:FF' : `${kind}@example.com`, mac: 'AA:BB:CC:DD:EE:FF', time: 0 })
  ctx.store.logins.record({ time: 0, method: 'voucher', identity: 'u', mac: null, address: null, result: 'success' })
  for (const [list, { action, columns }] of Object.entries(EXPORTS)) {
    const result = await dispatch(actions, action, {}, ctx)
    const rows = [...result.users as Iterable<Record<string, unknown>>]
    t.equal(rows.length, 1, `${list}: one row`)
    t.same(columns, Object.keys(rows[0] as object), `${list}: ${action}'s fields, in order`)
  }
  t.ok(isExportList('vouchers'))
  t.notOk(isExportList('toString'), 'not an inherited name')
  t.notOk(isExportList('passwords'))
})

t.test('writeCsv writes the header and every row, in chunks, for a long list', async (t) => {
  const out = new PassThrough()
  const chunks: string[] = []
  out.on('data', (c: Buffer) => { chunks.push(c.toString()) })
  const rows = function * (): Generator<Record<string, unknown>> {
    for (let i = 1; i <= 5000; i++) yield { id: i, name: i === 7 ? '=cmd' : `guest ${i}`, extra: 'ignored' }
  }
  await writeCsv(out, ['id', 'name'], rows())
  out.end()
  const text = chunks.join('')
  const lines = text.split('\r\n')
  t.equal(lines[0], 'id,name')
  t.equal(lines[7], "7,'=cmd")
  t.equal(lines.length, 5002, 'header, 5,000 rows, and the empty piece after the last CRLF')
  t.ok(chunks.length > 1, 'written in more than one piece')
})

t.test('a slow client is waited for; one that goes away stops the writing', async (t) => {
  let written = 0
  const slow = new Writable({
    highWaterMark: 1024,
    write (chunk: Buffer, _enc, done) { written += chunk.length; setTimeout(done, 1) },
  })
  const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i }))
  await writeCsv(slow, ['id'], rows)
  await new Promise<void>((resolve) => slow.end(resolve))
  t.equal(written, csvRecord(['id']).length + rows.reduce((n, r) => n + csvRecord([r.id]).length, 0), 'every byte, after waiting for drain')

  const gone = new Writable({ highWaterMark: 16, write (_c, _e, done) { setTimeout(done, 5) } })
  const endless = function * (): Generator<Record<string, unknown>> { for (;;) yield { id: 'x'.repeat(100) } }
  const writing = writeCsv(gone, ['id'], endless())
  setTimeout(() => { gone.destroy() }, 20)
  await t.rejects(writing, { code: 'CLIENT_GONE', message: 'client went away' })
  t.ok(await writing.catch((e: unknown) => e instanceof CsvClientGone), 'a CsvClientGone')

  const dead = new Writable({ write (_c, _e, done) { done() } })
  dead.destroy()
  await t.rejects(writeCsv(dead, ['id'], []), { code: 'CLIENT_GONE' }, 'gone before the header')
})
