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
    url = new URL(req.url ?? '/', 'http://hotspotd')
  } catch {
    notFound(res)
    return
  }
  if (!isApiPath(url.pathname)) {
    notFound(res)
    return
  }
  // handleApi answers every failure itself; this catch only guards against its own bugs.
  handleApi(door, req, res, url).catch((err: unknown) => {
    door.log.error(`api: ${(err as Error).stack ?? String(err)}`)
    res.destroy()
  })
}
