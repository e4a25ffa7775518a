import t from 'tap'
import { readFileSync } from 'node:fs'
import { actions } from '../../src/actions/index'
import { aclOf, READ_GROUP, WRITE_GROUP } from '../../src/ubus/acl'

const SHIPPED = 'openwrt/files/usr/share/rpcd/acl.d/hotspotd.json'

t.test('a read group of every looking action and a write group of every changing one', async (t) => {
  const acl = aclOf(actions)
  t.same(Object.keys(acl), [READ_GROUP, WRITE_GROUP])
  t.same(acl[READ_GROUP]?.read?.ubus?.hotspot, actions.filter((a) => a.access === 'read').map((a) => a.name))
  t.same(acl[WRITE_GROUP]?.write?.ubus?.hotspot, ['create_voucher', 'remove_voucher', 'create_vouchers', 'disconnect_guest', 'set_api_settings', 'show_api_key', 'rotate_api_key'])
  t.equal(acl[READ_GROUP]?.write, undefined, 'the read group grants no writes')
  t.ok(acl[READ_GROUP]?.read?.ubus?.hotspot?.every((m) => m.startsWith('get_') || m.startsWith('list_')), 'reads are the get_* and list_* methods (status is get_status)')
})

t.test('the acl.d file shipped for rpcd is exactly the generated one', async (t) => {
  t.equal(readFileSync(SHIPPED, 'utf8'), `${JSON.stringify(aclOf(actions), null, '\t')}\n`,
    'after a change to the action table, copy the expected text from this failure into the file')
})
