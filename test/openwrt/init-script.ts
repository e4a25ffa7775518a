// init.d/hotspotd under a stand-in for rc.common and procd (test/fixtures/openwrt/rc.common):
// what it asks procd to run, how to respawn it, where its output goes, what reloads it, for
// the shipped config and for an owner's changed one. Run by every shell at hand: dash (Debian's
// /bin/sh) and busybox ash (OpenWrt's /bin/sh) when installed.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { callsTo as calls, runInitScript } from '../fixtures/openwrt'

const INIT = resolve('init.d/hotspotd')
const SHIPPED = readFileSync(resolve('openwrt/files/hotspotd.config'), 'utf8')

const shells: Array<[string, string[]]> = [['dash', ['/bin/dash']], ['busybox ash', ['/bin/busybox', 'ash']]]

for (const [label, shell] of shells) {
  const missing = existsSync(shell[0] as string) ? false : `${shell[0] as string} is not installed (make test installs busybox)`
  t.test(label, { skip: missing }, async (t) => {

    t.test('start: one instance, its command line, respawn, logd and the stop timeout', async (t) => {
      const rec = runInitScript(INIT, SHIPPED, 'start', shell)
      t.same(calls(rec, 'procd_open_service'), [['hotspotd', INIT]])
      t.same(calls(rec, 'procd_open_instance'), [['main']])
      const params = new Map(calls(rec, 'procd_set_param').map(([k, ...v]) => [k, v]))
      t.same(params.get('command'), ['/usr/bin/node', '/usr/lib/hotspotd/hotspotd.js', '--config', '/etc/config/hotspotd', '--state-dir', '/etc/hotspotd'])
      t.same(params.get('respawn'), ['3600', '5', '5'], 'threshold, timeout, retries')
      t.same(params.get('stdout'), ['1'], 'stdout to logd')
      t.same(params.get('stderr'), ['1'], 'stderr to logd')
      t.same(params.get('term_timeout'), ['15'], 'time to flush byte counts on SIGTERM')
      t.same([...params.keys()].sort(), ['command', 'respawn', 'stderr', 'stdout', 'term_timeout'], 'nothing else')
      t.equal(calls(rec, 'procd_close_instance').length, 1)
    })

    t.test('triggers: uci commit of hotspotd or system reloads; so does each interface, once', async (t) => {
      const rec = runInitScript(INIT, SHIPPED, 'start', shell)
      t.same(calls(rec, 'procd_add_reload_trigger'), [['hotspotd', 'system']])
      t.same(calls(rec, 'procd_add_reload_interface_trigger'), [['lan'], ['mgmt'], ['guest']], 'api interfaces, then guest interfaces')
      const order = rec.map((c) => c[0])
      t.ok(order.indexOf('procd_add_reload_trigger') < order.indexOf('procd_close_service'), 'triggers are part of the service description')
    })

    t.test('an owner\'s config: another state_dir and interfaces, a duplicate named once', async (t) => {
      const config = SHIPPED
        .replace("option state_dir '/etc/hotspotd'", "option state_dir '/mnt/usb/hotspotd'")
        .replace("\tlist interface 'mgmt'\n", "\tlist interface 'guest'\n\tlist interface 'lan'\n")
        .replace("\tlist guest_interface 'guest'\n", "\tlist guest_interface 'guest'\n\tlist guest_interface 'guest5g'\n")
      const rec = runInitScript(INIT, config, 'start', shell)
      t.same(calls(rec, 'procd_set_param').find((c) => c[0] === 'command')?.slice(-2), ['--state-dir', '/mnt/usb/hotspotd'])
      t.same(calls(rec, 'procd_add_reload_interface_trigger'), [['lan'], ['guest'], ['guest5g']])
    })

    t.test('no state_dir and no interfaces: the default directory, no interface triggers', async (t) => {
      const rec = runInitScript(INIT, "config hotspotd 'main'\n\tlist unrelated 'x'\n", 'start', shell)
      t.same(calls(rec, 'procd_set_param').find((c) => c[0] === 'command')?.slice(-1), ['/etc/hotspotd'])
      t.same(calls(rec, 'procd_add_reload_interface_trigger'), [])
    })

    t.test('reload is SIGHUP to the running instance, nothing else', async (t) => {
      const rec = runInitScript(INIT, SHIPPED, 'reload', shell)
      t.same(rec, [['procd_send_signal', 'hotspotd', 'main', 'HUP']])
    })

    t.test('stop asks procd to end the service', async (t) => {
      t.same(runInitScript(INIT, SHIPPED, 'stop', shell), [['procd_kill', 'hotspotd']])
    })
  })
}

t.test('the script is what OpenWrt runs: rc.common shebang, START and STOP for rc.d links', async (t) => {
  const text = readFileSync(INIT, 'utf8')
  t.match(text, /^#!\/bin\/sh \/etc\/rc\.common\n/)
  t.match(text, /\nSTART=99\n/)
  t.match(text, /\nSTOP=10\n/)
  t.match(text, /\nUSE_PROCD=1\n/)
})
