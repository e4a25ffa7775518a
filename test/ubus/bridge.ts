import t from 'tap'
import { readFileSync } from 'node:fs'
import { actions } from '../../src/actions/index'
import { defineAction } from '../../src/actions/spec'
import { ApiError, MESSAGES } from '../../src/errors'
import { hotspotObject, UBUS_STATUS } from '../../src/ubus/bridge'
import { UbusStatus } from '../../src/ubus/object'
import { materialize, testContext } from '../fixtures/context'

const call = async (obj: ReturnType<typeof hotspotObject>, name: string, args: Record<string, unknown> = {}) => {
  const m = obj.methods.get(name)
  if (m === undefined) throw new Error(`no method ${name}`)
  const reply = await m.handler(args, { user: 'root', group: 'root' })
  return { status: reply.status, data: materialize(reply.data) }
}

t.test('every action is a method of hotspot, with its spec as the policy', async (t) => {
  const { ctx } = testContext(t)
  const obj = hotspotObject(actions, ctx)
  t.equal(obj.path, 'hotspot')
  t.same([...obj.methods.keys()], actions.map((a) => a.name))
  t.same(obj.methods.get('create_voucher')?.policy, { username: 3, passcode: 3, fullname: 3, valid_for: 3, valid_from: 3, download_limit: 5, upload_limit: 5 })
  t.same(obj.methods.get('set_api_settings')?.policy, { enabled: 7, post: 7, get: 7 })
})

t.test('results are the HTTP door\'s data; errors are a status with the seed\'s message', async (t) => {
  const { ctx, events } = testContext(t)
  const obj = hotspotObject(actions, ctx)
  const created = await call(obj, 'create_voucher', { username: 'user123', passcode: 'pass123', valid_for: '1 day', download_limit: 1024 })
  t.equal(created.status, UbusStatus.OK)
  t.match(created.data, { message: MESSAGES.USER_ADDED, user: { username: 'user123', download_limit: '1024' }, error: false })
  t.same(events.map((e) => e.data.event), ['created'])
  t.same(await call(obj, 'create_voucher', { username: 'USER123' }), { status: 2, data: { message: MESSAGES.USERNAME_EXISTS, error: true } })
  t.same(await call(obj, 'remove_voucher', {}), { status: 2, data: { message: MESSAGES.NO_USERNAME, error: true } })
  t.same(await call(obj, 'remove_voucher', { username: 'nobody' }), { status: 4, data: { message: MESSAGES.USERNAME_MISSING, error: true } })
  t.same(await call(obj, 'remove_voucher', { username: 'user123', ubus_rpc_session: 'f'.repeat(32) }), { status: 0, data: { message: MESSAGES.USER_REMOVED, error: false } },
    'the session uhttpd appends is not an unknown parameter')
  t.same(await call(obj, 'get_voucher_users', { bogus: 1 }), { status: 2, data: { message: 'Unknown parameter: bogus', error: true } })
  t.same(await call(obj, 'get_voucher_users'), { status: 0, data: { users: [] } })
})

t.test('an unexpected failure is status 9 with "An error occurred"', async (t) => {
  const { ctx } = testContext(t)
  const boom = defineAction({ name: 'boom', summary: 's', access: 'read', params: {}, handler: () => { throw new Error('disk on fire') } })
  const denied = defineAction({ name: 'denied', summary: 's', access: 'read', params: {}, handler: () => { throw new ApiError('unauthorized', MESSAGES.KEY_INCORRECT) } })
  const obj = hotspotObject([boom, denied], ctx)
  t.same(await call(obj, 'boom'), { status: UbusStatus.UNKNOWN_ERROR, data: { message: MESSAGES.UNKNOWN_ERROR, error: true } })
  t.same(await call(obj, 'denied'), { status: UbusStatus.PERMISSION_DENIED, data: { message: MESSAGES.KEY_INCORRECT, error: true } })
})

t.test('every kind of error has a ubus status that the CLI can name', async (t) => {
  for (const [kind, status] of Object.entries(UBUS_STATUS)) t.ok(status > 0 && status <= 13, kind)
})

/** What `ubus -v list hotspot` prints for an object (ubus CLI: type names per blobmsg type). */
const cliList = (obj: ReturnType<typeof hotspotObject>, id: string): string[] => {
  const NAMES: Record<number, string> = { 1: 'Array', 2: 'Table', 3: 'String', 5: 'Integer', 7: 'Boolean' }
  return [`'${obj.path}' @${id}`, ...[...obj.methods].map(([name, m]) =>
    `\t"${name}":{${Object.entries(m.policy).map(([arg, type]) => `"${arg}":"${NAMES[type] ?? '(unknown)'}"`).join(',')}}`)]
}

t.test('the README shows what `ubus -v list hotspot` prints', async (t) => {
  const { ctx } = testContext(t)
  const readme = readFileSync('README.md', 'utf8')
  const start = readme.indexOf('# ubus -v list hotspot\n')
  t.ok(start > 0, 'the block is there')
  const block = readme.slice(start, readme.indexOf('```', start)).split('\n').slice(1, -1)
  const id = /@([0-9a-f]{8})$/.exec(block[0] as string)?.[1] as string
  t.same(block, cliList(hotspotObject(actions, ctx), id))
})
