/**
 * @module backend/identity
 * The `custom` string hotspotd hands to `ndsctl auth`: which voucher or guest user a session
 * belongs to, as `hs-<kind letter><row id>` (e.g. `hs-v42`). Short and comma-free, as openNDS
 * needs (it splits ndsctl's arguments on commas and ndsctl caps them at 256 bytes), and free
 * of anything secret or personal, since openNDS writes it to its logs and BinAuth events.
 */

export type IdentityKind = 'voucher' | 'email' | 'facebook' | 'mobile' | 'free'

export interface Identity { kind: IdentityKind; id: number }

const LETTERS: Readonly<Record<IdentityKind, string>> = { voucher: 'v', email: 'e', facebook: 'f', mobile: 'm', free: 'c' }
const KINDS = new Map(Object.entries(LETTERS).map(([kind, letter]) => [letter, kind as IdentityKind]))
const CUSTOM = /^hs-([a-z])([1-9]\d{0,15})$/

/** The custom string for a session of `identity`. */
export const encodeIdentity = ({ kind, id }: Identity): string => {
  if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`identity id must be a positive whole number, got ${id}`)
  return `hs-${LETTERS[kind]}${id}`
}

/** Who a session belongs to, or undefined when hotspotd did not authorize it (another custom, or none). */
export const decodeIdentity = (custom: string | null): Identity | undefined => {
  const m = custom === null ? null : CUSTOM.exec(custom)
  const kind = m === null ? undefined : KINDS.get(m[1] as string)
  const id = Number(m?.[2])
  return kind === undefined || !Number.isSafeInteger(id) ? undefined : { kind, id }
}
