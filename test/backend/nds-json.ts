/**
 * @module test/backend/nds-json
 * `ndsctl json` output parsed from the real openNDS 9.10 fixtures (full list, one client, `{}`),
 * and every way malformed output is refused with an NdsOutputError instead of half-read clients.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NdsOutputError, parseNdsClient, parseNdsClients, type NdsClient, isOnline } from '../../src/backend/nds-json'

const FIXTURES = join(__dirname, '..', 'fixtures', 'opennds')
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8')

/** c1 right after `ndsctl auth 10.77.0.11 60 0 0 5120 10240 voucher=RIG-0001`. */
const C1_AUTHED: NdsClient = {
  mac: '02:77:00:00:00:11',
  ip: '10.77.0.11',
  token: '0ccd12cb',
  state: 'Authenticated',
  clientif: 'guest0',
  sessionStart: 1795442877,
  sessionEnd: 1795446477,
  lastActive: 1795442876,
  custom: 'voucher=RIG-0001',
  downloadQuotaKiB: 10240,
  uploadQuotaKiB: 5120,
  downloadKiB: 0,
  uploadKiB: 0,
  version: '9.10.0',
}

/** c2 as openNDS lists a client that has not logged in: "0" start, "null" end, "none" custom. */
const C2_PREAUTH: NdsClient = {
  mac: '02:77:00:00:00:12',
  ip: '10.77.0.12',
  token: 'dbe12224',
  state: 'Preauthenticated',
  clientif: 'guest0',
  sessionStart: null,
  sessionEnd: null,
  lastActive: 1795442876,
  custom: null,
  downloadQuotaKiB: null,
  uploadQuotaKiB: null,
  downloadKiB: 0,
  uploadKiB: 0,
  version: '9.10.0',
}

/** The fixture client object for c1 (authed), to be altered per case. */
const rawClient = (): Record<string, unknown> => JSON.parse(fixture('ndsctl-json-authed-client.json'))
const listOf = (...clients: Array<Record<string, unknown>>): string => JSON.stringify({
  client_list_length: String(clients.length),
  clients: Object.fromEntries(clients.map((c) => [String(c.mac), c])),
})

t.test('the full list form, from the real fixtures', async (t) => {
  t.same(parseNdsClients(fixture('ndsctl-json-authed.json')), [C1_AUTHED, C2_PREAUTH], 'one authenticated, one preauthenticated, in list order')
  t.same(parseNdsClients(fixture('ndsctl-json-preauth.json')).map((c) => [c.mac, c.state, c.sessionStart]), [
    ['02:77:00:00:00:11', 'Preauthenticated', null],
    ['02:77:00:00:00:12', 'Preauthenticated', null],
  ])
  const [c1] = parseNdsClients(fixture('ndsctl-json-after-traffic.json'))
  t.same([c1?.downloadKiB, c1?.uploadKiB, c1?.lastActive], [3071, 1073, 1795442878],
    'download_this_session is to the guest and upload_this_session from it, both KiB')
  t.same(parseNdsClients(fixture('ndsctl-json-after-quota-deauth.json')), [C2_PREAUTH], 'c1 gone after the quota deauth')
  t.same(parseNdsClients(fixture('ndsctl-json-before-shutdown.json')).map((c) => [c.mac, c.token, c.custom, c.sessionEnd]), [
    ['02:77:00:00:00:12', '1bd0608e', 'final', 1795529355],
    ['02:77:00:00:00:11', 'a090511a', 'final', 1795444755],
  ], 'list order is openNDS\' order, not sorted')
  t.same(parseNdsClients('{\n  "client_list_length":"0",\n  "clients":{\n  }\n}\n'), [], 'an empty list (as openNDS prints it)')
})

t.test('the trusted list that v9.10 appends when trusted MACs are configured is ignored', async (t) => {
  const doc = JSON.parse(fixture('ndsctl-json-authed.json'))
  doc.trusted_list_length = '1'
  doc.trusted = ['02:77:00:00:00:99']
  t.same(parseNdsClients(JSON.stringify(doc)), [C1_AUTHED, C2_PREAUTH])
})

t.test('a bare client object and {} (the single-client query)', async (t) => {
  t.same(parseNdsClients(fixture('ndsctl-json-authed-client.json')), [C1_AUTHED], 'parseNdsClients takes one client')
  t.same(parseNdsClients(fixture('ndsctl-json-unknown-client.json')), [], 'and {} as none')
  t.same(parseNdsClient(fixture('ndsctl-json-authed-client.json')), C1_AUTHED)
  t.equal(parseNdsClient(fixture('ndsctl-json-unknown-client.json')), undefined, '{} is no such client')
  t.same(parseNdsClient(fixture('ndsctl-json-preauth-client-by-mac.json')), { ...C2_PREAUTH, mac: '02:77:00:00:00:11', ip: '10.77.0.11', token: '0ccd12cb' })
  t.same(parseNdsClient(fixture('ndsctl-json-preauth-client-by-ip.json')), parseNdsClient(fixture('ndsctl-json-preauth-client-by-mac.json')))

  const limits = parseNdsClient(fixture('ndsctl-json-binauth-limits-client.json'))
  t.match(limits, { downloadQuotaKiB: 400, uploadQuotaKiB: 300, custom: 'dm91Y2hlcj1SSUctMDAwMg==', sessionEnd: 1795446485 },
    'limits that BinAuth set')
  const over = parseNdsClient(fixture('ndsctl-json-over-quota-before-check.json'))
  t.match(over, { state: 'Authenticated', downloadKiB: 12711, downloadQuotaKiB: 10240 }, 'over quota and not yet enforced')
  t.same(parseNdsClient(fixture('ndsctl-json-after-traffic2-client.json'))?.downloadKiB, 3578)
})

t.test('parseNdsClient refuses the full list: openNDS did not take the target', async (t) => {
  t.throws(() => parseNdsClient(fixture('ndsctl-json-authed.json')),
    { name: 'NdsOutputError', code: 'NDS_OUTPUT', message: 'unreadable ndsctl json output: the client list where one client was asked for' })
})

t.test('placeholders become null, values are read by name', async (t) => {
  const raw = rawClient()
  Object.assign(raw, {
    mac: '0a:bc:de:f0:12:34',
    clientif: '',
    session_start: 'null',
    session_end: '0',
    last_active: '0',
    custom: 'null',
    version: 'null',
    upload_quota: '0',
  })
  // Keys in another order, and a field v10 might add.
  const reordered = Object.fromEntries([['cpi_query', 'x'], ...Object.entries(raw).reverse()])
  t.same(parseNdsClient(JSON.stringify(reordered)), {
    ...C1_AUTHED,
    mac: '0A:BC:DE:F0:12:34',
    clientif: null,
    sessionStart: null,
    sessionEnd: null,
    lastActive: null,
    custom: null,
    version: null,
    uploadQuotaKiB: 0,
  }, 'mac upper-cased; "", "null" and epoch "0" are null; a quota of "0" stays 0')
  t.same(parseNdsClient(JSON.stringify({ ...rawClient(), custom: '' }))?.custom, null, 'an empty custom is null')
  t.same(parseNdsClient(JSON.stringify({ ...rawClient(), state: 'AuthBlocked' }))?.state, 'AuthBlocked', 'v10.2+ state passes through')
})

t.test('malformed output throws NdsOutputError saying what was wrong', async (t) => {
  const fails = (stdout: string, message: string, what: string): void => {
    t.throws(() => parseNdsClients(stdout), { name: 'NdsOutputError', code: 'NDS_OUTPUT', message: `unreadable ndsctl json output: ${message}` }, what)
  }
  fails('', 'empty output', 'nothing at all (e.g. an exit 4 read as success)')
  fails(' \n', 'empty output', 'blank')
  fails('ndsctl: opennds probably not started', 'not JSON (36 characters, starting "ndsctl: opennds probably not started")', 'text')
  const truncated = fixture('ndsctl-json-authed.json').slice(0, 500)
  t.throws(() => parseNdsClients(truncated), { message: /^unreadable ndsctl json output: not JSON \(500 characters, starting "\{\\n {2}\\"client_list_length/ },
    'cut-off output; the excerpt stays on one line')
  // openNDS does not escape custom: a quote in it breaks the JSON (seen in the rig).
  t.throws(() => parseNdsClients(fixture('ndsctl-json-authed-client.json').replace('voucher=RIG-0001', 'a"b')),
    { message: /^unreadable ndsctl json output: not JSON \(\d+ characters, starting "\{\\n {2}\\"gatewayname/ }, 'an unescaped quote in custom')
  t.type(t.throws(() => parseNdsClients('[]')), NdsOutputError, 'an NdsOutputError')
  fails('[]', 'not a JSON object: []', 'an array')
  fails('"null"', 'not a JSON object: "null"', 'a string')
  fails('null', 'not a JSON object: null', 'JSON null')
  fails('{"client_list_length":"1"}', 'clients is not an object: undefined', 'a list without clients')
  fails('{"client_list_length":"1","clients":[]}', 'clients is not an object: []', 'clients an array')
  fails('{"clients":{"02:77:00:00:00:11":"x"}}', 'client "02:77:00:00:00:11" is not an object: "x"', 'a client that is not an object')
  fails('{"gatewayname":"ndsrig","status":"ok"}', 'neither a client list nor a client, keys ["gatewayname","status"]', 'some other object')
})

t.test('a malformed client field fails the whole output, naming the client and field', async (t) => {
  const C2RAW = JSON.parse(fixture('ndsctl-json-after-quota-deauth.json')).clients['02:77:00:00:00:12']
  const fails = (change: Record<string, unknown>, message: string, what: string): void => {
    const raw = { ...rawClient(), ...change }
    t.throws(() => parseNdsClient(JSON.stringify(raw)), { name: 'NdsOutputError', message: `unreadable ndsctl json output: client: ${message}` }, what)
    t.throws(() => parseNdsClients(listOf(C2RAW, raw)), { message: `unreadable ndsctl json output: client "${String(raw.mac)}": ${message}` }, `${what}, in a list`)
  }
  fails({ mac: 'null' }, 'mac is empty', 'no MAC value')
  fails({ mac: '02-77-00-00-00-11' }, 'mac is not a MAC address: "02-77-00-00-00-11"', 'a MAC in another form')
  fails({ ip: '' }, 'ip is empty', 'an empty ip')
  fails({ token: undefined }, 'no token', 'a missing token')
  fails({ state: 3 }, 'state is not a string: 3', 'a JSON number where openNDS prints strings')
  fails({ session_start: '17954428770000000000' }, 'session_start is not a whole number: "17954428770000000000"', 'an unsafe integer')
  fails({ session_end: '-1' }, 'session_end is not a whole number: "-1"', 'a negative epoch')
  fails({ download_quota: '10.5' }, 'download_quota is not a whole number: "10.5"', 'a fractional quota')
  fails({ download_this_session: 'null' }, 'download_this_session is not a whole number: "null"', 'a counter with no value')
  fails({ upload_this_session: ' 12' }, 'upload_this_session is not a whole number: " 12"', 'a counter with a blank')
  fails({ custom: { a: 1 } }, 'custom is not a string: {"a":1}', 'an object value')
  fails({ download_this_session: '9'.repeat(50) }, `download_this_session is not a whole number: "${'9'.repeat(36)}...`, 'a long value, cut short')
})

t.test('isOnline: the states in which openNDS lets a client through', async (t) => {
  t.same(['Authenticated', 'AuthBlocked', 'Preauthenticated', 'Trusted', ''].map(isOnline), [true, true, false, false, false])
})
