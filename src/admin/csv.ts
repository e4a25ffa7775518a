/**
 * @module admin/csv
 * The panel's CSV exports: one list of the action table as RFC 4180 text (a header row of the
 * action's field names, CRLF line ends, fields with a comma, quote or line break quoted and
 * quotes doubled), written row by row as the list is read, so 100,000 rows never sit in memory.
 *
 * Formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return as a formula, and guests type their own e-mail addresses and names. Such a
 * text cell gets a leading `'` (OWASP's advice), which spreadsheets show as text; numbers are
 * written as they are.
 */
import type { Writable } from 'node:stream'
import type { ExportList } from './protocol'

const GUEST_COLUMNS = ['visits', 'comments', 'comments1', 'comments2', 'last_modified', 'marketing']

/** Each export: the list action it reads and its columns, in the action's field order. */
export const EXPORTS: Readonly<Record<ExportList, { action: string; columns: readonly string[] }>> = {
  vouchers: {
    action: 'get_voucher_users',
    columns: ['id', 'username', 'password', 'fullname', 'created_at', 'last_modified', 'first_login', 'last_login', 'valid_for', 'valid_from', 'MAC', 'download_limit', 'upload_limit'],
  },
  email_users: { action: 'get_email_users', columns: ['id', 'email', 'created_at', 'last_login', 'MAC', ...GUEST_COLUMNS, 'verified'] },
  fb_users: { action: 'get_fb_users', columns: ['id', 'facebook_id', 'name', 'email', 'created_at', 'last_login', 'MAC', ...GUEST_COLUMNS] },
  mobile_users: { action: 'get_mobile_users', columns: ['id', 'mobile', 'created_at', 'last_login', 'MAC', ...GUEST_COLUMNS, 'verified'] },
  free_users: { action: 'get_free_users', columns: ['id', 'MAC', 'created_at', 'last_login', ...GUEST_COLUMNS] },
  logins: { action: 'get_logins', columns: ['id', 'time', 'method', 'identity', 'MAC', 'address', 'result'] },
}

/** Whether `name` is one of the lists the panel exports. */
export const isExportList = (name: string): name is ExportList => Object.hasOwn(EXPORTS, name)

const FORMULA = /^[=+\-@\t\r]/
const NEEDS_QUOTES = /[",\r\n]/

/** One field: null and undefined are empty, numbers and booleans as they are, text made safe and quoted when needed. */
export const csvField = (value: unknown): string => {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  const safe = FORMULA.test(text) ? `'${text}` : text
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** One record with its CRLF. */
export const csvRecord = (values: readonly unknown[]): string => `${values.map(csvField).join(',')}\r\n`

/** Characters gathered before a write (as http/json-stream, for the same reasons). */
const CHUNK = 8 * 1024

/** Raised when the client goes away before the file is written. */
export class CsvClientGone extends Error {
  readonly code = 'CLIENT_GONE'
}

const drained = (out: Writable): Promise<void> => new Promise((resolve, reject) => {
  const done = (err?: Error): void => {
    out.off('drain', onDrain)
    out.off('close', onClose)
    if (err === undefined) resolve(); else reject(err)
  }
  const onDrain = (): void => { done() }
  const onClose = (): void => { done(new CsvClientGone('client went away')) }
  out.on('drain', onDrain)
  out.on('close', onClose)
})

/**
 * Writes the header and one record per row (fields picked by column name) to `out`, without
 * ending it; waits when the client is slow and yields to other requests between chunks.
 * @throws CsvClientGone when `out` closes first; errors from `rows` pass through
 */
export const writeCsv = async (out: Writable, columns: readonly string[], rows: Iterable<Record<string, unknown>>): Promise<void> => {
  let buffer = csvRecord(columns)
  const write = (): boolean => {
    if (out.destroyed) throw new CsvClientGone('client went away')
    const ok = out.write(buffer)
    buffer = ''
    return ok
  }
  for (const row of rows) {
    buffer += csvRecord(columns.map((c) => row[c]))
    if (buffer.length >= CHUNK) await (write() ? new Promise<void>((resolve) => setImmediate(resolve)) : drained(out))
  }
  write()
}
