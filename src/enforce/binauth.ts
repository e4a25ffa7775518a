/**
 * @module enforce/binauth
 * The final byte totals of ended openNDS sessions, as openNDS hands them to its BinAuth script
 * at every deauth (`openwrt/files/usr/lib/hotspotd/binauth` spools each into a file of its own).
 *
 * Why: openNDS deauthenticates a client at its quota by itself, at its own check interval, and
 * then forgets it. hotspotd's loop may have read the session's counters up to a poll interval
 * earlier, so without these totals the last seconds of the session would never count and the
 * voucher would stay just short of its limit. The totals are exact bytes (ndsctl json only gives
 * KiB): `bytes_in` is what the guest downloaded, `bytes_out` what it uploaded.
 *
 * Each spool file holds one line: `<reason> <mac> <bytes_in> <bytes_out> <start> <end> <token>
 * <custom>`. Files are read, then removed; an unreadable or malformed one is removed too (and
 * said in the log) so it cannot come back at every poll. Files being written are named `.tmp.*`
 * and skipped: the script renames a file into place only once it is complete.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '../log'

/** The totals of one ended session. */
export interface SessionTotals {
  /** openNDS' reason, e.g. 'downquota_deauth' (9.10) or 'download_quota_deauth' (10.2+). */
  reason: string
  mac: string
  token: string
  /** openNDS' custom string, URL-decoded. */
  custom: string
  downloadBytes: number
  uploadBytes: number
}

const COUNT = /^\d{1,18}$/

/** One spooled line, or undefined when it is not a deauth event with totals. */
export const parseBinauthLine = (line: string): SessionTotals | undefined => {
  // Not trimmed: an empty custom string is the last field, after the last space.
  const f = line.replace(/\r?\n$/, '').split(' ')
  const [reason, mac, down, up, , , token, custom] = f
  if (f.length !== 8 || !/deauth$/.test(reason as string) || !COUNT.test(down as string) || !COUNT.test(up as string)) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(custom as string)
  } catch {
    decoded = custom as string
  }
  return { reason: reason as string, mac: (mac as string).toUpperCase(), token: token as string, custom: decoded, downloadBytes: Number(down), uploadBytes: Number(up) }
}

/**
 * Reads and removes every complete spool file in `dir`; the totals by token (a token seen twice
 * keeps the larger counts). A missing directory is an empty spool.
 */
export const takeSpooled = (dir: string, log: Logger): Map<string, SessionTotals> => {
  const out = new Map<string, SessionTotals>()
  let names: string[]
  try {
    names = readdirSync(dir).filter((n) => n.startsWith('ev.')).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`enforce: BinAuth spool ${dir} cannot be read: ${(err as Error).message}`)
    return out
  }
  for (const name of names) {
    const file = join(dir, name)
    let totals: SessionTotals | undefined
    try {
      try {
        totals = parseBinauthLine(readFileSync(file, 'utf8'))
      } finally {
        rmSync(file, { force: true, recursive: true })
      }
    } catch (err) {
      log.warn(`enforce: BinAuth event ${file} cannot be taken: ${(err as Error).message}`)
      continue
    }
    if (totals === undefined) {
      log.warn(`enforce: BinAuth event ${file} is not a deauth with totals; removed`)
      continue
    }
    const before = out.get(totals.token)
    out.set(totals.token, before === undefined
      ? totals
      : { ...totals, downloadBytes: Math.max(before.downloadBytes, totals.downloadBytes), uploadBytes: Math.max(before.uploadBytes, totals.uploadBytes) })
  }
  return out
}
