/**
 * @module test/enforce/binauth
 * The BinAuth spool: hotspotd's real BinAuth script (openwrt/files/usr/lib/hotspotd/binauth) run
 * with the arguments openNDS 9.10 really passed (test/fixtures/opennds/binauth-events.log), and
 * takeSpooled reading what it left; then the spool's odd cases (missing, not a directory,
 * half-written, malformed, a directory where a file should be, the same token twice).
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseBinauthLine, takeSpooled } from '../../src/enforce/binauth'
import { createLogger } from '../../src/log'

const SCRIPT = 'openwrt/files/usr/lib/hotspotd/binauth'

/** The recorded events: the arguments openNDS gave, in order. */
const EVENTS: string[][] = readFileSync('test/fixtures/opennds/binauth-events.log', 'utf8').trim().split('\n')
  .map((line) => [...line.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] as string))

const logger = (): { log: ReturnType<typeof createLogger>; lines: string[] } => {
  const lines: string[] = []
  return { log: createLogger((l) => { lines.push(l) }, 'debug'), lines }
}

const run = (spool: string, args: string[]): string =>
  execFileSync(SCRIPT, args, { env: { PATH: process.env.PATH, HOTSPOTD_BINAUTH_SPOOL: spool }, encoding: 'utf8' })

t.test("the script spools every deauth openNDS reported, with its totals, and allows auth_client with openNDS' defaults", async (t) => {
  const spool = join(t.testdir(), 'spool')
  const answers = EVENTS.map((args) => run(spool, args))
  const deauths = EVENTS.filter((a) => a[0]?.endsWith('deauth') === true)
  t.ok(deauths.length >= 10, `the fixture holds deauth events (${deauths.length})`)
  const authClient = answers.filter((_, i) => EVENTS[i]?.[0] === 'auth_client')
  t.ok(authClient.length >= 3, `the fixture holds auth_client events (${authClient.length})`)
  t.same([...new Set(authClient)], ['0 0 0 0 0\n'], 'auth_client is answered with allowed, defaults')
  t.same(answers.filter((_, i) => EVENTS[i]?.[0] !== 'auth_client'), EVENTS.filter((a) => a[0] !== 'auth_client').map(() => ''), 'the others get no answer')
  const files = readdirSync(spool)
  t.equal(files.length, deauths.length, 'one file per deauth')
  t.ok(files.every((f) => f.startsWith('ev.')), 'no half-written file left')
  const { log, lines } = logger()
  const taken = takeSpooled(spool, log)
  t.same(readdirSync(spool), [], 'taken files are removed')
  t.same(lines, [])
  const quota = taken.get('0ccd12cb')
  t.same(quota, { reason: 'downquota_deauth', mac: '02:77:00:00:00:11', token: '0ccd12cb', custom: 'voucher=RIG-0001', downloadBytes: 13016697, uploadBytes: 1260651 },
    "the download quota deauth: bytes_in is the guest's download")
  t.same(taken.get('f039e496'), { reason: 'upquota_deauth', mac: '02:77:00:00:00:11', token: 'f039e496', custom: 'upq', downloadBytes: 33083, uploadBytes: 1039926 })
  t.equal(taken.get('dbe12224')?.custom, 'dm91Y2hlcj1SSUctMDAwMg==', 'custom URL-decoded')
  t.equal(taken.size, new Set(deauths.map((a) => a[6])).size, 'one entry per token')
  t.same(takeSpooled(spool, log).size, 0, 'taken once')
})

t.test('the script ignores events without totals and survives a spool it cannot make', async (t) => {
  const dir = t.testdir({ blocker: 'a file' })
  t.equal(run(join(dir, 'spool'), ['client_auth', '02:77:00:00:00:12', '0', '0', '1', '2', 'dbe12224', 'x']), '')
  t.equal(run(join(dir, 'spool'), ['ndsctl_deauth', '02:77:00:00:00:12', '1']), '', 'a deauth with too few arguments')
  t.same(readdirSync(dir), ['blocker'], 'nothing spooled, no spool made')
  t.equal(run(join(dir, 'blocker', 'spool'), ['idle_deauth', '02:77:00:00:00:12', '1', '2', '3', '4', 'abcd0001', '']), '', 'exit 0 even so')
})

t.test('an empty custom string survives the round trip', async (t) => {
  const spool = join(t.testdir(), 'spool')
  run(spool, ['idle_deauth', '02:77:00:00:00:12', '10', '20', '3', '4', 'abcd0001', ''])
  t.same(takeSpooled(spool, logger().log).get('abcd0001'),
    { reason: 'idle_deauth', mac: '02:77:00:00:00:12', token: 'abcd0001', custom: '', downloadBytes: 10, uploadBytes: 20 })
})

t.test('parseBinauthLine accepts only deauth events with counts', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['download_quota_deauth 02:77:00:00:00:11 5 6 1 2 tok custom\n', true],
    ['downquota_deauth 02:77:00:00:00:11 5 6 1 2 tok custom\r\n', true],
    ['client_auth 02:77:00:00:00:11 0 0 1 2 tok custom', false],
    ['idle_deauth 02:77:00:00:00:11 -5 6 1 2 tok custom', false],
    ['idle_deauth 02:77:00:00:00:11 5 x 1 2 tok custom', false],
    ['idle_deauth 02:77:00:00:00:11 5 6 1 2 tok', false],
    ['idle_deauth 02:77:00:00:00:11 5 6 1 2 tok a b', false],
    ['', false],
  ]
  for (const [line, ok] of cases) t.equal(parseBinauthLine(line) !== undefined, ok, JSON.stringify(line))
  t.equal(parseBinauthLine('idle_deauth aa:bb:cc:dd:ee:ff 1 2 3 4 tok %E0%A4%A')?.custom, '%E0%A4%A', 'a custom that does not decode is kept as it is')
  t.equal(parseBinauthLine('idle_deauth aa:bb:cc:dd:ee:ff 1 2 3 4 tok x')?.mac, 'AA:BB:CC:DD:EE:FF', 'MACs upper case, as ndsctl json has them')
})

t.test('takeSpooled: odd spools', async (t) => {
  const { log, lines } = logger()
  const dir = t.testdir({ 'not-a-dir': 'x' })
  t.same(takeSpooled(join(dir, 'missing'), log).size, 0, 'a missing spool is empty, silently')
  t.same(lines, [])
  t.same(takeSpooled(join(dir, 'not-a-dir'), log).size, 0)
  t.match(lines, [/^warn: enforce: BinAuth spool .*not-a-dir cannot be read: ENOTDIR/])
  lines.length = 0
  const spool = join(dir, 'spool')
  mkdirSync(join(spool, 'ev.adir'), { recursive: true })
  writeFileSync(join(spool, '.tmp.123'), 'idle_deauth 02:77:00:00:00:11 1') // being written
  writeFileSync(join(spool, 'ev.bad'), 'hello')
  writeFileSync(join(spool, 'ev.t1.1'), 'idle_deauth 02:77:00:00:00:11 100 5 1 2 t1 c\n')
  writeFileSync(join(spool, 'ev.t1.2'), 'ndsctl_deauth 02:77:00:00:00:11 90 7 1 2 t1 c\n')
  const taken = takeSpooled(spool, log)
  t.same([...taken.values()], [{ reason: 'ndsctl_deauth', mac: '02:77:00:00:00:11', token: 't1', custom: 'c', downloadBytes: 100, uploadBytes: 7 }],
    'the same token twice: the larger counts')
  t.same(readdirSync(spool), ['.tmp.123'], 'everything else removed, the file being written left alone')
  t.match(lines, [/BinAuth event .*ev\.adir cannot be taken: EISDIR/, /BinAuth event .*ev\.bad is not a deauth with totals; removed/])
})
