/**
 * @module ubus/blob
 * libubox "blob" attributes as ubus puts them on the wire: a big-endian word (bit 31
 * extended, bits 30-24 id, bits 23-0 length including the word) followed by the payload,
 * zero-padded to 4 bytes. Decoding refuses lengths that lie; it never reads past its buffer.
 */

/** Size of an attribute's header word. */
export const BLOB_HEADER = 4
const EXTENDED = 0x80000000
const MAX_LENGTH = 0xffffff

/** A failure to decode (or encode) ubus data. `code` is stable; the message says what and where. */
export class UbusCodecError extends Error {
  readonly code = 'UBUS_CODEC'
  override readonly name = 'UbusCodecError'
}

/** One attribute: its id, whether the extended (blobmsg) bit is set, and its unpadded payload. */
export interface RawAttr {
  id: number
  extended: boolean
  payload: Buffer
}

/** `n` rounded up to a multiple of 4. */
export const padded = (n: number): number => (n + 3) & ~3

/** The bytes of one attribute, padding included. */
export const encodeAttr = (id: number, payload: Buffer, extended = false): Buffer => {
  const length = BLOB_HEADER + payload.length
  if (id < 0 || id > 0x7f) throw new UbusCodecError(`attribute id ${id} is out of range`)
  if (length > MAX_LENGTH) throw new UbusCodecError(`attribute of ${length} bytes is too long`)
  const out = Buffer.alloc(padded(length))
  out.writeUInt32BE(((extended ? EXTENDED : 0) | (id << 24) | length) >>> 0, 0)
  payload.copy(out, BLOB_HEADER)
  return out
}

/** Reads the header word at `offset`: id, extended flag and length (word included). */
export const readHeader = (buf: Buffer, offset: number): { id: number; extended: boolean; length: number } => {
  const word = buf.readUInt32BE(offset)
  return { id: (word >>> 24) & 0x7f, extended: (word & EXTENDED) !== 0, length: word & MAX_LENGTH }
}

/**
 * The attributes laid end to end in `buf` (a container's payload).
 * @throws UbusCodecError for a truncated header, a length under 4, or one that runs past `buf`
 */
export const decodeAttrs = (buf: Buffer): RawAttr[] => {
  const attrs: RawAttr[] = []
  let offset = 0
  while (offset < buf.length) {
    if (buf.length - offset < BLOB_HEADER) throw new UbusCodecError(`truncated attribute header at byte ${offset}`)
    const { id, extended, length } = readHeader(buf, offset)
    if (length < BLOB_HEADER) throw new UbusCodecError(`attribute length ${length} under 4 at byte ${offset}`)
    if (offset + length > buf.length) throw new UbusCodecError(`attribute of ${length} bytes at byte ${offset} runs past its container`)
    attrs.push({ id, extended, payload: buf.subarray(offset + BLOB_HEADER, offset + length) })
    offset += padded(length)
  }
  return attrs
}
