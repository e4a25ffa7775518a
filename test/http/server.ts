import t from 'tap'
import type { RequestListener } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net'
import { freePort } from '../fixtures/ports'
import { CLOSE_GRACE_MS, formatAddress, ListenError, Listeners } from '../../src/http/server'

const HOST = '127.0.0.1'

/** Answers every request with the port it came in on, so a test can tell the listeners apart. */
const handler: RequestListener = (req, res) => {
  res.setHeader('Content-Type', 'text/plain')
  res.end(`hello from ${req.socket.localPort ?? '?'}`)
}

const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1))

const get = async (port: number): Promise<string> => {
  const res = await fetch(`http://${HOST}:${port}/`)
  return res.text()
}

/** Resolves with the error code of a connection attempt that fails (ECONNREFUSED). */
const refused = async (port: number): Promise<string | undefined> => {
  try {
    await fetch(`http://${HOST}:${port}/`)
    return undefined
  } catch (err) {
    return ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code
  }
}

/** A plain TCP server holding a port, so that binding it again fails. */
const occupy = async (t: tap.Test): Promise<number> => {
  const s: NetServer = createNetServer()
  await new Promise<void>((resolve) => s.listen(0, HOST, resolve))
  t.teardown(() => new Promise<void>((resolve) => s.close(() => { resolve() })))
  return (s.address() as AddressInfo).port
}

t.test('formatAddress writes host:port, IPv6 in brackets', async (t) => {
  const cases: Array<[string, number, string]> = [
    ['127.0.0.1', 8080, '127.0.0.1:8080'],
    ['192.168.10.1', 80, '192.168.10.1:80'],
    ['::1', 80, '[::1]:80'],
    ['fd00:abcd::1', 8080, '[fd00:abcd::1]:8080'],
  ]
  for (const [host, port, expected] of cases) {
    t.equal(formatAddress({ host, port }), expected, `${host} port ${port}`)
  }
})

t.test('reconcile opens a listener that answers, and addresses() shows its real port', async (t) => {
  const listeners = new Listeners(handler)
  t.teardown(() => listeners.close())
  t.strictSame(listeners.addresses(), [], 'nothing before the first reconcile')
  await listeners.reconcile([{ host: HOST, port: 0 }])
  const [address] = listeners.addresses()
  t.match(address, /^127\.0\.0\.1:\d+$/, 'one address, host:port')
  const port = portOf(address as string)
  t.not(port, 0, 'the real port, not the 0 asked for')
  t.equal(await get(port), `hello from ${port}`, 'the handler answers on it')
  await listeners.reconcile([{ host: HOST, port: 0 }])
  t.strictSame(listeners.addresses(), [address], 'the same set again changes nothing')
  t.equal(await get(port), `hello from ${port}`, 'and the listener still answers')
})

t.test('reconcile to a different set closes what is gone and keeps what stays', async (t) => {
  const listeners = new Listeners(handler)
  t.teardown(() => listeners.close())
  const wanted = await freePort()
  await listeners.reconcile([{ host: HOST, port: 0 }, { host: HOST, port: wanted }])
  const [kept, old] = listeners.addresses().map(portOf) as [number, number]
  t.equal(old, wanted, 'the explicit port is listened on')
  t.equal(await get(old), `hello from ${old}`, 'the listener to be dropped answers before')

  const added = await freePort()
  await listeners.reconcile([{ host: HOST, port: 0 }, { host: HOST, port: added }])
  t.strictSame(listeners.addresses().map(portOf), [kept, added], 'the kept listener and the new one')
  t.equal(await refused(old), 'ECONNREFUSED', 'the dropped address refuses connections')
  t.equal(await get(kept), `hello from ${kept}`, 'the unchanged listener keeps its port and answers')
  t.equal(await get(added), `hello from ${added}`, 'the new listener answers')
})

t.test('an address already in use fails with a ListenError naming it', async (t) => {
  const busy = await occupy(t)
  const listeners = new Listeners(handler)
  t.teardown(() => listeners.close())
  const attempt = listeners.reconcile([{ host: HOST, port: busy }])
  await t.rejects(attempt, {
    name: 'Error',
    code: 'LISTEN',
    message: `cannot listen on 127.0.0.1:${busy}: EADDRINUSE`,
  }, 'the busy address is named with the reason')
  await attempt.catch((err: unknown) => { t.ok(err instanceof ListenError, 'a ListenError') })
  t.strictSame(listeners.addresses(), [], 'nothing is listening')
})

t.test('a set that cannot be opened leaves the running listeners as they were', async (t) => {
  const busy = await occupy(t)
  const listeners = new Listeners(handler)
  t.teardown(() => listeners.close())
  const old = await freePort()
  await listeners.reconcile([{ host: HOST, port: 0 }, { host: HOST, port: old }])
  const running = listeners.addresses()
  const kept = portOf(running[0] as string)

  const added = await freePort()
  await t.rejects(listeners.reconcile([{ host: HOST, port: 0 }, { host: HOST, port: added }, { host: HOST, port: busy }]),
    { code: 'LISTEN', message: `cannot listen on 127.0.0.1:${busy}: EADDRINUSE` }, 'the busy address is reported')
  t.strictSame(listeners.addresses(), running, 'the running addresses are unchanged')
  t.equal(await get(kept), `hello from ${kept}`, 'a listener in both sets still answers')
  t.equal(await get(old), `hello from ${old}`, 'a listener the failed set would have dropped still answers')
  t.equal(await refused(added), 'ECONNREFUSED', 'the address opened before the failure was closed again')

  await listeners.reconcile([{ host: HOST, port: 0 }])
  t.strictSame(listeners.addresses(), [running[0]], 'a later reconcile without the busy address applies')
})

t.test('of several busy addresses the first is reported', async (t) => {
  const busy1 = await occupy(t)
  const busy2 = await occupy(t)
  const listeners = new Listeners(handler)
  t.teardown(() => listeners.close())
  await t.rejects(listeners.reconcile([{ host: HOST, port: busy1 }, { host: HOST, port: busy2 }]),
    { code: 'LISTEN', message: `cannot listen on 127.0.0.1:${busy1}: EADDRINUSE` }, 'two busy addresses: the first is reported')
  t.strictSame(listeners.addresses(), [], 'nothing is listening')
})

t.test('close() stops every listener', async (t) => {
  const listeners = new Listeners(handler)
  await listeners.reconcile([{ host: HOST, port: 0 }, { host: HOST, port: await freePort() }])
  const ports = listeners.addresses().map(portOf)
  t.equal(ports.length, 2, 'two listeners open')
  // A keep-alive connection left idle must not hold close() up.
  t.equal(await get(ports[0] as number), `hello from ${ports[0]}`, 'a request leaves an idle keep-alive connection')
  await listeners.close()
  t.strictSame(listeners.addresses(), [], 'no address after close()')
  for (const port of ports) t.equal(await refused(port), 'ECONNREFUSED', `port ${port} refuses connections after close()`)
})

t.test('close() cuts a client stalled mid-request once the grace period is over', async (t) => {
  const listeners = new Listeners(handler)
  await listeners.reconcile([{ host: HOST, port: 0 }])
  const port = portOf(listeners.addresses()[0] as string)
  const { connect } = await import('node:net')
  const stalled = connect(port, HOST)
  await new Promise((resolve) => stalled.once('connect', resolve))
  stalled.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npart') // and nothing more
  // The server has it once it answers (the handler does not wait for the body).
  await new Promise((resolve) => stalled.once('data', resolve))
  const ended = new Promise<string>((resolve) => { stalled.once('close', () => { resolve('closed by the server') }) })
  const started = Date.now()
  await listeners.close()
  t.equal(await ended, 'closed by the server')
  t.ok(Date.now() - started >= CLOSE_GRACE_MS - 50, 'requests under way had their grace period first')
})
