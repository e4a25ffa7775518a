import t from 'tap'
import { readFileSync } from 'node:fs'
import { actions, apiActions } from '../../src/actions/index'

const SEED = ['create_voucher', 'remove_voucher', 'get_voucher_users', 'get_email_users', 'get_fb_users',
  'get_mobile_users', 'get_free_users', 'get_logins', 'get_guest_hosts', 'get_active_guests']

t.test('the table holds every action of the seed, in its order, then hotspotd\'s own', async (t) => {
  t.same(actions.map((a) => a.name).slice(0, SEED.length), SEED)
  t.same(actions.map((a) => a.name).slice(SEED.length), ['get_status', 'list_vouchers', 'create_vouchers', 'disconnect_guest', 'get_api_settings', 'set_api_settings', 'show_api_key', 'rotate_api_key', 'get_api_docs'])
})

t.test('the /api/ door gets every action but the admin ones', async (t) => {
  t.same(apiActions.map((a) => a.name), [...SEED, 'get_status', 'list_vouchers', 'create_vouchers', 'disconnect_guest'])
})

const WRITES = ['create_voucher', 'remove_voucher', 'create_vouchers', 'disconnect_guest', 'set_api_settings', 'show_api_key', 'rotate_api_key']

t.test('names are unique snake_case; writes change state or reveal the key', async (t) => {
  t.equal(new Set(actions.map((a) => a.name)).size, actions.length)
  for (const a of actions) {
    t.match(a.name, /^[a-z]+(_[a-z]+)*$/, a.name)
    t.equal(a.access, WRITES.includes(a.name) ? 'write' : 'read', `${a.name} access`)
    t.ok(a.summary.length > 0, `${a.name} has a summary`)
    for (const [name, p] of Object.entries(a.params)) t.ok(p.doc.length > 0, `${a.name}.${name} is documented`)
  }
})

t.test('the README\'s Actions table matches the table, both ways', async (t) => {
  const readme = readFileSync('README.md', 'utf8')
  const start = readme.indexOf('### Actions')
  const rows = readme.slice(start, readme.indexOf('\n**', start)).split('\n').filter((l) => /^\| `/.test(l))
  const documented = rows.map((row) => {
    const [name, access, params] = row.split('|').slice(1, 4).map((c) => c.trim())
    return { name: (name as string).replace(/`/g, ''), access, params: [...(params as string).matchAll(/`(\w+)` (\w+)/g)].map((m) => `${m[1]} ${m[2]}`) }
  })
  const table = actions.map((a) => ({ name: a.name, access: a.access, params: Object.entries(a.params).map(([n, p]) => `${n} ${p.type}`) }))
  t.same(documented, table)
})
