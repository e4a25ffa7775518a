/**
 * @module admin/protocol
 * What the admin panel's browser code (src/admin/ui/) and the daemon's admin door
 * (src/admin/door.ts) agree on. Types only, plus the paths and header names: the UI imports
 * this file, so nothing here may import Node modules.
 *
 * The panel is served at `/admin/` on the LAN/MGMT listener only (never on the guest portal's
 * listener, never through the cloud tunnel). Everything it does is an action of the one table
 * (src/actions/index.ts), called through `POST /admin/api/call`.
 *
 * | method, path | body | answer |
 * | --- | --- | --- |
 * | GET /admin/ (and /admin/index.html, /admin/app.js, /admin/app.css) | | the panel's files |
 * | GET /admin/api/session | | {@link SessionInfo} or 401 |
 * | POST /admin/api/login | {@link LoginRequest} (JSON) | {@link SessionInfo} + Set-Cookie, or 401/429 |
 * | POST /admin/api/logout | | 204, cookie cleared |
 * | POST /admin/api/call | {@link CallRequest} (JSON) | the action's result, as over /api/ |
 * | GET /admin/api/export/<list>.csv | | text/csv of one list ({@link ExportList}) |
 *
 * - **Session**: cookie {@link SESSION_COOKIE} (HttpOnly, SameSite=Strict, Path=/admin/), an
 *   opaque id of the daemon's, mapped to an rpcd session (where rpcd runs: `session login`,
 *   then `session access` per action, so credentials and ACLs are exactly LuCI's) or to one
 *   of the built-in sessions (src/ubus/sessions.ts). Idle sessions expire.
 * - **CSRF**: every POST but login carries header {@link CSRF_HEADER} with the session's
 *   `csrf` token, and any Origin header must be the panel's own origin; else 403.
 * - **QR codes** of printed vouchers open `get_status`' `data.portal.url` with `{username}`
 *   replaced by the URI-encoded username (null while the guest portal serves nowhere); the
 *   portal then shows its sign-in page with the code filled in. No passcode goes in the link.
 * - **Errors** are the seed's envelope `{"message": ..., "error": true}` with the HTTP status of
 *   the error's kind (as on /api/); 401 `Not signed in` when the session is missing or expired,
 *   403 `Not allowed` when the ACL denies the action.
 */

export const ADMIN_PATH = '/admin/'
export const API_SESSION = '/admin/api/session'
export const API_LOGIN = '/admin/api/login'
export const API_LOGOUT = '/admin/api/logout'
export const API_CALL = '/admin/api/call'
export const API_EXPORT = '/admin/api/export/'

export const SESSION_COOKIE = 'hotspotd_admin'
export const CSRF_HEADER = 'X-Hotspotd-CSRF'

export interface LoginRequest { username: string; password: string }

export interface SessionInfo {
  username: string
  /** Token to send in {@link CSRF_HEADER} with every state-changing request. */
  csrf: string
  /** Seconds of inactivity after which the session ends. */
  timeout: number
  /** Where the credentials were checked: rpcd (LuCI's users) or hotspotd's built-in sessions. */
  via: 'rpcd' | 'builtin'
  /** Actions of the table this user may call (the UI hides the others). */
  allowed: string[]
}

export interface CallRequest { action: string; params?: Record<string, unknown> }

/** The lists the panel exports as CSV, each the rows of the action named after it. */
export type ExportList = 'vouchers' | 'email_users' | 'fb_users' | 'mobile_users' | 'free_users' | 'logins'
