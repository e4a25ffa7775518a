import t from 'tap'
import { parseListen, parseRelayCli, USAGE, UsageError } from '../../src/relay/cli'

const BASE = ['--domain', 'Relay.Example.NET', '--cert', '/c.pem', '--key', '/k.pem', '--secret-file', '/s']

t.test('the required options and the defaults', async (t) => {
  t.same(parseRelayCli(BASE), {
    command: 'run', domain: 'relay.example.net', listen: { host: '0.0.0.0', port: 443 }, cert: '/c.pem', key: '/k.pem',
    secretFile: '/s', enrollKeyFile: undefined, trustProxy: [], maxBody: 1048576, rate: 20, burst: 40, timeoutMs: 30_000, logLevel: 'info',
  })
})

t.test('every option', async (t) => {
  t.same(parseRelayCli([...BASE, '--listen', '[::]:8443', '--enroll-key-file', '/e', '--trust-proxy', '10.0.0.2', '--trust-proxy', '10.1.0.0/16',
    '--max-body', '65536', '--rate', '2.5', '--burst', '5', '--timeout', '0.5', '--log-level', 'debug']), {
    command: 'run', domain: 'relay.example.net', listen: { host: '::', port: 8443 }, cert: '/c.pem', key: '/k.pem', secretFile: '/s',
    enrollKeyFile: '/e', trustProxy: ['10.0.0.2', '10.1.0.0/16'], maxBody: 65536, rate: 2.5, burst: 5, timeoutMs: 500, logLevel: 'debug',
  })
})

t.test('credential, help and version', async (t) => {
  t.same(parseRelayCli(['credential', '--secret-file', '/s', '2b080b3af6']), { command: 'credential', secretFile: '/s', id: '2b080b3af6' })
  t.same(parseRelayCli(['credential', '--secret-file', '/s']), { command: 'credential', secretFile: '/s', id: undefined })
  t.same(parseRelayCli(['--help']), { command: 'help' })
  t.same(parseRelayCli(['credential', '--version']), { command: 'version' })
  t.match(USAGE, /^usage: hotspotd-relay --domain DOMAIN/)
})

t.test('what cannot be understood names the option', async (t) => {
  const cases: Array<[string[], string | RegExp]> = [
    [[], '--domain is required'],
    [['--domain', 'x.net'], '--cert is required'],
    [[...BASE.slice(0, 6)], '--secret-file is required'],
    [['--domain', 'x.net', '--cert', '', '--key', 'k', '--secret-file', 's'], '--cert is required'],
    [[...BASE, '--nope'], /Unknown option '--nope'/],
    [[...BASE, 'serve'], 'unknown command serve'],
    [['credential'], '--secret-file is required'],
    [['credential', '--secret-file', '/s', 'ABCDEF0123'], 'credential ABCDEF0123: an id is 10 lower-case hex characters, e.g. 2b080b3af6'],
    [['credential', '--secret-file', '/s', '2b080b3af6', 'more'], 'credential takes one id at most, not 2b080b3af6 more'],
    [['--domain', '*.example.net', ...BASE.slice(2)], '--domain *.example.net: expected a domain name such as relay.example.net'],
    [['--domain', 'example', ...BASE.slice(2)], '--domain example: expected a domain name such as relay.example.net'],
    [['--domain', 'example.net:443', ...BASE.slice(2)], '--domain example.net:443: expected a domain name such as relay.example.net'],
    [[...BASE, '--listen', '443'], '--listen 443: expected HOST:PORT or [IPV6]:PORT'],
    [[...BASE, '--log-level', 'loud'], '--log-level loud: expected one of debug, info, warn, error'],
    [[...BASE, '--trust-proxy', 'lb.example.net'], '--trust-proxy lb.example.net: expected an IP address or a CIDR range such as 10.0.0.0/24'],
    [[...BASE, '--max-body', '1.5'], '--max-body 1.5: expected a positive whole number'],
    [[...BASE, '--max-body', ' '], '--max-body  : expected a positive whole number'],
    [[...BASE, '--rate', '0'], '--rate 0: expected a positive number'],
    [[...BASE, '--rate', 'fast'], '--rate fast: expected a positive number'],
    [[...BASE, '--burst=-1'], '--burst -1: expected a positive whole number'],
    [[...BASE, '--timeout', 'Infinity'], '--timeout Infinity: expected a positive number'],
  ]
  for (const [argv, message] of cases) {
    t.throws(() => parseRelayCli(argv), typeof message === 'string' ? { message, code: 'USAGE' } : { message }, argv.join(' ') || '(nothing)')
  }
  t.ok(new UsageError('x') instanceof Error)
})

t.test('listen addresses', async (t) => {
  t.same(parseListen('127.0.0.1:8443'), { host: '127.0.0.1', port: 8443 })
  t.same(parseListen('[::1]:443'), { host: '::1', port: 443 })
  t.throws(() => parseListen('127.0.0.1:65536'), { message: '--listen 127.0.0.1:65536: expected HOST:PORT or [IPV6]:PORT' })
})
