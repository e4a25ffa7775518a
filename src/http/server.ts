/**
 * @module http/server
 * The HTTP listeners: one node:http server per address, opened and closed as the configured
 * addresses change (SIGHUP), with timeouts that keep slow or idle clients from holding the
 * router's few sockets.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ListenAddress } from '../cli'
import { errorCode } from '../errors'

/** "127.0.0.1:8080" or "[::1]:8080". */
export const formatAddress = ({ host, port }: ListenAddress): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`

/** Binding an address failed; the message names it. */
export class ListenError extends Error {
  readonly code = 'LISTEN'
}

const open = (address: ListenAddress, handler: RequestListener): Promise<Server> => {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, handler)
  server.maxHeadersCount = 50
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new ListenError(`cannot listen on ${formatAddress(address)}: ${errorCode(err)}`))
    })
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => { resolve(server) })
  })
}

/**
 * How long a closing listener lets requests under way finish. After it, connections still open
 * are cut: a client stalled mid-request must not hold up a stop (procd kills after 15 s, before
 * the database is closed) or a reload, and server.close() also stops node's request timeouts.
 */
export const CLOSE_GRACE_MS = 2_000

const close = (server: Server): Promise<void> => new Promise((resolve) => {
  const cut = setTimeout(() => { server.closeAllConnections() }, CLOSE_GRACE_MS)
  server.close(() => {
    clearTimeout(cut)
    resolve()
  })
  server.closeIdleConnections()
})

export class Listeners {
  private readonly servers = new Map<string, Server>()

  constructor (private readonly handler: RequestListener) {}

  /**
   * Listens on exactly `wanted`: opens what is new, then closes what is gone. When a new
   * address cannot be opened, the ones just opened are closed again and the error is thrown:
   * the listeners stay as they were (a reload that cannot bind keeps serving).
   */
  async reconcile (wanted: readonly ListenAddress[]): Promise<void> {
    const keys = new Map(wanted.map((a) => [formatAddress(a), a]))
    const opened: string[] = []
    try {
      for (const [k, a] of keys) {
        if (this.servers.has(k)) continue
        this.servers.set(k, await open(a, this.handler))
        opened.push(k)
      }
    } catch (err) {
      await Promise.all(opened.map((k) => this.drop(k)))
      throw err
    }
    await Promise.all([...this.servers.keys()].filter((k) => !keys.has(k)).map((k) => this.drop(k)))
  }

  private async drop (key: string): Promise<void> {
    const server = this.servers.get(key) as Server
    this.servers.delete(key)
    await close(server)
  }

  /** Addresses being listened on, with the real port where 0 was asked for. */
  addresses (): string[] {
    return [...this.servers.values()].map((s) => {
      const a = s.address() as AddressInfo
      return formatAddress({ host: a.address, port: a.port })
    })
  }

  async close (): Promise<void> {
    await this.reconcile([])
  }
}
