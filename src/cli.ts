/**
 * @module cli
 * The daemon's command line, kept stable for the init script and other tooling:
 * `hotspotd [passwd|secrets] --config FILE --state-dir DIR [--listen HOST:PORT]... [--ubus-socket PATH]
 * [--help] [--version]`.
 */
import { parseArgs } from 'node:util'
import { DEFAULT_CONFIG_PATH } from './config/config'

export interface ListenAddress { host: string; port: number }

export type Command = 'run' | 'passwd' | 'secrets'

const COMMANDS: readonly string[] = ['passwd', 'secrets']

export interface CliOptions {
  /**
   * `run` (the daemon), `passwd` (set the admin password and exit) or `secrets` (generate the
   * API key and admin password where none is set yet, as the package's uci-defaults does).
   */
  command: Command
  config: string
  /** Overrides hotspotd.main.state_dir when given. */
  stateDir?: string
  /** When given, replaces interface-based binding. */
  listen?: ListenAddress[]
  /** Overrides hotspotd.ubus.socket when given. */
  ubusSocket?: string
  help: boolean
  version: boolean
}

export const USAGE = `usage: hotspotd [--config FILE] [--state-dir DIR] [--listen HOST:PORT]... [--ubus-socket PATH]
       hotspotd passwd [--config FILE]
       hotspotd secrets [--config FILE]
       hotspotd --help | --version

  passwd              set the admin password (asked twice on a terminal, else the first
                      line of standard input) and save its scrypt hash in the config
  secrets             generate a random API key and admin password where none is set
                      yet (never replacing one); run once by the package at install
  --config FILE       UCI configuration file (default ${DEFAULT_CONFIG_PATH})
  --state-dir DIR     directory holding the database (default: hotspotd.main.state_dir)
  --listen HOST:PORT  address for the API; repeatable; replaces the api interfaces and port
  --ubus-socket PATH  ubusd's socket (default: hotspotd.ubus.socket)
  --help              show this help
  --version           show the version
`

/** A command line that cannot be understood. */
export class UsageError extends Error {
  readonly code = 'USAGE'
}

/** "127.0.0.1:8080" or "[::1]:8080" as host and port. */
export const parseListen = (text: string): ListenAddress => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port > 65535) throw new UsageError(`--listen ${text}: expected HOST:PORT or [IPV6]:PORT`)
  return { host: (m[1] ?? m[2]) as string, port }
}

/** Parses argv (without node and script). @throws UsageError */
export const parseCli = (argv: string[]): CliOptions => {
  let values, positionals
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'state-dir': { type: 'string' },
        listen: { type: 'string', multiple: true },
        'ubus-socket': { type: 'string' },
        help: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: true,
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const [command, ...rest] = positionals
  const known = command !== undefined && COMMANDS.includes(command)
  if ((command !== undefined && !known) || rest.length > 0) {
    throw new UsageError(`unexpected argument '${known ? rest[0] as string : command as string}'`)
  }
  return {
    command: known ? command as Command : 'run',
    config: values.config ?? DEFAULT_CONFIG_PATH,
    stateDir: values['state-dir'],
    listen: values.listen?.map(parseListen),
    ubusSocket: values['ubus-socket'],
    help: values.help === true,
    version: values.version === true,
  }
}
