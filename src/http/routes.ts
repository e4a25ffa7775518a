/**
 * @module http/routes
 * The LAN/MGMT listener's request listener: `/api` and `/api/` go to the API door; `/ubus`
 * (and uhttpd's `/ubus/call/<object>`, `/ubus/list`) to the built-in JSON-RPC door while it is
 * on; `/admin` and `/admin/...` to the admin panel's door where it is given (the LAN/MGMT
 * listener only: the cloud tunnel's listener is made without it, and the guest portal has a
 * listener of its own); anything else is answered 404 in the seed's envelope.
 */
import type { RequestListener } from 'node:http'
import { handleJsonRpc, isJsonRpcPath, type JsonRpcDoor } from '../ubus/jsonrpc'
import { handleApi, isApiPath, notFound, type ApiDoor } from './api'
import { handleAdmin, isAdminPath, type AdminDoor } from '../admin/door'

/**
 * @param jsonrpc the JSON-RPC door while it is served (no ubusd socket, or forced on in UCI),
 *   else undefined; asked for every request, so a reload switches it at once.
 * @param admin the admin panel's door: given for the LAN/MGMT listener, never for the cloud's.
 */
export const createRequestListener = (door: ApiDoor, jsonrpc: () => JsonRpcDoor | undefined = () => undefined, admin?: AdminDoor): RequestListener => (req, res) => {
  let url: URL
  try {
    url = new URL(req.url as string, 'http://hotspotd') // node:http always sets url on a server request
  } catch {
    notFound(res)
    return
  }
  const rpc = isJsonRpcPath(url.pathname) ? jsonrpc() : undefined
  if (isApiPath(url.pathname)) void handleApi(door, req, res, url) // answers every failure itself
  else if (rpc !== undefined) void handleJsonRpc(rpc, req, res, url) // likewise
  else if (admin !== undefined && isAdminPath(url.pathname)) void handleAdmin(admin, req, res, url) // likewise
  else notFound(res)
}
