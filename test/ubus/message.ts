import t from 'tap'
import { UbusCodecError } from '../../src/ubus/blob'
import { tableToJson, type BlobmsgNode } from '../../src/ubus/blobmsg'
import { Attr, attrOf, decodeMessage, encodeMessage, FrameReader, MAX_BLOB, MsgType, type MessageAttr, type UbusMessage } from '../../src/ubus/message'
import { prng, VECTORS } from '../fixtures/ubus-frames'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex')

/** The vectors' decoder shows int8 as 0/1 and int32 as signed; ours says true/false and keeps ids unsigned. */
const asVectorJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => typeof x === 'boolean' ? Number(x) : x))

t.test('every recorded frame decodes and re-encodes byte for byte', async (t) => {
  t.ok(VECTORS.length > 300, `${VECTORS.length} frames`)
  for (const v of VECTORS) {
    const name = `#${v.index} ${v.scenario} ${v.direction}`
    const m = decodeMessage(hex(v.hex))
    const { version, type, seq, peer } = v.decoded.header
    t.same({ version: m.version, type: m.type, seq: m.seq, peer: m.peer }, { version, type, seq, peer }, `${name}: header`)
    t.same(m.attrs.map((a) => a.id), v.decoded.attrs.map((a) => a.id), `${name}: attribute ids in order`)
    t.equal(encodeMessage(m).toString('hex'), v.hex, `${name}: same bytes`)
  }
})

t.test('attribute values agree with the recorded decoding', async (t) => {
  let checked = 0
  for (const v of VECTORS) {
    if (v.decoded.header.type === MsgType.MONITOR) continue
    const m = decodeMessage(hex(v.hex))
    v.decoded.attrs.forEach((want, i) => {
      const got = m.attrs[i] as MessageAttr
      const name = `#${v.index} ${want.name}`
      if (want.kind === 'string') t.same(got, { id: want.id, kind: 'string', value: want.value }, name)
      else if (want.kind === 'int32') t.same(got, { id: want.id, kind: 'u32', value: (want.value as number) >>> 0 }, name)
      else if (want.kind === 'int8') t.same(got, { id: want.id, kind: 'u8', value: want.value }, name)
      else if (want.kind === 'id_list') t.same(got, { id: want.id, kind: 'ids', value: want.value }, name)
      else if (want.kind === 'blobmsg_table' && Object.hasOwn(want.json as object, '<not-blobmsg>')) t.equal(got.kind, 'raw', `${name}: non-blobmsg DATA kept as bytes`)
      else if (want.kind === 'blobmsg_table' && want.json !== undefined && v.hex.length < 131072) {
        t.same(asVectorJson(tableToJson(got.value as BlobmsgNode[])), want.json, `${name} as JSON`)
      } else if (want.kind === 'ubus_attrs') t.equal(got.kind, 'raw', `${name}: non-blobmsg DATA kept as bytes`)
      else return
      checked++
    })
  }
  t.ok(checked > 500, `${checked} attributes compared`)
})

t.test('MONITOR frames keep their own attribute ids as raw bytes', async (t) => {
  const monitor = VECTORS.find((v) => v.decoded.header.type === MsgType.MONITOR)
  t.ok(monitor)
  const m = decodeMessage(hex((monitor as { hex: string }).hex))
  t.ok(m.attrs.every((a) => a.kind === 'raw'))
})

t.test('the frame reader reassembles any chunking of the recorded streams', async (t) => {
  const stream = Buffer.concat(VECTORS.map((v) => hex(v.hex)))
  const random = prng(42)
  for (const maxChunk of [1, 7, 64, 4096, 70000, stream.length]) {
    const reader = new FrameReader()
    const frames: UbusMessage[] = []
    for (let off = 0; off < stream.length;) {
      const n = 1 + Math.floor(random() * maxChunk)
      frames.push(...reader.push(stream.subarray(off, off + n)))
      off += n
    }
    t.equal(frames.length, VECTORS.length, `chunks up to ${maxChunk} bytes: every frame`)
    t.same(frames.map((f) => encodeMessage(f).toString('hex')), VECTORS.map((v) => v.hex), `chunks up to ${maxChunk} bytes: in order, intact`)
    t.equal(reader.pending, 0)
  }
  const reader = new FrameReader()
  t.same(reader.push(hex('00000000 f2d0')), [], 'half a header')
  t.equal(reader.pending, 6)
})

t.test('building the messages hotspotd sends', async (t) => {
  const reply = encodeMessage({
    version: 0, type: MsgType.STATUS, seq: 7, peer: 0xdeadbeef,
    attrs: [{ id: Attr.STATUS, kind: 'u32', value: 0 }, { id: Attr.OBJID, kind: 'u32', value: 0x233acf04 }],
  })
  t.equal(reply.toString('hex'), '00010007deadbeef00000014' + '0100000800000000' + '03000008233acf04')
  const m = decodeMessage(reply)
  t.same(attrOf(m, Attr.OBJID), { id: Attr.OBJID, kind: 'u32', value: 0x233acf04 })
  t.equal(attrOf(m, Attr.DATA), undefined)
  const sub = encodeMessage({ version: 0, type: MsgType.NOTIFY, seq: 1, peer: 0, attrs: [{ id: Attr.SUBSCRIBERS, kind: 'ids', value: [1, 2] }, { id: Attr.ACTIVE, kind: 'u8', value: 1 }] })
  t.same(decodeMessage(sub).attrs, [{ id: Attr.SUBSCRIBERS, kind: 'ids', value: [1, 2] }, { id: Attr.ACTIVE, kind: 'u8', value: 1 }])
})

t.test('attributes of an unexpected shape are kept raw', async (t) => {
  const odd: MessageAttr[] = [
    { id: Attr.OBJID, kind: 'raw', value: hex('0102') },
    { id: Attr.METHOD, kind: 'raw', value: hex('6100 6200') },
    { id: Attr.USER, kind: 'raw', value: hex('ff00') },
    { id: Attr.SUBSCRIBERS, kind: 'raw', value: hex('01000008 00000001') },
    { id: 99, kind: 'raw', value: hex('00') },
  ]
  const m = decodeMessage(encodeMessage({ version: 0, type: MsgType.INVOKE, seq: 1, peer: 0, attrs: odd }))
  t.same(m.attrs, odd)
})

const broken: Array<[string, string, RegExp]> = [
  ['shorter than a header', '0000000000', /shorter than a header/],
  ['blob id not 0', '0000000000000000 01000004', /frame blob has id 1; expected 0/],
  ['extended blob', '0000000000000000 80000004', /frame blob has id 0, extended; expected 0/],
  ['blob length under 4', '0000000000000000 00000003', /frame blob length 3 under 4/],
  ['blob over 1 MiB', '0000000000000000 00100001', /over 1 MiB/],
  ['truncated body', '0000000000000000 0000000c 01000008', /shorter than its length 20/],
  ['attribute that lies', '0000000000000000 00000008 01000010', /runs past its container/],
]
for (const [name, bytes, message] of broken) {
  t.throws(() => decodeMessage(hex(bytes)), { code: 'UBUS_CODEC', message }, name)
}

t.test('the frame reader refuses a frame the connection must be dropped for', async (t) => {
  t.throws(() => new FrameReader().push(hex('0000000000000000 00000002')), { code: 'UBUS_CODEC' })
})

t.test('encoding refuses a message over ubusd\'s limit', async (t) => {
  t.throws(() => encodeMessage({ version: 0, type: MsgType.DATA, seq: 0, peer: 0, attrs: [{ id: Attr.DATA, kind: 'raw', value: Buffer.alloc(MAX_BLOB) }] }),
    { code: 'UBUS_CODEC', message: /over ubusd's 1 MiB limit/ })
})

t.test('fuzz: mutated and truncated frames fail only with the codec\'s error', async (t) => {
  const random = prng(7)
  const frames = VECTORS.filter((v) => v.hex.length < 4096).map((v) => hex(v.hex))
  let decoded = 0
  let refused = 0
  for (let i = 0; i < 5000; i++) {
    const f = Buffer.from(frames[Math.floor(random() * frames.length)] as Buffer)
    const mutations = 1 + Math.floor(random() * 4)
    for (let j = 0; j < mutations; j++) f[Math.floor(random() * f.length)] = Math.floor(random() * 256)
    const cut = random() < 0.3 ? f.subarray(0, Math.floor(random() * f.length)) : f
    try {
      const m = decodeMessage(cut)
      encodeMessage(m)
      decoded++
    } catch (err) {
      if (!(err instanceof UbusCodecError)) {
        t.fail(`case ${i} threw ${String(err)} for ${cut.toString('hex')}`)
        return
      }
      refused++
    }
  }
  t.ok(decoded > 0 && refused > 0, `${decoded} decoded, ${refused} refused, nothing else`)
})

t.test('fuzz: random bytes into the frame reader fail only with the codec\'s error', async (t) => {
  const random = prng(9)
  for (let i = 0; i < 500; i++) {
    const reader = new FrameReader()
    const bytes = Buffer.from(Array.from({ length: 12 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)))
    bytes.writeUInt32BE(Math.floor(random() * 64) & ~3 | 4, 8)
    try {
      reader.push(bytes)
    } catch (err) {
      if (!(err instanceof UbusCodecError)) t.fail(`case ${i} threw ${String(err)}`)
    }
  }
  t.pass('500 random streams')
})
