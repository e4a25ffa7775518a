/**
 * @module ubus/blobmsg
 * blobmsg: named, typed values inside ubus DATA and SIGNATURE attributes. A value decodes to
 * a typed node that re-encodes to the same bytes; `toJson`/`fromJson` convert as the ubus
 * CLI and uhttpd do (int32 when it fits, else int64; fractions as double; booleans as int8).
 */
import { decodeAttrs, encodeAttr, padded, UbusCodecError, type RawAttr } from './blob'

/** blobmsg type numbers (libubox's enum blobmsg_type). */
export const BlobmsgType = {
  UNSPEC: 0, ARRAY: 1, TABLE: 2, STRING: 3, INT64: 4, INT32: 5, INT16: 6, INT8: 7, DOUBLE: 8,
} as const

/** A decoded value: containers hold their children; INT64 is a bigint so no bit is lost. */
export interface BlobmsgNode {
  type: number
  name: string
  value: null | string | number | bigint | BlobmsgNode[]
}

/** Nesting deeper than this is refused: no crafted frame may exhaust the stack. */
export const MAX_DEPTH = 32

const SIZES: Record<number, number> = { 4: 8, 5: 4, 6: 2, 7: 1, 8: 8 }

const nameHeader = (name: string): Buffer => {
  const bytes = Buffer.from(name, 'utf8')
  if (bytes.length > 0xffff) throw new UbusCodecError('blobmsg name is too long')
  const out = Buffer.alloc(padded(2 + bytes.length + 1))
  out.writeUInt16BE(bytes.length, 0)
  bytes.copy(out, 2)
  return out
}

const scalar = (type: number, value: BlobmsgNode['value']): Buffer => {
  const out = Buffer.alloc(SIZES[type] as number)
  if (type === BlobmsgType.INT64) out.writeBigInt64BE(BigInt(value as bigint | number))
  else if (type === BlobmsgType.INT32) out.writeInt32BE(value as number)
  else if (type === BlobmsgType.INT16) out.writeInt16BE(value as number)
  else if (type === BlobmsgType.INT8) out.writeUInt8(value as number)
  else out.writeDoubleBE(value as number)
  return out
}

/** The bytes of one node (padded), name header included. */
export const encodeNode = (node: BlobmsgNode): Buffer => {
  let body: Buffer
  if (node.type === BlobmsgType.ARRAY || node.type === BlobmsgType.TABLE) body = encodeNodes(node.value as BlobmsgNode[])
  else if (node.type === BlobmsgType.STRING) body = Buffer.from(`${node.value as string}\0`, 'utf8')
  else if (node.type === BlobmsgType.UNSPEC) body = Buffer.alloc(0)
  else if (node.type in SIZES) body = scalar(node.type, node.value)
  else throw new UbusCodecError(`unknown blobmsg type ${node.type}`)
  return encodeAttr(node.type, Buffer.concat([nameHeader(node.name), body]), true)
}

/** The bytes of several nodes laid end to end (a table's or array's contents, or DATA). */
export const encodeNodes = (nodes: readonly BlobmsgNode[]): Buffer => Buffer.concat(nodes.map(encodeNode))

const readScalar = (type: number, v: Buffer): number | bigint => {
  if (v.length !== SIZES[type]) throw new UbusCodecError(`blobmsg type ${type} needs ${SIZES[type] as number} bytes, got ${v.length}`)
  if (type === BlobmsgType.INT64) return v.readBigInt64BE()
  if (type === BlobmsgType.INT32) return v.readInt32BE()
  if (type === BlobmsgType.INT16) return v.readInt16BE()
  if (type === BlobmsgType.INT8) return v.readUInt8()
  return v.readDoubleBE()
}

/** One attribute as a blobmsg node. @throws UbusCodecError when it is not a valid one */
export const decodeNode = (attr: RawAttr, depth = 0): BlobmsgNode => {
  if (!attr.extended) throw new UbusCodecError('blobmsg attribute without the extended bit')
  const p = attr.payload
  if (p.length < 4) throw new UbusCodecError('blobmsg name header is truncated')
  const nameLength = p.readUInt16BE(0)
  const headerLength = padded(2 + nameLength + 1)
  if (headerLength > p.length || p[2 + nameLength] !== 0) throw new UbusCodecError('blobmsg name runs past its attribute')
  const name = p.toString('utf8', 2, 2 + nameLength)
  const v = p.subarray(headerLength)
  const type = attr.id
  if (type === BlobmsgType.ARRAY || type === BlobmsgType.TABLE) {
    if (depth >= MAX_DEPTH) throw new UbusCodecError(`blobmsg nested deeper than ${MAX_DEPTH}`)
    return { type, name, value: decodeNodes(v, depth + 1) }
  }
  if (type === BlobmsgType.STRING) {
    if (v.length === 0 || v[v.length - 1] !== 0) throw new UbusCodecError('blobmsg string without its NUL')
    return { type, name, value: v.toString('utf8', 0, v.length - 1) }
  }
  if (type === BlobmsgType.UNSPEC) return { type, name, value: null }
  if (type in SIZES) return { type, name, value: readScalar(type, v) }
  throw new UbusCodecError(`unknown blobmsg type ${type}`)
}

/** Nodes laid end to end in `buf`. */
export const decodeNodes = (buf: Buffer, depth = 0): BlobmsgNode[] =>
  decodeAttrs(buf).map((a) => decodeNode(a, depth))

/**
 * A node's value as JSON, the way libubox's blobmsg_format_json writes it: tables as objects
 * (a repeated name keeps the last value), arrays as arrays, int8 as a boolean, int64 as a
 * number (exact up to 2^53).
 */
export const toJson = (node: BlobmsgNode): unknown => {
  switch (node.type) {
    case BlobmsgType.TABLE: return tableToJson(node.value as BlobmsgNode[])
    case BlobmsgType.ARRAY: return (node.value as BlobmsgNode[]).map(toJson)
    case BlobmsgType.INT8: return node.value !== 0
    case BlobmsgType.INT64: return Number(node.value)
    default: return node.value
  }
}

/** The contents of a table (or a DATA attribute) as a JSON object. */
export const tableToJson = (nodes: readonly BlobmsgNode[]): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const n of nodes) Object.defineProperty(out, n.name, { value: toJson(n), enumerable: true, writable: true, configurable: true })
  return out
}

const isIterable = (v: object): v is Iterable<unknown> => Symbol.iterator in v

/**
 * A JSON value as a node named `name`, typed as the ubus CLI types it. Lazy lists (non-array
 * iterables, as actions return them) become arrays; undefined members of objects are left out.
 */
export const fromJson = (value: unknown, name = ''): BlobmsgNode => {
  if (value === null || value === undefined) return { type: BlobmsgType.UNSPEC, name, value: null }
  if (typeof value === 'boolean') return { type: BlobmsgType.INT8, name, value: value ? 1 : 0 }
  if (typeof value === 'string') return { type: BlobmsgType.STRING, name, value }
  if (typeof value === 'bigint') return { type: BlobmsgType.INT64, name, value }
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) return { type: BlobmsgType.INT32, name, value }
    if (Number.isSafeInteger(value)) return { type: BlobmsgType.INT64, name, value: BigInt(value) }
    return { type: BlobmsgType.DOUBLE, name, value }
  }
  if (typeof value === 'object') {
    if (Array.isArray(value) || isIterable(value)) {
      return { type: BlobmsgType.ARRAY, name, value: [...(value as Iterable<unknown>)].map((v) => fromJson(v)) }
    }
    return { type: BlobmsgType.TABLE, name, value: tableFromJson(value as Record<string, unknown>) }
  }
  throw new UbusCodecError(`cannot encode a ${typeof value} as blobmsg`)
}

/** An object's members as table contents (for DATA), in key order. */
export const tableFromJson = (obj: Record<string, unknown>): BlobmsgNode[] =>
  Object.entries(obj).filter(([, v]) => v !== undefined).map(([k, v]) => fromJson(v, k))
