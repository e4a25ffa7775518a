/**
 * @module http/routes
 * The LAN/MGMT listener's request listener: `/api` and `/api/` go to the API door; anything
 * else is answered 404 in the seed's envelope. Later doors (`/ubus`, `/admin/`) mount here.
 */
import type { RequestListener } from 'node:http'
import { handleApi, isApiPath, notFound, type ApiDoor } from './api'

export const createRequestListener = (door: ApiDoor): RequestListener => (req, res) => {
  let url: URL
  try {
    url = new URL(req.url as string, 'http://hotspotd') // node:http always sets url on a server request
  } catch {
    notFound(res)
    return
  }
  if (isApiPath(url.pathname)) void handleApi(door, req, res, url) // answers every failure itself
  else notFound(res)
}
