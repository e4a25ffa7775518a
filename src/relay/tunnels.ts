/**
 * @module relay/tunnels
 * The routers' tunnels on this relay (cloud/protocol, step 2 and 3): the WebSocket upgrade of
 * `wss://<id>.<domain>/.hotspotd/tunnel`, checked before it happens (401 forged or malformed
 * credential, 403 a genuine one for another id, 429 an address refused too often, 400 without
 * the subprotocol), then one opener Mux per tunnel, at most one tunnel per id (a new one
 * replaces the old), pings, and dead links dropped.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import { verifyCredential } from '../cloud/credential'
import { MAX_FRAME, Mux } from '../cloud/mux'
import {
  CLOSE_GOING_AWAY, CLOSE_REPLACED, DEAD_AFTER_MS, endpointUrl, PING_INTERVAL_MS, SUBPROTOCOL, type Welcome,
} from '../cloud/protocol'
import type { Throttle } from '../http/throttle'
import type { Logger } from '../log'
import { bearerToken } from './enroll'
import { refuseUpgrade } from './reply'

export interface TunnelsOptions {
  secret: Buffer
  domain: string
  throttle: Throttle
  log: Logger
  nowMs: () => number
  pingIntervalMs?: number
  deadAfterMs?: number
  /** Streams one tunnel carries at once (requests in flight for one router). */
  maxStreams?: number
}

/** A live tunnel, as forwarding sees it. */
export interface Tunnel {
  readonly id: string
  /** The router's address. */
  readonly client: string
  readonly mux: Mux
}

interface Live extends Tunnel {
  readonly ws: WebSocket
  lastSeen: number
  ping: NodeJS.Timeout
  kill?: NodeJS.Timeout
  closed: Promise<void>
}

/** How long a closing tunnel waits for the router's close frame before its socket is cut. */
export const CLOSE_GRACE_MS = 2_000

/** Whether the upgrade request offers the tunnel's subprotocol. */
const offersSubprotocol = (req: IncomingMessage): boolean =>
  (req.headers['sec-websocket-protocol'] ?? '').split(',').some((p) => p.trim() === SUBPROTOCOL)

export class Tunnels {
  private readonly live = new Map<string, Live>()
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: MAX_FRAME,
    perMessageDeflate: false,
    handleProtocols: () => SUBPROTOCOL,
  })

  constructor (private readonly opts: TunnelsOptions) {}

  /** The tunnel of `id` on this relay, if there is one. */
  get (id: string): Tunnel | undefined {
    return this.live.get(id)
  }

  /** Tunnels open now. */
  get size (): number {
    return this.live.size
  }

  /**
   * Takes an upgrade request for the tunnel of `id` (the host's), reached at `port`, from
   * `client`: refuses it in the seed's envelope or opens the tunnel. A genuine credential for
   * the host's id is let in even from an address the throttle refuses: it cannot have been
   * guessed, and routers behind one carrier-grade NAT share addresses with broken ones.
   */
  upgrade (req: IncomingMessage, socket: Duplex, head: Buffer, id: string, port: number, client: string): void {
    const { log, throttle } = this.opts
    const token = bearerToken(req)
    const owner = token === undefined ? undefined : verifyCredential(this.opts.secret, token)
    if (owner !== id) {
      const now = this.opts.nowMs()
      const wait = throttle.retryAfter(client, now)
      if (wait > 0) {
        refuseUpgrade(socket, 'throttled', { 'Retry-After': String(wait) })
        return
      }
      if (throttle.fail(client, now)) {
        log.warn(`tunnel: ${throttle.options.limit} refused credentials from ${client}; refusing it for ${throttle.options.lockMs / 1000} s`)
      }
      log.info(`tunnel ${id}: refused ${client}: ${owner === undefined ? 'credential not valid' : `credential of ${owner}`}`)
      refuseUpgrade(socket, owner === undefined ? 'credentialInvalid' : 'credentialForeign')
      return
    }
    if (!offersSubprotocol(req)) {
      log.info(`tunnel ${id}: refused ${client}: no ${SUBPROTOCOL} subprotocol`)
      refuseUpgrade(socket, 'tunnelProtocol')
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => { this.open(ws, id, port, client) })
  }

  private open (ws: WebSocket, id: string, port: number, client: string): void {
    const { log, nowMs } = this.opts
    const deadAfter = this.opts.deadAfterMs ?? DEAD_AFTER_MS
    const mux = new Mux({
      role: 'opener',
      maxStreams: this.opts.maxStreams,
      send: (frame, done) => { ws.send(frame, { binary: true }, done) },
    })
    const closed = new Promise<void>((resolve) => { ws.once('close', () => { resolve() }) })
    const ping = setInterval(() => {
      if (nowMs() - t.lastSeen < deadAfter) {
        ws.ping()
        return
      }
      log.info(`tunnel ${id}: silent for ${deadAfter / 1000} s, dropped`)
      ws.terminate()
    }, this.opts.pingIntervalMs ?? PING_INTERVAL_MS)
    const t: Live = { id, client, mux, ws, lastSeen: nowMs(), ping, closed }
    const welcome: Welcome = { type: 'welcome', id, endpoint: endpointUrl(id, this.opts.domain, port) }
    ws.send(JSON.stringify(welcome))
    const old = this.live.get(id)
    this.live.set(id, t)
    if (old === undefined) log.info(`tunnel ${id}: connected from ${client}`)
    else {
      log.info(`tunnel ${id}: connected from ${client}, replacing the one from ${old.client}`)
      this.drop(old, CLOSE_REPLACED, 'replaced by a newer tunnel')
    }
    const alive = (): void => { t.lastSeen = nowMs() }
    ws.on('pong', alive)
    ws.on('ping', alive)
    ws.on('message', (data: Buffer, isBinary) => {
      alive()
      try {
        if (!isBinary) throw new Error('a text message after the welcome')
        mux.receive(data)
      } catch (err) {
        log.warn(`tunnel ${id}: protocol error from ${client}: ${(err as Error).message}`)
        this.drop(t, 1002, 'protocol error')
      }
    })
    // ws reports a broken frame (too large, malformed) here, then closes the socket itself.
    ws.on('error', (err) => { log.warn(`tunnel ${id}: ${err.message}`) })
    ws.on('close', (code) => {
      clearInterval(t.ping)
      clearTimeout(t.kill)
      mux.close('tunnel closed')
      if (this.live.get(id) === t) this.live.delete(id)
      log.info(`tunnel ${id}: disconnected (${code})`)
    })
  }

  /** Closes a tunnel with `code`: its streams fail now, its socket is cut if the router does not close in time. */
  private drop (t: Live, code: number, reason: string): void {
    t.mux.close(reason)
    t.ws.close(code, reason)
    t.kill ??= setTimeout(() => { t.ws.terminate() }, CLOSE_GRACE_MS)
  }

  /** Closes every tunnel (the relay is stopping): routers reconnect, elsewhere or later. */
  async closeAll (): Promise<void> {
    const all = [...this.live.values()]
    for (const t of all) this.drop(t, CLOSE_GOING_AWAY, 'relay shutting down')
    await Promise.all(all.map((t) => t.closed))
  }
}
