/**
 * @module relay/server
 * The relay's HTTPS server for `<domain>` and `*.<domain>`: routes each request (health,
 * enrollment, a router's `/api`) and each upgrade (a router's tunnel), logs one access line per
 * request, reloads its certificate, and stops gracefully. It keeps no state that another
 * instance would need: a load balancer hashing on the Host header sends a router's tunnel and
 * the requests for its id to the same instance.
 */
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { ID_PATTERN } from '../cloud/credential'
import { ENROLL_PATH, HEALTH_PATH, TUNNEL_PATH } from '../cloud/protocol'
import { stackOf } from '../errors'
import { Throttle, type ThrottleOptions } from '../http/throttle'
import type { Logger } from '../log'
import { formatAccess } from './access-log'
import { clientAddress, parseTrustList } from './client-address'
import { handleEnroll } from './enroll'
import { forwardRequest, type Meter } from './forward'
import { DEFAULT_RATE_LIMIT, RateLimit } from './rate-limit'
import { refuse, refuseUpgrade, sendJson } from './reply'
import { Tunnels } from './tunnels'

export interface RelayOptions {
  /** The relay's domain: routers are `<id>.<domain>`. */
  domain: string
  /** Certificate chain and key (PEM) for `<domain>` and `*.<domain>`. */
  cert: Buffer
  key: Buffer
  /** The secret that signs device credentials (the same on every instance). */
  secret: Buffer
  /** The enrollment key; none: enrollment is off. */
  enrollKey?: Buffer | undefined
  /** Load balancers whose X-Forwarded-For is believed: addresses or CIDR ranges. */
  trustProxy?: readonly string[]
  /** Most request body bytes forwarded (default 1 MiB). */
  maxBody?: number
  /** Requests a second per router, and the burst allowed (defaults 20 and 40). */
  rate?: number
  burst?: number
  /** How long a router has to begin its answer (default 30 s). */
  timeoutMs?: number
  log: Logger
  nowMs?: () => number
  pingIntervalMs?: number
  deadAfterMs?: number
  maxStreams?: number
  throttle?: Partial<ThrottleOptions>
}

export const DEFAULT_MAX_BODY = 1024 * 1024
export const DEFAULT_TIMEOUT_MS = 30_000
/** How long a stopping relay lets requests under way finish before it closes the tunnels. */
export const STOP_GRACE_MS = 5_000

/** The name and port of a Host header (port 443 when it names none); undefined when it is not a host name. */
export const splitHost = (host: string | undefined): { name: string; port: number } | undefined => {
  const m = /^([a-z0-9.-]+?)\.?(?::(\d{1,5}))?$/i.exec(host ?? '')
  return m === null ? undefined : { name: (m[1] as string).toLowerCase(), port: Number(m[2] ?? 443) }
}

/** The router id a host name stands for under `domain`, if it is `<10 hex>.<domain>`. */
export const idOfHost = (name: string, domain: string): string | undefined => {
  const id = name.endsWith(`.${domain}`) ? name.slice(0, -domain.length - 1) : ''
  return ID_PATTERN.test(id) ? id : undefined
}

/**
 * The path to forward: `/api` or under `/api/`, after resolving dot segments (`/api/../x` is
 * `/x`, not forwarded), with its query; undefined for any other.
 */
export const apiPath = (url: string): string | undefined => {
  if (!url.startsWith('/')) return undefined
  const { pathname, search } = new URL(`https://relay.invalid${url}`)
  return pathname === '/api' || pathname.startsWith('/api/') ? pathname + search : undefined
}

export class Relay {
  readonly server: Server
  readonly tunnels: Tunnels
  private readonly throttle: Throttle
  private readonly limit: RateLimit
  private readonly trust
  private readonly nowMs: () => number
  private readonly busy = new Set<ServerResponse>()
  /** Every connection, whatever its state (a TLS handshake never finished is no HTTP connection yet). */
  private readonly sockets = new Set<Socket>()
  private stopping: Promise<void> | undefined

  constructor (private readonly opts: RelayOptions) {
    this.nowMs = opts.nowMs ?? Date.now
    this.trust = parseTrustList(opts.trustProxy ?? [])
    this.throttle = new Throttle(opts.throttle)
    this.limit = new RateLimit({ rate: opts.rate ?? DEFAULT_RATE_LIMIT.rate, burst: opts.burst ?? DEFAULT_RATE_LIMIT.burst })
    this.tunnels = new Tunnels({
      secret: opts.secret,
      domain: opts.domain,
      throttle: this.throttle,
      log: opts.log,
      nowMs: this.nowMs,
      pingIntervalMs: opts.pingIntervalMs,
      deadAfterMs: opts.deadAfterMs,
      maxStreams: opts.maxStreams,
    })
    // Idle keep-alive connections stay 65 s: a load balancer in front reuses and closes them
    // first (HAProxy's pool-purge-delay is 5 s), so it never sends a request into one closing here.
    this.server = createServer({ cert: opts.cert, key: opts.key, headersTimeout: 20_000, requestTimeout: 120_000, keepAliveTimeout: 65_000 })
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => { this.sockets.delete(socket) })
    })
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => { this.request(req, res) })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => { this.upgrade(req, socket, head) })
  }

  /** Starts listening; resolves with the port. */
  listen (port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen({ port, host, exclusive: true }, () => {
        this.server.off('error', reject)
        resolve((this.server.address() as AddressInfo).port)
      })
    })
  }

  /** The port it listens on (0 before it does). */
  get port (): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0
  }

  /** Serves a new certificate and key from now on (a renewal); connections open keep theirs. */
  reloadTls (cert: Buffer, key: Buffer): void {
    this.server.setSecureContext({ cert, key })
  }

  private request (req: IncomingMessage, res: ServerResponse): void {
    const started = this.nowMs()
    const client = clientAddress(req, this.trust)
    const host = splitHost(req.headers.host)
    const id = host === undefined ? undefined : idOfHost(host.name, this.opts.domain)
    const url = req.url as string
    const meter: Meter = { bytes: 0 }
    const health = url === HEALTH_PATH
    this.busy.add(res)
    res.on('close', () => {
      this.busy.delete(res)
      const line = formatAccess({
        at: new Date(started), client, id, method: req.method as string, path: url,
        status: res.headersSent ? res.statusCode : 0, bytes: meter.bytes, ms: this.nowMs() - started, cut: !res.writableFinished,
      })
      // Load balancers check health every few seconds: those lines only at debug.
      if (health) this.opts.log.debug(line)
      else this.opts.log.info(line)
    })
    try {
      this.route(req, res, url, client, host?.port ?? 443, id, meter)
    } catch (err) {
      this.opts.log.error(`relay: ${stackOf(err)}`)
      if (res.headersSent) res.destroy()
      else meter.bytes = refuse(res, 'internal')
    }
  }

  private route (req: IncomingMessage, res: ServerResponse, url: string, client: string, port: number, id: string | undefined, meter: Meter): void {
    if (url === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      meter.bytes = sendJson(res, 200, { status: 'ok', tunnels: this.tunnels.size })
      return
    }
    if (url === ENROLL_PATH && req.method === 'POST') {
      meter.bytes = handleEnroll({ ...this.opts, key: this.opts.enrollKey, throttle: this.throttle, nowMs: this.nowMs }, req, res, client, port)
      return
    }
    const path = id === undefined ? undefined : apiPath(url)
    if (id === undefined || path === undefined) {
      meter.bytes = refuse(res, 'notFound')
      return
    }
    const tunnel = this.tunnels.get(id)
    if (tunnel === undefined) {
      meter.bytes = refuse(res, 'offline')
      return
    }
    const wait = this.limit.take(id, this.nowMs())
    if (wait > 0) {
      meter.bytes = refuse(res, 'rateLimited', { 'Retry-After': String(wait) })
      return
    }
    forwardRequest(tunnel.mux, req, res, path, client, {
      maxBody: this.opts.maxBody ?? DEFAULT_MAX_BODY,
      timeoutMs: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    }, meter)
  }

  private upgrade (req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // node has let go of the socket: a client resetting it must not become an uncaught error.
    socket.on('error', () => { socket.destroy() })
    const client = clientAddress(req, this.trust)
    const host = splitHost(req.headers.host)
    const id = host === undefined ? undefined : idOfHost(host.name, this.opts.domain)
    if (id === undefined || req.url !== TUNNEL_PATH || this.stopping !== undefined) {
      this.opts.log.info(`access ${new Date(this.nowMs()).toISOString()} ${client} ${id ?? '-'} upgrade refused: 404`)
      refuseUpgrade(socket, 'notFound')
      return
    }
    this.tunnels.upgrade(req, socket, head, id, host?.port as number, client)
  }

  /**
   * Stops: no new connections, requests under way get {@link STOP_GRACE_MS} to finish, then
   * the tunnels close (CLOSE_GOING_AWAY) and what is left is cut.
   */
  stop (graceMs = STOP_GRACE_MS): Promise<void> {
    this.stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => { this.server.close(() => { resolve() }) })
      this.server.closeIdleConnections()
      const deadline = this.nowMs() + graceMs
      while (this.busy.size > 0 && this.nowMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      await this.tunnels.closeAll()
      this.server.closeAllConnections()
      // What is left never became an HTTP connection (a TLS handshake stalled): node would wait for it.
      for (const socket of this.sockets) socket.destroy()
      await closed
    })()
    return this.stopping
  }
}
