/**
 * @module actions/get-guest-hosts
 * The seed's 3.1 "Fetch current Guest network hosts", from the backend, in the hyphenated
 * field style of the seed's live data; `uptime` is how long hotspotd has seen the host
 * (MikroTik's hotspot host list is the model).
 */
import { defineAction } from './spec'
import { formatUptime } from '../domain/durations'
import { epoch } from '../domain/local-time'

export const getGuestHosts = defineAction({
  name: 'get_guest_hosts',
  summary: 'Fetch current Guest network hosts',
  access: 'read',
  params: {},
  handler: async (_p, ctx) => {
    const now = epoch(ctx.now())
    return {
      data: (await ctx.backend.guestHosts()).map((h) => ({
        address: h.address,
        'mac-address': h.mac,
        'host-name': h.hostname,
        interface: h.interface,
        authorized: h.authorized,
        'found-by': h.foundBy,
        uptime: formatUptime(now - h.since),
      })),
    }
  },
})
