import t from 'tap'
import { portalDoor, type PortalParts } from '../../src/portal/door'
import { configFromUci } from '../../src/config/config'
import { parseUci } from '../../src/config/uci'
import type { Ndsctl, NdsGrant } from '../../src/backend/ndsctl'
import type { Enforcer } from '../../src/enforce/enforcer'
import { testContext } from '../fixtures/context'

const UCI = `config portal 'portal'
	list guest_interface 'guest'
	option port '2081'
	option path '/hs/'
	option gateway_port '2051'
	option email '1'
	option max_devices '2'
	option session_minutes '120'
	option guest_minutes '30'
	option landing 'https://example.org/'
`
const NETWORK = parseUci("config interface 'guest'\n\toption device 'br-guest'\n", '/etc/config/network')

t.test('the portal door reads the UCI settings at each use and shares the daemon\'s parts', async (t) => {
  const { ctx } = testContext(t)
  const auths: Array<[string, NdsGrant]> = []
  const asked: string[] = []
  const ndsctl = {
    auth: async (target: string, grant: NdsGrant) => { auths.push([target, grant]) },
    client: async (target: string) => { asked.push(target); return undefined },
  } as unknown as Ndsctl
  let enforcer: Enforcer | undefined
  const noted: number[] = []
  let gateway: string | undefined
  const parts: PortalParts = {
    config: () => configFromUci(parseUci(UCI), 'f'),
    store: ctx.store,
    ndsctl: () => ndsctl,
    enforcer: () => enforcer,
    log: ctx.log,
    emit: ctx.emit,
    now: () => 1_800_000_000,
    interfaces: () => ({ 'br-guest': [{ address: '10.9.0.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.9.0.1/24' }] }),
    network: () => NETWORK,
    gatewayHost: () => gateway,
  }
  const door = portalDoor(parts)
  t.same(door.login.settings(), { voucher: true, email: true, free: false, maxDevices: 2, maxSessionMinutes: 120, guestMinutes: 30 })
  t.same(door.settings(), { path: '/hs/', gateway: '127.0.0.1:2051', methods: { voucher: true, email: true, free: false }, landing: 'https://example.org/' }, 'not listening yet')
  gateway = '10.9.0.1'
  t.equal(door.settings().gateway, '10.9.0.1:2051', 'openNDS\' address on the guest side')
  t.same(door.subnets(), [{ network: '10.9.0.0', prefix: 24, device: 'br-guest' }], 'the logical guest interface, through its device')
  t.equal(door.login.now(), 1_800_000_000)

  const v = ctx.store.vouchers.insert({ username: 'u', passcode: 'p', fullname: 'f', valid_for: '1 day', valid_from: 0, created_at: 0, download_limit: 0, upload_limit: 0 })
  ctx.store.usage.flush([{ token: 'aaaaaaaa', voucherId: v.id, mac: '02:00:00:00:00:09', downloadKiB: 2, uploadKiB: 1 }], [])
  t.same(door.login.usage(v.id), { downloadBytes: 2048, uploadBytes: 1024 }, 'without the loop: what the store counted')
  door.login.noteFirstLogin(v.id) // nobody to tell
  enforcer = { usage: () => ({ downloadBytes: 7, uploadBytes: 8 }), noteFirstLogin: (id: number) => { noted.push(id) } } as unknown as Enforcer
  t.same(door.login.usage(v.id), { downloadBytes: 7, uploadBytes: 8 }, 'with the loop: its live count')
  door.login.noteFirstLogin(v.id)
  t.same(noted, [v.id])

  await door.login.ndsctl.auth('10.9.0.5', { minutes: 5 })
  t.same(auths, [['10.9.0.5', { minutes: 5 }]])
  t.equal(await door.ndsctl.client('10.9.0.5'), undefined)
  t.same(asked, ['10.9.0.5'])
})
