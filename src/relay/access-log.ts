/**
 * @module relay/access-log
 * One line per request the relay handles: time, client, router id, method, path with query,
 * status, body bytes sent, milliseconds. The seed puts the API key in the query string
 * (`?api-key=...`), so its value is replaced before the path is written; bodies and headers
 * (Authorization included) are never logged.
 */

/** What one access line says. */
export interface AccessEntry {
  at: Date
  client: string
  /** The router's id, when the host named one. */
  id: string | undefined
  method: string
  /** Path and query as requested (redacted here). */
  path: string
  /** The status sent; 0 when the connection was cut before any. */
  status: number
  /** Body bytes sent to the client. */
  bytes: number
  ms: number
  /** The answer was cut short (the router or the client went away mid-answer). */
  cut: boolean
}

const REDACTED = '[redacted]'

/** Whether a query parameter's raw name decodes (as URLSearchParams does, as the router reads it) to api-key. */
const isKeyName = (raw: string): boolean => {
  const [[name = ''] = []] = new URLSearchParams(`${raw}=`)
  return name.trim().toLowerCase() === 'api-key'
}

/** `path` with the value of every `api-key` query parameter replaced by `[redacted]`. */
export const redactQuery = (path: string): string => {
  const q = path.indexOf('?')
  if (q < 0) return path
  const parts = path.slice(q + 1).split('&').map((part) => {
    const eq = part.indexOf('=')
    const name = eq < 0 ? part : part.slice(0, eq)
    return isKeyName(name) ? `${name}=${REDACTED}` : part
  })
  return `${path.slice(0, q)}?${parts.join('&')}`
}

/** Bytes a log line must not carry raw (controls, spaces, non-ASCII), percent-encoded. */
const printable = (s: string): string =>
  s.replace(/[^\x21-\x7e]/gu, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))

/** The access line of one request. */
export const formatAccess = (e: AccessEntry): string =>
  `access ${e.at.toISOString()} ${e.client} ${e.id ?? '-'} ${printable(e.method)} ${printable(redactQuery(e.path))} ` +
  `${e.status} ${e.bytes} ${Math.round(e.ms)}ms${e.cut ? ' cut' : ''}`
