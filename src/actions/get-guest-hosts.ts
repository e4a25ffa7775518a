/**
 * @module actions/get-guest-hosts
 * The seed's 3.1 "Fetch current Guest network hosts", from the backend, in the hyphenated
 * field style of the seed's live data.
 */
import { defineAction } from './spec'

export const getGuestHosts = defineAction({
  name: 'get_guest_hosts',
  summary: 'Fetch current Guest network hosts',
  access: 'read',
  params: {},
  handler: async (_p, ctx) => ({
    data: (await ctx.backend.guestHosts()).map((h) => ({
      address: h.address,
      'mac-address': h.mac,
      'host-name': h.hostname,
      interface: h.interface,
      authorized: h.authorized,
      'found-by': h.foundBy,
    })),
  }),
})
