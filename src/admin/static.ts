/**
 * @module admin/static
 * The panel's files (index.html, app.js, app.css, built by esbuild beside the daemon's bundle)
 * from one directory: a flat name only (no path, so no traversal), a known type only, the
 * precompressed `.gz` sibling when the browser takes gzip, revalidated caching, and headers that
 * keep the panel out of frames and inline script out of the page.
 */
import { createReadStream, statSync, type Stats } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { notFound } from '../http/api'

/**
 * Everything from the panel's own origin, nothing inline, no framing: LuCI opens the panel in
 * a tab of its own (a new window), never in a frame, so `frame-ancestors 'none'` costs nothing
 * and rules out clickjacking. `data:` images are the QR codes of the printable sheet.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** Sent with every file of the panel. */
export const PANEL_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
}

/** The types the panel ships; any other name is not found. */
export const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
}

/** A flat file name: letters, digits, `-`, `_` and dots between them; never `..` or a slash. */
const NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/

/** Whether the client takes gzip (`Accept-Encoding: gzip`, not refused with q=0). */
export const acceptsGzip = (header: string | undefined): boolean =>
  (header ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim())
    return (coding === 'gzip' || coding === '*') && !params.some((p) => /^q=0(\.0*)?$/.test(p))
  })

const fileStat = (path: string): Stats | undefined => {
  try {
    const s = statSync(path)
    return s.isFile() ? s : undefined
  } catch {
    return undefined
  }
}

/**
 * Answers GET or HEAD of panel file `name` ('' is index.html) from `dir`.
 * Unknown, unsafe or missing names get the seed's 404 envelope.
 */
export const serveStatic = (dir: string, name: string, req: IncomingMessage, res: ServerResponse): void => {
  const file = name === '' ? 'index.html' : name
  const type = TYPES[extname(file)]
  const path = join(dir, file)
  const plain = NAME.test(file) && type !== undefined ? fileStat(path) : undefined
  if (plain === undefined || type === undefined) {
    notFound(res)
    return
  }
  const zipped = acceptsGzip(req.headers['accept-encoding']) ? fileStat(`${path}.gz`) : undefined
  const sent = zipped ?? plain
  const etag = `"${sent.size.toString(16)}-${Math.floor(sent.mtimeMs).toString(16)}${zipped === undefined ? '' : '-gz'}"`
  const headers: Record<string, string> = {
    ...PANEL_HEADERS,
    'Content-Type': type,
    // Names carry no hash: revalidate each time (a 304 is a few bytes), so an upgrade shows at once.
    'Cache-Control': 'no-cache',
    ETag: etag,
    Vary: 'Accept-Encoding',
  }
  if (zipped !== undefined) headers['Content-Encoding'] = 'gzip'
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(sent.size) })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  const stream = createReadStream(zipped === undefined ? path : `${path}.gz`)
  stream.on('error', () => { res.destroy() })
  stream.pipe(res)
}
