/**
 * @module backend/backend
 * What hotspotd asks of the captive portal underneath it. Each backend (none, openNDS) is one
 * implementation of this interface; live actions go through it and never name a backend.
 */

/** A host seen on a guest interface (dnsmasq leases and the neighbour table). */
export interface GuestHost {
  address: string
  /** Upper case, colon separated. */
  mac: string
  hostname: string | null
  /** Kernel device the host is on; '' when only a lease places it, in a subnet of no known device. */
  interface: string
  /** Whether the captive portal lets the host through. */
  authorized: boolean
  /** Where the host was learnt from: 'dhcp' (it holds a lease) or 'arp' (the neighbour table only). */
  foundBy: 'dhcp' | 'arp'
  /** Epoch seconds when hotspotd first saw the host (since it last came back). */
  since: number
}

/** An authorized session on the captive portal. */
export interface GuestSession {
  /** The voucher username, e-mail, phone number (or other identity) the guest signed in with. */
  login: string
  address: string
  mac: string
  uptimeSeconds: number
  idleSeconds: number
  /** Bytes sent to the guest (the seed's `bytes-out`). */
  bytesToGuest: number
  /** Bytes received from the guest (the seed's `bytes-in`). */
  bytesFromGuest: number
}

/** How the backend is doing, for the daemon's status. */
export interface BackendStatus {
  name: string
  /** False when live data cannot be read; `detail` says why. */
  available: boolean
  detail: string
}

export interface Backend {
  /** Asks the captive portal afresh; never rejects (a failure is `available: false`). */
  status: () => Promise<BackendStatus>
  guestHosts: () => Promise<GuestHost[]>
  activeSessions: () => Promise<GuestSession[]>
  /** Ends every live session signed in as `login`; resolves to how many were ended. */
  disconnect: (login: string) => Promise<number>
  /**
   * Ends the authenticated session of one device (MAC, upper case); resolves false when the
   * portal has no authenticated session of it.
   */
  disconnectDevice: (mac: string) => Promise<boolean>
}
