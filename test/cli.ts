import t from 'tap'
import { parseCli, parseListen, USAGE } from '../src/cli'

t.test('defaults', async (t) => {
  t.same(parseCli([]), { command: 'run', config: '/etc/config/hotspotd', stateDir: undefined, listen: undefined, ubusSocket: undefined, help: false, version: false })
})

t.test('every option', async (t) => {
  t.same(parseCli(['--config', '/tmp/c', '--state-dir', '/tmp/s', '--listen', '127.0.0.1:8080', '--listen=[::1]:9', '--ubus-socket', '/tmp/u', '--help', '--version']), {
    command: 'run', config: '/tmp/c', stateDir: '/tmp/s', listen: [{ host: '127.0.0.1', port: 8080 }, { host: '::1', port: 9 }], ubusSocket: '/tmp/u', help: true, version: true,
  })
})

t.test('passwd is a command, before or after the options', async (t) => {
  t.match(parseCli(['passwd']), { command: 'passwd', config: '/etc/config/hotspotd' })
  t.match(parseCli(['--config', '/tmp/c', 'passwd']), { command: 'passwd', config: '/tmp/c' })
  t.match(parseCli(['secrets', '--config', '/tmp/c']), { command: 'secrets', config: '/tmp/c' })
})

const listens: Array<[string, { host: string; port: number } | null]> = [
  ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
  ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
  ['localhost:80', { host: 'localhost', port: 80 }],
  ['[fd00::1]:8080', { host: 'fd00::1', port: 8080 }],
  ['127.0.0.1', null],
  ['::1:8080', null],
  ['127.0.0.1:65536', null],
  ['127.0.0.1:http', null],
  [':8080', null],
]
for (const [text, want] of listens) {
  if (want === null) t.throws(() => parseListen(text), { code: 'USAGE', message: `--listen ${text}: expected HOST:PORT or [IPV6]:PORT` }, `refuses ${text}`)
  else t.same(parseListen(text), want, text)
}

t.test('unknown options and stray arguments are usage errors', async (t) => {
  t.throws(() => parseCli(['--bogus']), { code: 'USAGE', message: /Unknown option '--bogus'/ })
  t.throws(() => parseCli(['extra']), { code: 'USAGE', message: "unexpected argument 'extra'" })
  t.throws(() => parseCli(['passwd', 'admin']), { code: 'USAGE', message: "unexpected argument 'admin'" })
  t.throws(() => parseCli(['secrets', 'passwd']), { code: 'USAGE', message: "unexpected argument 'passwd'" })
  t.throws(() => parseCli(['--config']), { code: 'USAGE', message: /argument missing/ })
})

t.test('the usage text names every option', async (t) => {
  for (const o of ['passwd', 'secrets', '--config FILE', '--state-dir DIR', '--listen HOST:PORT', '--ubus-socket PATH', '--help', '--version']) t.match(USAGE, o)
})
