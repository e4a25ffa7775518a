/**
 * @module ubus/client
 * hotspotd's side of the ubus socket, in place of libubus. It connects to ubusd (which speaks
 * first, with a HELLO naming our client id), publishes objects and serves the INVOKEs ubusd
 * forwards to them, listens for events, and makes requests of its own: lookup, call, send.
 *
 * The connection is kept up for good: when it drops, or cannot be opened, it is tried again
 * after a growing, jittered delay, and every published object and event pattern is registered
 * anew on the new connection (ubusd forgets them with the old one). Replies are matched to
 * requests by (seq, peer); seq counts from 1 on each connection as in libubus, so what we send
 * is byte for byte what the ubus CLI and libubus servers send.
 */
import { createConnection, type Socket } from 'node:net'
import { once } from 'node:events'
import { errorCode, REPLY_TOO_LARGE, stackOf } from '../errors'
import type { Logger } from '../log'
import { tableFromJson, tableToJson, type BlobmsgNode } from './blobmsg'
import { Attr, attrOf, encodeMessage, FrameReader, MsgType, type MessageAttr, type UbusMessage } from './message'
import { STATUS_TEXT, UbusStatus, type UbusObject, type UbusReply } from './object'
import { signatureOf } from './signature'

/** ubusd's event hub: the system object that takes `send` and `register`. */
const EVENT_HUB = 1

/** A ubus request that failed: `status` is the UBUS_STATUS_* code, the message its CLI text. */
export class UbusError extends Error {
  readonly code = 'UBUS'
  override readonly name = 'UbusError'
  readonly status: number

  /** @example new UbusError(UbusStatus.NOT_FOUND, 'call nosuch.hello') // "Not found (call nosuch.hello)" */
  constructor (status: number, context?: string) {
    const text = STATUS_TEXT[status] ?? `Status ${status}`
    super(context === undefined ? text : `${text} (${context})`)
    this.status = status
  }
}

export interface UbusClientOptions {
  /** ubusd's socket, usually /var/run/ubus/ubus.sock. */
  socketPath: string
  log: Logger
  /** How long a request may wait for its answer; then it fails with TIMEOUT. Default 10 s. */
  timeoutMs?: number
  /** Delays between connection attempts: from minMs, doubling up to maxMs, jittered. Default 500 ms to 30 s. */
  backoff?: { minMs: number; maxMs: number }
  /**
   * ubusd may well be absent (a host without OpenWrt, where the built-in /ubus serves): not
   * reaching it at start is then said at info level, not as a warning.
   */
  optional?: boolean
}

/** One object as LOOKUP lists it. */
export interface LookupEntry {
  path: string
  id: number
  /** The object's type id. */
  type: number
  /** Method name to argument name to blobmsg type. */
  signature: Record<string, Record<string, number>>
}

/** What an answer's attributes hold, by the kind the codec gives them. */
interface Values { u32: number; u8: number; string: string; blobmsg: BlobmsgNode[]; ids: number[]; raw: Buffer }

/** The value of `m`'s attribute `id` when it is there and of the expected kind. */
const valueOf = <K extends keyof Values>(m: UbusMessage, id: number, kind: K): Values[K] | undefined => {
  const a = attrOf(m, id)
  return a?.kind === kind ? a.value as Values[K] : undefined
}

const u32 = (id: number, value: number): MessageAttr => ({ id, kind: 'u32', value })
const str = (id: number, value: string): MessageAttr => ({ id, kind: 'string', value })
const blobmsg = (id: number, value: BlobmsgNode[]): MessageAttr => ({ id, kind: 'blobmsg', value })
const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0')

/** ubusd's pattern match for event names: exact, or a prefix when the pattern ends in `*`. */
const matches = (pattern: string, event: string): boolean =>
  pattern.endsWith('*') ? event.startsWith(pattern.slice(0, -1)) : event === pattern

/** The answer to a request: its final status and the DATA messages before it. */
interface Answer { status: number; data: UbusMessage[] }

interface Pending {
  data: UbusMessage[]
  context: string | undefined
  timer: NodeJS.Timeout
  resolve: (answer: Answer) => void
  reject: (err: Error) => void
}

/** The DATA of a successful answer. @throws UbusError with the answer's status otherwise */
const ok = ({ status, data }: Answer, context?: string): UbusMessage[] => {
  if (status !== UbusStatus.OK) throw new UbusError(status, context)
  return data
}

/** The first object id in `data`. @throws UbusError(status) when there is none */
const idIn = (data: UbusMessage[], status: number, context?: string): number => {
  for (const m of data) {
    const id = valueOf(m, Attr.OBJID, 'u32')
    if (id !== undefined) return id
  }
  throw new UbusError(status, context)
}

/** One socket to ubusd and what is registered on it; every (re)connect makes a new one. */
class Connection {
  readonly reader = new FrameReader()
  readonly pending = new Map<string, Pending>()
  /** Object ids ubusd gave our objects on this connection, by path and the other way round. */
  readonly ids = new Map<string, number>()
  readonly served = new Map<number, UbusObject>()
  /** Paths and patterns already registered, or refused, on this connection. */
  readonly tried = new Set<string>()
  readonly patterns = new Set<string>()
  listenerId: number | undefined
  clientId: number | undefined
  seq = 0
  /** HELLO received and everything remembered registered. */
  ready = false
  closed = false
  /** Why it ended, when we know better than "closed by ubusd". */
  reason: string | undefined
  /** Registrations run one after another, so their seqs are those a fresh libubus would use. */
  queue: Promise<void> = Promise.resolve()

  constructor (readonly socket: Socket) {}
}

/**
 * A ubusd client that stays connected. Publish objects and listen for events at any time: both
 * are remembered and (re)registered on every connection. Requests fail at once with
 * CONNECTION_FAILED while not connected.
 */
export class UbusClient {
  private readonly opts: UbusClientOptions
  private readonly log: Logger
  private readonly timeoutMs: number
  private readonly backoff: { minMs: number; maxMs: number }
  private readonly objects = new Map<string, UbusObject>()
  private readonly listeners: Array<{ pattern: string; fn: (event: string, data: Record<string, unknown>) => void }> = []
  private readonly stateFns: Array<(connected: boolean) => void> = []
  private conn: Connection | undefined
  private timer: NodeJS.Timeout | undefined
  private running = false
  private delayMs: number
  /** Whether this outage was already reported at warn level. */
  private warned = false

  constructor (opts: UbusClientOptions) {
    this.opts = opts
    this.log = opts.log
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.backoff = opts.backoff ?? { minMs: 500, maxMs: 30_000 }
    this.delayMs = this.backoff.minMs
  }

  /** Starts connecting in the background, for good (until close()). Never throws; a second call does nothing. */
  start (): void {
    if (this.running) return
    this.running = true
    this.connect()
  }

  /** Connected to ubusd, with every remembered object and pattern registered (or refused). */
  get connected (): boolean {
    return this.conn?.ready === true
  }

  /** The client id ubusd gave this connection (in its HELLO). */
  get clientId (): number | undefined {
    return this.conn?.clientId
  }

  /** Calls `fn` on every change of `connected` (not when close() ends the connection). */
  onState (fn: (connected: boolean) => void): void {
    this.stateFns.push(fn)
  }

  /**
   * Serves `obj` on the bus from now on, on this and every later connection. One object per path:
   * publishing a path again replaces the remembered object, but ubusd keeps the first (and the
   * path is refused as a duplicate) until the next connection.
   */
  publish (obj: UbusObject): void {
    this.objects.set(obj.path, obj)
    this.sync(this.conn)
  }

  /** The id ubusd gave the object at `path` on the current connection. */
  objectId (path: string): number | undefined {
    return this.conn?.ids.get(path)
  }

  /**
   * Calls `fn` for every event whose name matches `pattern` (exact, or a prefix when it ends in
   * `*`), on this and every later connection. All listeners share one anonymous object; each
   * pattern is registered once. An `fn` that throws is logged.
   */
  listen (pattern: string, fn: (event: string, data: Record<string, unknown>) => void): void {
    this.listeners.push({ pattern, fn })
    this.sync(this.conn)
  }

  /**
   * The objects at `path` (a trailing `*` matches a prefix), or all of them.
   * @throws UbusError NOT_FOUND for an unknown path, CONNECTION_FAILED, TIMEOUT
   */
  async lookup (path?: string): Promise<LookupEntry[]> {
    const data = await this.ask(MsgType.LOOKUP, 0, path === undefined ? [] : [str(Attr.OBJPATH, path)], `lookup ${path ?? '*'}`)
    return data.map((m) => ({
      path: valueOf(m, Attr.OBJPATH, 'string') ?? '',
      id: valueOf(m, Attr.OBJID, 'u32') ?? 0,
      type: valueOf(m, Attr.OBJTYPE, 'u32') ?? 0,
      signature: tableToJson(valueOf(m, Attr.SIGNATURE, 'blobmsg') ?? []) as LookupEntry['signature'],
    }))
  }

  /**
   * Calls `method` of the object at `path` with `args`, as `ubus call` does (LOOKUP, then INVOKE).
   * Resolves with the reply's data (several DATA messages are merged), or undefined when there is none.
   * @throws UbusError with the status of a failed lookup or call, CONNECTION_FAILED, TIMEOUT
   */
  async call (path: string, method: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown> | undefined> {
    const context = `call ${path}.${method}`
    const id = idIn(await this.ask(MsgType.LOOKUP, 0, [str(Attr.OBJPATH, path)], context), UbusStatus.NOT_FOUND, context)
    const data = await this.ask(MsgType.INVOKE, id, [u32(Attr.OBJID, id), str(Attr.METHOD, method), blobmsg(Attr.DATA, tableFromJson(args))], context)
    return data.length === 0 ? undefined : tableToJson(data.flatMap((m) => valueOf(m, Attr.DATA, 'blobmsg') ?? []))
  }

  /**
   * Sends the event `id` with `data`, as `ubus send` does.
   * @throws UbusError PERMISSION_DENIED for reserved names (`ubus.*`), CONNECTION_FAILED, TIMEOUT
   */
  async sendEvent (id: string, data: Record<string, unknown>): Promise<void> {
    await this.ask(MsgType.INVOKE, EVENT_HUB, [u32(Attr.OBJID, EVENT_HUB), str(Attr.METHOD, 'send'), blobmsg(Attr.DATA, tableFromJson({ id, data }))], `send ${id}`)
  }

  /** Stops reconnecting and closes the connection; requests still waiting fail with CONNECTION_FAILED. */
  async close (): Promise<void> {
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
    const conn = this.conn
    this.conn = undefined
    if (conn === undefined) return
    conn.socket.destroy()
    await once(conn.socket, 'close')
  }

  private connect (): void {
    // As options: a bare string that looks like a number would be a TCP port.
    const conn = new Connection(createConnection({ path: this.opts.socketPath }))
    this.conn = conn
    conn.socket.on('data', (chunk: Buffer) => { this.onData(conn, chunk) })
    conn.socket.on('error', (err) => { conn.reason = errorCode(err) })
    conn.socket.on('close', () => { this.onClose(conn) })
  }

  private onData (conn: Connection, chunk: Buffer): void {
    let frames: UbusMessage[]
    try {
      frames = conn.reader.push(chunk)
    } catch (err) {
      conn.reason = `bad frame: ${(err as Error).message}`
      conn.socket.destroy()
      return
    }
    for (const m of frames) {
      switch (m.type) {
        case MsgType.HELLO: this.onHello(conn, m); break
        case MsgType.STATUS:
        case MsgType.DATA: this.onReply(conn, m); break
        // After the promise chains this read resolved have run: an INVOKE may come in the same read as
        // the ADD_OBJECT answer that gave its object the id it is called by.
        case MsgType.INVOKE: setImmediate(() => { void this.onInvoke(conn, m) }); break
        default: this.log.debug(`ubus: ignored a message of type ${m.type} from ubusd`)
      }
    }
  }

  private onHello (conn: Connection, m: UbusMessage): void {
    if (conn.clientId !== undefined) return
    conn.clientId = m.peer
    this.delayMs = this.backoff.minMs
    this.warned = false
    this.log.info(`ubus: connected to ${this.opts.socketPath} as client ${hex8(m.peer)}`)
    this.sync(conn)
    conn.queue = conn.queue.then(() => {
      if (conn.closed) return
      conn.ready = true
      this.emit(true)
    })
  }

  private onClose (conn: Connection): void {
    conn.closed = true
    for (const p of conn.pending.values()) {
      clearTimeout(p.timer)
      p.reject(new UbusError(UbusStatus.CONNECTION_FAILED, p.context))
    }
    conn.pending.clear()
    if (conn !== this.conn) return // close()
    this.conn = undefined
    const delay = Math.round(this.delayMs * (0.5 + Math.random() / 2))
    this.delayMs = Math.min(this.delayMs * 2, this.backoff.maxMs)
    this.timer = setTimeout(() => { this.timer = undefined; this.connect() }, delay)
    const path = this.opts.socketPath
    const reason = conn.reason ?? 'closed by ubusd'
    if (conn.clientId !== undefined) this.log.warn(`ubus: connection to ${path} lost (${reason}); reconnecting`)
    else if (!this.warned && this.opts.optional === true) this.log.info(`ubus: no ubusd at ${path} (${reason}); connecting when it appears`)
    else if (!this.warned) this.log.warn(`ubus: cannot connect to ${path} (${reason}); retrying in the background`)
    else this.log.debug(`ubus: cannot connect to ${path} (${reason}); retrying in ${delay} ms`)
    this.warned = true
    if (conn.ready) this.emit(false)
  }

  private emit (connected: boolean): void {
    for (const fn of this.stateFns) this.safely('a connection state callback', () => { fn(connected) })
  }

  private safely (what: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.log.error(`ubus: ${what} failed: ${stackOf(err)}`)
    }
  }

  /** Sends a request on `conn`; resolves with its answer, whatever the status. */
  private request (conn: Connection, type: number, peer: number, attrs: MessageAttr[], context?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      if (conn.closed) throw new UbusError(UbusStatus.CONNECTION_FAILED, context)
      conn.seq = (conn.seq + 1) & 0xffff
      const frame = encodeMessage({ version: 0, type, seq: conn.seq, peer, attrs })
      const key = `${conn.seq}:${peer}`
      const timer = setTimeout(() => {
        conn.pending.delete(key)
        reject(new UbusError(UbusStatus.TIMEOUT, context))
      }, this.timeoutMs)
      conn.pending.set(key, { data: [], context, timer, resolve, reject })
      conn.socket.write(frame)
    })
  }

  /** A request of the API: on the live connection, failing unless its status is OK. */
  private async ask (type: number, peer: number, attrs: MessageAttr[], context: string): Promise<UbusMessage[]> {
    const conn = this.conn
    if (conn?.ready !== true) throw new UbusError(UbusStatus.CONNECTION_FAILED, context)
    return ok(await this.request(conn, type, peer, attrs, context), context)
  }

  private onReply (conn: Connection, m: UbusMessage): void {
    const key = `${m.seq}:${m.peer}`
    const p = conn.pending.get(key)
    if (p === undefined) return // late, or not ours
    if (m.type === MsgType.DATA) {
      p.data.push(m)
      return
    }
    conn.pending.delete(key)
    clearTimeout(p.timer)
    p.resolve({ status: valueOf(m, Attr.STATUS, 'u32') ?? UbusStatus.UNKNOWN_ERROR, data: p.data })
  }

  /** Queues the registration of whatever the current connection (once it has its HELLO) lacks. */
  private sync (conn: Connection | undefined): void {
    if (conn?.clientId === undefined) return // done on HELLO
    conn.queue = conn.queue.then(async () => {
      for (const obj of this.objects.values()) {
        if (conn.tried.has(obj.path)) continue
        conn.tried.add(obj.path)
        try {
          const attrs = [str(Attr.OBJPATH, obj.path), blobmsg(Attr.SIGNATURE, signatureOf(obj.methods))]
          const id = idIn(ok(await this.request(conn, MsgType.ADD_OBJECT, 0, attrs)), UbusStatus.NO_DATA)
          conn.ids.set(obj.path, id)
          conn.served.set(id, obj)
          this.log.info(`ubus: published ${obj.path} as object ${hex8(id)}`)
        } catch (err) {
          this.refused(conn, `publish ${obj.path}`, err)
        }
      }
      if (this.listeners.length === 0) return
      let listenerId: number
      try {
        listenerId = conn.listenerId ?? idIn(ok(await this.request(conn, MsgType.ADD_OBJECT, 0, [])), UbusStatus.NO_DATA)
      } catch (err) {
        this.refused(conn, 'add the event listener object', err)
        return
      }
      conn.listenerId = listenerId
      for (const { pattern } of this.listeners) {
        if (conn.patterns.has(pattern)) continue
        conn.patterns.add(pattern)
        // An int32 like the CLI's: ids over 2^31 go as negative numbers, as libubus sends them.
        const data = tableFromJson({ object: listenerId | 0, pattern })
        try {
          ok(await this.request(conn, MsgType.INVOKE, EVENT_HUB, [u32(Attr.OBJID, EVENT_HUB), str(Attr.METHOD, 'register'), blobmsg(Attr.DATA, data)]))
        } catch (err) {
          this.refused(conn, `listen for ${pattern}`, err)
        }
      }
    })
  }

  /** Logs a registration that failed, unless the connection went (that is logged once, as lost). */
  private refused (conn: Connection, what: string, err: unknown): void {
    if (!conn.closed) this.log.error(`ubus: cannot ${what}: ${(err as Error).message}`)
  }

  /** Serves an INVOKE: a call of one of our objects' methods, or an event for our listener object. */
  private async onInvoke (conn: Connection, m: UbusMessage): Promise<void> {
    const objid = valueOf(m, Attr.OBJID, 'u32')
    if (objid === undefined) return // libubus ignores it too
    const noReply = Boolean(valueOf(m, Attr.NO_REPLY, 'u8'))
    const answer = (status: number, data?: BlobmsgNode[]): void => {
      if (noReply || conn.closed) return
      const frame = (type: number, attrs: MessageAttr[]): Buffer => encodeMessage({ version: 0, type, seq: m.seq, peer: m.peer, attrs })
      const end = frame(MsgType.STATUS, [u32(Attr.STATUS, status), u32(Attr.OBJID, objid)])
      conn.socket.write(data === undefined ? end : Buffer.concat([frame(MsgType.DATA, [u32(Attr.OBJID, objid), blobmsg(Attr.DATA, data)]), end]))
    }
    const obj = conn.served.get(objid)
    if (obj === undefined && objid !== conn.listenerId) return answer(UbusStatus.NOT_FOUND)
    const name = valueOf(m, Attr.METHOD, 'string')
    const nodes = valueOf(m, Attr.DATA, 'blobmsg')
    if (name === undefined || nodes === undefined) return answer(UbusStatus.INVALID_ARGUMENT)
    const args = tableToJson(nodes)
    if (obj === undefined) {
      for (const { pattern, fn } of this.listeners) {
        if (matches(pattern, name)) this.safely(`the listener for ${pattern}`, () => { fn(name, args) })
      }
      return answer(UbusStatus.OK)
    }
    const method = obj.methods.get(name)
    if (method === undefined) return answer(UbusStatus.METHOD_NOT_FOUND)
    let reply: UbusReply
    let data: BlobmsgNode[] | undefined
    try {
      reply = await method.handler(args, { user: valueOf(m, Attr.USER, 'string'), group: valueOf(m, Attr.GROUP, 'string') })
      data = reply.data === undefined ? undefined : tableFromJson(reply.data)
    } catch (err) {
      this.log.error(`ubus: ${obj.path}.${name} failed: ${stackOf(err)}`)
      return answer(UbusStatus.UNKNOWN_ERROR)
    }
    try {
      answer(reply.status, data)
    } catch {
      this.log.warn(`ubus: the reply of ${obj.path}.${name} is over ubusd's 1 MiB limit; answered "${REPLY_TOO_LARGE}" instead`)
      answer(UbusStatus.UNKNOWN_ERROR, tableFromJson({ message: REPLY_TOO_LARGE, error: true }))
    }
  }
}
