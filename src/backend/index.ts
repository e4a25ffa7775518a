/**
 * @module backend/index
 * Picks the backend named in UCI (hotspotd.main.backend) and gives it what it needs from the
 * daemon. A name this build does not know answers live actions with an error instead of empty
 * lists that would pretend all is well.
 */
import type { Backend } from './backend'
import { ARP_FILE, readHostSources } from './guest-hosts'
import type { Identity } from './identity'
import type { Ndsctl } from './ndsctl'
import { createNoneBackend } from './none'
import { createOpenNdsBackend } from './opennds'
import type { Config } from '../config/config'
import type { UciPackage } from '../config/uci'
import { epoch } from '../domain/local-time'
import { ApiError, BACKEND_UNAVAILABLE } from '../errors'
import { deviceOf, type InterfaceTable } from '../http/listen-addresses'
import type { Logger } from '../log'

/** What a backend may use of the daemon. Config is read at each use, so a reload applies at once. */
export interface BackendDeps {
  config: () => Config
  log: Logger
  now: () => Date
  interfaces: () => InterfaceTable
  /** OpenWrt's /etc/config/network, where there is one (logical interface names to devices). */
  network: () => UciPackage | undefined
  /** The login of a voucher or guest user row, if it still exists. */
  loginOf: (identity: Identity) => string | undefined
  /** The daemon's one ndsctl runner (shared with the enforcer, so calls never overlap). */
  ndsctl: () => Ndsctl
}

/** Backends this build knows, by UCI name. */
export const BACKENDS: Readonly<Record<string, (deps: BackendDeps) => Backend>> = {
  none: createNoneBackend,
  opennds: (deps) => createOpenNdsBackend({
    ndsctl: deps.ndsctl(),
    log: deps.log,
    now: () => epoch(deps.now()),
    loginOf: deps.loginOf,
    hostSources: () => readHostSources({ leases: deps.config().opennds.leases, arp: ARP_FILE }),
    guestDevices: () => deps.config().portal.guestInterfaces.map((name) => deviceOf(name, deps.network())),
    interfaces: deps.interfaces,
  }),
}

/** A backend that cannot serve: every live call fails with BACKEND_UNAVAILABLE. */
export const unavailableBackend = (name: string, detail: string): Backend => {
  const fail = async (): Promise<never> => { throw new ApiError('unavailable', BACKEND_UNAVAILABLE) }
  return { status: async () => ({ name, available: false, detail }), guestHosts: fail, activeSessions: fail, disconnect: fail, disconnectDevice: fail }
}

/** The backend for a UCI name, or an unavailable one saying why. */
export const createBackend = (name: string, deps: BackendDeps): Backend => {
  const make = BACKENDS[name]
  return make !== undefined
    ? make(deps)
    : unavailableBackend(name, `backend '${name}' is not supported by this build (known: ${Object.keys(BACKENDS).join(', ')})`)
}
