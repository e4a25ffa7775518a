/**
 * @module test/backend/ndsctl
 * The ndsctl runner against a fake `ndsctl`: a shell script in the test directory that logs its
 * argv and start/end events and answers each call from a per-test list of shell steps (the real
 * fixture outputs and exit codes, exit 4 for a held lock, hangs, junk). Checks the queue (never two
 * children at once), lock retries and their delays, timeouts that kill the child, exit-code
 * mapping, the exact `ndsctl auth` argv, and that unsafe arguments never reach a child.
 */
import t from 'tap'
import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import { Ndsctl, NdsctlError, isNdsTarget, type NdsctlOptions } from '../../src/backend/ndsctl'
import { AUTH, cat, DEAUTH, fakeNdsctl, fixture, HANG, LOCKED, NOT_STARTED, say, type Fake } from '../fixtures/fake-ndsctl'

/** An Ndsctl on the fake whose sleep records the delays instead of waiting. */
const runner = (fake: Fake, opts: Partial<NdsctlOptions> = {}): { nds: Ndsctl; delays: number[] } => {
  const delays: number[] = []
  const nds = new Ndsctl({ path: fake.path, sleep: async (ms) => { delays.push(ms) }, ...opts })
  return { nds, delays }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** An NdsctlError's fields, for t.match / t.rejects. */
const ndsError = (reason: string, message: string | RegExp, exitCode: number | null = null): { message: string | RegExp; [k: string]: unknown } =>
  ({ name: 'NdsctlError', code: 'NDSCTL', reason, exitCode, message })

t.test('run: stdout of a call that exits 0, argv passed as an array', async (t) => {
  const fake = fakeNdsctl(t, [cat('ndsctl-status.txt')])
  const { nds } = runner(fake)
  t.equal(await nds.run(['status']), fixture('ndsctl-status.txt'))
  t.same(fake.argv(), ['ndsctl status'])
  t.equal(nds.path, fake.path)
})

t.test('run: calls are queued, never two children at once', async (t) => {
  const fake = fakeNdsctl(t, ['sleep 0.3; echo one', 'echo two', NOT_STARTED, 'echo four'])
  const { nds } = runner(fake)
  const both = await Promise.all([nds.run(['json']), nds.run(['status'])])
  t.same(both, ['one\n', 'two\n'])
  t.same(fake.events(), ['start 1', 'end 1', 'start 2', 'end 2'], 'the second started after the first ended')

  // A failed call does not stall the queue.
  const [failed, next] = await Promise.allSettled([nds.run(['json']), nds.run(['json'])])
  t.match(failed, { status: 'rejected', reason: { reason: 'not_running' } })
  t.same(next, { status: 'fulfilled', value: 'four\n' })
  t.same(fake.events().slice(4), ['start 3', 'end 3', 'start 4', 'end 4'])
})

t.test('run: exit 4 (lock held) is retried with a slowly growing delay', async (t) => {
  await t.test('until ndsctl gets the lock', async (t) => {
    const fake = fakeNdsctl(t, [LOCKED, LOCKED, LOCKED, cat('ndsctl-json-preauth.json')])
    const { nds, delays } = runner(fake)
    t.equal(await nds.run(['json']), fixture('ndsctl-json-preauth.json'))
    t.same(delays, [50, 55, 60], 'defaults: 50 ms, then 10% of it longer each time')
    t.same(fake.argv(), Array(4).fill('ndsctl json'))
  })

  await t.test('giving up after lockRetries', async (t) => {
    const fake = fakeNdsctl(t, [], LOCKED)
    const { nds, delays } = runner(fake, { lockRetries: 3, lockDelayMs: 10 })
    await t.rejects(nds.run(['json']), ndsError('locked', 'ndsctl json: exit 4 (lock held) on all 4 attempts', 4))
    t.same(delays, [10, 11, 12])
    t.equal(fake.argv().length, 4, 'one try and 3 retries')
  })

  await t.test('20 retries by default, the delay growing to twice the first', async (t) => {
    const fake = fakeNdsctl(t, [], LOCKED)
    const { nds, delays } = runner(fake)
    await t.rejects(nds.run(['json']), ndsError('locked', 'ndsctl json: exit 4 (lock held) on all 21 attempts', 4))
    t.same(delays, [50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    t.equal(fake.argv().length, 21)
  })

  await t.test('with the real sleep when none is injected', async (t) => {
    const fake = fakeNdsctl(t, [LOCKED], 'echo ok')
    const nds = new Ndsctl({ path: fake.path, lockDelayMs: 1 })
    t.equal(await nds.run(['json']), 'ok\n')
    t.equal(fake.argv().length, 2)
  })

  await t.test('only exit 4 is retried', async (t) => {
    const fake = fakeNdsctl(t, [NOT_STARTED], LOCKED)
    const { nds, delays } = runner(fake)
    await t.rejects(nds.run(['json']), { name: 'NdsctlError', reason: 'not_running' })
    t.same(delays, [])
    t.equal(fake.argv().length, 1)
  })
})

t.test('run: a call that hangs is killed at the timeout, and the queue goes on', async (t) => {
  const fake = fakeNdsctl(t, [HANG, cat('ndsctl-json-unknown-client.json')])
  const { nds } = runner(fake, { timeoutMs: 300 })
  await t.rejects(nds.run(['json']), ndsError('timeout', 'ndsctl json: no answer within 300 ms, killed'),
    'settles although a grandchild still holds the pipes')
  // SIGKILL is sent before the promise settles; give the kernel and libuv a moment to reap the child.
  const pid = fake.pid(1)
  for (let i = 0; i < 500 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.notOk(isAlive(pid), 'the fake ndsctl itself was killed')
  const grandchild = fake.hangPid()
  t.teardown(() => { if (isAlive(grandchild)) process.kill(grandchild, 'SIGKILL') })
  t.ok(isAlive(grandchild), 'while its grandchild still holds the pipes')
  t.notOk(fake.events().includes('end 1'), 'it never got to finish')
  t.equal(await nds.run(['json']), '{}\n', 'the next call runs')
})

t.test('run: exit codes and what the error says', async (t) => {
  const cases: Array<[string, string, string, number | null, string]> = [
    [say(AUTH[1]!.line, AUTH[1]!.exit), 'refused', 'ndsctl json: exit 1: Failed to authenticate client 10.77.0.11,60,0,0,5120,10240,again.', 1,
      'exit 1: the daemon said no, in its own words'],
    [NOT_STARTED, 'not_running', 'ndsctl json: exit 3: ndsctl: opennds probably not started (Error: No such file or directory)', 3,
      'exit 3: the last stderr line, after the library\'s pgrep noise'],
    ["echo 'ndsctl: Error: opennds sent an abnormal reply.' >&2; exit 2", 'failed', 'ndsctl json: exit 2: ndsctl: Error: opennds sent an abnormal reply.', 2,
      'exit 2 with its message'],
    ['exit 2', 'failed', 'ndsctl json: exit 2: abnormal reply from opennds', 2, 'exit 2 without output'],
    ['exit 3', 'not_running', 'ndsctl json: exit 3: cannot connect to opennds', 3, 'exit 3 without output'],
    ['exit 5', 'failed', 'ndsctl json: exit 5: cannot open the ndsctl lock file', 5, 'exit 5: lock file error, no output'],
    ['exit 6', 'failed', 'ndsctl json: exit 6: cannot lock the ndsctl lock file', 6, 'exit 6: lock error, no output'],
    ['exit 127', 'failed', 'ndsctl json: exit 127: no output', 127, 'another code'],
    ["printf '\\n  first\\tline \\r\\nsecond\\n'; echo noise >&2; exit 1", 'refused', 'ndsctl json: exit 1: first?line', 1,
      'the first stdout line, trimmed, control characters replaced'],
    [`printf '%0300d\\n' 7; exit 1`, 'refused', `ndsctl json: exit 1: ${'0'.repeat(197)}...`, 1, 'a long line cut short'],
    ['kill -KILL $$', 'failed', 'ndsctl json: killed by SIGKILL', null, 'killed by a signal'],
    ['head -c 5000000 /dev/zero', 'failed', 'ndsctl json: more than 4194304 bytes of output, killed', null, 'too much output'],
  ]
  const fake = fakeNdsctl(t, cases.map(([step]) => step))
  const { nds } = runner(fake)
  for (const [, reason, message, exitCode, what] of cases) {
    const err = await nds.run(['json']).then(() => undefined, (e: unknown) => e)
    t.type(err, NdsctlError, what)
    t.match(err, ndsError(reason, message, exitCode), what)
    t.notMatch((err as Error).message, /\n/, 'one line')
  }
  t.equal(fake.argv().length, cases.length)
})

t.test('run: ndsctl that cannot be run', async (t) => {
  const dir = t.testdir({ 'not-executable': '#!/bin/sh\necho hi\n', sub: {} })
  const missing = join(dir, 'nope', 'ndsctl')
  await t.rejects(new Ndsctl({ path: missing }).run(['json']), ndsError('missing', `ndsctl json: cannot run ${missing} (ENOENT)`))
  const plain = join(dir, 'not-executable')
  chmodSync(plain, 0o644)
  await t.rejects(new Ndsctl({ path: plain }).run(['status']), ndsError('missing', `ndsctl status: cannot run ${plain} (EACCES)`),
    'a file without the execute bit')
  await t.rejects(new Ndsctl({ path: join(dir, 'sub') }).run(['json']), { reason: 'missing', message: /\(EACCES\)$/ }, 'a directory')
  await t.rejects(new Ndsctl({ path: join(plain, 'x') }).run(['json']), { reason: 'missing', message: /\(ENOTDIR\)$/ }, 'a path through a file')
})

t.test('the constructor refuses an unusable path', async (t) => {
  t.throws(() => new Ndsctl({ path: '' }), { message: 'ndsctl: bad path ""' })
  t.throws(() => new Ndsctl({ path: '/usr/bin/nds\0ctl' }), { message: /^ndsctl: bad path / })
  t.throws(() => new Ndsctl({ path: '/usr/bin/ndsctl\n' }), { message: 'ndsctl: bad path "/usr/bin/ndsctl\\n"' }, 'it would break the one-line messages')
})

t.test('run: arguments ndsctl would cut or overflow on are refused before anything runs', async (t) => {
  const fake = fakeNdsctl(t, [])
  const { nds } = runner(fake)
  const refused: Array<[string[], string | RegExp]> = [
    [[], 'ndsctl: bad command undefined'],
    [['JSON'], 'ndsctl: bad command "JSON"'],
    [['auth', '10.77.0.11', '60', 'a,b'], 'ndsctl auth: argument "a,b" has a comma, a space or a control character'],
    [['auth', '10.77.0.11', 'a b'], 'ndsctl auth: argument "a b" has a comma, a space or a control character'],
    [['auth', '10.77.0.11', 'a\nb'], /argument "a\\nb" has a comma/],
    [['auth', '10.77.0.11', 'é'], /argument "é" has a comma/],
    [['auth', 'x'.repeat(127)], 'ndsctl auth: an argument is longer than 126 characters'],
    [['auth', 'x'.repeat(126), 'y'.repeat(126), 'z'.repeat(2)], 'ndsctl auth: the arguments are longer than 255 characters together'],
  ]
  for (const [args, message] of refused) {
    await t.rejects(nds.run(args), { name: 'Error', message }, JSON.stringify(args))
  }
  t.same(fake.argv(), [], 'no child was started')
  t.equal(await nds.run(['auth', 'x'.repeat(126), 'y'.repeat(126), 'z']), '', '255 characters together is still fine')
  t.same(fake.argv().length, 1)
})

t.test('isNdsTarget: MAC, IPv4, IPv6 or token, nothing else', async (t) => {
  for (const ok of ['02:77:00:00:00:11', '0A:bc:DE:f0:12:34', '10.77.0.11', '1.2.3.4', 'fe80::1234:5678', '::1', '::ffff:10.77.0.11',
    '0ccd12cb', 'a'.repeat(64)]) t.ok(isNdsTarget(ok), ok)
  for (const bad of ['', 'foo', 'eth0', '10.77.0.256', '10.77.0.11,60', ' 10.77.0.11', '10.77.0.11\n', '02:77:00:00:00:1', '02-77-00-00-00-11',
    'fe80::1%eth0', '0ccd12c', 'a'.repeat(65), '0ccd12cg', ':::']) t.notOk(isNdsTarget(bad), JSON.stringify(bad))
})

t.test('clients: the full list', async (t) => {
  const fake = fakeNdsctl(t, [cat('ndsctl-json-authed.json'), 'echo junk'])
  const { nds } = runner(fake)
  t.same((await nds.clients()).map((c) => [c.mac, c.state, c.downloadQuotaKiB]), [
    ['02:77:00:00:00:11', 'Authenticated', 10240],
    ['02:77:00:00:00:12', 'Preauthenticated', null],
  ])
  await t.rejects(nds.clients(), { name: 'NdsOutputError', code: 'NDS_OUTPUT', message: /not JSON/ })
  t.same(fake.argv(), ['ndsctl json', 'ndsctl json'])
})

t.test('client: one client by MAC, IP or token', async (t) => {
  const fake = fakeNdsctl(t, [
    cat('ndsctl-json-preauth-client-by-mac.json'),
    cat('ndsctl-json-unknown-client.json'),
    cat('ndsctl-json-authed-client.json'),
    cat('ndsctl-json-preauth.json'),
  ])
  const { nds } = runner(fake)
  t.match(await nds.client('02:77:00:00:00:11'), { mac: '02:77:00:00:00:11', state: 'Preauthenticated', token: '0ccd12cb' })
  t.equal(await nds.client('10.77.0.99'), undefined, '{} is an unknown client')
  t.match(await nds.client('0CCD12CB'), { ip: '10.77.0.11', state: 'Authenticated' }, 'a token, in openNDS\' lower case')
  await t.rejects(nds.client('10.77.0.12'), { name: 'NdsOutputError', message: /the client list where one client was asked for/ },
    'the full list is not misread as one client')
  t.same(fake.argv(), ['ndsctl json 02:77:00:00:00:11', 'ndsctl json 10.77.0.99', 'ndsctl json 0ccd12cb', 'ndsctl json 10.77.0.12'])

  await t.rejects(nds.client('::1'), { name: 'Error', message: 'ndsctl json: "::1" is 6 characters or fewer, which openNDS takes as "list all"' },
    'a short target would list every client')
  await t.rejects(nds.client('foo'), { name: 'Error', message: 'ndsctl json: "foo" is not a MAC, IP address or token' })
  await t.rejects(nds.client('10.77.0.11 10.77.0.12'), { message: /is not a MAC, IP address or token/ })
  t.equal(fake.argv().length, 4, 'refused targets ran nothing')
})

t.test('auth: the argv openNDS expects', async (t) => {
  const ok = say(AUTH[0]!.line, AUTH[0]!.exit)
  const fake = fakeNdsctl(t, [], ok)
  const { nds } = runner(fake)
  await nds.auth('10.77.0.11', { minutes: 60, uploadQuotaKiB: 5120, downloadQuotaKiB: 10240, custom: 'voucher=RIG-0001' })
  await nds.auth('10.77.0.11', { minutes: 60 })
  await nds.auth('02:77:00:00:00:1A', { minutes: 1, downloadKbit: 2000 })
  await nds.auth('dbe12224', { minutes: 60, uploadKbit: 100, downloadKbit: 200, uploadQuotaKiB: 300, downloadQuotaKiB: 400, custom: 'dm91Y2hlcj1SSUctMDAwMg==' })
  await nds.auth('10.77.0.11', { minutes: 30, uploadKbit: 0, custom: '' })
  await nds.auth('10.77.0.11', { minutes: 30, custom: 'a' })
  t.same(fake.argv(), [
    'ndsctl auth 10.77.0.11 60 0 0 5120 10240 voucher=RIG-0001',
    'ndsctl auth 10.77.0.11 60',
    'ndsctl auth 02:77:00:00:00:1a 1 0 2000',
    'ndsctl auth dbe12224 60 100 200 300 400 dm91Y2hlcj1SSUctMDAwMg==',
    'ndsctl auth 10.77.0.11 30 0',
    'ndsctl auth 10.77.0.11 30 0 0 0 0 a',
  ], 'order: target, minutes, up rate, down rate, up quota, down quota, custom; trailing ones left out, gaps 0; MACs in lower case')
  t.same(fake.argc(), [8, 3, 5, 8, 4, 8], 'each value a separate argument')
})

t.test('auth: openNDS saying no is a refused NdsctlError', async (t) => {
  const fake = fakeNdsctl(t, AUTH.slice(1).map(({ line, exit }) => say(line, exit)))
  const { nds } = runner(fake)
  await t.rejects(nds.auth('10.77.0.11', { minutes: 60, uploadQuotaKiB: 5120, downloadQuotaKiB: 10240, custom: 'again' }),
    ndsError('refused', 'ndsctl auth 10.77.0.11 60 0 0 5120 10240 again: exit 1: Failed to authenticate client 10.77.0.11,60,0,0,5120,10240,again.', 1),
    'already authenticated')
  await t.rejects(nds.auth('10.77.0.99', { minutes: 60 }),
    ndsError('refused', 'ndsctl auth 10.77.0.99 60: exit 1: Failed to authenticate client 10.77.0.99,60.', 1), 'unknown client')
})

t.test('auth: bad grants and targets are programming errors, and nothing runs', async (t) => {
  const fake = fakeNdsctl(t, [])
  const { nds } = runner(fake)
  const MAX_MINUTES = Math.floor(0x7fffffff / 60)
  const bad: Array<[string, Record<string, unknown>, string | RegExp]> = [
    ['10.77.0.11', { minutes: 0 }, `ndsctl auth: minutes must be a whole number from 1 to ${MAX_MINUTES}, not 0`],
    ['10.77.0.11', { minutes: 1.5 }, /minutes must be a whole number .* not 1\.5$/],
    ['10.77.0.11', { minutes: -5 }, /minutes must be/],
    ['10.77.0.11', { minutes: MAX_MINUTES + 1 }, /minutes must be/],
    ['10.77.0.11', {}, /minutes must be a whole number .* not NaN$/],
    ['10.77.0.11', { minutes: 60, uploadKbit: -1 }, 'ndsctl auth: uploadKbit must be a whole number from 0 to 2147483647, not -1'],
    ['10.77.0.11', { minutes: 60, downloadKbit: 2 ** 31 }, /downloadKbit must be/],
    ['10.77.0.11', { minutes: 60, uploadQuotaKiB: 0.5 }, /uploadQuotaKiB must be/],
    ['10.77.0.11', { minutes: 60, downloadQuotaKiB: Number.MAX_SAFE_INTEGER + 1 }, /downloadQuotaKiB must be a whole number from 0 to 9007199254740991/],
    ['10.77.0.11', { minutes: 60, custom: 'a,b' }, 'ndsctl auth: custom "a,b" may only have A-Z a-z 0-9 + / = _ -'],
    ['10.77.0.11', { minutes: 60, custom: 'voucher RIG' }, /custom "voucher RIG" may only have/],
    ['10.77.0.11', { minutes: 60, custom: 'a"b\\c' }, /may only have/],
    ['10.77.0.11', { minutes: 60, custom: 'a%2cb' }, /may only have/],
    ['10.77.0.11', { minutes: 60, custom: 'x'.repeat(127) }, 'ndsctl auth: an argument is longer than 126 characters'],
    ['10.77.0.11,60', { minutes: 60 }, 'ndsctl auth: "10.77.0.11,60" is not a MAC, IP address or token'],
    ['', { minutes: 60 }, /"" is not a MAC/],
    ['eth0', { minutes: 60 }, /"eth0" is not a MAC/],
  ]
  for (const [target, grant, message] of bad) {
    await t.rejects(nds.auth(target, grant as never), { name: 'Error', message }, `${target} ${JSON.stringify(grant)}`)
  }
  t.same(fake.argv(), [])
})

t.test('deauth: true when deauthenticated, false when openNDS has no such client', async (t) => {
  const fake = fakeNdsctl(t, [...DEAUTH.map(({ line, exit }) => say(line, exit)), NOT_STARTED, `echo 'Unknown command: deauth' >&2; exit 1`],
    say('Client 02:77:00:00:00:1a deauthenticated.', 0))
  const { nds } = runner(fake)
  t.equal(await nds.deauth('10.77.0.12'), true)
  t.equal(await nds.deauth('10.77.0.12'), false, '"Client 10.77.0.12 not found." (exit 1)')
  await t.rejects(nds.deauth('10.77.0.12'), { name: 'NdsctlError', reason: 'not_running' })
  await t.rejects(nds.deauth('10.77.0.12'), ndsError('refused', 'ndsctl deauth 10.77.0.12: exit 1: Unknown command: deauth', 1),
    'another exit 1 is not "not found"')
  await t.rejects(nds.deauth('10.77.0.12,x'), { name: 'Error', message: 'ndsctl deauth: "10.77.0.12,x" is not a MAC, IP address or token' })
  t.equal(await nds.deauth('02:77:00:00:00:1A'), true)
  t.same(fake.argv(), [...Array(4).fill('ndsctl deauth 10.77.0.12'), 'ndsctl deauth 02:77:00:00:00:1a'], 'a MAC as openNDS stores it')
})

t.test('clients: callers that ask while a list is read share it; a fresh one is reused only within reuseMs', async (t) => {
  const json = cat('ndsctl-json-preauth.json')
  const fake = fakeNdsctl(t, [`sleep 0.2; ${json}`, json, json, 'exit 0', json, 'exit 0', NOT_STARTED, json])
  let clock = 0
  const { nds } = runner(fake, { reuseMs: 1000, now: () => clock })
  const [a, b, c] = await Promise.all([nds.clients(), nds.clients(), nds.clients()])
  t.equal(fake.argv().length, 1, 'one ndsctl for three callers')
  t.same(b, a)
  t.not(b, a, 'each caller gets its own array')
  t.same(c, a)

  clock = 999
  await nds.clients()
  t.equal(fake.argv().length, 1, 'reused 999 ms after it arrived')
  clock = 1000
  await nds.clients()
  t.equal(fake.argv().length, 2, 'read again at 1000 ms')

  clock = 5000
  await nds.clients()
  t.equal(await nds.deauth('10.77.0.11'), true)
  await nds.clients()
  t.same(fake.argv().slice(2), ['ndsctl json', 'ndsctl deauth 10.77.0.11', 'ndsctl json'], 'a deauth ends the reuse at once')

  await nds.clients()
  t.equal(fake.argv().length, 5, 'reused again until the next auth or deauth')
  await nds.deauth('10.77.0.12')
  await t.rejects(nds.clients(), ndsError('not_running', /^ndsctl json: exit 3/, 3))
  t.equal((await nds.clients()).length, a.length, 'a failure is not reused: the next call reads again')
  t.equal(fake.argv().length, 8)
})

t.test('clients: without reuseMs every call after the last answer reads again', async (t) => {
  const json = cat('ndsctl-json-preauth.json')
  const fake = fakeNdsctl(t, [json, json])
  const { nds } = runner(fake)
  await nds.clients()
  await nds.clients()
  t.equal(fake.argv().length, 2)
})
