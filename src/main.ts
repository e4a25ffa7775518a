/**
 * @module main
 * hotspotd's entry point and the one file that knows every part: it reads the command line and
 * UCI config, opens the store, picks the backend, builds the action context, opens the doors,
 * and applies a new configuration on SIGHUP without a restart.
 */
import { accessSync, constants, mkdirSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { actions } from './actions/index'
import type { ActionContext } from './actions/spec'
import { createBackend } from './backend/index'
import { parseCli, USAGE, UsageError, type CliOptions, type ListenAddress } from './cli'
import { type Config, loadConfig, saveNewApiKey } from './config/config'
import type { UciPackage } from './config/uci'
import { createLogger, type Logger } from './log'
import { openStore, type Store } from './store/db'
import { readNetworkConfig, resolveListen, type InterfaceTable } from './http/listen-addresses'
import { createRequestListener } from './http/routes'
import { Listeners } from './http/server'
import { Throttle } from './http/throttle'
import { VERSION } from './version'
import { errorCode } from './errors'

/** What the daemon takes from its surroundings; tests pass their own. */
export interface DaemonIo {
  /** Writes one line to standard output (procd hands it to logd). */
  out: (line: string) => void
  /** Whether a person is reading standard output (the first-start banner is shown only then). */
  isTTY: boolean
  interfaces: () => InterfaceTable
  /** OpenWrt's /etc/config/network, where there is one. */
  network: () => UciPackage | undefined
  now: () => Date
}

export interface Daemon {
  reload: () => Promise<void>
  close: () => Promise<void>
  listening: () => string[]
  log: Logger
}

/** Shown once, when the daemon generated the API key itself and a person is watching. */
export const firstStartBanner = (endpoint: string, key: string): string => [
  'hotspotd generated an API key. It is shown only this once; it is saved in the config as api.key.',
  `  API endpoint: ${endpoint}`,
  `  API key:      ${key}`,
  `  Try it:       curl -s -H 'Content-Type: application/json' -d '{"api-key":"${key}","action":"get_voucher_users"}' ${endpoint}`,
].join('\n')

const summary = (c: Config, where: string[]): string =>
  `API ${c.api.enabled ? 'enabled' : 'disabled'} (POST ${c.api.post ? 'on' : 'off'}, GET ${c.api.get ? 'on' : 'off'})` +
  ` on ${where.length > 0 ? where.join(', ') : 'no address'}; backend ${c.backend}`

/** A config with a key: generates and saves one when the file has none. */
const withKey = (file: string, loaded: { config: Config; pkg: UciPackage }): { config: Config; generated: boolean } => {
  if (loaded.config.api.key !== '') return { config: loaded.config, generated: false }
  const key = saveNewApiKey(file, loaded.pkg)
  return { config: { ...loaded.config, api: { ...loaded.config.api, key } }, generated: true }
}

const openState = (dir: string, log: Logger): Store => {
  try {
    mkdirSync(dir, { recursive: true })
    accessSync(dir, constants.W_OK)
  } catch (err) {
    throw new Error(`state directory ${dir} is not writable: ${errorCode(err)}`)
  }
  try {
    return openStore(dir, log)
  } catch (err) {
    throw new Error(`cannot open the database in ${dir}: ${(err as Error).message}`)
  }
}

/**
 * Starts hotspotd. Any reason it cannot start (config, state directory, address in use) is
 * thrown as an Error with a one-line message naming the file or address.
 */
export const startDaemon = async (opts: CliOptions, io: DaemonIo): Promise<Daemon> => {
  const first = withKey(opts.config, loadConfig(opts.config))
  let config = first.config
  const log = createLogger(io.out, () => config.logLevel)
  const store = openState(opts.stateDir ?? config.stateDir, log)
  const startedAt = io.now()
  const ctx: ActionContext = {
    store,
    backend: createBackend(config.backend),
    log,
    now: io.now,
    defaultValidFor: () => config.defaultValidFor,
    daemon: { version: VERSION, startedAt, listening: () => listeners.addresses() },
  }
  const door = { actions, ctx, settings: () => config.api, throttle: new Throttle(), log }
  const listeners = new Listeners(createRequestListener(door))
  const wanted = (): ListenAddress[] => {
    if (opts.listen !== undefined) return opts.listen
    const { addresses, problems } = resolveListen(config.api.interfaces, config.api.port, io.interfaces(), io.network())
    for (const p of problems) log.warn(`api: ${p}`)
    return addresses
  }
  try {
    await listeners.reconcile(wanted())
  } catch (err) {
    await listeners.close()
    store.close()
    throw err
  }
  const status = ctx.backend.status()
  if (!status.available) log.warn(`backend: ${status.detail}`)
  log.info(`hotspotd ${VERSION} started: ${summary(config, listeners.addresses())}`)
  const endpoint = `http://${listeners.addresses()[0] ?? `127.0.0.1:${config.api.port}`}/api/`
  if (first.generated) {
    if (io.isTTY) io.out(firstStartBanner(endpoint, config.api.key))
    else log.info(`api: generated a new API key and saved it in ${opts.config} (api.key)`)
  }

  let reloading = Promise.resolve()
  const reloadOnce = async (): Promise<void> => {
    let next
    try {
      next = withKey(opts.config, loadConfig(opts.config))
    } catch (err) {
      log.error(`reload: ${(err as Error).message}; keeping the running configuration`)
      return
    }
    if (next.generated) log.info(`api: generated a new API key and saved it in ${opts.config} (api.key)`)
    if (opts.stateDir === undefined && next.config.stateDir !== config.stateDir) log.warn('reload: a new state_dir takes effect at restart')
    if (next.config.backend !== config.backend) ctx.backend = createBackend(next.config.backend)
    config = { ...next.config, stateDir: config.stateDir }
    try {
      await listeners.reconcile(wanted())
    } catch (err) {
      log.error(`reload: ${(err as Error).message}`)
    }
    log.info(`reloaded ${opts.config}: ${summary(config, listeners.addresses())}`)
  }
  return {
    reload: () => (reloading = reloading.then(reloadOnce)),
    close: async () => {
      await reloading
      await listeners.close()
      store.close()
      log.info('hotspotd stopped')
    },
    listening: () => listeners.addresses(),
    log,
  }
}

/** What the entry point needs of the process; tests pass their own. */
export interface Proc {
  argv: string[]
  stdout: (text: string) => void
  stderr: (text: string) => void
  onSignal: (signal: 'SIGHUP' | 'SIGTERM' | 'SIGINT', fn: () => void) => void
  exit: (code: number) => void
  io: DaemonIo
}

/** Runs hotspotd as a command: exit 2 for a bad command line, 1 when it cannot start. */
export const runMain = async (proc: Proc): Promise<Daemon | undefined> => {
  let opts: CliOptions
  try {
    opts = parseCli(proc.argv)
  } catch (err) {
    proc.stderr(`hotspotd: ${(err as UsageError).message}\n${USAGE}`)
    proc.exit(2)
    return undefined
  }
  if (opts.help || opts.version) {
    proc.stdout(opts.help ? USAGE : `hotspotd ${VERSION}\n`)
    proc.exit(0)
    return undefined
  }
  let daemon: Daemon
  try {
    daemon = await startDaemon(opts, proc.io)
  } catch (err) {
    proc.stderr(`hotspotd: ${(err as Error).message}\n`)
    proc.exit(1)
    return undefined
  }
  proc.onSignal('SIGHUP', () => { void daemon.reload() })
  const stop = (): void => { void daemon.close().then(() => { proc.exit(0) }) }
  proc.onSignal('SIGTERM', stop)
  proc.onSignal('SIGINT', stop)
  return daemon
}

/* c8 ignore start: the process itself, exercised by test/integration/ against the bundle */
if (require.main === module) {
  void runMain({
    argv: process.argv.slice(2),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    onSignal: (signal, fn) => process.on(signal, fn),
    exit: (code) => process.exit(code),
    io: {
      out: (line) => { process.stdout.write(`${line}\n`) },
      isTTY: process.stdout.isTTY === true,
      interfaces: networkInterfaces,
      network: () => readNetworkConfig(),
      now: () => new Date(),
    },
  })
}
/* c8 ignore stop */
