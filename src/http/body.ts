/**
 * @module http/body
 * Reads a request body up to a small limit and turns it into parameters: JSON objects, and
 * URL-encoded forms, which integrators' tools (curl -d, PHP, shell scripts) send.
 */
import type { IncomingMessage } from 'node:http'
import { ApiError, BODY_TOO_LARGE, MALFORMED_BODY, UNSUPPORTED_TYPE } from '../errors'

/** No request of the API needs more; create_voucher's largest body is well under 1 KiB. */
export const BODY_LIMIT = 64 * 1024

/**
 * The body as bytes, at most `limit` of them.
 * @throws ApiError('too_large') as soon as the body (or its Content-Length) is over the limit,
 *   ApiError('invalid', MALFORMED_BODY) when the client hangs up before the body is complete
 */
export const readBody = async (req: IncomingMessage, limit: number = BODY_LIMIT): Promise<Buffer> => {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new ApiError('too_large', BODY_TOO_LARGE)
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > limit) throw new ApiError('too_large', BODY_TOO_LARGE)
      chunks.push(chunk)
    }
  } catch (err) {
    if (err instanceof ApiError) throw err
    // The client hung up before its body was complete: a bad request, not our failure.
    throw new ApiError('invalid', MALFORMED_BODY, { cause: err })
  }
  return Buffer.concat(chunks)
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

const decode = (body: Buffer): string => {
  try {
    return utf8.decode(body)
  } catch (err) {
    throw new ApiError('invalid', MALFORMED_BODY, { cause: err })
  }
}

/** Form fields; when a name repeats, the last value wins (as PHP reads it). */
export const formParams = (text: string): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(text))

/**
 * Parameters in a body of the given Content-Type. With no Content-Type, a body that starts
 * with `{` is read as JSON and anything else as a form.
 * @throws ApiError('invalid', MALFORMED_BODY) or ApiError('invalid', UNSUPPORTED_TYPE)
 */
export const parseBody = (contentType: string | undefined, body: Buffer): Record<string, unknown> => {
  const text = decode(body)
  if (text.trim() === '') return {}
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase()
  const json = type === 'application/json' || (type === '' && text.trimStart().startsWith('{'))
  if (json) {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      throw new ApiError('invalid', MALFORMED_BODY, { cause: err })
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ApiError('invalid', MALFORMED_BODY)
    }
    return value as Record<string, unknown>
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') return formParams(text)
  throw new ApiError('invalid', UNSUPPORTED_TYPE)
}
