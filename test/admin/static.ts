import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { utimesSync } from 'node:fs'
import { join } from 'node:path'
import { acceptsGzip, CONTENT_SECURITY_POLICY, serveStatic } from '../../src/admin/static'

const NOT_FOUND = '{"message":"Not found","error":true}'
const HTML = '<!doctype html><title>panel</title><script src="app.js"></script>'

const serve = async (t: tap.Test): Promise<{ base: string; dir: string }> => {
  const dir = t.testdir({
    'index.html': HTML,
    'index.html.gz': gzipSync(HTML),
    'app.js': 'console.log(1)',
    'app.css': 'body{}',
    'notes.txt': 'not a panel type',
    sub: { 'x.js': 'nested' },
    'dir.js': {},
  })
  const server = createServer((req, res) => { serveStatic(dir, decodeURIComponent((req.url as string).slice(1)), req, res) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() }))
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, dir }
}

t.test('serves the panel\'s files with their type and the panel\'s headers', async (t) => {
  const { base } = await serve(t)
  for (const [path, type, body] of [['', 'text/html; charset=utf-8', HTML], ['app.js', 'text/javascript; charset=utf-8', 'console.log(1)'], ['app.css', 'text/css; charset=utf-8', 'body{}']]) {
    const res = await fetch(`${base}/${path}`, { headers: { 'Accept-Encoding': 'identity' } })
    t.equal(res.status, 200, `/${path}`)
    t.equal(await res.text(), body, `/${path}: the file`)
    t.equal(res.headers.get('content-type'), type, `/${path}: type`)
    t.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY)
    t.equal(res.headers.get('x-frame-options'), 'DENY')
    t.equal(res.headers.get('x-content-type-options'), 'nosniff')
    t.equal(res.headers.get('cache-control'), 'no-cache')
    t.equal(res.headers.get('vary'), 'Accept-Encoding')
    t.equal(res.headers.get('content-encoding'), null)
  }
  t.match(CONTENT_SECURITY_POLICY, /script-src 'self';/, 'no inline script')
  t.notMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/)
})

t.test('the .gz sibling goes to clients that take gzip', async (t) => {
  const { base } = await serve(t)
  const res = await fetch(`${base}/index.html`) // fetch sends Accept-Encoding: gzip and inflates
  t.equal(res.headers.get('content-encoding'), 'gzip')
  t.equal(await res.text(), HTML, 'inflated, the same page')
  const css = await fetch(`${base}/app.css`)
  t.equal(css.headers.get('content-encoding'), null, 'no .gz: the plain file')
})

t.test('ETag revalidation answers 304; HEAD sends no body', async (t) => {
  const { base, dir } = await serve(t)
  utimesSync(join(dir, 'app.js'), 1_700_000_000, 1_700_000_000)
  const first = await fetch(`${base}/app.js`)
  const etag = first.headers.get('etag') as string
  t.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/)
  const again = await fetch(`${base}/app.js`, { headers: { 'If-None-Match': etag } })
  t.equal(again.status, 304)
  t.equal(await again.text(), '')
  const gz = (await fetch(`${base}/index.html`)).headers.get('etag')
  t.match(gz, /-gz"$/, 'the gzip variant has its own tag')
  const head = await fetch(`${base}/app.js`, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(head.headers.get('content-length'), '14')
  t.equal(await head.text(), '')
})

t.test('anything but a flat name of a panel type is the 404 envelope', async (t) => {
  const { base } = await serve(t)
  for (const path of ['nothing.js', 'notes.txt', 'sub/x.js', '..%2Fpackage.json', '%2E%2E/x.js', '.hidden.js', 'dir.js', 'app', 'a..js']) {
    const res = await fetch(`${base}/${path}`)
    t.equal(res.status, 404, path)
    t.equal(await res.text(), NOT_FOUND, `${path}: the envelope`)
  }
})

t.test('a file that cannot be read mid-way cuts the connection', async (t) => {
  const dir = t.testdir({ 'app.js': 'x' })
  const server = createServer((req, res) => { serveStatic(dir, 'app.js', req, res) })
  const { chmodSync } = await import('node:fs')
  chmodSync(join(dir, 'app.js'), 0o000)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }); server.closeAllConnections() }))
  const root = process.getuid?.() === 0
  const res = fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  if (root) t.equal(await (await res).text(), 'x', 'root reads it anyway')
  else await t.rejects(res.then((r) => r.text()), 'the answer is cut')
})

t.test('acceptsGzip', async (t) => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false], ['', false], ['gzip', true], ['br, gzip;q=0.8', true], ['GZIP', true], ['*', true],
    ['gzip;q=0', false], ['gzip; q=0.0', false], ['deflate', false], ['x-gzip', false],
  ]
  for (const [header, expected] of cases) t.equal(acceptsGzip(header), expected, String(header))
})
