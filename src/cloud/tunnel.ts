/**
 * @module cloud/tunnel
 * The router's side of the cloud API endpoint: one outbound WebSocket to the relay, kept up for
 * as long as `cloud.enabled` is on. Every request the relay forwards arrives as a stream
 * (cloud/mux) and is handed to a node:http server that never listens: its request listener is
 * the `/api/` door itself (API switch, GET/POST toggles, key, throttle, the seed's messages),
 * and nothing else of the router is reachable through it.
 *
 * - **Credential.** `cloud.credential` (given by the relay's operator) names the endpoint id.
 *   Without one, and with `cloud.enroll_key` set, the tunnel enrolls once, saves the credential
 *   it gets into the UCI file, and keeps it: the id survives reconnects, restarts and reboots.
 * - **TLS.** The relay's certificate is verified, against `cloud.ca_file` for a private relay,
 *   else Node's built-in CAs. The tunnel's host name is `<id>.<domain>` (SNI and Host), so a
 *   load balancer hashing on the host sends it where the id's requests go.
 * - **Liveness.** A ping every 20 s; a link silent for 50 s is dropped and dialled again.
 * - **Reconnects** back off exponentially with full jitter (1 s up to 60 s; the count resets
 *   after a minute up). A relay that refuses the credential is asked again after 10 minutes.
 * - **Limits.** At most 128 requests at once (the relay's further ones are reset and answered
 *   503 there); the relay times requests out, and each stream's window bounds its memory.
 */
import { readFileSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import WebSocket from 'ws'
import type { CloudConfig } from '../config/config'
import { errorCode } from '../errors'
import type { Logger } from '../log'
import { idOfCredential } from './credential'
import { MAX_FRAME, Mux, MuxProtocolError } from './mux'
import {
  CLOSE_REPLACED, DEAD_AFTER_MS, ENROLL_PATH, endpointUrl, isEnrollment, isWelcome, PING_INTERVAL_MS, SUBPROTOCOL, TUNNEL_PATH,
} from './protocol'

/**
 * - off: cloud.enabled is off.
 * - enrolling: asking the relay for a credential.
 * - connecting: dialling the relay.
 * - up: the tunnel is open; the endpoint answers.
 * - waiting: the last attempt failed or the tunnel dropped; the next attempt is scheduled.
 * - refused: the relay refused the credential or the enrollment key, or the configuration
 *   cannot work; tried again only after a long wait or a reload.
 */
export type TunnelState = 'off' | 'enrolling' | 'connecting' | 'up' | 'waiting' | 'refused'

/** What get_status reports of the cloud endpoint. Holds no secret. */
export interface TunnelStatus {
  enabled: boolean
  state: TunnelState
  /** The public URL of the API through the relay; null while there is no id. */
  endpoint: string | null
  /** Epoch ms of the last change of state. */
  since: number
  /** Why the last attempt failed or the tunnel dropped; null while none did. */
  error: string | null
  /** Requests that came through the tunnel since the daemon started. */
  requests: number
}

export interface Backoff {
  baseMs: number
  maxMs: number
  /** Wait after the relay refused the credential or enrollment key. */
  refusedMs: number
  /** A tunnel up this long resets the count of failed attempts. */
  stableMs: number
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1000, maxMs: 60_000, refusedMs: 10 * 60_000, stableMs: 60_000 }

export interface TunnelOptions {
  config: () => CloudConfig
  /** The `/api/` door's request listener: the only thing the tunnel reaches. */
  handler: RequestListener
  log: Logger
  /** Saves an enrolled credential (into hotspotd.cloud.credential). */
  saveCredential: (credential: string) => void
  now?: () => number
  /** A number in [0, 1): the jitter of the backoff. */
  random?: () => number
  backoff?: Partial<Backoff>
  pingIntervalMs?: number
  deadAfterMs?: number
  /** How long connecting, the welcome and enrolling may each take. */
  handshakeTimeoutMs?: number
}

/** The relay refused us (401/403/404): retrying soon would only be refused again. */
class RefusedError extends Error {}

/** The relay's `wss://` URL, split: the domain endpoint ids go under, and the port. */
export const parseRelay = (relay: string): { domain: string; port: number } => {
  const url = new URL(relay)
  return { domain: url.hostname, port: url.port === '' ? 443 : Number(url.port) }
}

/** Sends every host name to `address` (cloud.relay_address), as curl's --resolve would. */
export const fixedLookup = (address: string): LookupFunction => (_host, options, cb) => {
  const family = isIP(address) === 6 ? 6 : 4
  if (options.all === true) (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address, family }])
  else cb(null, address, family)
}

/**
 * TLS and address options for dialling the relay: the CA of cloud.ca_file (else Node's built-in
 * CAs), and the fixed address of cloud.relay_address (else DNS).
 * @throws Error naming cloud.ca_file when it cannot be read
 */
export const connectOptions = (c: CloudConfig): { ca?: Buffer; lookup?: LookupFunction } => {
  let ca: Buffer | undefined
  if (c.caFile !== '') {
    try {
      ca = readFileSync(c.caFile)
    } catch (err) {
      throw new Error(`cannot read cloud.ca_file ${c.caFile}: ${errorCode(err)}`)
    }
  }
  return { ...(ca === undefined ? {} : { ca }), ...(c.relayAddress === '' ? {} : { lookup: fixedLookup(c.relayAddress) }) }
}

/** The message of a refusal in the seed's envelope, or the status line. */
const refusal = (status: number, body: string): string => {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message
    if (typeof m === 'string') return `${status} ${m}`
  } catch { /* not JSON */ }
  return `${status}`
}

export class CloudTunnel {
  private state: TunnelState = 'off'
  private since: number
  private error: string | null = null
  private requests = 0
  private endpoint: string | null = null
  /** An enrolled credential, until the configuration holds it. */
  private enrolled = ''
  private running: Promise<void> | undefined
  private stopped = true
  private ws: WebSocket | undefined
  private wake: (() => void) | undefined
  /** The cloud options the running tunnel was started with. */
  private startedWith = ''
  /** Aborts an enrollment under way (at stop). */
  private abortEnroll: AbortController | undefined
  private readonly server: Server
  private readonly backoff: Backoff
  private readonly now: () => number
  private failures = 0

  constructor (private readonly opts: TunnelOptions) {
    this.now = opts.now ?? Date.now
    this.since = this.now()
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff }
    this.server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, opts.handler)
    this.server.maxHeadersCount = 50
  }

  status (): TunnelStatus {
    const c = this.opts.config()
    return { enabled: c.enabled, state: this.state, endpoint: this.endpoint ?? this.expectedEndpoint(c), since: this.since, error: this.error, requests: this.requests }
  }

  /** Starts keeping the tunnel up, if cloud.enabled is on. */
  start (): void {
    const c = this.opts.config()
    if (!this.stopped || !c.enabled) return
    this.startedWith = this.settingsOf(c)
    this.stopped = false
    this.failures = 0
    this.running = this.run()
  }

  /**
   * Applies a reloaded configuration: starts, stops, or redials when a cloud option changed
   * (the credential this tunnel enrolled, now read back from the file, is no change).
   */
  async reload (): Promise<void> {
    const c = this.opts.config()
    const running = !this.stopped
    if (running && c.enabled && this.settingsOf(c) === this.startedWith) return
    if (running) await this.stop()
    this.start()
  }

  private settingsOf (c: CloudConfig): string {
    return JSON.stringify({ ...c, credential: this.credentialOf(c) })
  }

  /** Closes the tunnel (requests under way fail) and stops dialling. */
  async stop (): Promise<void> {
    this.stopped = true
    this.wake?.()
    this.abortEnroll?.abort()
    const ws = this.ws
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) ws.close(1001, 'hotspotd stopping')
    await this.running
    this.running = undefined
    this.setState('off', null)
    this.endpoint = null
  }

  private expectedEndpoint (c: CloudConfig): string | null {
    const id = idOfCredential(this.credentialOf(c))
    if (id === undefined || c.relay === '') return null
    const { domain, port } = parseRelay(c.relay)
    return endpointUrl(id, domain, port)
  }

  private credentialOf (c: CloudConfig): string {
    return c.credential !== '' ? c.credential : this.enrolled
  }

  private setState (state: TunnelState, error: string | null | undefined): void {
    if (state !== this.state) this.since = this.now()
    this.state = state
    if (error !== undefined) this.error = error
  }

  private async run (): Promise<void> {
    let problem: string | undefined
    while (!this.stopped) {
      const c = this.opts.config()
      let wait: number
      let closed: { upFor: number; why: string }
      try {
        const credential = await this.credential(c)
        this.setState('connecting', undefined)
        closed = await this.connect(c, credential)
        this.failures = closed.upFor >= this.backoff.stableMs ? 0 : this.failures + 1
        wait = this.delay()
      } catch (err) {
        if (this.stopped) break
        const refused = err instanceof RefusedError
        this.failures++
        wait = refused ? this.backoff.refusedMs * (0.5 + this.random() / 2) : this.delay()
        const why = (err as Error).message
        this.setState(refused ? 'refused' : 'waiting', why)
        const again = `; trying again in ${Math.ceil(wait / 1000)} s`
        if (why !== problem) (refused ? this.opts.log.error : this.opts.log.warn)(`cloud: ${why}${again}`)
        else this.opts.log.debug(`cloud: ${why}${again}`)
        problem = why
        await this.sleep(wait)
        continue
      }
      if (this.stopped) break
      problem = undefined
      this.setState('waiting', closed.why)
      this.opts.log.info(`cloud: tunnel down (${closed.why}) after ${Math.round(closed.upFor / 1000)} s; reconnecting in ${Math.ceil(wait / 1000)} s`)
      await this.sleep(wait)
    }
  }

  private random (): number {
    return (this.opts.random ?? Math.random)()
  }

  /** Full jitter: a random wait up to base × 2^failures, capped. */
  private delay (): number {
    const cap = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(this.failures, 30))
    return Math.max(100, this.random() * cap)
  }

  private async sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
    this.wake = undefined
  }

  /** The credential to use: configured, enrolled earlier, or enrolled now. */
  private async credential (c: CloudConfig): Promise<string> {
    if (c.relay === '') throw new RefusedError('cloud.relay is not set')
    const have = this.credentialOf(c)
    if (have !== '') return have
    if (c.enrollKey === '') throw new RefusedError('no cloud.credential, and no cloud.enroll_key to obtain one with')
    this.setState('enrolling', undefined)
    const { domain, port } = parseRelay(c.relay)
    const timeout = this.opts.handshakeTimeoutMs ?? 15_000
    const abort = new AbortController()
    this.abortEnroll = abort
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest({
        host: domain, port, method: 'POST', path: ENROLL_PATH, timeout, signal: abort.signal, ...connectOptions(c),
        headers: { Authorization: `Bearer ${c.enrollKey}`, 'Content-Length': '0' },
      }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => { if (body.length < 65536) body += d })
        res.on('end', () => { resolve({ status: res.statusCode as number, body }) })
        res.on('error', reject)
      })
      req.on('timeout', () => { req.destroy(new Error(`no answer within ${timeout / 1000} s`)) })
      req.on('error', (err) => { reject(new Error(`cannot enroll with ${domain}: ${err.message}`)) })
      req.end()
    }).finally(() => { this.abortEnroll = undefined })
    if (answer.status !== 200) {
      const why = `the relay refused to enroll: ${refusal(answer.status, answer.body)}`
      throw answer.status === 429 || answer.status >= 500 ? new Error(why) : new RefusedError(why)
    }
    let enrollment: unknown
    try { enrollment = JSON.parse(answer.body) } catch { enrollment = undefined }
    if (!isEnrollment(enrollment) || idOfCredential(enrollment.credential) !== enrollment.id) {
      throw new Error('the relay answered the enrollment with something else than a credential')
    }
    this.enrolled = enrollment.credential
    this.opts.log.info(`cloud: enrolled with ${domain}: endpoint ${enrollment.endpoint}`)
    try {
      this.opts.saveCredential(enrollment.credential)
    } catch (err) {
      this.opts.log.error(`cloud: ${(err as Error).message}; the endpoint id is kept until hotspotd stops`)
    }
    return enrollment.credential
  }

  /**
   * Dials the relay and serves the tunnel until it closes. Resolves with how long it was up and
   * why it closed; rejects when it could not be opened.
   */
  private async connect (c: CloudConfig, credential: string): Promise<{ upFor: number; why: string }> {
    const id = idOfCredential(credential)
    if (id === undefined) throw new RefusedError('cloud.credential is not a device credential (<id>.<signature>)')
    const { domain, port } = parseRelay(c.relay)
    const timeout = this.opts.handshakeTimeoutMs ?? 15_000
    const deadAfter = this.opts.deadAfterMs ?? DEAD_AFTER_MS
    const ws = new WebSocket(`wss://${id}.${domain}:${port}${TUNNEL_PATH}`, SUBPROTOCOL, {
      ...connectOptions(c),
      headers: { Authorization: `Bearer ${credential}` },
      handshakeTimeout: timeout,
      maxPayload: MAX_FRAME,
      perMessageDeflate: false,
    })
    this.ws = ws
    let openedAt = 0
    let lastHeard = this.now()
    let closeWhy: string | undefined
    const drop = (why: string, code?: number): void => {
      closeWhy ??= why
      if (code !== undefined && ws.readyState === WebSocket.OPEN) ws.close(code, why.slice(0, 120))
      else ws.terminate()
    }
    const mux = new Mux({
      role: 'acceptor',
      send: (frame, done) => { ws.send(frame, { binary: true }, done) },
      onStream: (stream, meta) => {
        this.requests++
        const client = typeof meta.client === 'string' && isIP(meta.client) !== 0 ? meta.client : 'cloud'
        Object.defineProperty(stream, 'remoteAddress', { value: client })
        stream.on('error', () => { /* the request's own handling sees it as a closed connection */ })
        this.server.emit('connection', stream)
      },
    })
    const welcome = setTimeout(() => { drop(`no welcome from the relay within ${timeout / 1000} s`, 1002) }, timeout)
    const pinger = setInterval(() => {
      if (this.now() - lastHeard > deadAfter) drop(`no answer from the relay for ${Math.round((this.now() - lastHeard) / 1000)} s`)
      else if (ws.readyState === WebSocket.OPEN) ws.ping()
    }, this.opts.pingIntervalMs ?? PING_INTERVAL_MS)
    try {
      return await new Promise<{ upFor: number; why: string }>((resolve, reject) => {
        ws.on('unexpected-response', (_req, res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => { if (body.length < 65536) body += d })
          res.on('end', () => {
            const why = `the relay refused the tunnel: ${refusal(res.statusCode as number, body)}`
            const status = res.statusCode as number
            reject(status === 401 || status === 403 ? new RefusedError(why) : new Error(why))
            ws.terminate()
          })
        })
        ws.on('pong', () => { lastHeard = this.now() })
        ws.on('ping', () => { lastHeard = this.now() })
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          lastHeard = this.now()
          if (!isBinary) {
            let parsed: unknown
            try { parsed = JSON.parse(data.toString('utf8')) } catch { parsed = undefined }
            if (!isWelcome(parsed) || parsed.id !== id) {
              drop('the relay sent something else than its welcome', 1002)
              return
            }
            clearTimeout(welcome)
            openedAt = this.now()
            this.endpoint = parsed.endpoint
            this.failures = 0
            this.setState('up', null)
            this.opts.log.info(`cloud: tunnel up: ${parsed.endpoint}`)
            return
          }
          if (openedAt === 0) {
            drop('the relay sent frames before its welcome', 1002)
            return
          }
          try {
            mux.receive(data)
          } catch (err) {
            drop(`protocol error: ${(err as MuxProtocolError).message}`, 1002)
          }
        })
        ws.on('error', (err) => {
          closeWhy ??= err.message
        })
        ws.on('close', (code, reason) => {
          const why = closeWhy ?? (code === CLOSE_REPLACED
            ? 'another connection with this credential took the tunnel\'s place'
            : `closed by the relay (${code}${reason.length > 0 ? ` ${reason.toString('utf8')}` : ''})`)
          if (openedAt === 0) {
            reject(new Error(`cannot open the tunnel to ${id}.${domain}: ${why}`))
            return
          }
          resolve({ upFor: this.now() - openedAt, why })
        })
      })
    } finally {
      clearTimeout(welcome)
      clearInterval(pinger)
      mux.close('the tunnel closed')
      this.ws = undefined
    }
  }
}
