/**
 * @module cloud/mux
 * Many byte streams over one message channel: the WebSocket tunnel between a router and the
 * relay. The relay opens one stream per HTTPS request it forwards; the router accepts it and
 * hands it to a node:http server as if it were a socket, so both ends speak plain HTTP/1.1 over
 * the stream with node's own parser. Nothing here knows HTTP or WebSocket.
 *
 * Each channel message is one frame: a type byte, a stream id (u32, big-endian), a payload.
 *
 * | type | payload | meaning |
 * | --- | --- | --- |
 * | OPEN 1 | JSON metadata (e.g. `{"client":"203.0.113.5"}`) | the opener starts stream `id` |
 * | DATA 2 | bytes, at most {@link MAX_DATA} | stream bytes, counted against the receiver's window |
 * | END 3 | none | the sender will write no more (half-close) |
 * | RESET 4 | UTF-8 reason | the stream is dropped both ways |
 * | WINDOW 5 | u32 | the receiver has taken this many more bytes: the sender may send them |
 *
 * Flow control is per stream, by credit: a sender starts with {@link WINDOW} bytes of credit and
 * waits when it is spent; the receiver grants credit back as its reader consumes (a reader that
 * stops reading stops the sender, not the tunnel). The channel as a whole also pushes back: while
 * more than {@link HIGH_WATER} bytes are handed to it and not yet sent, every stream waits. So
 * memory per tunnel is bounded by streams × window, whatever the two sides do.
 *
 * A peer that breaks the protocol (an unknown frame type, a frame too short, more DATA than its
 * credit, an OPEN for a live id or from the wrong side) gets a {@link MuxProtocolError}; the
 * owner closes the channel. Frames for a stream this side already dropped are ignored: they were
 * in flight when it was dropped.
 */
import { Duplex } from 'node:stream'

export const OPEN = 1
export const DATA = 2
export const END = 3
export const RESET = 4
export const WINDOW_UPDATE = 5

/** Bytes of one frame before its payload. */
export const HEADER = 5
/** Largest DATA payload: a frame is at most HEADER + MAX_DATA bytes. */
export const MAX_DATA = 16 * 1024
/** A stream's initial credit, each way. */
export const WINDOW = 64 * 1024
/** Bytes handed to the channel and not yet sent, above which every stream waits. */
export const HIGH_WATER = 1024 * 1024
/** Largest frame a peer may send: the owner sets its WebSocket's maxPayload to this. */
export const MAX_FRAME = HEADER + MAX_DATA

/** What a stream carries in its OPEN frame. */
export interface StreamMeta {
  /** The address of the client the relay is forwarding for. */
  client?: string
}

/** The peer broke the protocol; the channel should be closed. */
export class MuxProtocolError extends Error {
  readonly code = 'MUX_PROTOCOL'
}

/** The stream was reset by the peer, or lost with its tunnel; `reason` says why. */
export class StreamResetError extends Error {
  readonly code = 'STREAM_RESET'
  constructor (readonly reason: string) {
    super(`stream reset: ${reason}`)
  }
}

export interface MuxOptions {
  /** Hands one frame to the channel; `done` once it has been sent (or failed). */
  send: (frame: Buffer, done: (err?: Error) => void) => void
  /** 'opener' (the relay) opens streams; 'acceptor' (the router) accepts them. */
  role: 'opener' | 'acceptor'
  /** Called for each stream the peer opens (acceptor only). */
  onStream?: (stream: MuxStream, meta: StreamMeta) => void
  /** Streams live at once; further OPENs are reset with 'too many streams'. */
  maxStreams?: number
}

const frame = (type: number, id: number, payload?: Buffer): Buffer => {
  const out = Buffer.allocUnsafe(HEADER + (payload?.length ?? 0))
  out[0] = type
  out.writeUInt32BE(id, 1)
  payload?.copy(out, HEADER)
  return out
}

/** One stream: a Duplex whose writes become DATA frames and whose reads come from the peer's. */
export class MuxStream extends Duplex {
  /** Bytes this side may still send. */
  private credit = WINDOW
  /** Bytes received and pushed to the reader, not yet granted back. */
  private owed = 0
  /** The peer sent END. */
  private remoteEnded = false
  /** This side sent END or RESET, or the peer said it will read no more. */
  private writeDone = false
  /** The peer said it will not read: writes are dropped. */
  private remoteStopped = false
  private pending: { chunk: Buffer; offset: number; cb: (err?: Error | null) => void } | undefined

  constructor (private readonly mux: Mux, readonly id: number) {
    super({ allowHalfOpen: true })
  }

  /** Bytes of credit left to send (for tests and the relay's status). */
  get sendCredit (): number { return this.credit }

  override _write (chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending = { chunk, offset: 0, cb }
    this.pump()
  }

  override _final (cb: (err?: Error | null) => void): void {
    if (!this.writeDone) {
      this.writeDone = true
      this.mux.sendFrame(END, this.id)
    }
    cb()
  }

  override _read (): void {
    if (this.owed > 0) this.grant()
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    // Not finished both ways: tell the peer, unless it is the one that dropped the stream.
    if (!(err instanceof StreamResetError) && !(this.writeDone && this.remoteEnded)) {
      this.mux.sendFrame(RESET, this.id, Buffer.from(err?.message ?? 'closed'))
    }
    this.writeDone = true
    const p = this.pending
    this.pending = undefined
    this.mux.forget(this.id)
    cb(err)
    p?.cb(err ?? new StreamResetError('closed'))
  }

  /** Sends what credit and the channel allow of the pending write. */
  pump (): void {
    const p = this.pending
    if (p === undefined) return
    if (this.remoteStopped) {
      // The peer will not read (it answered and closed): what is left is dropped, as a socket would.
      this.pending = undefined
      p.cb()
      return
    }
    while (p.offset < p.chunk.length) {
      if (this.credit <= 0 || this.mux.congested) return // resumed by a WINDOW or the channel draining
      const n = Math.min(this.credit, MAX_DATA, p.chunk.length - p.offset)
      this.mux.sendFrame(DATA, this.id, p.chunk.subarray(p.offset, p.offset + n))
      p.offset += n
      this.credit -= n
    }
    this.pending = undefined
    p.cb()
  }

  private grant (): void {
    const n = this.owed
    this.owed = 0
    const payload = Buffer.allocUnsafe(4)
    payload.writeUInt32BE(n, 0)
    this.mux.sendFrame(WINDOW_UPDATE, this.id, payload)
  }

  /** @internal a frame from the peer for this stream: DATA, END, WINDOW_UPDATE or RESET (Mux checked the type). */
  receive (type: number, payload: Buffer): void {
    switch (type) {
      case DATA: {
        if (this.remoteEnded) throw new MuxProtocolError(`DATA after END on stream ${this.id}`)
        // Credit granted to the peer is WINDOW plus what was granted since: it may not have more in flight.
        this.owed += payload.length
        if (this.owed > WINDOW) throw new MuxProtocolError(`stream ${this.id}: the peer sent past its window`)
        // A copy: the channel's buffer may be reused once this returns.
        if (this.push(Buffer.from(payload)) && this.owed >= WINDOW / 4) this.grant()
        return
      }
      case END:
        if (this.remoteEnded) throw new MuxProtocolError(`END twice on stream ${this.id}`)
        this.remoteEnded = true
        this.push(null)
        return
      case WINDOW_UPDATE: {
        if (payload.length !== 4) throw new MuxProtocolError(`WINDOW of ${payload.length} bytes on stream ${this.id}`)
        this.credit += payload.readUInt32BE(0)
        if (this.credit > WINDOW) throw new MuxProtocolError(`stream ${this.id}: the peer granted past the window`)
        this.pump()
        return
      }
      case RESET:
        if (this.remoteEnded && !this.readableEnded) {
          // The peer sent all it had and reads no more (it answered and closed): its last bytes
          // stay for the reader here, and what is still written here is dropped, as a socket would.
          this.remoteStopped = true
          this.writeDone = true
          this.mux.forget(this.id)
          this.pump()
          return
        }
        this.destroy(new StreamResetError(payload.toString('utf8') || 'reset'))
    }
  }
}

/** The streams of one channel. Feed it every message with {@link Mux.receive}. */
export class Mux {
  private readonly streams = new Map<number, MuxStream>()
  private nextId = 1
  private queued = 0
  private closed: Error | undefined
  private readonly maxStreams: number

  constructor (private readonly opts: MuxOptions) {
    this.maxStreams = opts.maxStreams ?? 128
  }

  /** Streams live now. */
  get size (): number { return this.streams.size }

  /** Whether the channel holds more than {@link HIGH_WATER} bytes not yet sent. */
  get congested (): boolean { return this.queued > HIGH_WATER }

  /**
   * Opens a stream to the peer (opener only).
   * @throws StreamResetError when the tunnel is closed or already carries maxStreams streams
   */
  open (meta: StreamMeta): MuxStream {
    if (this.opts.role !== 'opener') throw new Error('only the opener opens streams')
    if (this.closed !== undefined) throw new StreamResetError(this.closed.message)
    if (this.streams.size >= this.maxStreams) throw new StreamResetError('too many streams')
    while (this.streams.has(this.nextId)) this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1
    const id = this.nextId
    this.nextId = id >= 0xffffffff ? 1 : id + 1
    const stream = new MuxStream(this, id)
    this.streams.set(id, stream)
    this.sendFrame(OPEN, id, Buffer.from(JSON.stringify(meta)))
    return stream
  }

  /**
   * Takes one message from the channel.
   * @throws MuxProtocolError when the peer broke the protocol (close the channel)
   */
  receive (message: Buffer): void {
    if (this.closed !== undefined) return
    if (message.length < HEADER) throw new MuxProtocolError(`a frame of ${message.length} bytes`)
    const type = message[0] as number
    const id = message.readUInt32BE(1)
    const payload = message.subarray(HEADER)
    if (type === OPEN) {
      this.accept(id, payload)
      return
    }
    if (type === DATA && payload.length > MAX_DATA) throw new MuxProtocolError(`DATA of ${payload.length} bytes`)
    if (type < DATA || type > WINDOW_UPDATE) throw new MuxProtocolError(`unknown frame type ${type}`)
    // A stream dropped here: the frame was in flight.
    this.streams.get(id)?.receive(type, payload)
  }

  private accept (id: number, payload: Buffer): void {
    if (this.opts.role !== 'acceptor') throw new MuxProtocolError('OPEN sent to the opener')
    if (id === 0) throw new MuxProtocolError('OPEN of stream 0')
    if (this.streams.has(id)) throw new MuxProtocolError(`OPEN of live stream ${id}`)
    let meta: StreamMeta
    try {
      const parsed: unknown = JSON.parse(payload.toString('utf8'))
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
      meta = parsed as StreamMeta
    } catch (err) {
      throw new MuxProtocolError(`OPEN of stream ${id}: metadata is not a JSON object (${(err as Error).message})`)
    }
    if (this.streams.size >= this.maxStreams) {
      this.sendFrame(RESET, id, Buffer.from('too many streams'))
      return
    }
    const stream = new MuxStream(this, id)
    this.streams.set(id, stream)
    this.opts.onStream?.(stream, meta)
  }

  /** @internal */
  sendFrame (type: number, id: number, payload?: Buffer): void {
    // (Nothing sends once the channel is closed: close destroys every stream with a reset.)
    const f = frame(type, id, payload)
    this.queued += f.length
    this.opts.send(f, () => {
      const was = this.congested
      this.queued -= f.length
      if (was && !this.congested) for (const s of [...this.streams.values()]) s.pump()
    })
  }

  /** @internal a stream is done with. */
  forget (id: number): void {
    this.streams.delete(id)
  }

  /** The channel is gone: every stream fails with `reason`. */
  close (reason: string): void {
    if (this.closed !== undefined) return
    const err = new StreamResetError(reason)
    this.closed = err
    for (const s of [...this.streams.values()]) s.destroy(err)
    this.streams.clear()
  }
}
