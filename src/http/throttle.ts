/**
 * @module http/throttle
 * Refuses clients that keep sending wrong API keys: after `limit` failures within `windowMs`,
 * an address is refused for `lockMs` (HTTP 429), whatever key it sends. Memory is bounded: past
 * `maxEntries` addresses, the least recently seen is forgotten.
 */

export interface ThrottleOptions {
  limit: number
  windowMs: number
  lockMs: number
  maxEntries: number
}

export const DEFAULT_THROTTLE: ThrottleOptions = { limit: 10, windowMs: 10 * 60_000, lockMs: 10 * 60_000, maxEntries: 4096 }

interface Entry { failures: number; since: number; lockedUntil: number }

export class Throttle {
  readonly options: ThrottleOptions
  private readonly entries = new Map<string, Entry>()

  constructor (options: Partial<ThrottleOptions> = {}) {
    this.options = { ...DEFAULT_THROTTLE, ...options }
  }

  /** Whole seconds until `address` may try again; 0 when it is not locked out. */
  retryAfter (address: string, nowMs: number): number {
    const e = this.entries.get(address)
    return e !== undefined && e.lockedUntil > nowMs ? Math.ceil((e.lockedUntil - nowMs) / 1000) : 0
  }

  /** Counts a wrong key; returns true when this failure locks the address out. */
  fail (address: string, nowMs: number): boolean {
    const old = this.entries.get(address)
    const fresh = old === undefined || nowMs - old.since > this.options.windowMs
    const e = fresh ? { failures: 0, since: nowMs, lockedUntil: 0 } : old
    e.failures++
    this.entries.delete(address) // re-insert: the map's order is least recently seen first
    this.entries.set(address, e)
    if (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string)
    }
    if (e.failures < this.options.limit) return false
    // Locked: the next window starts when the lock ends.
    e.lockedUntil = nowMs + this.options.lockMs
    e.failures = 0
    e.since = e.lockedUntil
    return true
  }

  /** Forgets an address's failures after a right key. */
  succeed (address: string): void {
    this.entries.delete(address)
  }

  /** Addresses tracked now (for tests and status). */
  get size (): number {
    return this.entries.size
  }
}
