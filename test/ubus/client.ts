import t, { type Test } from 'tap'
import { join } from 'node:path'
import { REPLY_TOO_LARGE } from '../../src/errors'
import { createLogger, type Logger } from '../../src/log'
import { BlobmsgType, tableFromJson, tableToJson, type BlobmsgNode } from '../../src/ubus/blobmsg'
import { UbusClient, UbusError, type UbusClientOptions } from '../../src/ubus/client'
import { Attr, decodeMessage, encodeMessage, MAX_BLOB, MsgType, type MessageAttr } from '../../src/ubus/message'
import type { UbusCaller, UbusMethod, UbusObject, UbusReply } from '../../src/ubus/object'
import { hexes, recorded, shortTestDir, UbusdReplay, type Step } from '../fixtures/ubusd-replay'

const { INT32, STRING } = BlobmsgType

// Frames for what no recording covers, built with the (separately tested) codec.
const u32 = (id: number, value: number): MessageAttr => ({ id, kind: 'u32', value })
const str = (id: number, value: string): MessageAttr => ({ id, kind: 'string', value })
const data = (value: Record<string, unknown>): MessageAttr => ({ id: Attr.DATA, kind: 'blobmsg', value: tableFromJson(value) })
const frame = (type: number, seq: number, peer: number, attrs: MessageAttr[]): string =>
  encodeMessage({ version: 0, type, seq, peer, attrs }).toString('hex')
/** A recorded frame with another seq. */
const reseq = (hex: string, seq: number): string => hex.slice(0, 4) + seq.toString(16).padStart(4, '0') + hex.slice(8)
const sends = (hex: string): Step => ({ send: hex })
const expects = (hex: string): Step => ({ expect: hex })

// The example server's connection (2): HELLO, ADD_OBJECT test, DATA (id 233acf04), STATUS, then
// the anonymous subscriber object: ADD_OBJECT (seq 2), DATA (id 6588a736), STATUS.
const EXAMPLE = hexes('add_object_example_server', 2)
const PUBLISH_TEST = recorded('add_object_example_server', 2).slice(0, 4)
const TEST_ID = 0x233acf04
// The raw server's connection (17): HELLO, ADD_OBJECT rawobj, DATA (id 0e6f2747), STATUS, then a
// duplicate ADD_OBJECT (seq 2) refused with STATUS 2.
const RAW = hexes('raw_add_remove_object_with_events', 17)
// `ubus call test count` (connection 8): HELLO, LOOKUP, DATA, STATUS, INVOKE, DATA {rc: 63}, STATUS.
const CALL = hexes('invoke_count', 8)
const [CALL_HELLO, CALL_LOOKUP, CALL_FOUND, CALL_OK, CALL_INVOKE, CALL_DATA, CALL_STATUS] = CALL as [string, string, string, string, string, string, string]
// `ubus listen 'rig.*'` (connection 20): HELLO, ADD_OBJECT, DATA (id bef87595), STATUS, register, STATUS, event, its STATUS.
const LISTEN = hexes('event_listen_send', 20)
const LISTENER_ID = 0xbef87595
// The example server's answers to `ubus call test count` (connection 2, forwarded from connection 8).
const [FWD_COUNT, FWD_COUNT_DATA, FWD_COUNT_STATUS] = hexes('invoke_count', 2) as [string, string, string]

/** A logger that keeps its lines; `seen` waits until `n` of them match. */
const recorder = (): { log: Logger; lines: string[]; seen: (re: RegExp, n?: number) => Promise<void> } => {
  const lines: string[] = []
  const waiters: Array<() => boolean> = []
  const log = createLogger((line) => {
    lines.push(line)
    for (let i = waiters.length - 1; i >= 0; i--) if ((waiters[i] as () => boolean)()) waiters.splice(i, 1)
  }, 'debug')
  const seen = (re: RegExp, n = 1): Promise<void> => new Promise((resolve) => {
    const check = (): boolean => lines.filter((l) => re.test(l)).length >= n && (resolve(), true)
    if (!check()) waiters.push(check)
  })
  return { log, lines, seen }
}

/** Resolves when `client` next reports being connected. */
const up = (client: UbusClient): Promise<void> => new Promise((resolve) => { client.onState((c) => { if (c) resolve() }) })

interface Rig { replay: UbusdReplay; client: UbusClient; lines: string[]; seen: (re: RegExp, n?: number) => Promise<void> }

/** A replay of `steps` (listening unless told not to) and a client for it, with short delays. */
const rig = async (t: Test, steps: Step[], opts: Partial<UbusClientOptions> & { listen?: boolean } = {}): Promise<Rig> => {
  const replay = new UbusdReplay(t, steps)
  if (opts.listen !== false) await replay.listen()
  const { log, lines, seen } = recorder()
  const client = new UbusClient({ socketPath: replay.path, log, timeoutMs: 5_000, backoff: { minMs: 2, maxMs: 8 }, ...opts })
  t.teardown(() => client.close())
  return { replay, client, lines, seen }
}

/** Starts `client` and waits until it is connected. */
const connect = async (client: UbusClient): Promise<void> => {
  const ready = up(client)
  client.start()
  await ready
}

/** The script has played, and the client sent exactly what was expected. */
const played = async (t: Test, replay: UbusdReplay): Promise<void> => {
  await replay.done
  t.same(replay.mismatches, [], 'every frame the client sent is the recorded one')
}

const never = async (): Promise<UbusReply> => { throw new Error('not expected to be called') }

/** The example server's `test` object: the same policies (so the same ADD_OBJECT), with these handlers. */
const testObject = (handlers: Partial<Record<'hello' | 'watch' | 'count', UbusMethod['handler']>> = {}): UbusObject => ({
  path: 'test',
  methods: new Map<string, UbusMethod>([
    ['hello', { policy: { id: INT32, msg: STRING }, handler: handlers.hello ?? never }],
    ['watch', { policy: { id: INT32, counter: INT32 }, handler: handlers.watch ?? never }],
    ['count', { policy: { to: INT32, string: STRING }, handler: handlers.count ?? never }],
  ]),
})

/** The raw server's `rawobj`: echo {x, s} answers its arguments back, noargs takes none. */
const rawObject: UbusObject = {
  path: 'rawobj',
  methods: new Map<string, UbusMethod>([
    ['echo', { policy: { x: INT32, s: STRING }, handler: async (args) => ({ status: 0, data: { echo: args, from: 'raw python server' } }) }],
    ['noargs', { policy: {}, handler: never }],
  ]),
}

t.test('publishes an object exactly as the example server does', async (t) => {
  const { replay, client, lines } = await rig(t, PUBLISH_TEST)
  client.publish(testObject())
  t.equal(client.objectId('test'), undefined, 'no id before a connection')
  await connect(client)
  await played(t, replay)
  t.equal(client.connected, true)
  t.equal(client.clientId, 0x953c0d37, 'the id in the HELLO')
  t.equal(client.objectId('test'), TEST_ID, 'the id ubusd gave')
  t.equal(replay.received.length, 1, 'no anonymous object while nothing listens')
  t.same(lines, [
    `info: ubus: connected to ${replay.path} as client 953c0d37`,
    'info: ubus: published test as object 233acf04',
  ])
})

t.test('serves the recorded INVOKEs byte for byte', async (t) => {
  const calls: Array<{ method: string; args: Record<string, unknown>; caller: UbusCaller }> = []
  const handler = (method: string, reply: (args: Record<string, unknown>) => UbusReply): UbusMethod['handler'] => async (args, caller) => {
    calls.push({ method, args, caller })
    return reply(args)
  }
  // The example server: count answers strcmp(string, "0 1 2 ... to"), which only its own client gets right.
  const obj = testObject({
    count: handler('count', (a) => a.to === undefined ? { status: 2 } : { status: 0, data: { rc: a.to === 100100 ? 0 : 63 } }),
    hello: handler('hello', (a) => ({ status: 0, data: { message: `test received a message: ${a.msg as string}` } })),
    watch: handler('watch', (a) => ({ status: a.id === undefined ? 2 : 0 })),
  })
  // The example client's count call: a 593 KB INVOKE and its answer (seq 2006 = 07d6).
  const big = hexes('subscribe_notify_example_client', 2).filter((h) => h.slice(4, 8) === '07d6')
  t.equal(big.length, 3)
  const { replay, client } = await rig(t, [
    ...PUBLISH_TEST,
    ...recorded('invoke_count', 2),
    ...recorded('invoke_hello_deferred_fd', 2),
    ...recorded('invoke_all_blobmsg_types', 2),
    ...recorded('invoke_no_args', 2),
    ...recorded('invoke_method_not_found', 2),
    ...recorded('invoke_invalid_argument', 2),
    ...recorded('monitor', 2),
    { send: big[0] as string, chunk: 65536 }, expects(big[1] as string), expects(big[2] as string),
  ])
  client.publish(obj)
  await connect(client)
  await played(t, replay)
  t.same(calls.map((c) => c.method), ['count', 'hello', 'count', 'count', 'watch', 'count', 'count'], 'nosuch reaches no handler')
  t.ok(calls.every((c) => c.caller.user === 'root' && c.caller.group === 'root'), 'USER and GROUP as the caller')
  t.same(calls[0]?.args, { to: 3, string: 'one two three' })
  t.same(calls[2]?.args, { to: 1, string: 'one', neg: -1, big: 5000000000, t: true, f: false, d: 1.5, arr: [1, 'x', []], tbl: { k: 'v', e: {} }, '': 'empty-name' })
  t.same(calls[3]?.args, {}, 'no arguments: an empty table')
  const sent = decodeMessage(Buffer.from(big[0] as string, 'hex')).attrs.find((a) => a.id === Attr.DATA)?.value as BlobmsgNode[]
  t.same(calls[6]?.args, tableToJson(sent), 'the big frame\'s arguments, whole')
  t.ok((calls[6]?.args.string as string).length > 590_000)
})

t.test('answers as the raw server did, which libubus matches', async (t) => {
  const { replay, client } = await rig(t, [...recorded('raw_add_remove_object_with_events', 17).slice(0, 4), ...recorded('raw_server_answers_invoke', 17)])
  client.publish(rawObject)
  await connect(client)
  await played(t, replay)
  t.equal(client.objectId('rawobj'), 0x0e6f2747)
})

/** Plays connection `conn` of `scenario` against a fresh client, which does `act` once connected. */
const asClient = async (t: Test, scenario: string, conn: number, act: (client: UbusClient) => Promise<void>, before?: (client: UbusClient) => void): Promise<void> => {
  const { replay, client } = await rig(t, recorded(scenario, conn))
  before?.(client)
  await connect(client)
  await act(client)
  await played(t, replay)
}

t.test('calls and lookups send what the ubus CLI sends', async (t) => {
  t.test('call', (t) => asClient(t, 'invoke_count', 8, async (c) => {
    t.same(await c.call('test', 'count', { to: 3, string: 'one two three' }), { rc: 63 })
  }))
  t.test('every type', (t) => asClient(t, 'invoke_all_blobmsg_types', 10, async (c) => {
    const args = { to: 1, string: 'one', neg: -1, big: 5000000000, t: true, f: false, d: 1.5, arr: [1, 'x', []], tbl: { k: 'v', e: {} }, '': 'empty-name' }
    t.same(await c.call('test', 'count', args), { rc: 63 })
  }))
  t.test('no args', (t) => asClient(t, 'invoke_no_args', 11, async (c) => {
    await t.rejects(c.call('test', 'count'), { name: 'UbusError', code: 'UBUS', status: 2, message: 'Invalid argument (call test.count)' })
  }))
  t.test('no method', (t) => asClient(t, 'invoke_method_not_found', 12, async (c) => {
    await t.rejects(c.call('test', 'nosuch', {}), { status: 3, message: 'Method not found (call test.nosuch)' })
  }))
  t.test('no object', (t) => asClient(t, 'invoke_object_not_found_cli', 14, async (c) => {
    await t.rejects(c.call('nosuch', 'hello', {}), { status: 4, message: 'Not found (call nosuch.hello)' })
  }))
  t.test('empty bus', (t) => asClient(t, 'hello_and_lookup_empty_bus', 1, async (c) => {
    t.same(await c.lookup(), [])
  }))
  const test = { path: 'test', id: TEST_ID, type: 0x3355aba5, signature: { hello: { id: 5, msg: 3 }, watch: { id: 5, counter: 5 }, count: { to: 5, string: 3 } } }
  t.test('lookup all', (t) => asClient(t, 'lookup_all', 3, async (c) => { t.same(await c.lookup(), [test]) }))
  t.test('lookup path', (t) => asClient(t, 'lookup_path', 5, async (c) => { t.same(await c.lookup('test'), [test]) }))
  t.test('lookup prefix', (t) => asClient(t, 'lookup_wildcard', 6, async (c) => { t.same(await c.lookup('t*'), [test]) }))
  t.test('lookup two', (t) => asClient(t, 'raw_add_remove_object_with_events', 18, async (c) => {
    const signature = { echo: { x: 5, s: 3 }, noargs: {} }
    t.same(await c.lookup('raw*'), [
      { path: 'rawobj', id: 0x0e6f2747, type: 0xfc574d2d, signature },
      { path: 'rawobj2', id: 0x502f4461, type: 0xfc574d2d, signature },
    ])
  }))
  t.test('lookup missing', (t) => asClient(t, 'lookup_not_found', 7, async (c) => {
    await t.rejects(c.lookup('nosuch'), { status: 4, message: 'Not found (lookup nosuch)' })
  }))
  t.end()
})

t.test('events are sent and received as the CLI does', async (t) => {
  t.test('send', (t) => asClient(t, 'event_listen_send', 21, async (c) => { await c.sendEvent('rig.test', { a: 1, b: 'two' }) }))
  t.test('send bool', (t) => asClient(t, 'event_listen_send', 22, async (c) => { await c.sendEvent('other.event', { ignored: true }) }))
  t.test('reserved', (t) => asClient(t, 'event_send_reserved', 23, async (c) => {
    await t.rejects(c.sendEvent('ubus.fake', {}), { status: 6, message: 'Permission denied (send ubus.fake)' })
  }))
  t.test('listen', async (t) => {
    const events: unknown[] = []
    await asClient(t, 'event_listen_send', 20, async () => {}, (c) => { c.listen('rig.*', (...e) => { events.push(e) }) })
    t.same(events, [['rig.test', { a: 1, b: 'two' }]])
  })
  t.test('object events', async (t) => {
    const events: unknown[] = []
    const { replay, client } = await rig(t, [...recorded('raw_add_remove_object_with_events', 16), ...recorded('server_connection_drop', 16)])
    client.listen('ubus.object.*', (...e) => { events.push(e) })
    await connect(client)
    await played(t, replay)
    t.same(events, [
      ['ubus.object.add', { id: 0x0e6f2747, path: 'rawobj' }],
      ['ubus.object.add', { id: 0x502f4461, path: 'rawobj2' }],
      ['ubus.object.remove', { id: 0x502f4461, path: 'rawobj2' }],
      ['ubus.object.remove', { id: TEST_ID, path: 'test' }],
    ])
  })
  t.end()
})

t.test('listeners: patterns, a listener that throws, refusals', async (t) => {
  const got: Record<string, unknown[]> = { prefix: [], exact: [], reserved: [] }
  const register = (seq: number, pattern: string): string =>
    frame(MsgType.INVOKE, seq, 1, [u32(Attr.OBJID, 1), str(Attr.METHOD, 'register'), data({ object: LISTENER_ID | 0, pattern })])
  const hubStatus = (seq: number, status: number): string => frame(MsgType.STATUS, seq, 1, [u32(Attr.STATUS, status)])
  let client: UbusClient | undefined
  const rigged = await rig(t, [
    ...recorded('event_listen_send', 20).slice(0, 6),
    { run: () => { client?.listen('rig.test', (...e) => { got.exact?.push(e) }) } },
    expects(register(3, 'rig.test')), sends(hubStatus(3, 0)),
    { run: () => { client?.listen('ubus.*', (...e) => { got.reserved?.push(e) }) } },
    expects(register(4, 'ubus.*')), sends(hubStatus(4, 6)),
    sends(LISTEN[6] as string), expects(LISTEN[7] as string),
    sends(frame(MsgType.INVOKE, 5, 0, [u32(Attr.OBJID, LISTENER_ID), str(Attr.METHOD, 'rig.other'), data({ n: 2 })])),
    expects(frame(MsgType.STATUS, 5, 0, [u32(Attr.STATUS, 0), u32(Attr.OBJID, LISTENER_ID)])),
  ])
  client = rigged.client
  client.listen('rig.*', (...e) => { got.prefix?.push(e) })
  client.listen('rig.*', () => { throw new Error('listener bug') })
  await connect(client)
  await played(t, rigged.replay)
  t.same(got, {
    prefix: [['rig.test', { a: 1, b: 'two' }], ['rig.other', { n: 2 }]],
    exact: [['rig.test', { a: 1, b: 'two' }]],
    reserved: [],
  })
  t.ok(rigged.lines.includes('error: ubus: cannot listen for ubus.*: Permission denied'))
  t.equal(rigged.lines.filter((l) => l.startsWith('error: ubus: the listener for rig.* failed: Error: listener bug\n    at ')).length, 2, 'with its stack, each time')
})

t.test('an anonymous object refused: logged, still connected', async (t) => {
  const { replay, client, lines } = await rig(t, [sends(LISTEN[0] as string), expects(LISTEN[1] as string), sends(reseq(RAW[5] as string, 1))])
  client.listen('rig.*', () => {})
  await connect(client)
  await played(t, replay)
  t.equal(client.connected, true)
  t.ok(lines.includes('error: ubus: cannot add the event listener object: Invalid argument'))
})

t.test('a refused object is logged, and published again on the next connection', async (t) => {
  const addTest2 = reseq(EXAMPLE[1] as string, 2)
  let client: UbusClient | undefined
  const rigged = await rig(t, [
    sends(RAW[0] as string), expects(RAW[1] as string), sends(reseq(RAW[5] as string, 1)), // duplicate path: STATUS 2
    { run: () => { client?.publish(testObject()) } },
    expects(addTest2), sends(frame(MsgType.DATA, 2, 0, [])), sends(reseq(EXAMPLE[3] as string, 2)), // STATUS 0 without an id
    { close: true },
    sends(EXAMPLE[0] as string), expects(RAW[1] as string), sends(RAW[2] as string), sends(RAW[3] as string),
    expects(addTest2), sends(reseq(EXAMPLE[2] as string, 2)), sends(reseq(EXAMPLE[3] as string, 2)),
  ])
  client = rigged.client
  client.publish(rawObject)
  await connect(client)
  await up(client)
  await played(t, rigged.replay)
  t.equal(client.objectId('rawobj'), 0x0e6f2747)
  t.equal(client.objectId('test'), TEST_ID)
  t.same(rigged.lines.filter((l) => !l.startsWith('info: ubus: connected')), [
    'error: ubus: cannot publish rawobj: Invalid argument',
    'error: ubus: cannot publish test: No response',
    `warn: ubus: connection to ${rigged.replay.path} lost (closed by ubusd); reconnecting`,
    'info: ubus: published rawobj as object 0e6f2747',
    'info: ubus: published test as object 233acf04',
  ])
})

t.test('re-registers everything after the socket drops', async (t) => {
  const events: unknown[] = []
  const states: boolean[] = []
  const registerHex = reseq(LISTEN[4] as string, 3)
  const setup = (hello: string, added: string): Step[] => [
    sends(hello), expects(EXAMPLE[1] as string), sends(added), sends(EXAMPLE[3] as string),
    expects(EXAMPLE[4] as string), sends(reseq(LISTEN[2] as string, 2)), sends(EXAMPLE[6] as string), // anonymous object bef87595
    expects(registerHex), sends(reseq(LISTEN[5] as string, 3)),
  ]
  const rigged = await rig(t, [
    ...setup(EXAMPLE[0] as string, EXAMPLE[2] as string),
    expects(reseq(CALL_LOOKUP, 4)),
    { close: true },
    ...setup(RAW[0] as string, RAW[2] as string), // a new client id, and a new id for test (0e6f2747)
    sends(LISTEN[6] as string), expects(LISTEN[7] as string),
  ])
  const { client, replay, lines } = rigged
  client.onState((c) => { states.push(c) })
  client.publish(testObject())
  client.listen('rig.*', (...e) => { events.push(e) })
  await connect(client)
  t.equal(client.objectId('test'), TEST_ID)
  const again = up(client)
  const pending = client.call('test', 'count', {})
  await t.rejects(pending, { status: 10, message: 'Connection failed (call test.count)' }, 'the request in flight fails')
  await again
  await played(t, replay)
  t.equal(client.clientId, 0xf8175931)
  t.equal(client.objectId('test'), 0x0e6f2747, 'the new id')
  t.same(events, [['rig.test', { a: 1, b: 'two' }]], 'the listener works on the new connection')
  t.same(states, [true, false, true])
  t.same(lines, [
    `info: ubus: connected to ${replay.path} as client 953c0d37`,
    'info: ubus: published test as object 233acf04',
    `warn: ubus: connection to ${replay.path} lost (closed by ubusd); reconnecting`,
    `info: ubus: connected to ${replay.path} as client f8175931`,
    'info: ubus: published test as object 0e6f2747',
  ])
})

t.test('a drop while registering is retried quietly', async (t) => {
  const { client, replay, lines } = await rig(t, [
    sends(RAW[0] as string), expects(RAW[1] as string), { close: true },
    sends(EXAMPLE[0] as string), expects(RAW[1] as string), sends(RAW[2] as string), sends(RAW[3] as string),
    expects(EXAMPLE[4] as string), sends(EXAMPLE[5] as string), sends(EXAMPLE[6] as string),
    expects(frame(MsgType.INVOKE, 3, 1, [u32(Attr.OBJID, 1), str(Attr.METHOD, 'register'), data({ object: 0x6588a736, pattern: 'x' })])),
    sends(frame(MsgType.STATUS, 3, 1, [u32(Attr.STATUS, 0)])),
  ])
  const states: boolean[] = []
  client.onState((c) => { states.push(c) })
  client.publish(rawObject)
  client.listen('x', () => {})
  await connect(client)
  await played(t, replay)
  t.same(states, [true], 'connected once: the first connection never got there')
  t.same(lines.filter((l) => l.startsWith('error')), [], 'nothing refused')
})

t.test('serving: odd INVOKEs, failing handlers, and frames to ignore', async (t) => {
  const caller = 0x70fc3a21
  const invoke = (seq: number, attrs: MessageAttr[]): string => frame(MsgType.INVOKE, seq, caller, attrs)
  const status = (seq: number, code: number, objid = TEST_ID): string => frame(MsgType.STATUS, seq, caller, [u32(Attr.STATUS, code), u32(Attr.OBJID, objid)])
  const ran: string[] = []
  const obj = testObject({
    count: async (args) => { ran.push(`count ${JSON.stringify(args)}`); return { status: 0 } },
    hello: async () => { throw new Error('handler bug') },
    watch: async () => ({ status: 0, data: { big: 'x'.repeat(MAX_BLOB) } }),
  })
  const tooLarge = frame(MsgType.DATA, 7, caller, [u32(Attr.OBJID, TEST_ID), data({ message: REPLY_TOO_LARGE, error: true })])
  const ignored = [
    hexes('server_connection_drop', 2)[0], // NOTIFY active
    hexes('subscribe_notify_example_client', 2).at(-1), // UNSUBSCRIBE
    hexes('monitor', 26)[2], // MONITOR
    reseq(CALL_OK, 999), reseq(CALL_DATA, 999), // answers to nothing we asked
    CALL_HELLO, // a second HELLO
  ].join('')
  const { replay, client, lines } = await rig(t, [
    ...PUBLISH_TEST,
    sends(invoke(1, [u32(Attr.OBJID, 0x12345678), str(Attr.METHOD, 'x'), data({})])), expects(status(1, 4, 0x12345678)),
    sends(invoke(2, [u32(Attr.OBJID, TEST_ID), data({})])), expects(status(2, 2)), // no METHOD
    sends(invoke(3, [u32(Attr.OBJID, TEST_ID), str(Attr.METHOD, 'count')])), expects(status(3, 2)), // no DATA
    sends(invoke(4, [str(Attr.METHOD, 'count'), data({})])), // no OBJID: not answered
    sends(invoke(5, [{ id: Attr.NO_REPLY, kind: 'u8', value: 1 }, u32(Attr.OBJID, TEST_ID), str(Attr.METHOD, 'count'), data({ n: 5 })])),
    { send: invoke(6, [u32(Attr.OBJID, TEST_ID), str(Attr.METHOD, 'hello'), data({})]), chunk: 1 }, expects(status(6, 9)),
    sends(invoke(7, [u32(Attr.OBJID, TEST_ID), str(Attr.METHOD, 'watch'), data({})])), expects(tooLarge), expects(status(7, 9)),
    sends(ignored),
    sends(FWD_COUNT), expects(status(2, 0)),
  ])
  client.publish(obj)
  await connect(client)
  await played(t, replay)
  t.same(ran, ['count {"n":5}', 'count {"to":3,"string":"one two three"}'], 'NO_REPLY: run, not answered')
  t.equal(replay.received.length, 8, 'nothing else sent')
  t.equal(client.clientId, 0x953c0d37, 'the second HELLO changed nothing')
  t.match(lines.find((l) => l.startsWith('error')), /^error: ubus: test\.hello failed: Error: handler bug\n {4}at /)
  t.ok(lines.includes(`warn: ubus: the reply of test.watch is over ubusd's 1 MiB limit; answered "${REPLY_TOO_LARGE}" instead`))
  t.same(lines.filter((l) => l.startsWith('debug')), [
    'debug: ubus: ignored a message of type 10 from ubusd',
    'debug: ubus: ignored a message of type 9 from ubusd',
    'debug: ubus: ignored a message of type 11 from ubusd',
  ])
})

t.test('a slow handler blocks neither the socket nor other calls', async (t) => {
  let open: () => void = () => {}
  const gate = new Promise<void>((resolve) => { open = resolve })
  const obj = testObject({
    hello: async (args) => { await gate; return { status: 0, data: { message: `test received a message: ${args.msg as string}` } } },
    count: async () => ({ status: 0, data: { rc: 63 } }),
  })
  const [hello, helloData, helloStatus] = hexes('invoke_hello_deferred_fd', 2) as [string, string, string]
  const { replay, client } = await rig(t, [
    ...PUBLISH_TEST,
    sends(hello), sends(FWD_COUNT), expects(FWD_COUNT_DATA), expects(FWD_COUNT_STATUS),
    { run: () => { open() } }, expects(helloData), expects(helloStatus),
  ])
  client.publish(obj)
  await connect(client)
  await played(t, replay)
})

t.test('a reply for a connection gone is dropped', async (t) => {
  let open: () => void = () => {}
  const gate = new Promise<void>((resolve) => { open = resolve })
  let answered: () => void = () => {}
  const done = new Promise<void>((resolve) => { answered = resolve })
  const obj = testObject({
    hello: async () => { await gate; setImmediate(answered); return { status: 0, data: { late: true } } },
    count: async () => ({ status: 0, data: { rc: 63 } }),
  })
  const { replay, client } = await rig(t, [
    ...PUBLISH_TEST, sends(hexes('invoke_hello_deferred_fd', 2)[0] as string), { close: true },
    ...PUBLISH_TEST, { run: async () => { open(); await done } },
    sends(FWD_COUNT), expects(FWD_COUNT_DATA), expects(FWD_COUNT_STATUS),
  ])
  client.publish(obj)
  await connect(client)
  await played(t, replay)
  t.equal(replay.received.length, 4, 'two ADD_OBJECTs and the count reply')
})

t.test('requests time out, and a late answer is ignored', async (t) => {
  let first: Promise<unknown> | undefined
  const { replay, client } = await rig(t, [
    ...recorded('lookup_path', 5).slice(0, 2),
    { run: () => first },
    ...recorded('lookup_path', 5).slice(2),
    { expect: reseq(hexes('lookup_path', 5)[1] as string, 2) },
    { send: hexes('lookup_path', 5).slice(2).map((h) => reseq(h, 2)).join('') }, // coalesced
  ], { timeoutMs: 20 })
  await connect(client)
  first = t.rejects(client.lookup('test'), { status: 7, message: 'Request timed out (lookup test)' })
  await first
  t.match(await client.lookup('test'), [{ path: 'test', id: TEST_ID }], 'the next request gets its own answer')
  await played(t, replay)
})

t.test('not connected: requests fail at once', async (t) => {
  const { log } = recorder()
  const client = new UbusClient({ socketPath: 'nowhere.sock', log })
  const failed = { name: 'UbusError', code: 'UBUS', status: 10 }
  await t.rejects(client.lookup(), { ...failed, message: 'Connection failed (lookup *)' })
  await t.rejects(client.call('test', 'count'), { ...failed, message: 'Connection failed (call test.count)' })
  await t.rejects(client.sendEvent('rig.test', {}), { ...failed, message: 'Connection failed (send rig.test)' })
  t.equal(client.connected, false)
  t.equal(client.clientId, undefined)
  t.equal(client.objectId('test'), undefined)
  await client.close()
})

t.test('a missing socket: warned once, retried until ubusd is there', async (t) => {
  const { replay, client, lines, seen } = await rig(t, [...recorded('lookup_path', 5)], { listen: false })
  const ready = up(client)
  client.start()
  client.start() // a second start changes nothing
  await seen(/^debug: ubus: cannot connect/, 3)
  await replay.listen()
  await ready
  t.same(await client.lookup('test'), [{ path: 'test', id: TEST_ID, type: 0x3355aba5, signature: { hello: { id: 5, msg: 3 }, watch: { id: 5, counter: 5 }, count: { to: 5, string: 3 } } }])
  await played(t, replay)
  t.equal(replay.connections, 1)
  t.equal(lines[0], `warn: ubus: cannot connect to ${replay.path} (ENOENT); retrying in the background`)
  t.equal(lines.filter((l) => l.startsWith('warn')).length, 1, 'one warning')
  t.match(lines[1], new RegExp(`^debug: ubus: cannot connect to ${replay.path} \\(ENOENT\\); retrying in \\d+ ms$`))
})

t.test('an optional ubusd that is not there is info, not a warning', async (t) => {
  const lines: string[] = []
  const client = new UbusClient({ socketPath: join(shortTestDir(t), 'none.sock'), log: createLogger((l) => { lines.push(l) }, 'debug'), optional: true, backoff: { minMs: 1, maxMs: 2 } })
  client.start()
  while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 5))
  await client.close()
  t.match(lines[0], /^info: ubus: no ubusd at .*none\.sock \(ENOENT\); connecting when it appears$/)
  t.match(lines[1], /^debug: ubus: cannot connect to /)
})

t.test('closed before HELLO: cannot connect, then retried', async (t) => {
  const { replay, client, lines } = await rig(t, [{ close: true }, ...recorded('lookup_path', 5)])
  await connect(client)
  t.same(await client.lookup('test'), [{ path: 'test', id: TEST_ID, type: 0x3355aba5, signature: { hello: { id: 5, msg: 3 }, watch: { id: 5, counter: 5 }, count: { to: 5, string: 3 } } }])
  await played(t, replay)
  t.equal(lines[0], `warn: ubus: cannot connect to ${replay.path} (closed by ubusd); retrying in the background`)
})

t.test('a frame that lies: the connection is dropped and made again', async (t) => {
  let seen: Rig['seen'] | undefined
  // Each bad frame goes once the HELLO before it was taken (the two could come in one read).
  const connected = (n: number): Step => ({ run: () => seen?.(/^info: ubus: connected/, n) })
  const rigged = await rig(t, [
    sends(CALL_HELLO), connected(1), sends('000000000000000000100001'), { close: true }, // a blob over 1 MiB
    sends(RAW[0] as string), connected(2), sends('00000000000000000000000801000010'), { close: true }, // an attribute past its end
    ...recorded('lookup_path', 5),
  ])
  const { replay, client, lines } = rigged
  seen = rigged.seen
  let ups = 0
  const third = new Promise<void>((resolve) => { client.onState((c) => { if (c && ++ups === 3) resolve() }) })
  client.start()
  await third
  t.equal(client.clientId, 0xf3099fab)
  t.match(await client.lookup('test'), [{ path: 'test' }])
  await played(t, replay)
  t.same(lines.filter((l) => l.startsWith('warn')), [
    `warn: ubus: connection to ${replay.path} lost (bad frame: frame blob of 1048577 bytes is over 1 MiB); reconnecting`,
    `warn: ubus: connection to ${replay.path} lost (bad frame: attribute of 16 bytes at byte 0 runs past its container); reconnecting`,
  ])
})

t.test('answers that lack what they should have', async (t) => {
  const lookup = (seq: number): string => reseq(CALL_LOOKUP, seq)
  const empty = (seq: number): string => frame(MsgType.DATA, seq, 0, [])
  const status = (seq: number, code: number, peer = 0): string => frame(MsgType.STATUS, seq, peer, [u32(Attr.STATUS, code)])
  const send = (seq: number): string => frame(MsgType.INVOKE, seq, 1, [u32(Attr.OBJID, 1), str(Attr.METHOD, 'send'), data({ id: 'x', data: {} })])
  const { replay, client } = await rig(t, [
    sends(CALL_HELLO),
    expects(lookup(1)), sends(empty(1)), sends(status(1, 0)), // a DATA without attributes
    expects(lookup(2)), sends(status(2, 0)), // found nothing, yet OK
    expects(lookup(3)), sends(reseq(CALL_FOUND, 3)), sends(reseq(CALL_OK, 3)),
    expects(reseq(CALL_INVOKE, 4)), sends(reseq(CALL_STATUS, 4)), // no DATA
    expects(lookup(5)), sends(reseq(CALL_FOUND, 5)), sends(reseq(CALL_OK, 5)),
    expects(reseq(CALL_INVOKE, 6)),
    sends(frame(MsgType.DATA, 6, TEST_ID, [u32(Attr.OBJID, TEST_ID), data({ a: 1 })])),
    sends(frame(MsgType.DATA, 6, TEST_ID, [u32(Attr.OBJID, TEST_ID)])),
    sends(reseq(CALL_DATA, 6)), sends(reseq(CALL_STATUS, 6)),
    expects(send(7)), sends(status(7, 42, 1)),
    expects(send(8)), sends(frame(MsgType.STATUS, 8, 1, [])),
  ])
  await connect(client)
  t.same(await client.lookup('test'), [{ path: '', id: 0, type: 0, signature: {} }])
  await t.rejects(client.call('test', 'count', { to: 3, string: 'one two three' }), { status: 4, message: 'Not found (call test.count)' })
  t.equal(await client.call('test', 'count', { to: 3, string: 'one two three' }), undefined, 'no DATA: undefined')
  t.same(await client.call('test', 'count', { to: 3, string: 'one two three' }), { a: 1, rc: 63 }, 'several DATA: merged')
  await t.rejects(client.sendEvent('x', {}), { status: 42, message: 'Status 42 (send x)' })
  await t.rejects(client.sendEvent('x', {}), { status: 9, message: 'Unknown error (send x)' })
  await played(t, replay)
})

t.test('close: pending requests fail, nothing is left running', async (t) => {
  let client: UbusClient | undefined
  let closed: Promise<void> | undefined
  const rigged = await rig(t, [sends(CALL_HELLO), expects(CALL_LOOKUP), { run: () => { closed = client?.close() } }])
  client = rigged.client
  client.onState(() => { throw new Error('state bug') })
  await connect(client)
  t.match(rigged.lines, [/^info/, /^error: ubus: a connection state callback failed: Error: state bug\n/])
  await t.rejects(client.call('test', 'count'), { status: 10, message: 'Connection failed (call test.count)' })
  await played(t, rigged.replay)
  await closed
  t.equal(client.connected, false)
  await client.close()
  t.equal(rigged.lines.length, 2, 'close() is not reported as a lost connection')
})

t.test('close while waiting to retry', async (t) => {
  const { client, seen } = await rig(t, [], { listen: false })
  client.start()
  await seen(/^warn: ubus: cannot connect/)
  await client.close()
  t.equal(client.connected, false)
})

t.test('UbusError', async (t) => {
  const e = new UbusError(4)
  t.ok(e instanceof Error)
  t.match(e, { name: 'UbusError', code: 'UBUS', status: 4, message: 'Not found' })
})
