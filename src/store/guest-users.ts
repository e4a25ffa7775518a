/**
 * @module store/guest-users
 * The people who signed in at the portal without a voucher: by e-mail, Facebook, mobile number
 * or free click-through. One row per identity; each sign-in counts a visit and updates the
 * last login, device and consent. The portal writes these; the API lists them.
 */
import type { Database, Statement } from './driver'
import { pages } from './pages'

export type GuestKind = 'email' | 'facebook' | 'mobile' | 'free'

interface KindSpec {
  table: string
  /** The column that identifies a person of this kind (free users are known by device). */
  identity: string
  /** Columns beyond the common ones, in the order the API shows them. */
  extra: readonly string[]
}

const KINDS: Readonly<Record<GuestKind, KindSpec>> = {
  email: { table: 'email_users', identity: 'email', extra: ['verified'] },
  facebook: { table: 'fb_users', identity: 'facebook_id', extra: ['name', 'email'] },
  mobile: { table: 'mobile_users', identity: 'mobile', extra: ['verified'] },
  free: { table: 'free_users', identity: 'mac', extra: [] },
}

/** One sign-in as the portal saw it. Custom form fields and consent are optional. */
export interface SignIn {
  identity: string
  mac: string
  time: number
  comments?: string | null
  comments1?: string | null
  comments2?: string | null
  marketing?: boolean
  verified?: boolean
  name?: string | null
  email?: string | null
}

/** A stored row: the common columns plus the kind's own, times in epoch seconds. */
export type GuestUserRow = { id: number } & Record<string, string | number | null>

export interface GuestUsers {
  /** Creates the person or counts another visit; returns the row as stored. */
  recordSignIn: (kind: GuestKind, s: SignIn) => GuestUserRow
  list: (kind: GuestKind) => Iterable<GuestUserRow>
  /** The e-mail, Facebook id, mobile number or MAC (free users) of row `id`, if it exists. */
  identityOf: (kind: GuestKind, id: number) => string | undefined
}

const COMMON = ['created_at', 'last_login', 'mac', 'visits', 'comments', 'comments1', 'comments2',
  'last_modified', 'marketing']

/** Columns a sign-in sets: given values win; an omitted custom field keeps what was stored. */
const upsertSql = ({ table, identity, extra }: KindSpec): string => {
  const cols = [...new Set([identity, 'mac', 'comments', 'comments1', 'comments2', 'marketing', ...extra])]
  const keep = new Set(['comments', 'comments1', 'comments2', 'name', 'email'])
  const updates = cols.filter((c) => c !== identity).map((c) =>
    keep.has(c) ? `${c} = coalesce(excluded.${c}, ${c})` : `${c} = excluded.${c}`)
  return `INSERT INTO ${table} (${cols.join(', ')}, created_at, last_login, last_modified, visits)
    VALUES (${cols.map((c) => `@${c}`).join(', ')}, @time, @time, @time, 1)
    ON CONFLICT (${identity}) DO UPDATE SET ${updates.join(', ')},
      last_login = excluded.last_login, last_modified = excluded.last_modified, visits = visits + 1
    RETURNING *`
}

const listColumns = ({ identity, extra }: KindSpec): string =>
  ['id', ...new Set([identity, ...extra.filter((c) => c !== 'verified'), ...COMMON]),
    ...extra.filter((c) => c === 'verified')].join(', ')

export const createGuestUsers = (db: Database): GuestUsers => {
  const prepared = Object.fromEntries(Object.entries(KINDS).map(([kind, spec]) => [kind, {
    upsert: db.prepare<GuestUserRow>(upsertSql(spec)),
    page: db.prepare<GuestUserRow>(
      `SELECT ${listColumns(spec)} FROM ${spec.table} WHERE id > @after ORDER BY id LIMIT @limit`),
    identity: db.prepare<{ identity: string }>(`SELECT ${spec.identity} AS identity FROM ${spec.table} WHERE id = @id`),
  }])) as Record<GuestKind, { upsert: Statement<GuestUserRow>; page: Statement<GuestUserRow>; identity: Statement<{ identity: string }> }>
  return {
    recordSignIn: (kind, s) => {
      const { identity, extra } = KINDS[kind]
      const params: Record<string, unknown> = {
        [identity]: s.identity,
        mac: s.mac,
        time: s.time,
        comments: s.comments ?? null,
        comments1: s.comments1 ?? null,
        comments2: s.comments2 ?? null,
        marketing: s.marketing === true ? 1 : 0,
      }
      if (extra.includes('verified')) params.verified = s.verified === true ? 1 : 0
      if (extra.includes('name')) params.name = s.name ?? null
      if (extra.includes('email')) params.email = s.email ?? null
      return db.transaction(() => prepared[kind].upsert.get(params) as GuestUserRow)
    },
    list: (kind) => pages(prepared[kind].page),
    identityOf: (kind, id) => prepared[kind].identity.get({ id })?.identity,
  }
}
