/**
 * @module backend/ndsctl
 * Runs openNDS' `ndsctl` (9.10 and 10.x) for the openNDS backend: one child at a time, through
 * execFile with an argument array (no shell), each bounded in time and output.
 *
 * What ndsctl does that shapes this module:
 * - Exit codes: 0 ok; 1 the daemon said no (or a usage error); 2 abnormal reply; 3 cannot connect
 *   ("opennds probably not started"); 4 the lock is held, with no output at all; 5 and 6 lock file
 *   errors. The lock is non-blocking and is also taken by every other ndsctl and by openNDS while it
 *   runs BinAuth, so exit 4 is normal under load: calls here are queued (never two children of ours
 *   at once) and retried on 4 with a short, slowly growing delay.
 * - ndsctl joins the arguments after the command with ',' into a 256-byte buffer (each piece
 *   through a 128-byte one) and the daemon splits on ','. A comma in an argument would cut it there,
 *   and an over-long argument line overflows; such arguments are refused before anything runs.
 * - `ndsctl json <target>` with a target of 6 characters or fewer silently prints the full list.
 */
import { execFile, type ChildProcess, type ExecFileException } from 'node:child_process'
import { isIPv4, isIPv6 } from 'node:net'
import type { Readable } from 'node:stream'
import { setTimeout as delay } from 'node:timers/promises'
import { parseNdsClient, parseNdsClients, type NdsClient } from './nds-json'

/** Where OpenWrt's and Debian's packages install ndsctl. */
export const DEFAULT_NDSCTL_PATH = '/usr/bin/ndsctl'

/** The most one call may print on stdout (and on stderr); the full list is about 1 KiB per client. */
export const MAX_OUTPUT_BYTES = 4 * 1024 * 1024

/** ndsctl's buffers: all arguments after the command, joined with ',', and each one of them. */
const MAX_JOINED = 255
const MAX_ARG = 126

export interface NdsctlOptions {
  /** The ndsctl binary (UCI; default {@link DEFAULT_NDSCTL_PATH}). A bare name is looked up in PATH. */
  path: string
  /** Per attempt; the child is killed with SIGKILL when it runs longer. Default 10 000. */
  timeoutMs?: number
  /** How many times an exit 4 (lock held) is retried before giving up. Default 20. */
  lockRetries?: number
  /** The delay before the first retry; each later one is 10% of it longer, up to twice it. Default 50. */
  lockDelayMs?: number
  /** Waits between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>
  /**
   * How long a full list (`ndsctl json`) is reused after it arrived, in ms. Default 0: only
   * callers that ask while it runs share it. An `auth` or `deauth` always ends the reuse.
   */
  reuseMs?: number
  /** A monotonic clock in ms (injectable for tests). */
  now?: () => number
}

/**
 * Why a call failed: `missing` ndsctl cannot be run at all (not found, not executable, ...);
 * `not_running` it cannot reach openNDS (exit 3); `locked` the lock stayed held through every retry
 * (exit 4); `timeout` no answer in time, killed; `refused` openNDS said no (exit 1); `failed`
 * anything else (exit 2, 5, 6 or another code, killed by a signal, too much output).
 */
export type NdsctlReason = 'missing' | 'not_running' | 'locked' | 'timeout' | 'refused' | 'failed'

/** A failed ndsctl call. The message is one line naming the command and the exit code. */
export class NdsctlError extends Error {
  readonly code = 'NDSCTL'
  /**
   * @param exitCode ndsctl's exit code; null when it did not exit by itself (or never started).
   * @param output the line of output quoted in the message ('' when there was none).
   */
  constructor (readonly reason: NdsctlReason, message: string, readonly exitCode: number | null = null, readonly output = '') {
    super(message)
    this.name = 'NdsctlError'
  }
}

/**
 * What `auth` grants. `minutes` is the session length and must be at least 1: openNDS takes 0 as
 * "the global sessiontimeout", not as unlimited. Rates are kbit/s and quotas KiB (openNDS' kB is
 * 1024 bytes); left out or 0 they too mean openNDS' global setting (by default unlimited).
 * `custom` reaches BinAuth and `ndsctl json`; only [A-Za-z0-9+/=_-] is allowed (base64 fits).
 */
export interface NdsGrant {
  minutes: number
  uploadKbit?: number
  downloadKbit?: number
  uploadQuotaKiB?: number
  downloadQuotaKiB?: number
  custom?: string
}

const MAC = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/
/** openNDS tokens are 8 hex characters; a FAS's rhid is a 64-character sha256. */
const TOKEN = /^[0-9A-Fa-f]{8,64}$/
const IP_CHARS = /^[0-9A-Fa-f:.]+$/
const CUSTOM = /^[A-Za-z0-9+/=_-]*$/
/** Printable ASCII without space and comma. */
const SAFE_ARG = /^[\x21-\x2b\x2d-\x7e]*$/
const COMMAND = /^[a-z0-9]+$/

/** minutes × 60 must fit openNDS' 32-bit arithmetic; rates are C ints; quotas 64-bit counters. */
const MAX_MINUTES = Math.floor(0x7fffffff / 60)
const MAX_RATE = 0x7fffffff

/** Whether `s` looks like something ndsctl takes as a client: a MAC, an IPv4/IPv6 address or a token. */
export const isNdsTarget = (s: string): boolean =>
  MAC.test(s) || TOKEN.test(s) || (IP_CHARS.test(s) && (isIPv4(s) || isIPv6(s)))

/**
 * The target as ndsctl must get it. openNDS finds clients with strcmp against what it stores in
 * lower case (MACs as `ip neigh` prints them, hex tokens), so MACs and tokens are lower-cased.
 */
const targetArg = (command: string, target: string): string => {
  if (!isNdsTarget(target)) throw new Error(`ndsctl ${command}: ${JSON.stringify(target)} is not a MAC, IP address or token`)
  return MAC.test(target) || TOKEN.test(target) ? target.toLowerCase() : target
}

const wholeNumber = (name: string, v: number | undefined, min: number, max: number): string | undefined => {
  if (v === undefined) return undefined
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`ndsctl auth: ${name} must be a whole number from ${min} to ${max}, not ${v}`)
  return String(v)
}

/** Refuses (as a programming error) arguments that ndsctl would cut, overflow on, or that do not fit one log line. */
const checkArgs = (args: readonly string[]): void => {
  const [command, ...rest] = args
  if (command === undefined || !COMMAND.test(command)) throw new Error(`ndsctl: bad command ${JSON.stringify(command)}`)
  for (const a of rest) {
    if (!SAFE_ARG.test(a)) throw new Error(`ndsctl ${command}: argument ${JSON.stringify(a)} has a comma, a space or a control character`)
    if (a.length > MAX_ARG) throw new Error(`ndsctl ${command}: an argument is longer than ${MAX_ARG} characters`)
  }
  if (rest.join(',').length > MAX_JOINED) throw new Error(`ndsctl ${command}: the arguments are longer than ${MAX_JOINED} characters together`)
}

/** The command as a message names it: `ndsctl auth 10.77.0.11 60`. */
const commandLine = (args: readonly string[]): string => `ndsctl ${args.join(' ')}`

/** The first non-blank line of stdout, else the last of stderr (after the library's noise), cut to one short line. */
const said = (stdout: string, stderr: string): string => {
  const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const line = lines(stdout)[0] ?? lines(stderr).pop() ?? ''
  const clean = line.replace(/[\x00-\x1f\x7f]/g, '?')
  return clean.length > 200 ? `${clean.slice(0, 197)}...` : clean
}

/** What an exit code means when ndsctl printed nothing. */
const HINTS: Readonly<Record<number, string>> = {
  2: 'abnormal reply from opennds',
  3: 'cannot connect to opennds',
  5: 'cannot open the ndsctl lock file',
  6: 'cannot lock the ndsctl lock file',
}

const reasonFor = (exitCode: number): NdsctlReason =>
  exitCode === 1 ? 'refused' : exitCode === 3 ? 'not_running' : exitCode === 4 ? 'locked' : 'failed'

/** Runs ndsctl for one openNDS daemon. One instance per daemon: its queue is what serializes the calls. */
export class Ndsctl {
  readonly path: string
  private readonly timeoutMs: number
  private readonly lockRetries: number
  private readonly lockDelayMs: number
  private readonly sleep: (ms: number) => Promise<void>
  /** Settles when the last queued call has finished; the next one starts after it. */
  private tail: Promise<unknown> = Promise.resolve()
  private readonly reuseMs: number
  private readonly now: () => number
  /**
   * The last full list: shared by every caller while it runs, and reused for `reuseMs` after it
   * arrived. Each call spawns a process, and a busy API would otherwise queue one per request.
   */
  private listing: { result: Promise<NdsClient[]>; doneAt?: number } | undefined

  constructor (opts: NdsctlOptions) {
    // It goes into one-line messages, and execFile throws on a NUL.
    if (opts.path === '' || /[\x00-\x1f\x7f]/.test(opts.path)) throw new Error(`ndsctl: bad path ${JSON.stringify(opts.path)}`)
    this.path = opts.path
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.lockRetries = opts.lockRetries ?? 20
    this.lockDelayMs = opts.lockDelayMs ?? 50
    this.sleep = opts.sleep ?? ((ms) => delay(ms))
    this.reuseMs = opts.reuseMs ?? 0
    this.now = opts.now ?? (() => performance.now())
  }

  /**
   * Runs `ndsctl <args>` after every earlier call of this instance has finished, retrying while
   * the lock is held (exit 4), and resolves with its stdout.
   * @throws Error (at once, nothing run) for arguments ndsctl would cut or overflow on.
   * @throws NdsctlError when ndsctl cannot be run, times out, or exits non-zero.
   */
  async run (args: readonly string[]): Promise<string> {
    checkArgs(args)
    const result = this.tail.then(() => this.attempts(args))
    this.tail = result.catch(() => undefined)
    if (args[0] === 'auth' || args[0] === 'deauth') {
      // The list changes: nobody may be answered from one read before this call ended.
      const forget = (): void => { this.listing = undefined }
      forget()
      this.tail.then(forget, forget)
    }
    return result
  }

  /**
   * Every client openNDS lists (`ndsctl json`): a list still being read, or read less than
   * `reuseMs` ago, is shared rather than read again. A failure is never reused.
   * @throws NdsctlError, NdsOutputError
   */
  async clients (): Promise<NdsClient[]> {
    const last = this.listing
    if (last !== undefined && (last.doneAt === undefined || this.now() - last.doneAt < this.reuseMs)) return [...await last.result]
    const listing: { result: Promise<NdsClient[]>; doneAt?: number } = { result: this.run(['json']).then(parseNdsClients) }
    this.listing = listing
    listing.result.then(() => { listing.doneAt = this.now() }, () => { if (this.listing === listing) this.listing = undefined })
    return [...await listing.result]
  }

  /**
   * One client by MAC (either case), IP address or token (`ndsctl json <target>`); undefined when
   * openNDS does not know it. A target of 6 characters or fewer (a short IPv6 address such as `::1`) is refused,
   * since openNDS would answer with the full list.
   * @throws Error for a bad target; NdsctlError, NdsOutputError
   */
  async client (target: string): Promise<NdsClient | undefined> {
    const arg = targetArg('json', target)
    if (arg.length <= 6) throw new Error(`ndsctl json: ${JSON.stringify(target)} is 6 characters or fewer, which openNDS takes as "list all"`)
    return parseNdsClient(await this.run(['json', arg]))
  }

  /**
   * Authenticates a client openNDS lists as Preauthenticated: `ndsctl auth <target> <minutes>
   * <up kbit/s> <down kbit/s> <up quota> <down quota> <custom>`, trailing arguments left out when not
   * given and the ones before a given one passed as 0 (openNDS' global setting).
   * @throws Error for a bad target or grant; NdsctlError with reason 'refused' when openNDS says no
   * (client unknown or not Preauthenticated).
   */
  async auth (target: string, grant: NdsGrant): Promise<void> {
    const arg = targetArg('auth', target)
    // `?? NaN`: a JavaScript caller may leave minutes out; it is required.
    const minutes = wholeNumber('minutes', grant.minutes ?? NaN, 1, MAX_MINUTES) as string
    if (grant.custom !== undefined && !CUSTOM.test(grant.custom)) {
      throw new Error(`ndsctl auth: custom ${JSON.stringify(grant.custom)} may only have A-Z a-z 0-9 + / = _ -`)
    }
    const rest = [
      wholeNumber('uploadKbit', grant.uploadKbit, 0, MAX_RATE),
      wholeNumber('downloadKbit', grant.downloadKbit, 0, MAX_RATE),
      wholeNumber('uploadQuotaKiB', grant.uploadQuotaKiB, 0, Number.MAX_SAFE_INTEGER),
      wholeNumber('downloadQuotaKiB', grant.downloadQuotaKiB, 0, Number.MAX_SAFE_INTEGER),
      grant.custom === '' ? undefined : grant.custom,
    ]
    while (rest.length > 0 && rest[rest.length - 1] === undefined) rest.pop()
    await this.run(['auth', arg, minutes, ...rest.map((v) => v ?? '0')])
  }

  /**
   * Deauthenticates a client (openNDS drops it from its list). Resolves true when it was
   * deauthenticated, false when openNDS has no authenticated client by that name ("not found").
   * @throws Error for a bad target; NdsctlError
   */
  async deauth (target: string): Promise<boolean> {
    const arg = targetArg('deauth', target)
    try {
      await this.run(['deauth', arg])
      return true
    } catch (err) {
      const e = err as NdsctlError
      if (e.reason === 'refused' && /not found/.test(e.output)) return false
      throw err
    }
  }

  /** One queued call: spawns until ndsctl gets the lock or the retries run out. */
  private async attempts (args: readonly string[], attempt = 1): Promise<string> {
    try {
      return await this.spawn(args)
    } catch (err) {
      if ((err as NdsctlError).reason !== 'locked') throw err
      if (attempt > this.lockRetries) {
        throw new NdsctlError('locked', `${commandLine(args)}: exit 4 (lock held) on all ${attempt} attempts`, 4)
      }
    }
    await this.sleep(Math.round(this.lockDelayMs * Math.min(1 + (attempt - 1) / 10, 2)))
    return this.attempts(args, attempt + 1)
  }

  /** One child. Settles on its exit, or at the timeout without waiting for whatever still holds its pipes. */
  private spawn (args: readonly string[]): Promise<string> {
    const cmd = commandLine(args)
    return new Promise((resolve, reject) => {
      let settled = false
      let timer: NodeJS.Timeout | undefined
      const settle = (err: NdsctlError | undefined, stdout: string): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (err === undefined) resolve(stdout)
        else reject(err)
      }
      let child: ChildProcess
      try {
        child = execFile(this.path, args, { encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES, killSignal: 'SIGKILL', windowsHide: true },
          (error, stdout, stderr) => { settle(error === null ? undefined : this.failure(cmd, error, stdout, stderr), stdout) })
      } catch (err) {
        // Most spawn failures (ENOENT, EACCES) come through the callback; some (ENOTDIR) are thrown.
        settle(this.failure(cmd, err as ExecFileException, '', ''), '')
        return
      }
      timer = setTimeout(() => {
        child.kill('SIGKILL')
        // A grandchild (ndsctl's popen of libopennds.sh) may hold the pipes open: stop reading them.
        for (const pipe of [child.stdout, child.stderr] as Readable[]) pipe.destroy()
        settle(new NdsctlError('timeout', `${cmd}: no answer within ${this.timeoutMs} ms, killed`), '')
      }, this.timeoutMs)
    })
  }

  private failure (cmd: string, error: ExecFileException, stdout: string, stderr: string): NdsctlError {
    const { code, signal } = error
    if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return new NdsctlError('failed', `${cmd}: more than ${MAX_OUTPUT_BYTES} bytes of output, killed`)
    if (typeof code === 'string') return new NdsctlError('missing', `${cmd}: cannot run ${this.path} (${code})`)
    if (typeof code !== 'number') return new NdsctlError('failed', `${cmd}: killed by ${String(signal)}`)
    const line = said(stdout, stderr)
    return new NdsctlError(reasonFor(code), `${cmd}: exit ${code}: ${line || (HINTS[code] ?? 'no output')}`, code, line)
  }
}
