import t from 'tap'
import { decodeAttrs, encodeAttr, padded, readHeader, UbusCodecError } from '../../src/ubus/blob'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex')

t.test('the notes\' example: METHOD "count" is 0400000a 636f756e74 00 0000', async (t) => {
  const bytes = encodeAttr(4, Buffer.from('count\0'))
  t.equal(bytes.toString('hex'), '0400000a636f756e7400' + '0000')
  t.same(decodeAttrs(bytes), [{ id: 4, extended: false, payload: Buffer.from('count\0') }])
})

t.test('the extended bit, ids and lengths', async (t) => {
  const b = encodeAttr(0x7f, Buffer.alloc(3), true)
  t.equal(b.readUInt32BE(0), 0xff000007, 'bit 31, id 127, length 7')
  t.same(readHeader(b, 0), { id: 127, extended: true, length: 7 })
  t.equal(b.length, 8, 'padded to 8')
  t.equal(encodeAttr(0, Buffer.alloc(0)).toString('hex'), '00000004', 'an empty attribute')
})

t.test('padding', async (t) => {
  for (const [n, want] of [[0, 0], [1, 4], [4, 4], [5, 8], [10, 12]]) t.equal(padded(n as number), want, `${n} -> ${want}`)
})

t.test('several attributes laid end to end', async (t) => {
  const buf = Buffer.concat([encodeAttr(3, hex('233acf04')), encodeAttr(4, Buffer.from('count\0')), encodeAttr(7, Buffer.alloc(0))])
  t.same(decodeAttrs(buf).map((a) => [a.id, a.payload.toString('hex')]), [[3, '233acf04'], [4, '636f756e7400'], [7, '']])
  t.same(decodeAttrs(Buffer.alloc(0)), [], 'nothing')
})

t.test('the last attribute may end without its padding', async (t) => {
  t.same(decodeAttrs(hex('0400000a 636f756e7400')).length, 1)
})

const lies: Array<[string, string, RegExp]> = [
  ['a header cut short', '040000', /^truncated attribute header at byte 0$/],
  ['a length under 4', '04000003', /^attribute length 3 under 4 at byte 0$/],
  ['a length past the end', '0400000a 636f', /^attribute of 10 bytes at byte 0 runs past its container$/],
  ['a second attribute that lies', '00000004 04000010 00', /runs past its container/],
]
for (const [name, bytes, message] of lies) {
  t.throws(() => decodeAttrs(hex(bytes)), { code: 'UBUS_CODEC', message }, name)
}

t.test('encoding refuses what the wire cannot carry', async (t) => {
  t.throws(() => encodeAttr(128, Buffer.alloc(0)), new UbusCodecError('attribute id 128 is out of range'))
  t.throws(() => encodeAttr(-1, Buffer.alloc(0)), { code: 'UBUS_CODEC' })
  t.throws(() => encodeAttr(1, Buffer.alloc(0x1000000)), { message: 'attribute of 16777220 bytes is too long' })
})
