/**
 * @module ubus/message
 * ubus frames: an 8-byte header (version, type, seq, peer; big-endian) and one blob whose
 * payload lists the message attributes. Attributes decode to typed values that re-encode to
 * the same bytes; anything not understood is kept raw, so nothing is lost in a round trip.
 */
import { BLOB_HEADER, decodeAttrs, encodeAttr, padded, readHeader, UbusCodecError, type RawAttr } from './blob'
import { decodeNodes, encodeNodes, type BlobmsgNode } from './blobmsg'

/** Message types (header byte 1). */
export const MsgType = {
  HELLO: 0, STATUS: 1, DATA: 2, PING: 3, LOOKUP: 4, INVOKE: 5, ADD_OBJECT: 6, REMOVE_OBJECT: 7,
  SUBSCRIBE: 8, UNSUBSCRIBE: 9, NOTIFY: 10, MONITOR: 11,
} as const

/** Message attribute ids (UBUS_ATTR_*). MONITOR frames use their own ids and stay raw. */
export const Attr = {
  STATUS: 1, OBJPATH: 2, OBJID: 3, METHOD: 4, OBJTYPE: 5, SIGNATURE: 6, DATA: 7, TARGET: 8,
  ACTIVE: 9, NO_REPLY: 10, SUBSCRIBERS: 11, USER: 12, GROUP: 13,
} as const

export const HEADER_SIZE = 8
/** ubusd drops a connection whose frame blob is larger (padded) than this. */
export const MAX_BLOB = 1024 * 1024

/** A message attribute: a number, a string, blobmsg nodes, a list of ids, or raw bytes. */
export type MessageAttr =
  | { id: number; kind: 'u32' | 'u8'; value: number }
  | { id: number; kind: 'string'; value: string }
  | { id: number; kind: 'blobmsg'; value: BlobmsgNode[] }
  | { id: number; kind: 'ids'; value: number[] }
  | { id: number; kind: 'raw'; value: Buffer }

export interface UbusMessage {
  version: number
  type: number
  seq: number
  peer: number
  attrs: MessageAttr[]
}

const KINDS: Record<number, MessageAttr['kind']> = {
  [Attr.STATUS]: 'u32', [Attr.OBJID]: 'u32', [Attr.OBJTYPE]: 'u32', [Attr.TARGET]: 'u32',
  [Attr.OBJPATH]: 'string', [Attr.METHOD]: 'string', [Attr.USER]: 'string', [Attr.GROUP]: 'string',
  [Attr.ACTIVE]: 'u8', [Attr.NO_REPLY]: 'u8',
  [Attr.SIGNATURE]: 'blobmsg', [Attr.DATA]: 'blobmsg', [Attr.SUBSCRIBERS]: 'ids',
}

const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b }

const encodePayload = (a: MessageAttr): Buffer => {
  switch (a.kind) {
    case 'u32': return u32(a.value)
    case 'u8': return Buffer.from([a.value])
    case 'string': return Buffer.from(`${a.value}\0`, 'utf8')
    case 'blobmsg': return encodeNodes(a.value)
    case 'ids': return Buffer.concat(a.value.map((id) => encodeAttr(0, u32(id))))
    case 'raw': return a.value
  }
}

/** How one attribute decodes; an attribute that does not fit its expected shape stays raw. */
const decodeAttr = (type: number, { id, extended, payload: p }: RawAttr): MessageAttr => {
  const kind = type === MsgType.MONITOR || extended ? undefined : KINDS[id]
  try {
    if (kind === 'u32' && p.length === 4) return { id, kind, value: p.readUInt32BE(0) }
    if (kind === 'u8' && p.length === 1) return { id, kind, value: p.readUInt8(0) }
    if (kind === 'string' && p.length > 0 && p[p.length - 1] === 0 && !p.subarray(0, -1).includes(0)) {
      const value = p.toString('utf8', 0, p.length - 1)
      if (Buffer.byteLength(value) === p.length - 1) return { id, kind, value }
    }
    if (kind === 'blobmsg') return { id, kind, value: decodeNodes(p) }
    if (kind === 'ids') {
      const ids = decodeAttrs(p)
      if (ids.every((a) => a.id === 0 && !a.extended && a.payload.length === 4)) return { id, kind, value: ids.map((a) => a.payload.readUInt32BE(0)) }
    }
  } catch {
    // Not what the id promises (libubus' monitor add sends a DATA of non-blobmsg members):
    // kept as bytes, so the frame still round-trips.
  }
  return { id, kind: 'raw', value: Buffer.from(p) }
}

/** The bytes of a frame. */
export const encodeMessage = (m: UbusMessage): Buffer => {
  const body = Buffer.concat(m.attrs.map((a) => encodeAttr(a.id, encodePayload(a))))
  const blob = encodeAttr(0, body)
  if (blob.length > MAX_BLOB) throw new UbusCodecError(`message of ${blob.length} bytes is over ubusd's 1 MiB limit`)
  const header = Buffer.alloc(HEADER_SIZE)
  header.writeUInt8(m.version, 0)
  header.writeUInt8(m.type, 1)
  header.writeUInt16BE(m.seq, 2)
  header.writeUInt32BE(m.peer >>> 0, 4)
  return Buffer.concat([header, blob])
}

/** Length of the frame starting at `buf[0]`, once its header and blob word are there. */
export const frameLength = (buf: Buffer): number => {
  const { id, extended, length } = readHeader(buf, HEADER_SIZE)
  if (id !== 0 || extended) throw new UbusCodecError(`frame blob has id ${id}${extended ? ', extended' : ''}; expected 0`)
  if (length < BLOB_HEADER) throw new UbusCodecError(`frame blob length ${length} under 4`)
  if (padded(length) > MAX_BLOB) throw new UbusCodecError(`frame blob of ${length} bytes is over 1 MiB`)
  return HEADER_SIZE + length
}

/** One whole frame. @throws UbusCodecError when it is truncated or malformed */
export const decodeMessage = (buf: Buffer): UbusMessage => {
  if (buf.length < HEADER_SIZE + BLOB_HEADER) throw new UbusCodecError(`frame of ${buf.length} bytes is shorter than a header`)
  const length = frameLength(buf)
  if (buf.length < length) throw new UbusCodecError(`frame of ${buf.length} bytes is shorter than its length ${length}`)
  const type = buf.readUInt8(1)
  return {
    version: buf.readUInt8(0),
    type,
    seq: buf.readUInt16BE(2),
    peer: buf.readUInt32BE(4),
    attrs: decodeAttrs(buf.subarray(HEADER_SIZE + BLOB_HEADER, length)).map((a) => decodeAttr(type, a)),
  }
}

/** The first attribute with `id`, if any. */
export const attrOf = (m: UbusMessage, id: number): MessageAttr | undefined => m.attrs.find((a) => a.id === id)

/**
 * Cuts a byte stream into frames, whatever the chunking (several frames in one read, one frame
 * over many). A small state machine: wait for a header, then for the body; chunks are joined
 * only when a header, or a whole frame, has arrived.
 */
export class FrameReader {
  private chunks: Buffer[] = []
  private buffered = 0
  private need = HEADER_SIZE + BLOB_HEADER
  private state: 'header' | 'body' = 'header'

  /**
   * Adds bytes; returns the frames they complete, in order.
   * @throws UbusCodecError on a frame the connection must be dropped for
   */
  push (chunk: Buffer): UbusMessage[] {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    const frames: UbusMessage[] = []
    while (this.buffered >= this.need) {
      const buf = this.chunks.length === 1 ? this.chunks[0] as Buffer : Buffer.concat(this.chunks)
      this.chunks = [buf]
      if (this.state === 'header') {
        this.need = frameLength(buf)
        this.state = 'body'
        continue
      }
      frames.push(decodeMessage(buf.subarray(0, this.need)))
      const rest = buf.subarray(this.need)
      this.chunks = rest.length > 0 ? [rest] : []
      this.buffered = rest.length
      this.need = HEADER_SIZE + BLOB_HEADER
      this.state = 'header'
    }
    return frames
  }

  /** Bytes held for a frame not yet complete. */
  get pending (): number {
    return this.buffered
  }
}
