/**
 * @module relay/rate-limit
 * A token bucket per router id: `rate` requests a second on average, bursts of up to `burst`.
 * Only ids with a tunnel are counted, and past `maxEntries` the least recently seen is forgotten
 * (a forgotten bucket is a full one), so memory stays bounded whatever hosts clients make up.
 */

export interface RateLimitOptions {
  /** Tokens added per second. */
  rate: number
  /** Most tokens a bucket holds: the largest burst. */
  burst: number
  maxEntries: number
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { rate: 20, burst: 40, maxEntries: 100_000 }

interface Bucket { tokens: number; at: number }

export class RateLimit {
  readonly options: RateLimitOptions
  private readonly buckets = new Map<string, Bucket>()

  constructor (options: Partial<RateLimitOptions> = {}) {
    this.options = { ...DEFAULT_RATE_LIMIT, ...options }
  }

  /** Takes a token for `key`: 0 when there was one, else whole seconds (at least 1) until there is. */
  take (key: string, nowMs: number): number {
    const { rate, burst, maxEntries } = this.options
    const old = this.buckets.get(key)
    // A clock stepping back refills nothing rather than draining.
    const elapsed = old === undefined ? 0 : Math.max(0, nowMs - old.at)
    const b = { tokens: old === undefined ? burst : Math.min(burst, old.tokens + elapsed / 1000 * rate), at: nowMs }
    this.buckets.delete(key) // re-insert: the map's order is least recently seen first
    this.buckets.set(key, b)
    if (this.buckets.size > maxEntries) this.buckets.delete(this.buckets.keys().next().value as string)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate))
  }

  /** Buckets tracked now (for tests). */
  get size (): number {
    return this.buckets.size
  }
}
