/**
 * @module backend/index
 * Picks the backend named in UCI (hotspotd.main.backend). A backend this build cannot run
 * answers live actions with an error instead of empty lists that would pretend all is well.
 */
import type { Backend } from './backend'
import { createNoneBackend } from './none'
import { ApiError, BACKEND_UNAVAILABLE } from '../errors'

/** Backends this build knows, by UCI name. */
export const BACKENDS: Readonly<Record<string, () => Backend>> = {
  none: createNoneBackend,
}

/** A backend that cannot serve: every live call fails with BACKEND_UNAVAILABLE. */
export const unavailableBackend = (name: string, detail: string): Backend => {
  const fail = async (): Promise<never> => { throw new ApiError('unavailable', BACKEND_UNAVAILABLE) }
  return { status: () => ({ name, available: false, detail }), guestHosts: fail, activeSessions: fail, disconnect: fail }
}

/** The backend for a UCI name, or an unavailable one saying why. */
export const createBackend = (name: string): Backend => {
  const make = BACKENDS[name]
  return make !== undefined
    ? make()
    : unavailableBackend(name, `backend '${name}' is not supported by this build (known: ${Object.keys(BACKENDS).join(', ')})`)
}
