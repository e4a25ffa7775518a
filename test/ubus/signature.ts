import t from 'tap'
import { actions } from '../../src/actions/index'
import { defineAction } from '../../src/actions/spec'
import { tableToJson } from '../../src/ubus/blobmsg'
import { Attr, encodeMessage, MsgType } from '../../src/ubus/message'
import { signatureOf } from '../../src/ubus/signature'
import { VECTORS } from '../fixtures/ubus-frames'

const method = (name: string, params: Record<string, 'string' | 'integer'>) => defineAction({
  name, summary: '', access: 'read', handler: () => ({}),
  params: Object.fromEntries(Object.entries(params).map(([k, type]) => [k, { type, doc: '' }])),
})

t.test('the example server\'s ADD_OBJECT, rebuilt from an action table, is byte for byte the recorded one', async (t) => {
  const recorded = VECTORS.find((v) => v.scenario === 'add_object_example_server' && v.decoded.header.type === MsgType.ADD_OBJECT)
  t.ok(recorded)
  const table = [
    method('hello', { id: 'integer', msg: 'string' }),
    method('watch', { id: 'integer', counter: 'integer' }),
    method('count', { to: 'integer', string: 'string' }),
  ]
  const frame = encodeMessage({
    version: 0, type: MsgType.ADD_OBJECT, seq: 1, peer: 0,
    attrs: [{ id: Attr.OBJPATH, kind: 'string', value: 'test' }, { id: Attr.SIGNATURE, kind: 'blobmsg', value: signatureOf(table) }],
  })
  t.equal(frame.toString('hex'), recorded?.hex)
})

t.test('hotspotd\'s own signature lists every action with typed parameters', async (t) => {
  const sig = tableToJson(signatureOf(actions))
  t.same(Object.keys(sig), actions.map((a) => a.name))
  t.same(sig.create_voucher, { username: 3, passcode: 3, fullname: 3, valid_for: 3, valid_from: 3, download_limit: 5, upload_limit: 5 })
  t.same(sig.remove_voucher, { username: 3 })
  t.same(sig.get_voucher_users, {})
})
