/**
 * @module domain/limits
 * The seed's data limits: "in MB from 1 to 9437184. If unset or out of bounds, the user
 * traffic will be unlimited." Unlimited is stored and shown as 0.
 */

export const LIMIT_MIN_MB = 1
export const LIMIT_MAX_MB = 9437184

/** The limit to store for a requested value: the value itself when in bounds, else 0 (unlimited). */
export const limitMb = (requested: number | undefined): number =>
  requested !== undefined && Number.isSafeInteger(requested) &&
  requested >= LIMIT_MIN_MB && requested <= LIMIT_MAX_MB
    ? requested
    : 0

/** Bytes in a limit given in MB (MiB, as routers count), or null when unlimited. */
export const limitBytes = (mb: number): number | null => (mb > 0 ? mb * 1024 * 1024 : null)
