// The LuCI entry shipped in openwrt/files: Services > Hotspot, its view and its rpcd ACL. LuCI
// itself is not here, so the view runs against the few LuCI globals it uses (view, rpc, E, _).
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { actions } from '../../src/actions/index'

const FILES = 'openwrt/files'
const MENU = `${FILES}/usr/share/luci/menu.d/luci-app-hotspotd.json`
const ACL = `${FILES}/usr/share/rpcd/acl.d/luci-app-hotspotd.json`
const VIEW = `${FILES}/www/luci-static/resources/view/hotspotd/panel.js`

interface Menu { [path: string]: { title: string; order: number; action: { type: string; path: string }; depends: { acl: string[] } } }

t.test('the menu entry is Services > Hotspot, a view whose file is shipped, behind the ACL group shipped', async (t) => {
  const menu = JSON.parse(readFileSync(MENU, 'utf8')) as Menu
  t.same(Object.keys(menu), ['admin/services/hotspotd'])
  const entry = menu['admin/services/hotspotd']!
  t.match(entry, { title: 'Hotspot', action: { type: 'view', path: 'hotspotd/panel' } })
  t.ok(existsSync(`${FILES}/www/luci-static/resources/view/${entry.action.path}.js`), 'the view the menu names exists')
  const acl = JSON.parse(readFileSync(ACL, 'utf8')) as Record<string, { description: string; read: { ubus: Record<string, string[]> } }>
  t.same(entry.depends.acl, Object.keys(acl), 'the menu depends on the group the ACL file defines')
  const grants = acl['luci-app-hotspotd']!.read.ubus
  t.same(grants, { hotspot: ['get_api_settings'] }, 'it reads the API settings, and nothing else (no UCI: the file holds the key)')
  for (const m of grants.hotspot!) t.equal(actions.find((a) => a.name === m)?.access, 'read', `${m} is a read action of the table`)
})

/** Runs the view as LuCI would (`'require'` lines are LuCI's; the file is the body of a function). */
const renderView = async (hostname: string, answer: Promise<unknown>): Promise<{ tree: unknown; declared: unknown }> => {
  let declared: unknown
  const E = (tag: string, attrs: Record<string, string>, children?: unknown): unknown => ({ tag, attrs, children })
  const view = { extend: (o: object): object => o }
  const rpc = { declare: (d: unknown) => { declared = d; return () => answer } }
  const body = readFileSync(VIEW, 'utf8')
  const module = new Function('view', 'rpc', 'E', '_', 'window', body)(view, rpc, E, (s: string) => s, { location: { hostname } }) as { load: () => Promise<unknown>; render: (d: unknown) => unknown }
  return { tree: module.render(await module.load()), declared }
}

const linkOf = (tree: unknown): string => {
  const text = JSON.stringify(tree)
  return /"href":"([^"]+)"/.exec(text)?.[1] as string
}

t.test('the view links to /admin/ on the API port, at the address LuCI was reached by, in a new tab', async (t) => {
  const { tree, declared } = await renderView('192.168.1.1', Promise.resolve({ port: 8081, enabled: true }))
  t.same(declared, { object: 'hotspot', method: 'get_api_settings', expect: { data: {} } })
  t.equal(linkOf(tree), 'http://192.168.1.1:8081/admin/')
  t.match(JSON.stringify(tree), '"target":"_blank"')
  t.notMatch(JSON.stringify(tree), 'alert-message', 'no warning while hotspotd answers')
  const v6 = await renderView('[fd00::1]', Promise.resolve({ port: 8080 }))
  t.equal(linkOf(v6.tree), 'http://[fd00::1]:8080/admin/')
})

t.test('hotspotd not answering: the default port, and a warning', async (t) => {
  const { tree } = await renderView('10.0.0.1', Promise.reject(new Error('Object not found')))
  t.equal(linkOf(tree), 'http://10.0.0.1:8080/admin/')
  t.match(JSON.stringify(tree), 'alert-message warning')
})
