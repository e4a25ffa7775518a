/**
 * ubus: the daemon's own ubusd client and codec.
 *
 * 1. Calls per second of `hotspot get_active_guests` through src/ubus/client.ts. A fake ubusd runs
 *    in a worker thread (its own event loop and core) on a unix socket in a temp dir, speaking the
 *    protocol with our codec: it greets each client with HELLO, answers ADD_OBJECT as ubusd does
 *    (DATA with the object id and type, then STATUS 0), and, for a measured round, sends the
 *    INVOKE frames ubusd forwards for `ubus call hotspot get_active_guests` (OBJID, METHOD, USER,
 *    GROUP, empty DATA; caller peer id and seq as ubusd sets them), keeping 8 in flight and
 *    counting each STATUS that comes back, for 1 s. The subject is the daemon's UbusClient with
 *    the daemon's `hotspot` object (ubus/bridge over the action table): the call is dispatched,
 *    get_active_guests asks the openNDS backend, which reads an `ndsctl json` of 50 clients (the
 *    recorded client replicated: 40 voucher sessions, 5 of another portal user, 5 waiting) through
 *    the real parser, without spawning ndsctl, looks each voucher login up in a real SQLite store,
 *    and the reply is encoded as DATA + STATUS. Baseline, on the same fake ubusd, alternately: a
 *    minimal responder on its own connection that publishes an object with the same signature and
 *    answers each INVOKE with pre-encoded DATA + STATUS frames of the same reply (seq and peer
 *    patched in), with no decoding and no object model: the protocol floor. Ratio reported. In
 *    raw, a third leg run in the baseline's turn: the same UbusClient serving an object whose
 *    method answers the same reply object at once (the client and codec without the action).
 * 2. Codec throughput, MB/s of ubus frame bytes, encode and decode, against JSON.stringify /
 *    JSON.parse of the same data, alternately:
 *    - a get_voucher_users-like reply of 1,000 voucher rows (seed spelling, via actions/rows'
 *      seedRow) as the client sends it: tableFromJson + encodeMessage of a DATA frame; decoded
 *      as a caller reads it: decodeMessage + tableToJson. Baseline: JSON.stringify of the same
 *      object, JSON.parse of that text.
 *    - every recorded frame in test/fixtures/ubus/ (ubus-vectors.json and ubus-vectors-jsonrpc.json):
 *      encodeMessage / decodeMessage between the typed message and its bytes. Baseline: the same
 *      typed messages as JSON (int64 as strings, raw bytes as base64) through JSON.stringify /
 *      JSON.parse. Two frames of the recording carry a ~580 KB string and make up most of the
 *      bytes; the small frames' own figures are in raw.
 *    Both sides are counted in the frame's bytes (so the ratio is the speed ratio on the same
 *    data); JSON's MB/s of its own text is in raw.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { alternate, median, report, round } from './lib'
import { actions } from '../src/actions'
import type { ActionContext } from '../src/actions/spec'
import { seedRow } from '../src/actions/rows'
import { createOpenNdsBackend } from '../src/backend/opennds'
import { parseNdsClients } from '../src/backend/nds-json'
import type { Ndsctl } from '../src/backend/ndsctl'
import { createLogger } from '../src/log'
import { openStore, type Store } from '../src/store/db'
import type { VoucherRow } from '../src/store/vouchers'
import { tableFromJson, tableToJson, type BlobmsgNode } from '../src/ubus/blobmsg'
import { hotspotObject } from '../src/ubus/bridge'
import { UbusClient } from '../src/ubus/client'
import { Attr, attrOf, decodeMessage, encodeMessage, MsgType, type MessageAttr, type UbusMessage } from '../src/ubus/message'
import { UbusStatus } from '../src/ubus/object'
import { signatureOf } from '../src/ubus/signature'
import { daemonInfo, memoryAdmin } from '../test/fixtures/context'
import { VECTORS } from '../test/fixtures/ubus-frames'

const u32 = (id: number, value: number): MessageAttr => ({ id, kind: 'u32', value })
const str = (id: number, value: string): MessageAttr => ({ id, kind: 'string', value })
const blobmsg = (id: number, value: BlobmsgNode[]): MessageAttr => ({ id, kind: 'blobmsg', value })
const frame = (type: number, seq: number, peer: number, attrs: MessageAttr[] = []): Buffer => encodeMessage({ version: 0, type, seq, peer, attrs })

/** Cuts a byte stream into frames by their header alone (8-byte header, then the blob's length word). */
const splitter = (onFrame: (f: Buffer) => void): ((chunk: Buffer) => void) => {
  let pending: Buffer = Buffer.alloc(0)
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 12) {
      const length = 8 + (pending.readUInt32BE(8) & 0xffffff)
      if (pending.length < length) break
      onFrame(pending.subarray(0, length))
      pending = pending.subarray(length)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The fake ubusd (worker thread)

/** The peer id ubusd puts on INVOKEs it forwards from `ubus call` (the caller's client id). */
const CALLER = 0xcafe0001
const WINDOW = 8

interface RunOrder { path: string; ms: number; window: number }
interface RunResult { calls: number; seconds: number; replyBytes: number; bad: number }

const fakeUbusd = (path: string): void => {
  const port = parentPort as NonNullable<typeof parentPort>
  interface Conn { socket: Socket; onStatus: ((f: Buffer) => void) | undefined; bytes: number }
  const objects = new Map<string, { conn: Conn; id: number }>()
  let nextClient = 0x11111111
  let nextObject = 0x233acf04
  const server = createServer((socket) => {
    const conn: Conn = { socket, onStatus: undefined, bytes: 0 }
    socket.on('error', () => {})
    socket.on('data', splitter((f) => {
      conn.bytes += f.length
      const type = f[1]
      if (type === MsgType.STATUS && conn.onStatus !== undefined) return conn.onStatus(f)
      if (type !== MsgType.ADD_OBJECT) return
      const m = decodeMessage(f)
      const objPath = attrOf(m, Attr.OBJPATH)
      const id = nextObject++
      if (objPath?.kind === 'string') objects.set(objPath.value, { conn, id })
      socket.write(Buffer.concat([
        frame(MsgType.DATA, m.seq, 0, [u32(Attr.OBJID, id), u32(Attr.OBJTYPE, 0x3355aba5)]),
        frame(MsgType.STATUS, m.seq, 0, [u32(Attr.STATUS, 0)]),
      ]))
    }))
    socket.write(frame(MsgType.HELLO, 0, nextClient++))
  })
  port.on('message', (order: RunOrder) => {
    const obj = objects.get(order.path)
    if (obj === undefined) throw new Error(`no object ${order.path} on the fake ubusd`)
    const { conn, id } = obj
    const invoke = frame(MsgType.INVOKE, 0, CALLER, [
      u32(Attr.OBJID, id), str(Attr.METHOD, 'get_active_guests'), str(Attr.USER, 'root'), str(Attr.GROUP, 'root'), blobmsg(Attr.DATA, []),
    ])
    let seq = 0
    let outstanding = 0
    let calls = 0
    let bad = 0
    const bytes0 = conn.bytes
    const send = (): void => {
      seq = (seq % 0xffff) + 1
      const f = Buffer.from(invoke)
      f.writeUInt16BE(seq, 2)
      outstanding++
      conn.socket.write(f)
    }
    const start = performance.now()
    const deadline = start + order.ms
    let last = start
    conn.onStatus = (f) => {
      outstanding--
      const now = performance.now()
      if (f.readUInt32BE(4) !== CALLER || decodeMessage(f).attrs.some((a) => a.id === Attr.STATUS && a.value !== UbusStatus.OK)) bad++
      if (now <= deadline) {
        calls++
        last = now
        send()
      } else if (outstanding === 0) {
        conn.onStatus = undefined
        const result: RunResult = { calls, seconds: (last - start) / 1000, replyBytes: conn.bytes - bytes0, bad }
        port.postMessage(result)
      }
    }
    for (let i = 0; i < order.window; i++) send()
  })
  server.listen(path, () => { port.postMessage('listening') })
}

// ---------------------------------------------------------------------------------------------
// Main thread

const dirs: string[] = []
const stores: Store[] = []
let worker: Worker | undefined
const cleanup = (): void => {
  for (const s of stores.splice(0)) { try { s.close() } catch { /* closed */ } }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
}
if (isMainThread) {
  process.on('exit', cleanup)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { void worker?.terminate(); cleanup(); process.exit(1) })
}

const log = createLogger((line) => { console.error(line) }, 'warn')
const gc = (): void => { (globalThis as { gc?: () => void }).gc?.() }

/** The fixture's wall clock: 3 s after its session started. */
const T0 = 1_795_442_880
const hex2 = (n: number): string => n.toString(16).padStart(2, '0')

/** `ndsctl json` of `n` clients, replicating the recorded authenticated and preauthenticated entries; customs from `customOf(i)`. */
const ndsText = (n: number, customOf: (i: number) => string | undefined): string => {
  type Raw = Record<string, string>
  const recorded = JSON.parse(readFileSync('test/fixtures/opennds/ndsctl-json-after-traffic.json', 'utf8')) as { clients: Record<string, Raw> }
  const [authed, preauth] = Object.values(recorded.clients) as [Raw, Raw]
  const entries: Raw[] = []
  for (let i = 0; i < n; i++) {
    const mac = `02:78:00:00:${hex2(i >> 8)}:${hex2(i & 0xff)}`
    const token = ((0x0ccd12cb + i * 0x9e3779b1) >>> 0).toString(16).padStart(8, '0')
    const ip = `10.77.${1 + (i >> 8)}.${i & 0xff}`
    const custom = customOf(i)
    entries.push(custom === undefined
      ? { ...preauth, mac, ip, token }
      : { ...authed, mac, ip, token, custom, session_start: String(T0 - 3600 + i * 37), download_this_session: String(3071 + i * 5113), upload_this_session: String(1073 + i * 331) })
  }
  const body = entries.map((e) => `    "${e.mac as string}":{\n${Object.entries(e).map(([k, v]) => `      "${k}":"${v}"`).join(',\n')}\n    }`)
  return `{\n  "client_list_length":"${entries.length}",\n  "clients":{\n${body.join(',\n')}\n  }\n}\n`
}

/** The daemon's action context on a real store, with the openNDS backend reading `text` instead of running ndsctl. */
const daemonContext = (): { ctx: ActionContext; online: number } => {
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-bench-ubus-'))
  dirs.push(dir)
  const store = openStore(dir, log, 'native')
  stores.push(store)
  const ids = store.db.transaction(() => Array.from({ length: 40 }, (_, i) => store.vouchers.insert({
    username: `guest${String(i).padStart(4, '0')}`, passcode: 'secret-passcode', fullname: `Guest ${i}`, valid_for: '1 day',
    valid_from: T0 - 7200, created_at: T0 - 7200, download_limit: 0, upload_limit: 0,
  }).id))
  const text = ndsText(50, (i) => i < 40 ? `hs-v${ids[i] as number}` : i < 45 ? `voucher=RIG-${i}` : undefined)
  const ndsctl = { clients: async () => parseNdsClients(text) } as unknown as Ndsctl
  const unused = (): never => { throw new Error('not used by get_active_guests') }
  const backend = createOpenNdsBackend({
    ndsctl, log, now: () => T0 + 600,
    loginOf: ({ kind, id }) => kind === 'voucher' ? store.vouchers.byId(id)?.username : store.guestUsers.identityOf(kind, id),
    hostSources: unused, guestDevices: unused, interfaces: unused,
  })
  const ctx: ActionContext = {
    store, backend, log, now: () => new Date((T0 + 600) * 1000), defaultValidFor: () => '1 day',
    daemon: daemonInfo(), admin: memoryAdmin(), emit: () => {},
  }
  return { ctx, online: parseNdsClients(text).filter((c) => c.state === 'Authenticated').length }
}

/** The protocol floor: HELLO → ADD_OBJECT `path`; each INVOKE answered with `reply` (DATA + STATUS) with its seq and peer patched in. */
const floorResponder = (socketPath: string, path: string, signature: BlobmsgNode[], replyData: BlobmsgNode[]): Promise<Socket> => new Promise((resolve, reject) => {
  const socket = createConnection({ path: socketPath })
  socket.on('error', reject)
  let reply: Buffer | undefined
  let second = 0
  socket.on('data', splitter((f) => {
    const type = f[1]
    if (type === MsgType.INVOKE && reply !== undefined) {
      const out = Buffer.from(reply)
      const seq = f.readUInt16BE(2)
      const peer = f.readUInt32BE(4)
      out.writeUInt16BE(seq, 2)
      out.writeUInt32BE(peer, 4)
      out.writeUInt16BE(seq, second + 2)
      out.writeUInt32BE(peer, second + 4)
      socket.write(out)
    } else if (type === MsgType.HELLO) {
      socket.write(frame(MsgType.ADD_OBJECT, 1, 0, [str(Attr.OBJPATH, path), blobmsg(Attr.SIGNATURE, signature)]))
    } else if (type === MsgType.DATA) {
      const id = attrOf(decodeMessage(f), Attr.OBJID)?.value as number
      const data = frame(MsgType.DATA, 0, 0, [u32(Attr.OBJID, id), blobmsg(Attr.DATA, replyData)])
      second = data.length
      reply = Buffer.concat([data, frame(MsgType.STATUS, 0, 0, [u32(Attr.STATUS, 0), u32(Attr.OBJID, id)])])
    } else if (type === MsgType.STATUS) {
      resolve(socket)
    }
  }))
})

const callsPerSecond = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'hotspotd-bench-ubusd-'))
  dirs.push(dir)
  const socketPath = join(dir, 'ubus.sock')
  worker = new Worker(__filename, { workerData: { ubusd: socketPath } })
  const w = worker
  w.on('error', (err) => { console.error(err); process.exit(1) })
  await new Promise<void>((resolve) => { w.once('message', () => { resolve() }) })

  const { ctx, online } = daemonContext()
  const hotspot = hotspotObject(actions, ctx)
  const client = new UbusClient({ socketPath, log })
  const up = new Promise<void>((resolve) => { client.onState((c) => { if (c) resolve() }) })
  client.publish(hotspot)
  client.start()
  await up

  // The reply the daemon gives, once, for the floor to send pre-encoded.
  const method = hotspot.methods.get('get_active_guests')
  if (method === undefined) throw new Error('no get_active_guests')
  const reply = await method.handler({}, { user: 'root', group: 'root' })
  const rows = (reply.data as { data: unknown[] }).data.length
  if (reply.status !== UbusStatus.OK || rows !== online) throw new Error(`get_active_guests answered ${reply.status} with ${rows} rows, expected ${online}`)
  const floor = await floorResponder(socketPath, 'floor', signatureOf(hotspot.methods), tableFromJson(reply.data ?? {}))
  // For raw: the same client serving an object whose method answers the same reply object at
  // once (no dispatch, no backend): what of the daemon's cost is the ubus client and codec.
  const replied = reply.data
  client.publish({ path: 'canned', methods: new Map([['get_active_guests', { policy: {}, handler: async () => ({ status: UbusStatus.OK, data: replied }) }]]) })
  while (client.objectId('canned') === undefined) await new Promise((resolve) => setTimeout(resolve, 5))

  const run = (path: string, ms: number): Promise<RunResult> => new Promise((resolve) => {
    w.once('message', (r: RunResult) => { resolve(r) })
    w.postMessage({ path, ms, window: WINDOW } satisfies RunOrder)
  })
  // Warm up both (JIT, the store's statement cache).
  await run('hotspot', 500)
  await run('floor', 300)
  await run('canned', 300)
  const results: { subject: RunResult[]; baseline: RunResult[]; canned: RunResult[] } = { subject: [], baseline: [], canned: [] }
  const ROUNDS = 7
  const rounds = await alternate(ROUNDS, async () => {
    gc()
    const r = await run('hotspot', 1000)
    results.subject.push(r)
    return r.calls / r.seconds
  }, async () => {
    gc()
    results.canned.push(await run('canned', 1000))
    gc()
    const r = await run('floor', 1000)
    results.baseline.push(r)
    return r.calls / r.seconds
  })
  const bad = [...results.subject, ...results.baseline, ...results.canned].reduce((n, r) => n + r.bad, 0)
  if (bad > 0) throw new Error(`${bad} calls answered with an error status`)
  const value = median(rounds.subject)
  const baseline = median(rounds.baseline)
  const perCall = (rs: RunResult[]): number => rs.reduce((n, r) => n + r.replyBytes, 0) / rs.reduce((n, r) => n + r.calls, 0)
  report({
    name: `ubus calls/s of hotspot get_active_guests (${rows} live sessions) through the daemon's ubus client, ${WINDOW} in flight`,
    unit: 'calls/s',
    value: round(value),
    baseline: round(baseline),
    baselineName: 'pre-encoded DATA+STATUS responder on the same fake ubusd (protocol floor)',
    target: 'reported',
    ratio: round(value / baseline),
    met: true,
    raw: {
      'hotspotd calls/s': rounds.subject.map(round),
      'floor calls/s': rounds.baseline.map(round),
      'the client with a canned reply (no dispatch, no backend) calls/s': results.canned.map((r) => round(r.calls / r.seconds)),
      'hotspotd bytes sent per call (DATA+STATUS)': round(perCall(results.subject)),
      'floor bytes sent per call (DATA+STATUS)': round(perCall(results.baseline)),
      'canned bytes sent per call (DATA+STATUS)': round(perCall(results.canned)),
      'ndsctl json clients': 50,
      window: WINDOW,
      'seconds per round': 1,
    },
  })

  floor.destroy()
  await client.close()
  await w.terminate()
  worker = undefined
}

// ---------------------------------------------------------------------------------------------
// Codec throughput

const MB = 1e6

/** Runs `op` repeatedly for about `ms`; seconds per call. */
const timed = (op: () => void, iterations: number): number => {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) op()
  return Number(process.hrtime.bigint() - t0) / 1e9 / iterations
}

/** How many calls of `op` take about `ms`. */
const calibrate = (op: () => void, ms: number): number => {
  const once = timed(op, 3)
  return Math.max(3, Math.ceil(ms / 1000 / once))
}

let sink = 0

interface CodecCase {
  what: string
  /** Frame bytes per op (both sides are counted in them). */
  frameBytes: number
  /** JSON text bytes per op, for raw. */
  jsonBytes: number
  encode: () => void
  decode: () => void
  jsonEncode: () => void
  jsonDecode: () => void
  /** Optional second measure in raw (the recording's small frames). */
  extra?: { name: string; frameBytes: number; jsonBytes: number; encode: () => void; decode: () => void; jsonEncode: () => void; jsonDecode: () => void }
}

const codecFigures = async (c: CodecCase): Promise<void> => {
  const ROUNDS = 7
  for (const dir of ['encode', 'decode'] as const) {
    const subject = dir === 'encode' ? c.encode : c.decode
    const base = dir === 'encode' ? c.jsonEncode : c.jsonDecode
    const n = calibrate(subject, 200)
    const nb = calibrate(base, 200)
    const extra = c.extra
    const ex = extra === undefined ? undefined : { s: dir === 'encode' ? extra.encode : extra.decode, b: dir === 'encode' ? extra.jsonEncode : extra.jsonDecode }
    const en = ex === undefined ? 0 : calibrate(ex.s, 50)
    const enb = ex === undefined ? 0 : calibrate(ex.b, 50)
    const extraS: number[] = []
    const extraB: number[] = []
    const rounds = await alternate(ROUNDS, async () => {
      gc()
      if (ex !== undefined && extra !== undefined) extraS.push(round(extra.frameBytes / timed(ex.s, en) / MB))
      return c.frameBytes / timed(subject, n) / MB
    }, async () => {
      gc()
      if (ex !== undefined && extra !== undefined) extraB.push(round(extra.frameBytes / timed(ex.b, enb) / MB))
      return c.frameBytes / timed(base, nb) / MB
    })
    const value = median(rounds.subject)
    const baseline = median(rounds.baseline)
    const raw: Record<string, number[] | number | string> = {
      'hotspotd MB/s': rounds.subject.map(round),
      [`JSON.${dir === 'encode' ? 'stringify' : 'parse'} MB/s (frame bytes)`]: rounds.baseline.map(round),
      [`JSON.${dir === 'encode' ? 'stringify' : 'parse'} MB/s of its own text`]: rounds.baseline.map((x) => round(x * c.jsonBytes / c.frameBytes)),
      'frame bytes per op': c.frameBytes,
      'JSON bytes per op': c.jsonBytes,
    }
    if (extra !== undefined) {
      raw[`${extra.name}: hotspotd MB/s`] = extraS
      raw[`${extra.name}: JSON MB/s (frame bytes)`] = extraB
      raw[`${extra.name}: frame bytes`] = extra.frameBytes
    }
    report({
      name: `ubus codec ${dir}, ${c.what}, MB/s of frame bytes`,
      unit: 'MB/s',
      value: round(value),
      baseline: round(baseline),
      baselineName: `JSON.${dir === 'encode' ? 'stringify' : 'parse'} of the same data`,
      target: 'reported',
      ratio: round(value / baseline),
      met: true,
      raw,
    })
  }
}

/** A get_voucher_users-like reply: `n` voucher rows in the seed's spelling. */
const voucherUsers = (n: number): Record<string, unknown> => {
  const rows: Array<Record<string, unknown>> = []
  for (let i = 1; i <= n; i++) {
    const used = i % 3 !== 0
    const v: VoucherRow = {
      id: i, username: `guest${String(i).padStart(5, '0')}`, passcode: `pw${(i * 7919).toString(36)}x`, fullname: i % 5 === 0 ? '' : `Guest Number ${i}`,
      valid_for: i % 4 === 0 ? 'always' : `${1 + (i % 7)} days`, valid_from: T0 - 86400 + i * 60, created_at: T0 - 86400 + i * 60, last_modified: T0 - 86400 + i * 60,
      first_login: used ? T0 - 3600 + i : null, last_login: used ? T0 - 60 + i : null, mac: used ? `02:78:00:00:${hex2(i >> 8)}:${hex2(i & 0xff)}`.toUpperCase() : null,
      download_limit: i % 2 === 0 ? 0 : 1024, upload_limit: i % 2 === 0 ? 0 : 256,
    }
    rows.push(seedRow(v, { passcode: 'password' }))
  }
  return { users: rows }
}

/** A typed message as plain JSON: blobmsg trees as {type, name, value}, int64 as a string, raw bytes as base64. */
const nodeJson = (n: BlobmsgNode): unknown => ({
  type: n.type, name: n.name,
  value: Array.isArray(n.value) ? n.value.map(nodeJson) : typeof n.value === 'bigint' ? n.value.toString() : n.value,
})
const messageJson = (m: UbusMessage): unknown => ({
  version: m.version, type: m.type, seq: m.seq, peer: m.peer,
  attrs: m.attrs.map((a) => ({
    id: a.id, kind: a.kind,
    value: a.kind === 'blobmsg' ? a.value.map(nodeJson) : a.kind === 'raw' ? a.value.toString('base64') : a.value,
  })),
})

const codec = async (): Promise<void> => {
  // The 1,000-row reply, the way the client encodes a reply and a caller decodes one.
  const data = voucherUsers(1000)
  const objid = 0x233acf04
  const encodeReply = (): Buffer => frame(MsgType.DATA, 7, CALLER, [u32(Attr.OBJID, objid), blobmsg(Attr.DATA, tableFromJson(data))])
  const bytes = encodeReply()
  const json = JSON.stringify(data)
  const decoded = tableToJson(attrOf(decodeMessage(bytes), Attr.DATA)?.value as BlobmsgNode[])
  if (JSON.stringify(decoded) !== json) throw new Error('the reply does not round-trip through the codec')
  await codecFigures({
    what: 'a get_voucher_users reply of 1,000 rows (JSON ⇄ DATA frame)',
    frameBytes: bytes.length,
    jsonBytes: Buffer.byteLength(json),
    encode: () => { sink += encodeReply().length },
    decode: () => { sink += Object.keys(tableToJson(attrOf(decodeMessage(bytes), Attr.DATA)?.value as BlobmsgNode[])).length },
    jsonEncode: () => { sink += JSON.stringify(data).length },
    jsonDecode: () => { sink += Object.keys(JSON.parse(json) as object).length },
  })

  // Every recorded frame.
  const frames = VECTORS.map((v) => Buffer.from(v.hex, 'hex'))
  const messages = frames.map(decodeMessage)
  frames.forEach((f, i) => { if (!encodeMessage(messages[i] as UbusMessage).equals(f)) throw new Error(`recorded frame ${i} does not round-trip`) })
  const texts = messages.map((m) => JSON.stringify(messageJson(m)))
  const small = frames.map((_f, i) => i).filter((i) => (frames[i] as Buffer).length < 64 * 1024)
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
  const smallMessages = small.map((i) => messages[i] as UbusMessage)
  const smallFrames = small.map((i) => frames[i] as Buffer)
  const smallTexts = small.map((i) => texts[i] as string)
  const smallJson = smallMessages.map(messageJson)
  const allJson = messages.map(messageJson)
  await codecFigures({
    what: `the ${frames.length} recorded frames (typed message ⇄ bytes)`,
    frameBytes: sum(frames.map((f) => f.length)),
    jsonBytes: sum(texts.map((t) => Buffer.byteLength(t))),
    encode: () => { for (const m of messages) sink += encodeMessage(m).length },
    decode: () => { for (const f of frames) sink += decodeMessage(f).attrs.length },
    jsonEncode: () => { for (const j of allJson) sink += JSON.stringify(j).length },
    jsonDecode: () => { for (const t of texts) sink += (JSON.parse(t) as { attrs: unknown[] }).attrs.length },
    extra: {
      name: `the ${small.length} frames under 64 KiB`,
      frameBytes: sum(smallFrames.map((f) => f.length)),
      jsonBytes: sum(smallTexts.map((t) => Buffer.byteLength(t))),
      encode: () => { for (const m of smallMessages) sink += encodeMessage(m).length },
      decode: () => { for (const f of smallFrames) sink += decodeMessage(f).attrs.length },
      jsonEncode: () => { for (const j of smallJson) sink += JSON.stringify(j).length },
      jsonDecode: () => { for (const t of smallTexts) sink += (JSON.parse(t) as { attrs: unknown[] }).attrs.length },
    },
  })
  if (sink === 0) throw new Error('nothing measured')
}

const main = async (): Promise<void> => {
  await callsPerSecond()
  await codec()
}

if (isMainThread) {
  main().then(() => { cleanup() }, async (err: unknown) => {
    console.error(err)
    await worker?.terminate()
    cleanup()
    process.exit(1)
  })
} else {
  fakeUbusd((workerData as { ubusd: string }).ubusd)
}
