import t from 'tap'
import { encodeAttr } from '../../src/ubus/blob'
import {
  BlobmsgType as T, decodeNode, decodeNodes, encodeNode, encodeNodes, fromJson, MAX_DEPTH, tableFromJson, tableToJson, toJson, type BlobmsgNode,
} from '../../src/ubus/blobmsg'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex')

// The DATA of the recorded "all blobmsg types" INVOKE (ubus call test count '{...}').
const ALL_TYPES = hex(`850000100002746f0000000000000001830000140006737472696e67000000006f6e65008500001000036e6567000000ffffffff
  840000140003626967000000000000012a05f20087000009000174000100000087000009000166000000000088000010000164003ff8000000000000
  8100002c00036172720000008500000c00000000000000018300000a0000000078000000810000080000000082000020000374626c0000008300000a
  00016b007600000082000008000165008300001300000000656d7074792d6e616d650000`)
const ALL_TYPES_JSON = { to: 1, string: 'one', neg: -1, big: 5000000000, t: true, f: false, d: 1.5, arr: [1, 'x', []], tbl: { k: 'v', e: {} }, '': 'empty-name' }

t.test('the notes\' example: int32 "to": 3', async (t) => {
  const bytes = encodeNode({ type: T.INT32, name: 'to', value: 3 })
  t.equal(bytes.toString('hex'), '85000010' + '0002746f00000000' + '00000003')
  t.same(decodeNodes(bytes), [{ type: T.INT32, name: 'to', value: 3 }])
})

t.test('every type, as the ubus CLI encoded it, decodes and re-encodes byte for byte', async (t) => {
  const nodes = decodeNodes(ALL_TYPES)
  t.same(tableToJson(nodes), ALL_TYPES_JSON, 'as JSON')
  t.equal(encodeNodes(nodes).toString('hex'), ALL_TYPES.toString('hex'), 'the same bytes')
  t.equal(encodeNodes(tableFromJson(ALL_TYPES_JSON)).toString('hex'), ALL_TYPES.toString('hex'), 'JSON typed as the CLI types it')
})

t.test('JSON to blobmsg types', async (t) => {
  const cases: Array<[string, unknown, number, unknown]> = [
    ['null', null, T.UNSPEC, null],
    ['undefined', undefined, T.UNSPEC, null],
    ['true', true, T.INT8, 1],
    ['a string', 'x', T.STRING, 'x'],
    ['int32 max', 2147483647, T.INT32, 2147483647],
    ['int32 min', -2147483648, T.INT32, -2147483648],
    ['just over int32', 2147483648, T.INT64, 2147483648n],
    ['a bigint', 2n ** 62n, T.INT64, 2n ** 62n],
    ['a fraction', 0.25, T.DOUBLE, 0.25],
    ['beyond safe integers', 2 ** 60, T.DOUBLE, 2 ** 60],
  ]
  for (const [name, value, type, stored] of cases) t.match(fromJson(value, 'n'), { type, name: 'n', value: stored }, name)
  t.same(fromJson([1, 'a']).value, [{ type: T.INT32, name: '', value: 1 }, { type: T.STRING, name: '', value: 'a' }], 'array members have no names')
  t.same(fromJson({ a: 1, skip: undefined }).value, [{ type: T.INT32, name: 'a', value: 1 }], 'undefined members are left out')
  const lazy = (function * () { yield 1; yield 2 })()
  t.same(fromJson(lazy), { type: T.ARRAY, name: '', value: [{ type: T.INT32, name: '', value: 1 }, { type: T.INT32, name: '', value: 2 }] }, 'a lazy list is an array')
  t.throws(() => fromJson(() => 1), { code: 'UBUS_CODEC', message: 'cannot encode a function as blobmsg' })
})

t.test('blobmsg to JSON', async (t) => {
  t.equal(toJson({ type: T.INT8, name: '', value: 0 }), false)
  t.equal(toJson({ type: T.INT16, name: '', value: -2 }), -2)
  t.equal(toJson({ type: T.INT64, name: '', value: 5000000000n }), 5000000000)
  t.equal(toJson({ type: T.UNSPEC, name: '', value: null }), null)
  const proto = tableToJson([{ type: T.INT32, name: '__proto__', value: 1 }, { type: T.INT32, name: 'a', value: 1 }, { type: T.INT32, name: 'a', value: 2 }])
  t.same(Object.keys(proto), ['__proto__', 'a'], 'a "__proto__" name is an ordinary key')
  t.equal(Object.getPrototypeOf(proto), Object.prototype, 'and does not change the prototype')
  t.equal(proto.a, 2, 'a repeated name keeps the last value')
})

t.test('int16 and unspec round trip', async (t) => {
  const nodes: BlobmsgNode[] = [{ type: T.INT16, name: 's', value: -300 }, { type: T.UNSPEC, name: 'u', value: null }, { type: T.INT8, name: 'b', value: 255 }]
  t.same(decodeNodes(encodeNodes(nodes)), nodes)
})

t.test('names of every length get a padded header', async (t) => {
  for (let n = 0; n <= 9; n++) {
    const name = 'n'.repeat(n)
    const node = { type: T.STRING, name, value: 'v' }
    t.same(decodeNodes(encodeNode(node)), [node], `name of ${n}`)
  }
  t.throws(() => encodeNode({ type: T.STRING, name: 'x'.repeat(0x10000), value: '' }), { message: 'blobmsg name is too long' })
})

const bad: Array<[string, Buffer, RegExp]> = [
  ['no extended bit', encodeAttr(T.STRING, hex('00000000 7800')), /without the extended bit/],
  ['a name header cut short', encodeAttr(T.STRING, hex('0002'), true), /name header is truncated/],
  ['a name longer than its attribute', encodeAttr(T.STRING, hex('0009 6162 00 00'), true), /name runs past its attribute/],
  ['a name without its NUL', encodeAttr(T.STRING, hex('0001 61 62'), true), /name runs past its attribute/],
  ['a string without its NUL', encodeAttr(T.STRING, hex('00000000 78'), true), /string without its NUL/],
  ['an empty string value', encodeAttr(T.STRING, hex('00000000'), true), /string without its NUL/],
  ['an int32 of 2 bytes', encodeAttr(T.INT32, hex('00000000 0001'), true), /type 5 needs 4 bytes, got 2/],
  ['an unknown type', encodeAttr(9, hex('00000000'), true), /unknown blobmsg type 9/],
]
for (const [name, bytes, message] of bad) t.throws(() => decodeNodes(bytes), { code: 'UBUS_CODEC', message }, name)

t.test('encoding an unknown type is refused', async (t) => {
  t.throws(() => encodeNode({ type: 12, name: '', value: null }), { code: 'UBUS_CODEC', message: 'unknown blobmsg type 12' })
})

t.test('nesting is bounded', async (t) => {
  let node: BlobmsgNode = { type: T.ARRAY, name: '', value: [] }
  for (let i = 0; i < MAX_DEPTH; i++) node = { type: T.ARRAY, name: '', value: [node] }
  t.throws(() => decodeNode({ id: T.ARRAY, extended: true, payload: encodeNode(node).subarray(4) }), { message: `blobmsg nested deeper than ${MAX_DEPTH}` })
  const ok = (node.value as BlobmsgNode[])[0] as BlobmsgNode
  t.same(decodeNodes(encodeNode(ok)), [ok], `${MAX_DEPTH} levels are fine`)
})
