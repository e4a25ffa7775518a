import t from 'tap'
import { tableToJson } from '../../src/ubus/blobmsg'
import { Attr, encodeMessage, MsgType } from '../../src/ubus/message'
import { signatureOf } from '../../src/ubus/signature'
import { VECTORS } from '../fixtures/ubus-frames'

t.test('the example server\'s ADD_OBJECT, rebuilt from its policies, is byte for byte the recorded one', async (t) => {
  const recorded = VECTORS.find((v) => v.scenario === 'add_object_example_server' && v.decoded.header.type === MsgType.ADD_OBJECT)
  t.ok(recorded)
  const methods = new Map<string, { policy: Record<string, number> }>([
    ['hello', { policy: { id: 5, msg: 3 } }],
    ['watch', { policy: { id: 5, counter: 5 } }],
    ['count', { policy: { to: 5, string: 3 } }],
  ])
  const frame = encodeMessage({
    version: 0, type: MsgType.ADD_OBJECT, seq: 1, peer: 0,
    attrs: [{ id: Attr.OBJPATH, kind: 'string', value: 'test' }, { id: Attr.SIGNATURE, kind: 'blobmsg', value: signatureOf(methods) }],
  })
  t.equal(frame.toString('hex'), recorded?.hex)
})

t.test('a method without arguments has an empty table', async (t) => {
  t.same(tableToJson(signatureOf(new Map([['noargs', { policy: {} }]]))), { noargs: {} })
})
