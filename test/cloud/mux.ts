import t from 'tap'
import { createServer, request, type IncomingMessage } from 'node:http'
import { once } from 'node:events'
import {
  DATA, END, HEADER, HIGH_WATER, MAX_DATA, Mux, MuxProtocolError, type MuxStream, OPEN, RESET, StreamResetError,
  type StreamMeta, WINDOW, WINDOW_UPDATE,
} from '../../src/cloud/mux'

const frame = (type: number, id: number, payload: Buffer = Buffer.alloc(0)): Buffer => {
  const f = Buffer.alloc(HEADER + payload.length)
  f[0] = type
  f.writeUInt32BE(id, 1)
  payload.copy(f, HEADER)
  return f
}
const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n, 0); return b }

/**
 * Two muxes joined by an asynchronous channel, as a WebSocket would join them. Each direction
 * can be held (messages pile up, their send callbacks wait) to play a slow network.
 */
const pair = (opts: { maxStreams?: number } = {}) => {
  const accepted: Array<{ stream: MuxStream; meta: StreamMeta }> = []
  const wire = { toAcceptor: [] as Buffer[], toOpener: [] as Buffer[], errors: [] as Error[] }
  const held = { toAcceptor: false, toOpener: false }
  const queues = { toAcceptor: [] as Array<() => void>, toOpener: [] as Array<() => void> }
  const channel = (dir: 'toAcceptor' | 'toOpener', to: () => Mux) => (f: Buffer, done: (err?: Error) => void): void => {
    wire[dir].push(f)
    const deliver = (): void => {
      setImmediate(() => {
        try {
          to().receive(f)
        } catch (err) {
          wire.errors.push(err as Error)
        }
        done()
      })
    }
    if (held[dir]) queues[dir].push(deliver)
    else deliver()
  }
  const opener: Mux = new Mux({ role: 'opener', send: channel('toAcceptor', () => acceptor) })
  const acceptor: Mux = new Mux({
    role: 'acceptor',
    send: channel('toOpener', () => opener),
    onStream: (stream, meta) => { accepted.push({ stream, meta }) },
    maxStreams: opts.maxStreams,
  })
  const hold = (dir: 'toAcceptor' | 'toOpener'): void => { held[dir] = true }
  const release = (dir: 'toAcceptor' | 'toOpener'): void => {
    held[dir] = false
    for (const d of queues[dir].splice(0)) d()
  }
  return { opener, acceptor, accepted, wire, hold, release }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
const settle = async (n = 20): Promise<void> => { for (let i = 0; i < n; i++) await tick() }
/** Everything the stream's reader gets, to its end (without for-await, which destroys the stream at its end). */
const readAll = (s: MuxStream): Promise<Buffer> => new Promise((resolve, reject) => {
  const parts: Buffer[] = []
  s.on('data', (c: Buffer) => { parts.push(c) })
  s.once('end', () => { resolve(Buffer.concat(parts)) })
  s.once('error', reject)
  s.resume()
})
const typesOn = (frames: Buffer[]): number[] => frames.map((f) => f[0] as number)

t.test('a stream carries bytes both ways, with its metadata, and ends cleanly', async (t) => {
  const { opener, acceptor, accepted, wire } = pair()
  const s = opener.open({ client: '203.0.113.5' })
  await settle()
  t.equal(accepted.length, 1, 'the acceptor is told of the stream')
  const a = accepted[0] as { stream: MuxStream; meta: StreamMeta }
  t.same(a.meta, { client: '203.0.113.5' }, 'with its metadata')
  t.equal(a.stream.id, s.id, 'under the same id')
  s.end('hello')
  const request = await readAll(a.stream)
  t.equal(request.toString(), 'hello')
  a.stream.end('world')
  t.equal((await readAll(s)).toString(), 'world')
  await settle()
  t.equal(opener.size, 0, 'the opener forgets the finished stream')
  t.equal(acceptor.size, 0, 'and so does the acceptor')
  t.notOk(typesOn([...wire.toAcceptor, ...wire.toOpener]).includes(RESET), 'no RESET for a stream finished both ways')
  t.same(wire.errors, [])
})

t.test('node:http runs over a stream: the relay\'s request, the router\'s server', async (t) => {
  const { opener, accepted } = pair()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify({ method: req.method, url: req.url, body, from: req.socket.remoteAddress, host: req.headers.host }))
    })
  })
  const served = setInterval(() => {
    for (const { stream, meta } of accepted.splice(0)) {
      Object.defineProperty(stream, 'remoteAddress', { value: meta.client })
      server.emit('connection', stream)
    }
  }, 1)
  t.teardown(() => { clearInterval(served) })
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({
      method: 'POST', path: '/api/?x=1', headers: { host: '2b080b3af6.example.net', 'content-type': 'application/json' },
      createConnection: () => opener.open({ client: '198.51.100.7' }),
    }, (res: IncomingMessage) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode as number, body }) })
    })
    req.on('error', reject)
    req.end('{"api-key":"k"}')
  })
  t.equal(answer.status, 200)
  t.same(JSON.parse(answer.body), { method: 'POST', url: '/api/?x=1', body: '{"api-key":"k"}', from: '198.51.100.7', host: '2b080b3af6.example.net' })
})

t.test('a large transfer is cut into DATA frames within the window, and arrives whole', async (t) => {
  const { opener, accepted, wire } = pair()
  const s = opener.open({})
  const big = Buffer.alloc(5 * WINDOW + 123)
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff
  s.end(big)
  await settle()
  const got = await readAll((accepted[0] as { stream: MuxStream }).stream)
  t.ok(got.equals(big), `${got.length} bytes, in order`)
  const data = wire.toAcceptor.filter((f) => f[0] === DATA)
  t.ok(data.every((f) => f.length - HEADER <= MAX_DATA), 'no DATA frame over MAX_DATA')
  t.ok(wire.toOpener.some((f) => f[0] === WINDOW_UPDATE), 'the reader granted credit back')
})

t.test('a reader that stops reading stops its sender at the window, and the sender resumes', async (t) => {
  const { opener, accepted, wire } = pair()
  const s = opener.open({})
  await settle()
  const a = (accepted[0] as { stream: MuxStream }).stream
  a.pause()
  let written = 0
  const chunk = Buffer.alloc(8 * 1024, 1)
  let full = false
  // Write until the stream says stop, then go on until the credit is spent.
  for (let i = 0; i < 40; i++) {
    if (!s.write(chunk)) full = true
    written += chunk.length
  }
  await settle(50)
  const sent = wire.toAcceptor.filter((f) => f[0] === DATA).reduce((n, f) => n + f.length - HEADER, 0)
  t.ok(full, 'the writer was told to wait')
  // The paused reader still buffers up to its high-water mark, and grants credit for that.
  const bound = WINDOW + a.readableHighWaterMark
  t.ok(sent < written && sent <= bound, `no more than the window and the reader's buffer (${bound}) went out while it paused: ${sent} of ${written}`)
  t.equal(s.sendCredit, 0, 'the sender spent its credit and waits')
  s.end()
  const got = await readAll(a)
  t.equal(got.length, written, 'once reading resumes, everything arrives')
})

t.test('while the channel holds more than HIGH_WATER bytes, every stream waits', async (t) => {
  const { opener, accepted, wire, hold, release } = pair({ maxStreams: 64 })
  const streams = Array.from({ length: 20 }, () => opener.open({}))
  await settle()
  hold('toAcceptor')
  for (const s of streams) s.write(Buffer.alloc(WINDOW, 2))
  await settle()
  const queued = wire.toAcceptor.filter((f) => f[0] === DATA).reduce((n, f) => n + f.length, 0)
  t.ok(opener.congested, 'the channel is congested')
  t.ok(queued <= HIGH_WATER + MAX_DATA + HEADER, `the streams stopped at the high-water mark: ${queued} bytes queued`)
  release('toAcceptor')
  for (const s of streams) s.end()
  const lengths = await Promise.all(accepted.map(({ stream }) => readAll(stream).then((b) => b.length)))
  t.same(lengths, streams.map(() => WINDOW), 'every stream delivers all its bytes once the channel drains')
  t.notOk(opener.congested)
})

t.test('a reset from either side fails the other side\'s stream with the reason', async (t) => {
  const { opener, accepted } = pair()
  const s = opener.open({})
  await settle()
  const a = (accepted[0] as { stream: MuxStream }).stream
  const failed = once(s, 'error')
  a.on('error', () => {}) // its own error, as its owner would see it
  a.destroy(new Error('the router gave up'))
  const [err] = await failed as [StreamResetError]
  t.type(err, StreamResetError)
  t.equal(err.reason, 'the router gave up')
  await settle()
  t.equal(opener.size, 0)

  const s2 = opener.open({})
  await settle()
  const a2 = (accepted[1] as { stream: MuxStream }).stream
  const failed2 = once(a2, 'error')
  s2.destroy()
  const [err2] = await failed2 as [StreamResetError]
  t.equal(err2.reason, 'closed', 'a destroy without an error is reset as closed')
})

t.test('a peer that answered and closed: its answer is kept, further writes are dropped', async (t) => {
  const { opener, accepted } = pair()
  const s = opener.open({})
  s.write('part of a body the router will not read')
  await settle()
  const a = (accepted[0] as { stream: MuxStream }).stream
  a.end('the whole answer')
  await settle()
  a.destroy() // the router's server closes after answering, before the body is all in
  await settle()
  t.equal(opener.size, 0, 'the opener forgets the stream at the reset')
  const wrote = await new Promise<Error | null | undefined>((resolve) => { s.write(Buffer.alloc(100), resolve) })
  t.notOk(wrote, 'a write after it is dropped without an error')
  t.equal((await readAll(s)).toString(), 'the whole answer', 'the answer is read whole')
  s.end()
})

t.test('a reset after the reader has taken everything fails the writer', async (t) => {
  const { opener, accepted } = pair()
  const s = opener.open({})
  s.end('request')
  await settle()
  const a = (accepted[0] as { stream: MuxStream }).stream
  t.equal((await readAll(a)).toString(), 'request')
  const failed = once(a, 'error')
  s.on('error', () => {})
  s.destroy(new Error('the client went away'))
  const [err] = await failed as [StreamResetError]
  t.equal(err.reason, 'the client went away', 'the router learns its answer is not wanted')
  t.ok(a.destroyed)
})

t.test('a write waiting for credit fails when its stream is reset', async (t) => {
  const { opener, accepted } = pair()
  const s = opener.open({})
  await settle()
  const a = (accepted[0] as { stream: MuxStream }).stream
  a.pause()
  s.on('error', () => {})
  const done = new Promise<Error | null | undefined>((resolve) => { s.write(Buffer.alloc(2 * WINDOW), resolve) })
  await settle()
  a.on('error', () => {})
  a.destroy(new Error('stop'))
  const err = await done
  t.type(err, Error, 'the pending write is called back with an error')

  const s2 = opener.open({})
  await settle()
  ;(accepted[1] as { stream: MuxStream }).stream.pause().on('error', () => {})
  s2.on('error', () => {})
  const done2 = new Promise<Error | null | undefined>((resolve) => { s2.write(Buffer.alloc(2 * WINDOW), resolve) })
  await settle()
  s2.destroy()
  t.type(await done2, Error, 'and so when its own side drops it')
})

t.test('the acceptor resets streams over maxStreams; the opener refuses to open them', async (t) => {
  const { opener, accepted } = pair({ maxStreams: 2 })
  const s1 = opener.open({})
  const s2 = opener.open({})
  const s3 = opener.open({})
  const failed = once(s3, 'error')
  const [err] = await failed as [StreamResetError]
  t.equal(err.reason, 'too many streams', 'the third is reset by the acceptor')
  t.equal(accepted.length, 2)
  for (const { stream } of accepted) stream.on('error', () => {})
  s1.destroy()
  s2.destroy()
  const small = new Mux({ role: 'opener', send: (_f, done) => { done() }, maxStreams: 1 })
  small.open({})
  t.throws(() => small.open({}), new StreamResetError('too many streams'), 'an opener at its own limit throws')
})

t.test('close fails every stream, and nothing is sent or received after it', async (t) => {
  const { opener, acceptor, accepted, wire } = pair()
  const s = opener.open({})
  await settle()
  const failed = once(s, 'error')
  const before = wire.toAcceptor.length
  opener.close('tunnel lost')
  const [err] = await failed as [StreamResetError]
  t.equal(err.reason, 'tunnel lost')
  t.equal(wire.toAcceptor.length, before, 'no RESET is sent on a closed channel')
  t.equal(opener.size, 0)
  t.throws(() => opener.open({}), new StreamResetError('tunnel lost'), 'no stream opens on it')
  opener.close('again')
  opener.receive(frame(DATA, s.id, Buffer.from('late')))
  t.pass('frames after close are ignored')
  ;(accepted[0] as { stream: MuxStream }).stream.on('error', () => {})
  acceptor.close('done')
  t.ok((accepted[0] as { stream: MuxStream }).stream.destroyed)
})

t.test('ids wrap around and skip live streams', async (t) => {
  const opener = new Mux({ role: 'opener', send: (_f, done) => { done() } })
  ;(opener as unknown as { nextId: number }).nextId = 0xffffffff
  const a = opener.open({})
  t.equal(a.id, 0xffffffff)
  const b = opener.open({})
  t.equal(b.id, 1, 'after the largest id comes 1')
  ;(opener as unknown as { nextId: number }).nextId = 0xffffffff
  const c = opener.open({})
  t.equal(c.id, 2, 'a live id is skipped')
  t.equal(opener.size, 3)
})

t.test('frames for a stream already dropped are ignored', async (t) => {
  const { opener, acceptor, accepted } = pair()
  const s = opener.open({})
  await settle()
  ;(accepted[0] as { stream: MuxStream }).stream.on('error', () => {})
  s.destroy()
  await settle()
  t.doesNotThrow(() => {
    acceptor.receive(frame(DATA, s.id, Buffer.from('late')))
    acceptor.receive(frame(END, s.id))
    acceptor.receive(frame(WINDOW_UPDATE, s.id, u32(10)))
    acceptor.receive(frame(RESET, s.id))
  })
})

t.test('a peer breaking the protocol gets a MuxProtocolError', async (t) => {
  const noop = (_f: Buffer, done: (err?: Error) => void): void => { done() }
  const acceptor = (): Mux => {
    const m = new Mux({ role: 'acceptor', send: noop, onStream: (s) => { s.on('error', () => {}) } })
    m.receive(frame(OPEN, 7, Buffer.from('{}')))
    return m
  }
  const cases: Array<[string, (m: Mux) => void, RegExp]> = [
    ['a frame shorter than its header', (m) => { m.receive(Buffer.from([2, 0, 0])) }, /a frame of 3 bytes/],
    ['an unknown frame type', (m) => { m.receive(frame(9, 7)) }, /unknown frame type 9/],
    ['frame type 0', (m) => { m.receive(frame(0, 7)) }, /unknown frame type 0/],
    ['DATA over MAX_DATA', (m) => { m.receive(frame(DATA, 7, Buffer.alloc(MAX_DATA + 1))) }, /DATA of 16385 bytes/],
    ['DATA past the window', (m) => { for (let i = 0; i <= WINDOW / MAX_DATA; i++) m.receive(frame(DATA, 7, Buffer.alloc(MAX_DATA))) }, /past its window/],
    ['DATA after END', (m) => { m.receive(frame(END, 7)); m.receive(frame(DATA, 7, Buffer.from('x'))) }, /DATA after END/],
    ['END twice', (m) => { m.receive(frame(END, 7)); m.receive(frame(END, 7)) }, /END twice/],
    ['a WINDOW of the wrong size', (m) => { m.receive(frame(WINDOW_UPDATE, 7, Buffer.alloc(3))) }, /WINDOW of 3 bytes/],
    ['credit past the window', (m) => { m.receive(frame(WINDOW_UPDATE, 7, u32(1))) }, /granted past the window/],
    ['OPEN of a live stream', (m) => { m.receive(frame(OPEN, 7, Buffer.from('{}'))) }, /OPEN of live stream 7/],
    ['OPEN of stream 0', (m) => { m.receive(frame(OPEN, 0, Buffer.from('{}'))) }, /OPEN of stream 0/],
    ['OPEN with metadata that is not JSON', (m) => { m.receive(frame(OPEN, 8, Buffer.from('{'))) }, /metadata is not a JSON object/],
    ['OPEN with metadata that is not an object', (m) => { m.receive(frame(OPEN, 8, Buffer.from('[1]'))) }, /not an object/],
    ['OPEN with null metadata', (m) => { m.receive(frame(OPEN, 8, Buffer.from('null'))) }, /not an object/],
  ]
  for (const [what, act, message] of cases) t.throws(() => { act(acceptor()) }, message, what)
  const opener = new Mux({ role: 'opener', send: noop })
  t.throws(() => { opener.receive(frame(OPEN, 1, Buffer.from('{}'))) }, new MuxProtocolError('OPEN sent to the opener'), 'an OPEN sent to the opener')
  t.throws(() => acceptor().open({}), /only the opener opens streams/, 'the acceptor cannot open')
})

t.test('a reset with no reason is reported as reset; an acceptor without onStream still accepts', async (t) => {
  const sent: Buffer[] = []
  const m = new Mux({ role: 'acceptor', send: (f, done) => { sent.push(f); done() } })
  m.receive(frame(OPEN, 3, Buffer.from('{}')))
  t.equal(m.size, 1)
  const opener = new Mux({ role: 'opener', send: (_f, done) => { done() } })
  const s = opener.open({})
  const failed = once(s, 'error')
  opener.receive(frame(RESET, s.id))
  const [err] = await failed as [StreamResetError]
  t.equal(err.reason, 'reset')
})

t.test('a stream kept for its reader after the peer closed sends nothing once the channel is closed', async (t) => {
  const { opener, accepted, wire } = pair()
  const s = opener.open({})
  s.pause()
  await settle()
  const a = (accepted[0] as { stream: MuxStream }).stream
  a.end('last words')
  await settle()
  a.destroy()
  await settle()
  opener.close('tunnel lost')
  const before = wire.toAcceptor.length
  t.equal((await readAll(s)).toString(), 'last words', 'the reader still gets what was sent')
  t.equal(wire.toAcceptor.length, before, 'and no credit is granted on the closed channel')
})
