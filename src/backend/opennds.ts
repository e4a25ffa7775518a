/**
 * @module backend/opennds
 * The openNDS backend: live sessions and guest hosts from `ndsctl json`, the DHCP leases and
 * the neighbour table; disconnecting through `ndsctl deauth`. Every value openNDS prints is a
 * string and its counters are KiB; nds-json turns that into numbers. When ndsctl cannot be run
 * or openNDS does not answer, live actions fail with "Captive portal backend is not available"
 * (never an empty list that pretends all is well), the log says why once, and says so again
 * when openNDS answers again.
 */
import type { Backend, BackendStatus, GuestHost, GuestSession } from './backend'
import { decodeIdentity, type Identity } from './identity'
import { isOnline, type NdsClient } from './nds-json'
import type { Ndsctl } from './ndsctl'
import { guestHosts, HostTracker, parseArp, parseLeases, subnetsOf, type HostSources } from './guest-hosts'
import { ApiError, BACKEND_UNAVAILABLE } from '../errors'
import type { InterfaceTable } from '../http/listen-addresses'
import type { Logger } from '../log'

export interface OpenNdsOptions {
  ndsctl: Ndsctl
  log: Logger
  /** Epoch seconds. */
  now: () => number
  /** The login (voucher username, e-mail, phone...) of a session hotspotd authorized, if it still exists. */
  loginOf: (identity: Identity) => string | undefined
  /** The lease file and neighbour table, read afresh. */
  hostSources: () => HostSources
  /** Kernel devices of the guest interfaces. */
  guestDevices: () => string[]
  interfaces: () => InterfaceTable
}

export const createOpenNdsBackend = (opts: OpenNdsOptions): Backend => {
  const { ndsctl, log } = opts
  const tracker = new HostTracker()
  let problem: string | undefined
  let skippedSaid = false

  /** Every client openNDS lists; a failure is logged once per distinct reason. */
  const clients = async (): Promise<NdsClient[]> => {
    try {
      const list = await ndsctl.clients()
      if (problem !== undefined) log.info('backend: openNDS answers again')
      problem = undefined
      return list
    } catch (err) {
      const why = (err as Error).message
      if (why !== problem) log.warn(`backend: openNDS cannot be read: ${why}`)
      problem = why
      throw new ApiError('unavailable', BACKEND_UNAVAILABLE, { cause: err })
    }
  }
  const online = async (): Promise<NdsClient[]> => (await clients()).filter((c) => isOnline(c.state))
  const login = (c: NdsClient): string => {
    const identity = decodeIdentity(c.custom)
    return identity === undefined ? '' : opts.loginOf(identity) ?? ''
  }

  return {
    // Asked directly: the daemon says what it answers (a live call's failure is logged by `clients`).
    status: async (): Promise<BackendStatus> => {
      try {
        const list = await ndsctl.clients()
        const authorized = list.filter((c) => isOnline(c.state)).length
        const version = list[0]?.version
        return {
          name: 'opennds',
          available: true,
          detail: `openNDS${version === undefined || version === null ? '' : ` ${version}`}: ${authorized} authorized, ${list.length - authorized} waiting at the portal`,
        }
      } catch (err) {
        return { name: 'opennds', available: false, detail: (err as Error).message }
      }
    },

    activeSessions: async (): Promise<GuestSession[]> => {
      const now = opts.now()
      return (await online()).map((c) => ({
        login: login(c),
        address: c.ip,
        mac: c.mac,
        uptimeSeconds: c.sessionStart === null ? 0 : Math.max(0, now - c.sessionStart),
        idleSeconds: c.lastActive === null ? 0 : Math.max(0, now - c.lastActive),
        bytesToGuest: c.downloadKiB * 1024,
        bytesFromGuest: c.uploadKiB * 1024,
      }))
    },

    guestHosts: async (): Promise<GuestHost[]> => {
      const authorized = new Set((await online()).map((c) => c.mac))
      const sources = opts.hostSources()
      const leases = parseLeases(sources.leasesText)
      const arp = parseArp(sources.arpText)
      if (leases.skipped + arp.skipped > 0 && !skippedSaid) {
        log.warn(`backend: ${leases.skipped} unreadable line(s) in ${sources.leasesFile ?? 'the lease file'}, ${arp.skipped} in the neighbour table; skipped`)
        skippedSaid = true
      }
      const devices = opts.guestDevices()
      return guestHosts({
        leases: leases.leases,
        neighbours: arp.neighbours,
        devices,
        subnets: subnetsOf(opts.interfaces(), devices),
        authorized: (mac) => authorized.has(mac),
        now: opts.now(),
      }, tracker)
    },

    disconnect: async (name: string): Promise<number> => {
      const wanted = name.toLowerCase()
      let ended = 0
      if (wanted === '') return 0 // sessions hotspotd did not authorize have no login
      for (const c of await online()) {
        if (login(c).toLowerCase() !== wanted) continue
        if (await ndsctl.deauth(c.mac)) ended++
      }
      return ended
    },

    // openNDS says "not found" for a device it holds no authenticated session of; a failure to
    // run ndsctl at all is the backend being unavailable, as for the live lists.
    disconnectDevice: async (mac: string): Promise<boolean> => {
      try {
        return await ndsctl.deauth(mac)
      } catch (err) {
        log.warn(`backend: ndsctl deauth ${mac} failed: ${(err as Error).message}`)
        throw new ApiError('unavailable', BACKEND_UNAVAILABLE, { cause: err })
      }
    },
  }
}
