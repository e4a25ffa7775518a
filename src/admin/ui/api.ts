/**
 * @module admin/ui/api
 * The panel's one way to the daemon: the admin door's session, sign-in and sign-out, and
 * `call(action, params)` through `POST /admin/api/call` with the session's CSRF header. A 401
 * on any call means the session ended: {@link Client.onExpired} takes the panel back to sign-in.
 */
import {
  API_CALL, API_LOGIN, API_LOGOUT, API_SESSION, CSRF_HEADER,
  type CallRequest, type LoginRequest, type SessionInfo,
} from '../protocol'
import { S, fill } from './strings'

/** What the server said went wrong (the seed's `{message, error: true}`), with the HTTP status. */
export class CallError extends Error {
  constructor (message: string, readonly status: number) {
    super(message)
  }
}

type Json = Record<string, unknown>

const request = async (url: string, init: RequestInit): Promise<{ status: number; body: Json }> => {
  let res: Response
  try {
    res = await fetch(url, { credentials: 'same-origin', cache: 'no-store', ...init })
  } catch (err) {
    throw new CallError(fill(S.networkError, { why: (err as Error).message }), 0)
  }
  let body: Json = {}
  const type = res.headers.get('Content-Type') ?? ''
  if (type.includes('json')) {
    try {
      body = await res.json() as Json
    } catch {}
  }
  if (!res.ok || body.error === true) {
    const message = typeof body.message === 'string' && body.message !== '' ? body.message : `${res.status} ${res.statusText}`
    throw new CallError(message, res.status)
  }
  return { status: res.status, body }
}

export class Client {
  session: SessionInfo | null = null
  /** Called once when a call finds the session gone; set by the shell. */
  onExpired: () => void = () => {}

  /** The current session, or null when not signed in. */
  async resume (): Promise<SessionInfo | null> {
    try {
      this.session = (await request(API_SESSION, { method: 'GET' })).body as unknown as SessionInfo
    } catch (err) {
      if (err instanceof CallError && err.status === 401) this.session = null
      else throw err
    }
    return this.session
  }

  async login (username: string, password: string): Promise<SessionInfo> {
    const body: LoginRequest = { username, password }
    const { body: info } = await request(API_LOGIN, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    this.session = info as unknown as SessionInfo
    return this.session
  }

  async logout (): Promise<void> {
    const csrf = this.session?.csrf ?? ''
    this.session = null
    try {
      await request(API_LOGOUT, { method: 'POST', headers: { [CSRF_HEADER]: csrf } })
    } catch {}
  }

  /** Whether the signed-in user may call `action` (rpcd's ACL; built-in sessions may call all). */
  may (action: string): boolean {
    return this.session !== null && this.session.allowed.includes(action)
  }

  /** Calls one action of the table; throws {@link CallError} with the server's message. */
  async call<T = Json>(action: string, params: Record<string, unknown> = {}): Promise<T> {
    const req: CallRequest = { action, params }
    try {
      const { body } = await request(API_CALL, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [CSRF_HEADER]: this.session?.csrf ?? '' },
        body: JSON.stringify(req),
      })
      return body as unknown as T
    } catch (err) {
      if (err instanceof CallError && err.status === 401 && this.session !== null) {
        this.session = null
        this.onExpired()
      }
      throw err
    }
  }
}
