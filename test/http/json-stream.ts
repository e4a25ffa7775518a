import t from 'tap'
import { Writable } from 'node:stream'
import { ClientGoneError, writeJson } from '../../src/http/json-stream'

/** A destination that keeps every write; `slow` makes it a slow consumer (it calls back later). */
const collector = (opts: { highWaterMark?: number; slow?: boolean } = {}): Writable & { writes: string[]; text: () => string } => {
  const writes: string[] = []
  const out = new Writable({
    highWaterMark: opts.highWaterMark ?? 16 * 1024,
    write (chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString('utf8'))
      if (opts.slow === true) setImmediate(cb); else cb()
    },
  })
  return Object.assign(out, { writes, text: () => writes.join('') })
}

const written = async (value: unknown): Promise<string> => {
  const out = collector()
  await writeJson(out, value)
  return out.text()
}

function * count (n: number, row: (i: number) => unknown = (i) => i): Generator<unknown> {
  for (let i = 1; i <= n; i++) yield row(i)
}

const voucher = (i: number): Record<string, unknown> => ({
  id: i,
  username: `user${i}`,
  password: `pass${i}`,
  fullname: 'John Doe',
  created_at: '2025-02-21 02:31:30',
  first_login: null,
  valid_for: '1 day',
  MAC: null,
  download_limit: 1024,
  upload_limit: 512,
})

t.test('plain values are written exactly as JSON.stringify writes them', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 42],
    ['a string with quotes and unicode', 'say "hi" é \u2028'],
    ['true', true],
    ['an array', [1, 'two', null, { three: 3 }]],
    ['an empty object', {}],
    ['the seed error envelope', { message: 'API Key is incorrect', error: true }],
    ['an object with undefined and nested values', { a: undefined, b: { c: [1, undefined, 2] }, d: 'x' }],
    ['a Date (toJSON)', { at: new Date(Date.UTC(2025, 0, 17, 10)) }],
    ['a live-data answer', { data: [{ logins: 'user1@example.com', 'bytes-out': '1056738924' }] }],
  ]
  for (const [name, value] of cases) {
    t.equal(await written(value), JSON.stringify(value), name)
  }
})

t.test('a lone undefined is written as null, so the output is always JSON', async (t) => {
  t.equal(await written(undefined), 'null', 'undefined')
})

t.test('a generator inside an object streams as an array', async (t) => {
  const out = collector()
  await writeJson(out, { users: count(10_000, voucher) })
  const expected = { users: [...count(10_000, voucher)] }
  t.strictSame(JSON.parse(out.text()), expected, '10,000 voucher rows parse back equal')
  t.equal(out.text(), JSON.stringify(expected), 'byte for byte what JSON.stringify of the whole array gives')
  t.ok(out.writes.length > 1, 'written in several chunks, not as one string')
  t.ok(out.writes.slice(0, -1).every((w) => w.length >= 8 * 1024), 'every chunk but the last is at least 8 KiB')
})

t.test('a long list lets other work run between its chunks, not between its rows', async (t) => {
  const out = collector()
  let turns = 0
  let running = true
  const tick = (): void => { if (running) { turns++; setImmediate(tick) } }
  setImmediate(tick)
  await writeJson(out, { users: count(10_000, voucher) })
  running = false
  t.ok(out.writes.length > 10, `written in ${out.writes.length} chunks`)
  t.ok(turns >= out.writes.length - 1, `other work ran between the chunks (${turns} turns of the event loop)`)
  t.ok(turns <= out.writes.length + 1, 'and only between chunks, not between rows')
})

t.test('the last piece is written at once, so the caller ends the answer in the same turn', async (t) => {
  const out = collector()
  let turned = false
  setImmediate(() => { turned = true })
  await writeJson(out, { data: [{ a: 1 }], users: count(2) })
  t.notOk(turned, 'no turn of the event loop between the write and the return')
  t.strictSame(out.writes, ['{"data":[{"a":1}],"users":[1,2]}'], 'written in one piece')
})

t.test('lazy lists of every kind and depth', async (t) => {
  const cases: Array<[string, () => unknown, unknown]> = [
    ['a generator at the top', () => count(3), [1, 2, 3]],
    ['an empty generator', () => ({ users: count(0) }), { users: [] }],
    ['a Set is a lazy list', () => ({ tags: new Set(['a', 'b']) }), { tags: ['a', 'b'] }],
    ['undefined keys are skipped beside a lazy list, as JSON does',
      () => ({ message: undefined, users: count(2), error: false }), { users: [1, 2], error: false }],
    ['undefined items of a lazy list become null, as in a JSON array',
      () => ({ users: [1, undefined, 3].values() }), { users: [1, null, 3] }],
    ['a lazy list of lazy lists', () => ({ pages: count(3, (i) => count(i)) }), { pages: [[1], [1, 2], [1, 2, 3]] }],
    ['a lazy list of objects holding lazy lists',
      () => count(2, (i) => ({ id: i, hosts: count(i, (j) => `h${j}`) })),
      [{ id: 1, hosts: ['h1'] }, { id: 2, hosts: ['h1', 'h2'] }]],
    ['a lazy list inside a plain object inside the result',
      () => ({ data: { version: 'test', users: count(2) } }), { data: { version: 'test', users: [1, 2] } }],
    ['a lazy list inside a plain array', () => ({ data: [count(2), [3], 'x'] }), { data: [[1, 2], [3], 'x'] }],
  ]
  for (const [name, make, expected] of cases) {
    const text = await written(make())
    t.strictSame(JSON.parse(text), expected, name)
  }
})

t.test('a slow consumer receives everything, in order', async (t) => {
  const out = collector({ highWaterMark: 16, slow: true })
  let drains = 0
  out.on('drain', () => { drains++ })
  const rows = 3_000
  await writeJson(out, { users: count(rows, voucher) })
  const back = JSON.parse(out.text()) as { users: Array<{ id: number }> }
  t.equal(back.users.length, rows, 'every row arrived')
  t.strictSame(back.users.map((u) => u.id), [...count(rows)], 'in order')
  t.ok(drains > 0, 'the writer waited for drain (write() returned false)')
  t.equal(drains, out.writes.length - 1, 'one drain per write but the last, which is not waited for: it never wrote into a full buffer')
})

t.test('a destination destroyed before a write rejects with CLIENT_GONE', async (t) => {
  const out = collector()
  function * rows (): Generator<unknown> {
    yield voucher(1)
    out.destroy() // the client goes away while the answer is still small, unwritten
    yield voucher(2)
  }
  await t.rejects(writeJson(out, { users: rows() }), { code: 'CLIENT_GONE', message: 'client went away' }, 'destroyed before the first write')
  t.strictSame(out.writes, [], 'nothing was written to a destroyed destination')

  const big = collector()
  let produced = 0
  function * many (): Generator<unknown> {
    for (;;) {
      produced++
      if (produced === 500) big.destroy()
      yield voucher(produced)
    }
  }
  const err: unknown = await writeJson(big, { users: many() }).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof ClientGoneError, 'destroyed between chunks of a long answer: a ClientGoneError')
  t.match(err, { code: 'CLIENT_GONE' }, 'destroyed between chunks of a long answer: code CLIENT_GONE')
  t.ok(big.writes.length >= 1, 'the chunks before it were written')
  t.ok(produced < 1000, 'the lazy list stopped being read soon after')
})

t.test('a destination destroyed while waiting for drain rejects with CLIENT_GONE', async (t) => {
  let stuck: (() => void) | undefined
  const out = new Writable({
    highWaterMark: 1,
    write (_chunk, _enc, _cb) { stuck = () => { out.destroy() } }, // never calls back: a stalled client
  })
  const p = writeJson(out, { users: count(5_000, voucher) })
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.type(stuck, 'function', 'the first chunk was written and the writer is waiting for drain')
  stuck?.()
  await t.rejects(p, { code: 'CLIENT_GONE' }, 'closed while waiting for drain')
  t.equal(out.listenerCount('drain'), 0, 'the drain listener was removed')
  t.equal(out.listenerCount('close'), 0, 'the close listener was removed')
})

t.test('an error thrown by a lazy list passes through', async (t) => {
  const boom = new Error('disk I/O error')
  function * failing (): Generator<unknown> {
    yield voucher(1)
    throw boom
  }
  await t.rejects(writeJson(collector(), { users: failing() }), boom, 'the generator\'s own error')
  let closed = false
  function * watched (): Generator<unknown> {
    try {
      yield 1
      yield 2
    } finally {
      closed = true
    }
  }
  await t.rejects(writeJson(collector(), { users: watched(), more: count(1, () => { throw boom }) }), boom, 'an error from a second list')
  t.ok(closed, 'the first list had been read to its end')
})
