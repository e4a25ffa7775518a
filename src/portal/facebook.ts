/**
 * @module portal/facebook
 * Sign-in with Facebook: the OAuth 2.0 authorization-code flow of Facebook Login for the web,
 * done by the portal itself (no SDK, no JavaScript on the page).
 *
 * 1. The guest follows the portal's link to Facebook's login dialog
 *    (`<dialog>/<version>/dialog/oauth`) with the app id, the redirect URI, `scope=email` and a
 *    random `state` bound to the guest's portal visit.
 * 2. Facebook sends the guest back to the redirect URI with `code` and `state` (or `error`).
 * 3. The portal exchanges the code for a user access token at
 *    `<graph>/<version>/oauth/access_token` (with the app secret: server to server), then reads
 *    `id`, `name` and `email` from `<graph>/<version>/me`, signing the call with `appsecret_proof`
 *    (HMAC-SHA256 of the token keyed by the app secret), as Facebook recommends for server calls.
 *
 * The token is used for these two calls only and never stored. Errors are {@link FacebookError}s
 * whose message is safe to log (Graph's own error text, never the secret, code or token).
 */
import { createHmac } from 'node:crypto'
import type { FacebookConfig } from '../config/config'
import { whyFetchFailed, type Fetch } from './sms'

/** A Facebook sign-in that could not be completed; `message` is safe to log. */
export class FacebookError extends Error {
  readonly code = 'FACEBOOK'
}

/** The person Facebook vouched for: the app-scoped id, the name, and the e-mail address when the guest shared it. */
export interface FacebookProfile {
  id: string
  name: string
  email: string | null
}

const TIMEOUT_MS = 10_000

/** Where the guest is sent to log in with Facebook. */
export const dialogUrl = (fb: FacebookConfig, redirectUri: string, state: string): string => {
  const q = new URLSearchParams({ client_id: fb.appId, redirect_uri: redirectUri, state, response_type: 'code', scope: 'email' })
  return `${fb.dialogUrl}/${fb.apiVersion}/dialog/oauth?${q.toString()}`
}

/** GETs a Graph API URL and returns its JSON object; Graph's error answers become FacebookErrors. */
const graph = async (fetchImpl: Fetch, url: string, what: string): Promise<Record<string, unknown>> => {
  let res: Response
  let body: unknown
  try {
    res = await fetchImpl(url, { redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) })
    body = await res.json()
  } catch (err) {
    throw new FacebookError(`Facebook ${what}: ${err instanceof SyntaxError ? 'not JSON' : whyFetchFailed(err, TIMEOUT_MS / 1000)}`)
  }
  const obj = typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : {}
  if (res.ok && obj.error === undefined) return obj
  const error = obj.error as { message?: unknown } | undefined
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`
  throw new FacebookError(`Facebook ${what}: ${message}`)
}

/**
 * Exchanges the code Facebook sent the guest back with for the guest's profile (step 3 above).
 * @throws FacebookError when Facebook refuses or cannot be reached, or the answer lacks an id
 */
export const facebookProfile = async (fb: FacebookConfig, redirectUri: string, code: string, fetchImpl: Fetch = fetch): Promise<FacebookProfile> => {
  const base = `${fb.graphUrl}/${fb.apiVersion}`
  const exchange = new URLSearchParams({ client_id: fb.appId, redirect_uri: redirectUri, client_secret: fb.appSecret, code })
  const token = (await graph(fetchImpl, `${base}/oauth/access_token?${exchange.toString()}`, 'code exchange')).access_token
  if (typeof token !== 'string' || token === '') throw new FacebookError('Facebook code exchange: no access token in the answer')
  const proof = createHmac('sha256', fb.appSecret).update(token).digest('hex')
  const me = new URLSearchParams({ fields: 'id,name,email', access_token: token, appsecret_proof: proof })
  const profile = await graph(fetchImpl, `${base}/me?${me.toString()}`, 'profile')
  const { id, name, email } = profile
  if (typeof id !== 'string' || !/^\d{1,32}$/.test(id)) throw new FacebookError('Facebook profile: no user id in the answer')
  return { id, name: typeof name === 'string' ? name : '', email: typeof email === 'string' && email !== '' ? email : null }
}
