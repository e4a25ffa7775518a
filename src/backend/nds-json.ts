/**
 * @module backend/nds-json
 * Reads what `ndsctl json` prints (openNDS 9.10 and 10.1–10.3, same printer) into typed clients.
 * openNDS prints every value as a JSON string, numbers included, and "no value" as the string
 * "null". The full list is `{"client_list_length":"N","clients":{"<mac>":{...}}}`; `ndsctl json
 * <target>` prints one bare client object, or `{}` when nothing matches. Fields are read by name and
 * unknown ones ignored (v10 adds some). Output that does not fit throws an NdsOutputError rather
 * than yielding a half-read client.
 */

/** A client's state: 9.10 prints Preauthenticated, Authenticated, Trusted or Blocked; v10.2+ adds AuthBlocked. */
export type NdsState = 'Preauthenticated' | 'Authenticated' | 'AuthBlocked' | (string & {})

/** Whether openNDS lets a client through: Authenticated, or v10.2's AuthBlocked (quota used up and throttled). */
export const isOnline = (state: NdsState): boolean => state === 'Authenticated' || state === 'AuthBlocked'

/** One client as `ndsctl json` shows it, with openNDS' "null"/"none"/"0" placeholders turned into null. */
export interface NdsClient {
  /** Upper case, colon separated. */
  mac: string
  ip: string
  /** openNDS' per-entry token (8 hex characters); a new one each time the client enters the list. */
  token: string
  state: NdsState
  /** The interface the neighbour entry is on; null when openNDS printed it empty (entry gone). */
  clientif: string | null
  /** Epoch seconds of the auth; null while Preauthenticated (openNDS prints "0"). */
  sessionStart: number | null
  /** Epoch seconds when the session expires; null when it never does. */
  sessionEnd: number | null
  /** Epoch seconds the upload counter last grew (for a preauthenticated client: when it was listed). */
  lastActive: number | null
  /** The custom string given at auth; null while Preauthenticated (openNDS prints "none"). */
  custom: string | null
  /** Quotas in KiB as set at auth; null = unlimited. */
  downloadQuotaKiB: number | null
  uploadQuotaKiB: number | null
  /** KiB sent to the guest this session (`download_this_session`). */
  downloadKiB: number
  /** KiB received from the guest this session (`upload_this_session`). */
  uploadKiB: number
  /** openNDS' version as the client entry reports it. */
  version: string | null
}

/** `ndsctl json` printed something this module cannot read; the message says what, in one short line. */
export class NdsOutputError extends Error {
  readonly code = 'NDS_OUTPUT'
  constructor (reason: string) {
    super(`unreadable ndsctl json output: ${reason}`)
    this.name = 'NdsOutputError'
  }
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A value for a message: quoted, escaped onto one line and cut short. */
const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

const MAC = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/
const UINT = /^\d{1,15}$/

/** Reads one client object's fields; `where` names it in messages. */
const readClient = (raw: Json, where: string): NdsClient => {
  const fail = (reason: string): NdsOutputError => new NdsOutputError(`${where}: ${reason}`)
  const str = (key: string): string => {
    const v = raw[key]
    if (typeof v !== 'string') throw fail(v === undefined ? `no ${key}` : `${key} is not a string: ${show(v)}`)
    return v
  }
  const required = (key: string): string => {
    const v = str(key)
    if (v === '' || v === 'null') throw fail(`${key} is empty`)
    return v
  }
  const optional = (key: string, ...none: string[]): string | null => {
    const v = str(key)
    return v === '' || v === 'null' || none.includes(v) ? null : v
  }
  const count = (key: string): number => {
    const v = str(key)
    if (!UINT.test(v)) throw fail(`${key} is not a whole number: ${show(v)}`)
    return Number(v)
  }
  const maybeCount = (key: string, ...none: string[]): number | null => {
    const v = str(key)
    return v === 'null' || none.includes(v) ? null : count(key)
  }

  const mac = required('mac')
  if (!MAC.test(mac)) throw fail(`mac is not a MAC address: ${show(mac)}`)
  return {
    mac: mac.toUpperCase(),
    ip: required('ip'),
    token: required('token'),
    state: required('state'),
    clientif: optional('clientif'),
    sessionStart: maybeCount('session_start', '0'),
    sessionEnd: maybeCount('session_end', '0'),
    lastActive: maybeCount('last_active', '0'),
    custom: optional('custom', 'none'),
    downloadQuotaKiB: maybeCount('download_quota'),
    uploadQuotaKiB: maybeCount('upload_quota'),
    downloadKiB: count('download_this_session'),
    uploadKiB: count('upload_this_session'),
    version: optional('version'),
  }
}

type Shape = { form: 'list'; clients: NdsClient[] } | { form: 'one'; client: NdsClient | undefined }

const read = (stdout: string): Shape => {
  const text = stdout.trim()
  if (text === '') throw new NdsOutputError('empty output')
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new NdsOutputError(`not JSON (${text.length} characters, starting ${show(text)})`)
  }
  if (!isObject(doc)) throw new NdsOutputError(`not a JSON object: ${show(doc)}`)
  if ('clients' in doc || 'client_list_length' in doc) {
    const list = doc.clients
    if (!isObject(list)) throw new NdsOutputError(`clients is not an object: ${show(list)}`)
    return {
      form: 'list',
      clients: Object.entries(list).map(([key, c]) => {
        if (!isObject(c)) throw new NdsOutputError(`client ${show(key)} is not an object: ${show(c)}`)
        return readClient(c, `client ${show(key)}`)
      }),
    }
  }
  if (Object.keys(doc).length === 0) return { form: 'one', client: undefined }
  if (!('mac' in doc)) throw new NdsOutputError(`neither a client list nor a client, keys ${show(Object.keys(doc))}`)
  return { form: 'one', client: readClient(doc, 'client') }
}

/**
 * The clients in `ndsctl json` output: the full list form, or a bare client object (one client),
 * or `{}` (none).
 * @throws NdsOutputError when the output is not JSON or not shaped like openNDS' output.
 */
export const parseNdsClients = (stdout: string): NdsClient[] => {
  const shape = read(stdout)
  if (shape.form === 'list') return shape.clients
  return shape.client === undefined ? [] : [shape.client]
}

/**
 * The answer to `ndsctl json <target>`: the client, or undefined for `{}`. The full list form is
 * refused, since it means openNDS did not take the argument as a target (6 characters or fewer).
 * @throws NdsOutputError when the output is not one client or `{}`.
 */
export const parseNdsClient = (stdout: string): NdsClient | undefined => {
  const shape = read(stdout)
  if (shape.form === 'list') throw new NdsOutputError('the client list where one client was asked for')
  return shape.client
}
