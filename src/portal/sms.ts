/**
 * @module portal/sms
 * Sends a text message through the owner's HTTP SMS gateway (hotspotd.sms): one request built
 * from templates, so that any gateway with an HTTP API fits (Twilio, Vonage, MessageBird, a
 * local modem's web API, an in-house relay) without code for each.
 *
 * - **Templates.** The URL, the body and the header values may hold `{to}` (the number in E.164
 *   form with '+'), `{to_digits}` (the same without '+'), `{text}` (the message) and `{code}`.
 *   Each value is encoded for where it stands: percent-encoded in the URL and in a form body
 *   (`application/x-www-form-urlencoded`), JSON-string-escaped in a JSON body (so the template
 *   writes the quotes: `{"to":"{to}","body":"{text}"}`), as it is elsewhere. An unknown
 *   placeholder stays as it is.
 * - **Success** is a 2xx status and, when `successText` is set, that text in the reply body (some
 *   gateways answer 200 with an error inside). Anything else, a timeout or a network error is an
 *   {@link SmsError} whose message says what happened without the number or the code, since it
 *   goes to the log. The reply body is read up to 64 KiB.
 * - **No redirects** are followed: a gateway that moved is a configuration error to see, and a
 *   redirect must not carry an API key in a header to another host.
 */
import { type SmsConfig } from '../config/config'

/** A message the gateway did not take; `message` is safe to log. */
export class SmsError extends Error {
  readonly code = 'SMS'
}

/** What fetch the sender uses (the global one; tests may pass their own). */
export type Fetch = typeof fetch

const REPLY_LIMIT = 64 * 1024

/**
 * Why a fetch failed, in words fit for the log: a timeout, the system error code (ECONNREFUSED),
 * or the reason undici keeps in `cause` ('unexpected redirect') rather than its 'fetch failed'.
 */
export const whyFetchFailed = (err: unknown, timeoutSeconds: number): string => {
  const e = err as Error & { cause?: { code?: string; message?: string } }
  return e.name === 'TimeoutError' ? `no answer within ${timeoutSeconds} s` : e.cause?.code ?? e.cause?.message ?? e.message
}

type Values = Readonly<Record<string, string>>

/** `template` with each `{name}` of `values` replaced by `encode(value)`. */
export const fillTemplate = (template: string, values: Values, encode: (v: string) => string): string =>
  template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    // Own names only: '{constructor}' is not a value.
    return Object.hasOwn(values, name) ? encode(values[name] as string) : whole
  })

const jsonString = (v: string): string => JSON.stringify(v).slice(1, -1)

/** How a value is encoded into a body of this content type. */
const bodyEncoder = (contentType: string): ((v: string) => string) => {
  const type = contentType.replace(/;.*/s, '').trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded') return encodeURIComponent
  if (type === 'application/json' || type.endsWith('+json')) return jsonString
  return (v) => v
}

/** The request the gateway gets for one message (exported for tests). */
export const smsRequest = (sms: SmsConfig, to: string, text: string, code: string): { url: string; init: RequestInit } => {
  const values: Values = { to, to_digits: to.replace(/^\+/, ''), text, code }
  const headers: Record<string, string> = {}
  for (const h of sms.headers) {
    const colon = h.indexOf(':')
    // Header values cannot carry CR or LF: the config checks the template, and no value holds one.
    headers[h.slice(0, colon).trim()] = fillTemplate(h.slice(colon + 1).trim(), values, (v) => v.replace(/[\r\n]/g, ' '))
  }
  const init: RequestInit = { method: sms.method, redirect: 'manual', signal: AbortSignal.timeout(sms.timeout * 1000) }
  if (sms.method === 'POST') {
    headers['Content-Type'] = sms.contentType
    init.body = fillTemplate(sms.body, values, bodyEncoder(sms.contentType))
  }
  init.headers = headers
  return { url: fillTemplate(sms.url, values, encodeURIComponent), init }
}

/** The reply body as text, at most REPLY_LIMIT bytes of it. */
const replyText = async (res: Response): Promise<string> => {
  if (res.body === null) return ''
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(Buffer.from(chunk))
    size += chunk.byteLength
    if (size >= REPLY_LIMIT) break
  }
  return Buffer.concat(chunks).subarray(0, REPLY_LIMIT).toString('utf8')
}

/**
 * Sends `text` to `to` (E.164 with '+') through the gateway.
 * @throws SmsError when the gateway did not take it (see the module doc)
 */
export const sendSms = async (sms: SmsConfig, to: string, text: string, code: string, fetchImpl: Fetch = fetch): Promise<void> => {
  const { url, init } = smsRequest(sms, to, text, code)
  if (!URL.canParse(url)) throw new SmsError('SMS gateway: the URL is not a URL once filled in (a placeholder in its host or port?)')
  const host = new URL(url).host
  let res: Response
  try {
    res = await fetchImpl(url, init)
  } catch (err) {
    throw new SmsError(`SMS gateway ${host}: ${whyFetchFailed(err, sms.timeout)}`)
  }
  let body: string
  try {
    body = await replyText(res)
  } catch (err) {
    throw new SmsError(`SMS gateway ${host}: reply cut off (${(err as Error).message})`)
  }
  if (res.status < 200 || res.status > 299) throw new SmsError(`SMS gateway ${host} answered HTTP ${res.status}`)
  if (sms.successText !== '' && !body.includes(sms.successText)) {
    throw new SmsError(`SMS gateway ${host} answered without '${sms.successText}'`)
  }
}
