import t from 'tap'
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configFromUci, generateApiKey, loadConfig, saveAdminPasswordHash, saveCloudCredential, saveNewApiKey, updateUci } from '../../src/config/config'
import { parseUci } from '../../src/config/uci'

const SHIPPED = `
config hotspotd 'main'
	option state_dir '/etc/hotspotd'
	option default_valid_for '1 day'
	option backend 'opennds'

config api 'api'
	option enabled '0'
	option post '1'
	option get '0'
	option key ''
	option port '8080'
	list interface 'lan'
	list interface 'mgmt'
`

const DEFAULTS = {
  stateDir: '/etc/hotspotd',
  sqlite: 'auto',
  defaultValidFor: '1 day',
  backend: 'opennds',
  logLevel: 'info',
  api: { enabled: false, post: true, get: false, key: '', port: 8080, interfaces: ['lan', 'mgmt'] },
  ubus: { socket: '/var/run/ubus/ubus.sock', jsonrpc: 'auto' },
  opennds: { ndsctl: '/usr/bin/ndsctl', leases: ['/tmp/dhcp.leases', '/var/lib/misc/dnsmasq.leases', '/var/db/dnsmasq.leases'], pollInterval: 10, flushInterval: 300, binauthSpool: '/tmp/hotspotd/binauth' },
  portal: {
    guestInterfaces: ['guest'], enabled: true, port: 2080, path: '/portal/', gatewayPort: 2050,
    methods: { voucher: true, email: false, mobile: false, facebook: false, free: false }, maxDevices: 1, sessionMinutes: 1440, guestMinutes: 60, landing: '',
  },
  sms: {
    url: '', method: 'POST', body: 'to={to}&text={text}', contentType: 'application/x-www-form-urlencoded', headers: [], successText: '',
    countryCode: '', message: '', timeout: 10, maxPerHour: 100,
  },
  facebook: {
    appId: '', appSecret: '', redirectUri: '', apiVersion: 'v21.0', dialogUrl: 'https://www.facebook.com', graphUrl: 'https://graph.facebook.com',
  },
  cloud: { enabled: false, relay: '', relayAddress: '', credential: '', enrollKey: '', caFile: '', allowGet: false },
  adminPasswordHash: '',
  adminSessionTimeout: 1800,
}

t.test('the shipped file and an empty file mean the same defaults', async (t) => {
  t.same(configFromUci(parseUci(SHIPPED), 'f'), DEFAULTS)
  t.same(configFromUci(parseUci(''), 'f'), DEFAULTS)
})

t.test('the config shipped for OpenWrt holds exactly the defaults', async (t) => {
  t.same(loadConfig('openwrt/files/hotspotd.config').config, DEFAULTS)
})

t.test('every option is read', async (t) => {
  const c = configFromUci(parseUci(`
config hotspotd 'main'
	option state_dir '/srv/h'
	option sqlite 'wasm'
	option default_valid_for '2 Hours'
	option backend 'none'
	option log_level 'debug'
config api 'api'
	option enabled 'yes'
	option post 'off'
	option get 'true'
	option key 'k'
	option port '80'
	option interface 'br-lan eth1'
config ubus 'ubus'
	option socket '/tmp/u.sock'
	option jsonrpc 'ON'
config admin 'admin'
	option password_hash '$scrypt$x'
	option session_timeout '300'
config opennds 'opennds'
	option ndsctl '/opt/ndsctl'
	list leases '/run/leases'
	option poll_interval '5'
	option flush_interval '60'
	option binauth_spool '/run/h/binauth'
config portal 'portal'
	list guest_interface 'guest'
	list guest_interface 'iot'
	option enabled '0'
	option port '8888'
	option path '/'
	option gateway_port '2051'
	option voucher '0'
	option email '1'
	option free '1'
	option mobile 'on'
	option facebook '1'
	option max_devices '3'
	option session_minutes '60'
	option guest_minutes '30'
	option landing 'https://example.com/welcome'
config sms 'sms'
	option url 'https://sms.example/send?key=k&to={to}'
	option method 'get'
	option body '{"to":"{to}"}'
	option content_type 'application/json'
	list header 'X-Key: abc'
	list header 'Accept:application/json'
	option success_text 'queued'
	option country_code '44'
	option message 'Code {code}'
	option timeout '5'
	option max_per_hour '20'
config facebook 'facebook'
	option app_id ' 4242 '
	option app_secret 's3cret'
	option redirect_uri 'https://portal.example/fb'
	option api_version 'v19.0'
	option dialog_url 'http://127.0.0.1:9/'
	option graph_url 'http://127.0.0.1:10//'
config cloud 'cloud'
	option enabled '1'
	option relay 'wss://relay.example.net'
`), 'f')
  t.same(c, {
    stateDir: '/srv/h', sqlite: 'wasm', defaultValidFor: '2 hours', backend: 'none', logLevel: 'debug',
    api: { enabled: true, post: false, get: true, key: 'k', port: 80, interfaces: ['br-lan', 'eth1'] },
    ubus: { socket: '/tmp/u.sock', jsonrpc: 'on' },
    opennds: { ndsctl: '/opt/ndsctl', leases: ['/run/leases'], pollInterval: 5, flushInterval: 60, binauthSpool: '/run/h/binauth' },
    portal: {
      guestInterfaces: ['guest', 'iot'], enabled: false, port: 8888, path: '/', gatewayPort: 2051,
      methods: { voucher: false, email: true, mobile: true, facebook: true, free: true }, maxDevices: 3, sessionMinutes: 60, guestMinutes: 30, landing: 'https://example.com/welcome',
    },
    sms: {
      url: 'https://sms.example/send?key=k&to={to}', method: 'GET', body: '{"to":"{to}"}', contentType: 'application/json',
      headers: ['X-Key: abc', 'Accept:application/json'], successText: 'queued', countryCode: '44', message: 'Code {code}', timeout: 5, maxPerHour: 20,
    },
    facebook: {
      appId: '4242', appSecret: 's3cret', redirectUri: 'https://portal.example/fb', apiVersion: 'v19.0', dialogUrl: 'http://127.0.0.1:9', graphUrl: 'http://127.0.0.1:10',
    },
    cloud: { enabled: true, relay: 'wss://relay.example.net', relayAddress: '', credential: '', enrollKey: '', caFile: '', allowGet: false },
    adminPasswordHash: '$scrypt$x',
    adminSessionTimeout: 300,
  })
  t.equal(configFromUci(parseUci("config ubus 'ubus'\n\toption jsonrpc '0'"), 'f').ubus.jsonrpc, 'off')
})

const bad: Array<[string, string]> = [
  ["config api 'api'\n\toption enabled 'maybe'", `f: option hotspotd.api.enabled: expected '1' or '0', got "maybe"`],
  ["config api 'api'\n\toption port '0'", 'f: option hotspotd.api.port: expected a whole number from 1 to 65535, got "0"'],
  ["config api 'api'\n\toption port '65536'", 'f: option hotspotd.api.port: expected a whole number from 1 to 65535, got "65536"'],
  ["config api 'api'\n\toption port 'http'", 'f: option hotspotd.api.port: expected a whole number from 1 to 65535, got "http"'],
  ["config api 'api'\n\tlist key 'a'\n\tlist key 'b'", 'f: option hotspotd.api.key: expected a single value, got ["a","b"]'],
  ["config hotspotd 'main'\n\toption default_valid_for '7 weeks'", `f: option hotspotd.main.default_valid_for: expected one of the seed's valid_for values, got "7 weeks"`],
  ["config hotspotd 'main'\n\toption sqlite 'mysql'", `f: option hotspotd.main.sqlite: expected 'auto', 'native' or 'wasm', got "mysql"`],
  ["config hotspotd 'main'\n\toption log_level 'loud'", 'f: option hotspotd.main.log_level: expected debug, info, warn or error, got "loud"'],
  ["config ubus 'ubus'\n\toption jsonrpc 'sometimes'", `f: option hotspotd.ubus.jsonrpc: expected 'auto', '1' or '0', got "sometimes"`],
  ["config portal 'portal'\n\toption path 'portal'", `f: option hotspotd.portal.path: expected a path like '/portal/', got "portal"`],
  ["config portal 'portal'\n\toption path '/a b/'", `f: option hotspotd.portal.path: expected a path like '/portal/', got "/a b/"`],
  ["config portal 'portal'\n\toption landing 'javascript:alert(1)'", 'f: option hotspotd.portal.landing: expected an http(s) URL, got "javascript:alert(1)"'],
  ["config portal 'portal'\n\toption landing 'not a url'", 'f: option hotspotd.portal.landing: expected an http(s) URL, got "not a url"'],
  ["config portal 'portal'\n\toption landing 'https://u:p@example.com/'", 'f: option hotspotd.portal.landing: expected an http(s) URL, got "https://u:p@example.com/"'],
  ["config portal 'portal'\n\toption mobile '1'", 'f: option hotspotd.sms.url: expected an http(s) URL, got ""'],
  ["config sms 'sms'\n\toption url 'ftp://x/'", 'f: option hotspotd.sms.url: expected an http(s) URL, got "ftp://x/"'],
  ["config sms 'sms'\n\toption method 'PUT'", `f: option hotspotd.sms.method: expected 'GET' or 'POST', got "PUT"`],
  ["config sms 'sms'\n\tlist header 'X-Key abc'", `f: option hotspotd.sms.header: expected 'Name: value', got "X-Key abc"`],
  ["config sms 'sms'\n\tlist header 'Bad Name: v'", `f: option hotspotd.sms.header: expected 'Name: value', got "Bad Name: v"`],
  ["config sms 'sms'\n\toption country_code '+44'", `f: option hotspotd.sms.country_code: expected 1 to 3 digits such as '44', got "+44"`],
  ["config sms 'sms'\n\toption message 'Your code'", `f: option hotspotd.sms.message: expected a text holding '{code}', got "Your code"`],
  ["config sms 'sms'\n\toption timeout '0'", 'f: option hotspotd.sms.timeout: expected a whole number from 1 to 120, got "0"'],
  ["config portal 'portal'\n\toption facebook '1'", 'f: option hotspotd.facebook.app_id: required while hotspotd.portal.facebook is on, got ""'],
  ["config portal 'portal'\n\toption facebook '1'\nconfig facebook 'facebook'\n\toption app_id '1'", 'f: option hotspotd.facebook.app_secret: required while hotspotd.portal.facebook is on, got ""'],
  ["config facebook 'facebook'\n\toption api_version '21'", `f: option hotspotd.facebook.api_version: expected a version like 'v21.0', got "21"`],
  ["config facebook 'facebook'\n\toption redirect_uri '/portal/facebook'", 'f: option hotspotd.facebook.redirect_uri: expected an http(s) URL, got "/portal/facebook"'],
  ["config facebook 'facebook'\n\toption graph_url 'graph'", 'f: option hotspotd.facebook.graph_url: expected an http(s) URL, got "graph"'],
  ["config cloud 'cloud'\n\toption enabled '1'", 'f: option hotspotd.cloud.relay: required while hotspotd.cloud.enabled is on, got ""'],
  ...['https://relay.example.net', 'wss://relay.example.net/path', 'wss://u:p@relay.example.net', 'wss://relay.example.net/?a=1', 'wss://relay.example.net/#x', 'wss://203.0.113.9', 'wss://[2001:db8::1]', 'relay.example.net'].map((relay): [string, string] =>
    [`config cloud 'cloud'\n\toption relay '${relay}'`, `f: option hotspotd.cloud.relay: expected the relay's wss:// URL with its domain name, like 'wss://relay.example.net', got "${relay}"`]),
  ["config cloud 'cloud'\n\toption relay_address '10.0.0.1/24'", 'f: option hotspotd.cloud.relay_address: expected an IP address or host name, got "10.0.0.1/24"'],
  // The credential is a secret: the error does not repeat it.
  ["config cloud 'cloud'\n\toption credential 'not-a-credential'", 'f: option hotspotd.cloud.credential: expected a device credential (<id>.<signature>), got "…"'],
]
for (const [text, message] of bad) {
  t.throws(() => configFromUci(parseUci(text), 'f'), { code: 'CONFIG', message }, message)
}

t.test('loadConfig names the file when it cannot be read or parsed', async (t) => {
  const dir = t.testdir({ good: SHIPPED, broken: "config api 'api\n" })
  t.same(loadConfig(join(dir, 'good')).config, DEFAULTS)
  t.throws(() => loadConfig(join(dir, 'missing')), { code: 'CONFIG', message: `cannot read config ${join(dir, 'missing')}: ENOENT` })
  t.throws(() => loadConfig(dir), { code: 'CONFIG', message: `cannot read config ${dir}: EISDIR` })
  t.throws(() => loadConfig(join(dir, 'broken')), { code: 'CONFIG', message: new RegExp(`^${join(dir, 'broken')}:1: `) })
})

t.test('a generated key is 128 random bits in hex', async (t) => {
  const a = generateApiKey()
  t.match(a, /^[0-9a-f]{32}$/)
  t.not(a, generateApiKey())
})

t.test('saveNewApiKey writes the key into the file as uci commit would', async (t) => {
  const dir = t.testdir({ hotspotd: SHIPPED })
  const file = join(dir, 'hotspotd')
  chmodSync(file, 0o640)
  const { pkg } = loadConfig(file)
  const key = saveNewApiKey(file, pkg)
  t.equal(loadConfig(file).config.api.key, key, 'read back')
  t.match(readFileSync(file, 'utf8'), `\toption key '${key}'`)
  t.equal(loadConfig(file).config.api.interfaces.join(), 'lan,mgmt', 'other options kept')
  t.equal(statSync(file).mode & 0o777, 0o640, 'mode kept')
})

t.test('saveNewApiKey adds the api section when the file has none', async (t) => {
  const dir = t.testdir({ hotspotd: "config hotspotd 'main'\n" })
  const file = join(dir, 'hotspotd')
  const key = saveNewApiKey(file, loadConfig(file).pkg)
  t.equal(loadConfig(file).config.api.key, key)
})

t.test('saveNewApiKey names the file when it cannot write', async (t) => {
  const dir = t.testdir({ sub: {} })
  const file = join(dir, 'sub', 'missing-dir', 'hotspotd')
  t.throws(() => saveNewApiKey(file, parseUci('')), { code: 'CONFIG', message: `cannot save the generated API key to ${file}: ENOENT` })
})

t.test('updateUci reads the file afresh, so edits made meanwhile survive', async (t) => {
  const dir = t.testdir({ hotspotd: SHIPPED })
  const file = join(dir, 'hotspotd')
  writeFileSync(file, `${SHIPPED}\nconfig extra 'x'\n\toption kept 'yes'\n`)
  saveAdminPasswordHash(file, '$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA')
  t.equal(loadConfig(file).config.adminPasswordHash, '$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA')
  t.match(readFileSync(file, 'utf8'), "config extra 'x'\n\toption kept 'yes'")
  saveNewApiKey(file)
  t.match(loadConfig(file).config.api.key, /^[0-9a-f]{32}$/)
})

t.test('the cloud section: a relay, a credential, and the credential an enrollment saves', async (t) => {
  const credential = `2b080b3af6.${'A'.repeat(43)}`
  const c = configFromUci(parseUci(`config cloud 'cloud'\n\toption enabled '1'\n\toption relay 'wss://relay.example.net:8443/'\n\toption relay_address '127.0.0.1'\n\toption credential ' ${credential} '\n\toption enroll_key 'e'\n\toption ca_file '/etc/hotspotd/ca.pem'\n\toption allow_get '1'`), 'f')
  t.same(c.cloud, { enabled: true, relay: 'wss://relay.example.net:8443/', relayAddress: '127.0.0.1', credential, enrollKey: 'e', caFile: '/etc/hotspotd/ca.pem', allowGet: true })
  const dir = t.testdir({ hotspotd: SHIPPED })
  const file = join(dir, 'hotspotd')
  saveCloudCredential(file, credential)
  t.equal(loadConfig(file).config.cloud.credential, credential, 'saved into hotspotd.cloud.credential')
  t.equal(loadConfig(file).config.portal.port, 2080, 'the other options stay (comments go, as with uci commit)')
})

t.test('updateUci names the file and what it saved when the file does not parse', async (t) => {
  const dir = t.testdir({ hotspotd: "config api 'api\n" })
  const file = join(dir, 'hotspotd')
  t.throws(() => { updateUci(file, 'the API settings', () => {}) }, { code: 'CONFIG', message: new RegExp(`^cannot save the API settings to ${file}: ${file}:1: `) })
  t.equal(readFileSync(file, 'utf8'), "config api 'api\n", 'left as it was')
})
