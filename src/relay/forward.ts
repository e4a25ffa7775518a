/**
 * @module relay/forward
 * Carries one HTTPS request to a router and its answer back: a mux stream per request, plain
 * HTTP/1.1 over it (node's client here, node's server on the router). Hop-by-hop headers and
 * client-sent forwarding headers stay behind; the body is capped; the answer's head must come
 * within the timeout, and its body may not pause for longer. Every path ends in an answer or a
 * cut connection, never a hang.
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'
import { StreamResetError, type Mux, type MuxStream } from '../cloud/mux'
import { refuse, type Refusal } from './reply'

export interface ForwardOptions {
  /** Most request body bytes carried to the router. */
  maxBody: number
  /** How long the router has to begin its answer. */
  timeoutMs: number
}

/** Counts the body bytes sent to the client, for the access log. */
export interface Meter { bytes: number }

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), and node's own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/** Headers a client could forge to pass for another address; the router learns the client from the stream. */
const isForwarding = (name: string): boolean =>
  name === 'forwarded' || name === 'x-real-ip' || name.startsWith('x-forwarded-')

/** rawHeaders without hop-by-hop headers (those of HOP_BY_HOP, Proxy-*, those Connection names) and those `drop` names. */
const filterHeaders = (raw: readonly string[], drop: (name: string) => boolean): string[] => {
  const named = new Set<string>()
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === 'connection') {
      for (const token of (raw[i + 1] as string).split(',')) named.add(token.trim().toLowerCase())
    }
  }
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    if (HOP_BY_HOP.has(name) || name.startsWith('proxy-') || named.has(name) || drop(name)) continue
    out.push(raw[i] as string, raw[i + 1] as string)
  }
  return out
}

/**
 * A client's request headers as sent on to the router (rawHeaders form). Expect goes too: the
 * relay's server has already answered any 100-continue.
 */
export const requestHeaders = (raw: readonly string[]): string[] =>
  filterHeaders(raw, (name) => isForwarding(name) || name === 'expect')

/** A router's answer headers as sent on to the client (rawHeaders form). */
export const responseHeaders = (raw: readonly string[]): string[] => filterHeaders(raw, () => false)

/**
 * Forwards `req` (for `path`, normalised, with its query) from `client` over a new stream of
 * `mux`, and writes the router's answer to `res`. Refusals and failures before the answer's
 * head are answered in the seed's envelope: 413 over the body cap, 503 when the tunnel carries
 * its most streams, 502 when the tunnel is gone or lost, 504 past the timeout. After the head,
 * a failure (or the answer pausing past the timeout) cuts the connection.
 */
export const forwardRequest = (mux: Mux, req: IncomingMessage, res: ServerResponse, path: string, client: string, opts: ForwardOptions, meter: Meter): void => {
  if (Number(req.headers['content-length'] ?? 0) > opts.maxBody) {
    meter.bytes = refuse(res, 'tooLarge')
    return
  }
  let stream: MuxStream
  try {
    stream = mux.open({ client })
  } catch (err) {
    meter.bytes = refuse(res, (err as StreamResetError).reason === 'too many streams' ? 'busy' : 'offline')
    return
  }
  /** An answer or a cut has been decided: nothing more goes either way. */
  let settled = false
  const out = request({ method: req.method, path, headers: requestHeaders(req.rawHeaders), createConnection: () => stream })
  let size = 0
  const onData = (chunk: Buffer): void => {
    size += chunk.length
    if (size > opts.maxBody) fail('tooLarge')
    else if (!out.write(chunk)) req.pause()
  }
  const onEnd = (): void => { out.end() }
  const fail = (refusal: Refusal): void => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    out.destroy()
    // What is left of the body is read and dropped (the answer says Connection: close).
    req.off('data', onData).off('end', onEnd).resume()
    if (res.headersSent) res.destroy()
    else meter.bytes = refuse(res, refusal)
  }
  const timer = setTimeout(() => { fail('timeout') }, opts.timeoutMs)
  out.on('error', (err) => { fail(err instanceof StreamResetError && err.reason === 'too many streams' ? 'busy' : 'lost') })
  out.on('response', (answer) => {
    // From here the timeout is for silence: an answer that stops for that long is cut.
    timer.refresh()
    // The reason phrase is node's own: the router's could hold bytes node refuses to write.
    try {
      res.writeHead(answer.statusCode as number, responseHeaders(answer.rawHeaders))
    } catch {
      // An answer node parses but will not write (a status under 100, a DEL in a header): not
      // HTTP enough to pass on. Thrown here, it would reach the tunnel's message handler.
      res.statusMessage = '' // writeHead kept the phrase of the status it refused
      fail('lost')
      return
    }
    answer.on('data', (chunk: Buffer) => {
      meter.bytes += chunk.length
      timer.refresh()
    })
    // A router gone mid-answer, or a client gone: the other side is cut, and the stream reset.
    pipeline(answer, res, (err) => {
      if (err) fail('lost')
      settled = true
      clearTimeout(timer)
    })
  })
  req.on('data', onData)
  req.on('end', onEnd)
  out.on('drain', () => { req.resume() })
  res.on('close', () => {
    // The answer is complete, or the client went away first: the stream is done with.
    if (settled) return
    settled = true
    clearTimeout(timer)
    out.destroy()
  })
}
