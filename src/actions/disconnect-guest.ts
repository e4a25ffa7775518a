/**
 * @module actions/disconnect-guest
 * Ends an active guest's captive-portal session by its device's MAC (a hotspotd extension, the
 * panel's "Disconnect"): openNDS' `ndsctl deauth`. The voucher stays valid, so the guest can sign
 * in again; the enforcer's next poll sees the session gone and counts its last bytes.
 */
import { defineAction } from './spec'
import { ApiError, GUEST_DISCONNECTED, GUEST_NOT_FOUND, invalidParam } from '../errors'

const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i

/** A MAC as the lists show it (upper case, colons), or null when `text` is not one. */
export const normalMac = (text: string): string | null => MAC.test(text) ? text.replace(/-/g, ':').toUpperCase() : null

export const disconnectGuest = defineAction({
  name: 'disconnect_guest',
  summary: 'End an active guest\'s session by MAC address (hotspotd extension)',
  access: 'write',
  params: {
    mac: { type: 'string', required: true, maxLength: 17, doc: 'The guest device\'s MAC address, as get_active_guests shows it (A1:B2:C3:D4:E5:F6).' },
  },
  handler: async (p, ctx) => {
    const mac = normalMac(p.mac as string)
    if (mac === null) throw invalidParam('mac', 'expected a MAC address such as A1:B2:C3:D4:E5:F6')
    if (!await ctx.backend.disconnectDevice(mac)) throw new ApiError('not_found', GUEST_NOT_FOUND)
    ctx.log.info(`guest ${mac} disconnected by an admin`)
    return { message: GUEST_DISCONNECTED, error: false }
  },
})
