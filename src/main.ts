/**
 * @module main
 * hotspotd's entry point and the one file that knows every part: it reads the command line and
 * UCI config, opens the store, picks the backend, builds the action context, opens the doors
 * (HTTP /api/, the `hotspot` object on ubus, the built-in JSON-RPC /ubus where no ubusd runs),
 * and applies a new configuration on SIGHUP without a restart.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { actions, apiActions } from './actions/index'
import type { ActionContext, AdminControl } from './actions/spec'
import { createBackend, type BackendDeps } from './backend/index'
import { createNoneBackend } from './backend/none'
import { Ndsctl } from './backend/ndsctl'
import { Enforcer } from './enforce/enforcer'
import { currentZone, epoch, useZone } from './domain/local-time'
import { platformZone, zoneFor } from './domain/tz'
import { parseCli, USAGE, UsageError, type CliOptions, type ListenAddress } from './cli'
import { type Config, loadConfig, saveAdminPasswordHash, saveCloudCredential, saveNewApiKey, updateUci } from './config/config'
import { hashPassword, randomPassword } from './config/password'
import { setOption, type UciPackage } from './config/uci'
import { createLogger, type Logger } from './log'
import { runPasswd, type PasswdInput } from './passwd'
import { runSecrets } from './secrets'
import { openStore, type Store } from './store/db'
import type { DriverChoice } from './store/driver'
import { readNetworkConfig, resolveListenLive, type InterfaceStatus, type InterfaceTable } from './http/listen-addresses'
import { createRequestListener } from './http/routes'
import { Listeners } from './http/server'
import { Throttle } from './http/throttle'
import { aclOf } from './ubus/acl'
import { hotspotObject } from './ubus/bridge'
import { UbusClient } from './ubus/client'
import type { JsonRpcDoor } from './ubus/jsonrpc'
import { Sessions, type LoginUser } from './ubus/sessions'
import { VERSION } from './version'
import { createPortal } from './portal/server'
import { portalDoor } from './portal/door'
import { errorCode } from './errors'
import { CloudTunnel } from './cloud/tunnel'
import { AdminAuth, objectSessionCall, ubusSessionCall } from './admin/auth'
import type { AdminDoor } from './admin/door'
import { PORTAL_CODE_PARAM } from './portal/server'

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
  /**
   * The router's time zone: TZ from the environment, else OpenWrt's /etc/TZ (a POSIX rule such
   * as `CET-1CEST,M3.5.0,M10.5.0/3`, which Node ignores); undefined leaves it to Node.
   * Read at start and at each reload.
   */
  timezone?: () => string | undefined
  /** Where the admin panel's files are; default: the `admin` folder beside the running bundle. */
  adminDir?: string
}

export interface Daemon {
  reload: () => Promise<void>
  close: () => Promise<void>
  listening: () => string[]
  log: Logger
}

/**
 * How long one `ndsctl json` answers every request that asks for live data: openNDS refreshes
 * its counters only every checkinterval (a minute by default), and a spawn per request would
 * cap the API at what the router can fork.
 */
const NDS_LIST_REUSE_MS = 1000

/** Shown once, when the daemon generated the API key itself and a person is watching. */
export const firstStartBanner = (endpoint: string, key: string): string => [
  'hotspotd generated an API key. It is shown only this once; it is saved in the config as api.key.',
  `  API endpoint: ${endpoint}`,
  `  API key:      ${key}`,
  `  Try it:       curl -s -H 'Content-Type: application/json' -d '{"api-key":"${key}","action":"get_voucher_users"}' ${endpoint}`,
].join('\n')

/** Shown once, when the daemon generated the admin password for the built-in /ubus itself. */
export const passwordBanner = (endpoint: string, password: string): string => [
  'hotspotd generated a password for user admin (built-in /ubus sessions). It is shown only this once;',
  'its hash is saved in the config as admin.password_hash. Change it with: hotspotd passwd',
  `  Password:     ${password}`,
  `  Sign in:      curl -s ${endpoint} -d '{"jsonrpc":"2.0","id":1,"method":"call","params":["00000000000000000000000000000000","session","login",{"username":"admin","password":"${password}"}]}'`,
].join('\n')

const summary = (c: Config, where: string[], jsonrpc: boolean, portal: string[] | undefined): string =>
  `API ${c.api.enabled ? 'enabled' : 'disabled'} (POST ${c.api.post ? 'on' : 'off'}, GET ${c.api.get ? 'on' : 'off'})` +
  ` on ${where.length > 0 ? where.join(', ') : 'no address'}; backend ${c.backend}; built-in /ubus ${jsonrpc ? 'on' : 'off'}` +
  (portal === undefined ? '' : `; portal on ${portal.length > 0 ? portal.join(', ') : 'no address'}`) +
  (c.cloud.enabled ? `; cloud endpoint via ${c.cloud.relay}` : '')

/** Whether the guest portal serves: with openNDS as the backend, unless switched off. */
const portalWanted = (c: Config): boolean => c.backend === 'opennds' && c.portal.enabled

/** Whether the built-in JSON-RPC /ubus serves: forced on or off in UCI, else only where no ubusd socket exists. */
const jsonRpcWanted = (c: Config, socket: string): boolean =>
  c.ubus.jsonrpc === 'on' || (c.ubus.jsonrpc === 'auto' && !existsSync(socket))

/** A config with a key: generates and saves one when the file has none. */
const withKey = (file: string, loaded: { config: Config; pkg: UciPackage }): { config: Config; generated: boolean } => {
  if (loaded.config.api.key !== '') return { config: loaded.config, generated: false }
  const key = saveNewApiKey(file, loaded.pkg)
  return { config: { ...loaded.config, api: { ...loaded.config.api, key } }, generated: true }
}

const openState = (dir: string, driver: DriverChoice, log: Logger): Store => {
  try {
    mkdirSync(dir, { recursive: true })
    accessSync(dir, constants.W_OK)
  } catch (err) {
    throw new Error(`state directory ${dir} is not writable: ${errorCode(err)}`)
  }
  try {
    return openStore(dir, log, driver)
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
  const applyZone = (): void => {
    const before = currentZone().name
    useZone(zoneFor(io.timezone?.()))
    const zone = currentZone()
    if (zone.name !== before && zone !== platformZone) log.info(`local time: the rule ${zone.name}`)
  }
  applyZone()
  const store = openState(opts.stateDir ?? config.stateDir, config.sqlite, log)
  const startedAt = io.now()
  const socketOf = (c: Config): string => opts.ubusSocket ?? c.ubus.socket
  let jsonrpcOn = jsonRpcWanted(config, socketOf(config))
  let ubus: UbusClient // created below, once everything it serves exists
  let reloading = Promise.resolve()
  const queue = (step: () => Promise<void>): Promise<void> => (reloading = reloading.then(step))

  const admin: AdminControl = {
    api: () => ({ ...config.api, interfaces: [...config.api.interfaces] }),
    setApi: async (patch) => {
      updateUci(opts.config, 'the API settings', (pkg) => {
        for (const [name, on] of Object.entries(patch)) setOption(pkg, 'api', 'api', name, on ? '1' : '0')
      })
      await queue(reloadOnce)
    },
    rotateApiKey: async () => {
      const key = saveNewApiKey(opts.config)
      await queue(reloadOnce)
      return key
    },
  }
  const ctx: ActionContext = {
    store,
    backend: createNoneBackend(), // replaced below, once the store it reads logins from is open
    log,
    now: io.now,
    defaultValidFor: () => config.defaultValidFor,
    daemon: {
      version: VERSION,
      startedAt,
      listening: () => listeners.addresses(),
      ubus: () => ({ socket: socketOf(config), connected: ubus.connected, jsonrpc: jsonrpcOn }),
      cloud: () => tunnel.status(),
      portal: () => {
        const at = portalWanted(config) ? portalListeners.addresses()[0] : undefined
        const page = at === undefined ? null : `http://${at}${config.portal.path}`
        return { url: page === null ? null : `${page}?${PORTAL_CODE_PARAM}={username}`, page }
      },
    },
    admin,
    emit: (event, data) => {
      if (!ubus.connected) return
      ubus.sendEvent(event, data).catch((err: Error) => { log.debug(`ubus: event ${event} not sent: ${err.message}`) })
    },
  }
  let ndsctl = new Ndsctl({ path: config.opennds.ndsctl, reuseMs: NDS_LIST_REUSE_MS })
  const backendDeps: BackendDeps = {
    config: () => config,
    ndsctl: () => ndsctl,
    log,
    now: io.now,
    interfaces: io.interfaces,
    network: io.network,
    loginOf: ({ kind, id }) => kind === 'voucher' ? store.vouchers.usernameOf(id) : store.guestUsers.identityOf(kind, id),
  }
  ctx.backend = createBackend(config.backend, backendDeps)
  /** Counts usage and enforces vouchers while openNDS is the backend. */
  const enforcerFor = (c: Config): Enforcer | undefined => {
    if (c.backend !== 'opennds') return undefined
    const e = new Enforcer({
      ndsctl, store, log, emit: (event, data) => { ctx.emit(event, data) },
      wallNow: () => epoch(io.now()),
      monoNow: () => performance.now() / 1000,
      pollSeconds: c.opennds.pollInterval,
      flushSeconds: c.opennds.flushInterval,
      binauthSpool: c.opennds.binauthSpool,
    })
    e.start()
    return e
  }
  let enforcer = enforcerFor(config)
  const hotspot = hotspotObject(actions, ctx)

  /** The admin user, read from the file at each login so `hotspotd passwd` applies at once. */
  const users = (): ReadonlyMap<string, LoginUser> => {
    let hash = config.adminPasswordHash
    try {
      hash = loadConfig(opts.config).config.adminPasswordHash
    } catch (err) {
      log.warn(`ubus: ${(err as Error).message}; using the running configuration's admin password`)
    }
    return new Map([['admin', { hash, read: ['*'], write: ['*'] }]])
  }
  const sessions = new Sessions({ acl: aclOf(actions), users, now: () => io.now().getTime(), throttle: new Throttle(), log })
  const jsonrpc: JsonRpcDoor = { objects: () => [sessions.object, hotspot], sessions, log }

  const apiDoor = { actions: apiActions, ctx, settings: () => config.api, throttle: new Throttle(), log }
  // The admin panel: rpcd's sessions where rpcd is on the bus (LuCI's users and ACLs), else the built-in ones.
  const rpcdSessions = ubusSessionCall((path, method, args) => ubus.call(path, method, args))
  const adminDoor: AdminDoor = {
    actions,
    ctx,
    auth: new AdminAuth({
      rpcd: () => ubus.connected ? rpcdSessions : undefined,
      builtin: objectSessionCall(sessions.object),
      actions: actions.map((a) => a.name),
      timeout: () => config.adminSessionTimeout,
      now: () => io.now().getTime(),
      log,
    }),
    throttle: new Throttle(),
    staticDir: io.adminDir ?? join(__dirname, 'admin'),
    log,
  }
  // The panel is on the LAN/MGMT listener only: the cloud door's listener below is made without it.
  const listeners = new Listeners(createRequestListener(apiDoor, () => jsonrpcOn ? jsonrpc : undefined, adminDoor))
  // The cloud door: the same /api/ handling and nothing else; GET only where cloud.allow_get
  // says so too, since the seed keeps GET to trusted LANs.
  const cloudDoor = { ...apiDoor, settings: () => ({ ...config.api, get: config.api.get && config.cloud.allowGet }) }
  const tunnel = new CloudTunnel({
    config: () => config.cloud,
    handler: createRequestListener(cloudDoor),
    log,
    saveCredential: (credential) => { saveCloudCredential(opts.config, credential) },
  })
  /** netifd's status of a logical interface, while hotspotd is on the bus. */
  const statusOf = async (name: string): Promise<InterfaceStatus | undefined> =>
    ubus.connected ? ubus.call(`network.interface.${name}`, 'status').catch(() => undefined) : undefined
  const wanted = async (): Promise<ListenAddress[]> => {
    if (opts.listen !== undefined) return opts.listen
    const { addresses, problems } = await resolveListenLive(config.api.interfaces, config.api.port, statusOf, io.interfaces(), io.network())
    for (const p of problems) log.warn(`api: ${p}`)
    return addresses
  }
  const portal = createPortal(portalDoor({
    config: () => config,
    store,
    ndsctl: () => ndsctl,
    enforcer: () => enforcer,
    log,
    emit: (event, data) => { ctx.emit(event, data) },
    now: () => epoch(io.now()),
    interfaces: io.interfaces,
    network: io.network,
    gatewayHost: () => portalListeners.addresses()[0]?.replace(/:\d+$/, ''),
  }))
  const portalListeners = new Listeners((req, res) => { void portal.handle(req, res) })
  /** The portal's addresses: IPv4 on the guest interfaces (openNDS captures IPv4 guests). */
  const portalAddresses = async (): Promise<ListenAddress[]> => {
    if (!portalWanted(config)) return []
    const { addresses, problems } = await resolveListenLive(config.portal.guestInterfaces, config.portal.port, statusOf, io.interfaces(), io.network())
    for (const p of problems) log.warn(`portal: ${p}`)
    return addresses.filter((a) => !a.host.includes(':'))
  }
  const portalSummary = (): string[] | undefined => portalWanted(config) ? portalListeners.addresses() : undefined
  const reconcile = async (why: string): Promise<void> => {
    for (const [name, l, want] of [['API', listeners, wanted], ['portal', portalListeners, portalAddresses]] as const) {
      const before = l.addresses().join(', ')
      try {
        await l.reconcile(await want())
      } catch (err) {
        log.error(`${why}: ${(err as Error).message}`)
      }
      const after = l.addresses().join(', ')
      if (after !== before) log.info(`${why}: ${name} now on ${after === '' ? 'no address' : after}`)
    }
  }

  /** A client for `socket` that publishes hotspot and follows interface events; not started yet. */
  const ubusClient = (socket: string): UbusClient => {
    const client = new UbusClient({ socketPath: socket, log, optional: !existsSync(socket) })
    client.publish(hotspot)
    // netifd announces every interface change; follow the ones the API listens on.
    client.listen('network.interface', (_event, data) => {
      const name = String(data.interface)
      if ((opts.listen === undefined && config.api.interfaces.includes(name)) || (portalWanted(config) && config.portal.guestInterfaces.includes(name))) {
        void queue(() => reconcile(`interface ${String(data.interface)} ${String(data.action)}`))
      }
    })
    client.onState((up) => {
      if (up && (opts.listen === undefined || portalWanted(config))) void queue(() => reconcile('ubus'))
    })
    return client
  }
  ubus = ubusClient(socketOf(config))

  try {
    await listeners.reconcile(await wanted())
    await portalListeners.reconcile(await portalAddresses())
  } catch (err) {
    await enforcer?.stop()
    await listeners.close()
    await portalListeners.close()
    store.close()
    throw err
  }
  ubus.start()
  tunnel.start()
  const status = await ctx.backend.status()
  if (!status.available) log.warn(`backend: ${status.detail}`)
  log.info(`hotspotd ${VERSION} started: ${summary(config, listeners.addresses(), jsonrpcOn, portalSummary())}`)
  const base = `http://${listeners.addresses()[0] ?? `127.0.0.1:${config.api.port}`}`
  if (first.generated) {
    if (io.isTTY) io.out(firstStartBanner(`${base}/api/`, config.api.key))
    else log.info(`api: generated a new API key and saved it in ${opts.config} (api.key)`)
  }
  if (jsonrpcOn && config.adminPasswordHash === '') {
    if (io.isTTY) {
      const password = randomPassword()
      const hash = await hashPassword(password)
      saveAdminPasswordHash(opts.config, hash)
      config = { ...config, adminPasswordHash: hash }
      io.out(passwordBanner(`${base}/ubus`, password))
    } else {
      log.warn(`ubus: no admin password is set, so /ubus logins are refused; set one with: hotspotd passwd --config ${opts.config}`)
    }
  }

  async function reloadOnce (): Promise<void> {
    applyZone()
    let next
    try {
      const loaded = loadConfig(opts.config)
      // A running daemon's file never becomes empty by intent (uci commit replaces it whole);
      // an empty one is a truncated write, which must not switch the API off or replace the key.
      if (loaded.pkg.sections.length === 0) throw new Error(`${opts.config} has no sections`)
      next = withKey(opts.config, loaded)
    } catch (err) {
      log.error(`reload: ${(err as Error).message}; keeping the running configuration`)
      return
    }
    if (next.generated) log.info(`api: generated a new API key and saved it in ${opts.config} (api.key)`)
    if (next.config.stateDir !== config.stateDir) log.warn(`reload: state_dir ${next.config.stateDir} takes effect at the next start (service hotspotd restart)`)
    if (next.config.sqlite !== config.sqlite) log.warn(`reload: sqlite '${next.config.sqlite}' takes effect at the next start (service hotspotd restart)`)
    const backendChanged = next.config.backend !== config.backend || JSON.stringify(next.config.opennds) !== JSON.stringify(config.opennds)
    if (next.config.adminPasswordHash !== config.adminPasswordHash) sessions.endSessionsOf('admin')
    const oldSocket = socketOf(config)
    config = { ...next.config, stateDir: config.stateDir }
    if (backendChanged) {
      await enforcer?.stop()
      ndsctl = new Ndsctl({ path: config.opennds.ndsctl, reuseMs: NDS_LIST_REUSE_MS })
      ctx.backend = createBackend(config.backend, backendDeps)
      enforcer = enforcerFor(config)
    }
    if (socketOf(config) !== oldSocket) {
      await ubus.close()
      ubus = ubusClient(socketOf(config))
      ubus.start()
    }
    jsonrpcOn = jsonRpcWanted(config, socketOf(config))
    await tunnel.reload()
    for (const [l, want] of [[listeners, wanted], [portalListeners, portalAddresses]] as const) {
      try {
        await l.reconcile(await want())
      } catch (err) {
        log.error(`reload: ${(err as Error).message}`)
      }
    }
    log.info(`reloaded ${opts.config}: ${summary(config, listeners.addresses(), jsonrpcOn, portalSummary())}`)
  }
  return {
    reload: () => queue(reloadOnce),
    close: async () => {
      await reloading
      await tunnel.stop()
      await enforcer?.stop() // the last counts, before the store closes
      await ubus.close()
      await listeners.close()
      await portalListeners.close()
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
  stdin: PasswdInput
  stdout: (text: string) => void
  stderr: (text: string) => void
  onSignal: (signal: 'SIGHUP' | 'SIGTERM' | 'SIGINT', fn: () => void) => void
  exit: (code: number) => void
  io: DaemonIo
}

/** The first line of a small text file, or undefined when it cannot be read. */
export const readTextFile = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').split('\n')[0]
  } catch {
    return undefined
  }
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
  if (opts.command === 'passwd') {
    try {
      await runPasswd(opts.config, { stdin: proc.stdin, write: proc.stderr })
      proc.exit(0)
    } catch (err) {
      proc.stderr(`hotspotd passwd: ${(err as Error).message}\n`)
      proc.exit(1)
    }
    return undefined
  }
  if (opts.command === 'secrets') {
    try {
      await runSecrets(opts.config, { write: proc.stdout, isTTY: proc.io.isTTY })
      proc.exit(0)
    } catch (err) {
      proc.stderr(`hotspotd secrets: ${(err as Error).message}\n`)
      proc.exit(1)
    }
    return undefined
  }
  // Signals are taken before the daemon is up: procd may send a reload (SIGHUP) while Node is
  // still starting, and a signal without a handler would kill the process. One that arrives
  // early is acted on once the start has finished.
  let daemon: Daemon | undefined
  let early: 'reload' | 'stop' | undefined
  const stop = (): void => {
    if (daemon === undefined) early = 'stop'
    else void daemon.close().then(() => { proc.exit(0) })
  }
  proc.onSignal('SIGHUP', () => {
    if (daemon !== undefined) void daemon.reload()
    else if (early === undefined) early = 'reload'
  })
  proc.onSignal('SIGTERM', stop)
  proc.onSignal('SIGINT', stop)
  try {
    daemon = await startDaemon(opts, proc.io)
  } catch (err) {
    proc.stderr(`hotspotd: ${(err as Error).message}\n`)
    proc.exit(1)
    return undefined
  }
  if (early === 'stop') stop()
  else if (early === 'reload') void daemon.reload()
  return daemon
}

/* c8 ignore start: the process itself, exercised by test/integration/ against the bundle */
if (require.main === module) {
  void runMain({
    argv: process.argv.slice(2),
    stdin: process.stdin,
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
      timezone: () => process.env.TZ ?? readTextFile('/etc/TZ'),
    },
  })
}
/* c8 ignore stop */
