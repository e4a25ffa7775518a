/**
 * @module backend/none
 * The backend for a host with no captive portal: there are no guests to list or disconnect,
 * and the status says so rather than pretending to watch a portal.
 */
import type { Backend } from './backend'

export const createNoneBackend = (): Backend => ({
  status: async () => ({ name: 'none', available: true, detail: 'no captive portal on this host; live lists are empty' }),
  guestHosts: async () => [],
  activeSessions: async () => [],
  disconnect: async () => 0,
  disconnectDevice: async () => false,
})
