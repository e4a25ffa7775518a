// End to end with Debian's real openNDS 9.10 in namespaces this test creates, and the built
// daemon as openNDS' FAS (security level 1) in the router's namespace: a guest is captured,
// sent to hotspotd's portal, signs in with a voucher, moves data, shows in get_active_guests
// with its bytes, keeps them counted across a kill -9 of the daemon, and is cut off once its
// voucher's download limit is reached.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleProblem, runBundle, until, type BundleProcess } from '../fixtures/bundle'
import { ndsRigProblem, startNdsRig, type NdsRig } from '../fixtures/nds-rig'

const KEY = 'e2e-api-key-0123456789abcdef0123'
const FASKEY = 'e2efaskey2080'
// One openNDS rig runs at a time on a machine (see nds-rig), so this file may first wait for
// another's; tap's default 30 s per file is too short for that.
t.setTimeout(240_000)

const problem = ndsRigProblem() ?? bundleProblem()

t.test('a guest signs in with a voucher at hotspotd\'s portal and is cut off at its limit', { skip: problem ?? false }, async (t) => {
  // openNDS also enforces the quota hotspotd hands it, but only every checkinterval; it is set
  // long here so that what this test sees cutting the guest off is hotspotd's own loop, not a
  // race between the two.
  const rig: NdsRig = await startNdsRig(t, [
    'login_option_enabled 0', 'fasport 2080', 'fasremoteip 10.77.0.1', 'faspath /portal/', 'fas_secure_enabled 1', `faskey ${FASKEY}`, '',
  ].join('\n'), 120)
  const [c1] = rig.guests
  const dir = t.testdirName
  const cfg = join(dir, 'hotspotd.config')
  writeFileSync(cfg, `config hotspotd 'main'
	option backend 'opennds'
config api 'api'
	option enabled '1'
	option key '${KEY}'
config ubus 'ubus'
	option socket '${join(dir, 'no-ubusd.sock')}'
	option jsonrpc '0'
config opennds 'opennds'
	option ndsctl '${rig.ndsctl}'
	option poll_interval '1'
	list leases '${join(rig.runDir, 'dhcp.leases')}'
config portal 'portal'
	list guest_interface 'guest0'
	option port '2080'
	option path '/portal/'
`)
  /** Starts the built daemon in the router's namespace, as procd would run it there. */
  const start = async (): Promise<BundleProcess> =>
    await runBundle(t, ['--config', cfg, '--state-dir', join(dir, 'state'), '--listen', '127.0.0.1:0'], ['ip', 'netns', 'exec', rig.routerNs])
  let daemon = await start()
  t.match(daemon.started, /portal on 10\.77\.0\.1:2080/, 'the portal listens on the guest address')
  const apiPort = (): string => /127\.0\.0\.1:(\d+)/.exec(daemon.started)?.[1] as string
  const api = (params: Record<string, string>): Record<string, unknown> =>
    JSON.parse(rig.inRouter(['curl', '-s', '-d', new URLSearchParams({ 'api-key': KEY, ...params }).toString(), `http://127.0.0.1:${apiPort()}/api/`])) as Record<string, unknown>
  t.match(api({ action: 'create_voucher', username: 'room42', passcode: 'pass4242', download_limit: '2' }), { message: 'User added successfully' })

  // The guest opens a web page: openNDS redirects to the portal (level 1: fas=...), which shows the sign-in page.
  const page = join(dir, 'page.html')
  const first = rig.inGuest(c1, ['curl', '-s', '-L', '-m', '10', '-o', page, '-w', '%{http_code} %{url_effective}', 'http://10.77.9.2/news'])
  t.match(first.stdout, /^200 http:\/\/10\.77\.0\.1:2080\/portal\/\?fas=/, 'captured and sent to hotspotd\'s portal')
  const sid = /name="sid" value="([0-9a-f]{32})"/.exec(readFileSync(page, 'utf8'))?.[1] as string
  t.match(sid, /^[0-9a-f]{32}$/, 'the sign-in page')

  const wrong = rig.inGuest(c1, ['curl', '-s', '-m', '10', '-o', page, '-w', '%{http_code}', '-d', `sid=${sid}&method=voucher&username=room42&passcode=nope`, 'http://10.77.0.1:2080/portal/login'])
  t.equal(wrong.stdout, '200')
  t.match(readFileSync(page, 'utf8'), 'role="alert"', 'a wrong passcode is refused')
  t.match(rig.inGuest(c1, ['curl', '-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.77.9.2/bytes/1000']).stdout, /^30[27]$/, 'and the guest is still held')

  const ok = rig.inGuest(c1, ['curl', '-s', '-m', '10', '-o', page, '-w', '%{http_code}', '-d', `sid=${sid}&method=voucher&username=room42&passcode=pass4242`, 'http://10.77.0.1:2080/portal/login'])
  t.equal(ok.stdout, '200')
  t.match(readFileSync(page, 'utf8'), 'href="http://10.77.9.2/news"', 'connected, with a link back to the page the guest wanted')

  t.equal(rig.inGuest(c1, ['curl', '-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', 'http://10.77.9.2/bytes/1000000']).stdout, '200 1000000', 'the guest is through')
  const guests = api({ action: 'get_active_guests' }).data as Array<Record<string, string>>
  t.match(guests, [{ logins: 'room42', address: c1.ip, 'mac-address': c1.mac.toUpperCase() }], 'get_active_guests names the voucher')
  t.ok(Number(guests[0]?.['bytes-out']) >= 1_000_000, `and counts the bytes sent to the guest (${guests[0]?.['bytes-out']})`)

  // The daemon is killed mid-session and started again: the guest's bytes so far still count.
  daemon.child.kill('SIGKILL')
  await daemon.exited
  daemon = await start()
  t.equal(rig.inGuest(c1, ['curl', '-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.77.9.2/bytes/1000']).stdout, '200', 'openNDS kept the guest through the restart')

  // 2 MB in all: the next megabytes go over the voucher's limit, and the loop cuts the guest off.
  // (Downloads go on until then, so one slow or cut download on a busy machine changes nothing.)
  const cutOff = (): boolean => daemon.lines.some((l) => /enforce: voucher room42 on .*: session ended \(download_exhausted\)/.test(l))
  rig.inGuest(c1, ['curl', '-s', '-m', '10', '-o', '/dev/null', 'http://10.77.9.2/bytes/1500000'])
  const downloadingUntilCutOff = (): boolean => {
    if (cutOff()) return true
    rig.inGuest(c1, ['curl', '-s', '-m', '5', '-o', '/dev/null', 'http://10.77.9.2/bytes/300000'])
    return false
  }
  await until(downloadingUntilCutOff, 30_000, () => `not cut off:\n${daemon.lines.join('\n')}`, 200)
  t.match(rig.inGuest(c1, ['curl', '-s', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', 'http://10.77.9.2/bytes/1000']).stdout, /^30[27]$/, 'held at the portal again')
  const again = rig.inGuest(c1, ['curl', '-s', '-L', '-m', '10', '-o', page, '-w', '%{http_code}', 'http://10.77.9.2/news'])
  t.equal(again.stdout, '200')
  const sid2 = /name="sid" value="([0-9a-f]{32})"/.exec(readFileSync(page, 'utf8'))?.[1] as string
  rig.inGuest(c1, ['curl', '-s', '-m', '10', '-o', page, '-d', `sid=${sid2}&method=voucher&username=room42&passcode=pass4242`, 'http://10.77.0.1:2080/portal/login'])
  t.match(readFileSync(page, 'utf8'), 'role="alert"', 'signing in again with the used-up voucher is refused')
  const logins = (api({ action: 'get_logins' }).users as Array<{ result: string }>).map((l) => l.result)
  t.same(logins, ['wrong_credentials', 'success', 'download_exhausted'], 'every attempt is in the login log, with its reason')

  daemon.child.kill('SIGTERM')
  await until(() => daemon.lines.includes('info: hotspotd stopped'), 10_000, () => daemon.lines.join('\n'), 200)
})
