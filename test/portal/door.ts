import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
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
	option mobile '1'
config sms 'sms'
	option country_code '44'
	option max_per_hour '7'
	option message 'Code: {code}'
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
  // The SMS gateway: a server on loopback that records what it is sent.
  const texts: string[] = []
  const sms = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => { texts.push(`${String(req.url)} ${body}`); res.end('ok') })
  })
  await new Promise<void>((resolve) => sms.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { sms.close(() => { resolve() }) }))
  const smsUrl = `http://127.0.0.1:${(sms.address() as AddressInfo).port}/send`
  let facebook = ''
  const parts: PortalParts = {
    config: () => configFromUci(parseUci(`${UCI}\toption url '${smsUrl}'\n${facebook}`), 'f'),
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
  t.same(door.login.settings(), {
    voucher: true, email: true, mobile: true, facebook: false, free: false, maxDevices: 2, maxSessionMinutes: 120, guestMinutes: 30, countryCode: '44', smsPerHour: 7,
  })
  const fb = { appId: '', appSecret: '', apiVersion: 'v21.0', dialogUrl: 'https://www.facebook.com', graphUrl: 'https://graph.facebook.com' }
  t.same(door.settings(), {
    path: '/hs/', gateway: '127.0.0.1:2051', methods: { voucher: true, email: true, mobile: true, facebook: false, free: false }, landing: 'https://example.org/',
    smsMessage: 'Code: {code}', facebook: { ...fb, redirectUri: 'http://127.0.0.1:2081/hs/facebook' },
  }, 'not listening yet')
  gateway = '10.9.0.1'
  t.equal(door.settings().gateway, '10.9.0.1:2051', 'openNDS\' address on the guest side')
  t.equal(door.settings().facebook.redirectUri, 'http://10.9.0.1:2081/hs/facebook', 'Facebook comes back to the portal itself')
  facebook = "config facebook 'facebook'\n\toption redirect_uri 'https://cafe.example/fb'\n"
  t.equal(door.settings().facebook.redirectUri, 'https://cafe.example/fb', 'or to the URI registered with the app')
  await door.login.sendSms('+447700900123', 'Code: 123456', '123456')
  t.same(texts, ['/send to=%2B447700900123&text=Code%3A%20123456'], 'the configured gateway gets the message')
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
