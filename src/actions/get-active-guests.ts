/**
 * @module actions/get-active-guests
 * The seed's 3.2 "Fetch current Active guest users", exactly in the seed's fields: durations as
 * "9h12m45s" and byte counts as strings.
 */
import { defineAction } from './spec'
import { formatUptime } from '../domain/durations'

export const getActiveGuests = defineAction({
  name: 'get_active_guests',
  summary: 'Fetch current Active guest users',
  access: 'read',
  params: {},
  handler: async (_p, ctx) => ({
    data: (await ctx.backend.activeSessions()).map((s) => ({
      logins: s.login,
      address: s.address,
      'mac-address': s.mac,
      uptime: formatUptime(s.uptimeSeconds),
      'idle-time': formatUptime(s.idleSeconds),
      'bytes-out': String(s.bytesToGuest),
      'bytes-in': String(s.bytesFromGuest),
    })),
  }),
})
