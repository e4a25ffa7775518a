/**
 * @module cli
 * The daemon's command line, kept stable for the init script and other tooling:
 * `hotspotd --config FILE --state-dir DIR [--listen HOST:PORT]... [--help] [--version]`.
 */
import { parseArgs } from 'node:util'
import { DEFAULT_CONFIG_PATH } from './config/config'

export interface ListenAddress { host: string; port: number }

export interface CliOptions {
  config: string
  /** Overrides hotspotd.main.state_dir when given. */
  stateDir?: string
  /** When given, replaces interface-based binding. */
  listen?: ListenAddress[]
  help: boolean
  version: boolean
}

export const USAGE = `usage: hotspotd [--config FILE] [--state-dir DIR] [--listen HOST:PORT]... [--help] [--version]

  --config FILE       UCI configuration file (default ${DEFAULT_CONFIG_PATH})
  --state-dir DIR     directory holding the database (default: hotspotd.main.state_dir)
  --listen HOST:PORT  address for the API; repeatable; replaces the api interfaces and port
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
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'state-dir': { type: 'string' },
        listen: { type: 'string', multiple: true },
        help: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  return {
    config: values.config ?? DEFAULT_CONFIG_PATH,
    stateDir: values['state-dir'],
    listen: values.listen?.map(parseListen),
    help: values.help === true,
    version: values.version === true,
  }
}
