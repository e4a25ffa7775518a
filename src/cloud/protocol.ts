/**
 * @module cloud/protocol
 * What the router and the relay agree on, besides the stream frames of cloud/mux.
 *
 * 1. **Enrollment** (only for a router without a credential, and only where the relay's operator
 *    allows it): `POST https://<domain>/.hotspotd/enroll` with `Authorization: Bearer <enroll
 *    key>`. The relay answers `{"id": "2b080b3af6", "credential": "<id>.<sig>", "endpoint":
 *    "https://2b080b3af6.<domain>/api/"}`; errors in the seed's envelope (`{"message", "error":
 *    true}`): 401 for a wrong enrollment key, 404 where enrollment is off, 429 when throttled.
 * 2. **The tunnel**: a WebSocket to `wss://<id>.<domain>/.hotspotd/tunnel` (the id in the host
 *    name, so a load balancer hashing on the Host header sends it to the instance that gets the
 *    id's requests), subprotocol {@link SUBPROTOCOL}, `Authorization: Bearer <credential>`. The
 *    relay refuses the upgrade with 401 (credential malformed or forged), 403 (a genuine
 *    credential for another id than the host's) or 429 (too many refusals from the address),
 *    in the seed's envelope. Once open, it sends one text message, {@link Welcome}; everything
 *    after is binary cloud/mux frames, the relay opening one stream per forwarded request.
 * 3. **Liveness**: both ends send WebSocket pings ({@link PING_INTERVAL_MS}) and drop a link
 *    silent for {@link DEAD_AFTER_MS}. A new tunnel for an id replaces the one it had on that
 *    relay (closed with {@link CLOSE_REPLACED}); a broken protocol closes with 1002.
 */

/** The WebSocket subprotocol of the tunnel. */
export const SUBPROTOCOL = 'hotspotd-tunnel.1'

/** Path of the tunnel's WebSocket, on the host `<id>.<domain>`. */
export const TUNNEL_PATH = '/.hotspotd/tunnel'

/** Path of enrollment, on any host of the relay. */
export const ENROLL_PATH = '/.hotspotd/enroll'

/** Path of the relay's health check (for load balancers), on any host. */
export const HEALTH_PATH = '/.hotspotd/health'

/** Both ends ping this often. */
export const PING_INTERVAL_MS = 20_000

/** A link with no message or pong for this long is dead. */
export const DEAD_AFTER_MS = 50_000

/** Close code: a newer tunnel for the same id took this one's place. */
export const CLOSE_REPLACED = 4001

/** Close code: the relay is shutting down (the router reconnects, to another instance or later). */
export const CLOSE_GOING_AWAY = 1001

/** The relay's first message on an open tunnel. */
export interface Welcome {
  type: 'welcome'
  id: string
  /** The public URL of this router's API through the relay, e.g. https://2b080b3af6.example.net/api/ */
  endpoint: string
}

/** The relay's answer to an enrollment. */
export interface Enrollment {
  id: string
  credential: string
  endpoint: string
}

/** Whether `value` is a {@link Welcome}. */
export const isWelcome = (value: unknown): value is Welcome => {
  const v = value as Partial<Welcome> | null
  return typeof v === 'object' && v !== null && v.type === 'welcome' && typeof v.id === 'string' && typeof v.endpoint === 'string'
}

/** Whether `value` is an {@link Enrollment}. */
export const isEnrollment = (value: unknown): value is Enrollment => {
  const v = value as Partial<Enrollment> | null
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && typeof v.credential === 'string' && typeof v.endpoint === 'string'
}

/** The public API URL of `id` under a relay reached at `publicOrigin`'s host and port (https). */
export const endpointUrl = (id: string, domain: string, port: number): string =>
  `https://${id}.${domain}${port === 443 ? '' : `:${port}`}/api/`
