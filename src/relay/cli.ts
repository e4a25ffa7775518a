/**
 * @module relay/cli
 * The relay's command line: `hotspotd-relay --domain D --cert F --key F --secret-file F ...`
 * runs it; `hotspotd-relay credential --secret-file F [ID]` prints a device credential.
 */
import { parseArgs } from 'node:util'
import { ID_PATTERN } from '../cloud/credential'
import type { Level } from '../log'
import { parseTrustList } from './client-address'
import { DEFAULT_RATE_LIMIT } from './rate-limit'
import { DEFAULT_MAX_BODY, DEFAULT_TIMEOUT_MS } from './server'

export interface ListenAddress { host: string; port: number }

/** `hotspotd-relay [options]`: run the relay. */
export interface RunCommand {
  command: 'run'
  domain: string
  listen: ListenAddress
  cert: string
  key: string
  secretFile: string
  enrollKeyFile: string | undefined
  trustProxy: string[]
  maxBody: number
  rate: number
  burst: number
  timeoutMs: number
  logLevel: Level
}

/** `hotspotd-relay credential --secret-file F [ID]`: print the credential of ID (a new random one when omitted). */
export interface CredentialCommand { command: 'credential'; secretFile: string; id: string | undefined }

export type RelayCommand = RunCommand | CredentialCommand | { command: 'help' } | { command: 'version' }

export const USAGE = `usage: hotspotd-relay --domain DOMAIN --cert FILE --key FILE --secret-file FILE [options]
       hotspotd-relay credential --secret-file FILE [ID]
       hotspotd-relay --help | --version

  --domain DOMAIN         routers' endpoints are https://<id>.DOMAIN/api/
  --listen HOST:PORT      address to serve HTTPS on (default 0.0.0.0:443)
  --cert FILE             certificate chain (PEM) for DOMAIN and *.DOMAIN; re-read on SIGHUP
  --key FILE              its private key (PEM); re-read on SIGHUP
  --secret-file FILE      the secret that signs device credentials (64 hex characters, e.g.
                          openssl rand -hex 32), the same on every relay instance
  --enroll-key-file FILE  let routers enroll with the key this file holds (16 characters or
                          more); without it, enrollment is off
  --trust-proxy ADDR      a load balancer (address or CIDR range) whose X-Forwarded-For is
                          believed; repeatable; nobody's by default
  --max-body BYTES        largest request body forwarded (default ${DEFAULT_MAX_BODY})
  --rate N                requests a second per router (default ${DEFAULT_RATE_LIMIT.rate})
  --burst N               requests per router in a burst (default ${DEFAULT_RATE_LIMIT.burst})
  --timeout SECONDS       time a router has to begin its answer (default ${DEFAULT_TIMEOUT_MS / 1000})
  --log-level LEVEL       debug, info, warn or error (default info)
  credential              print a device credential for ID (a random new id when omitted)
`

/** A command line that cannot be understood. */
export class UsageError extends Error {
  readonly code = 'USAGE'
}

const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error']
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** "0.0.0.0:443" or "[::]:443" as host and port. */
export const parseListen = (text: string): ListenAddress => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port > 65535) throw new UsageError(`--listen ${text}: expected HOST:PORT or [IPV6]:PORT`)
  return { host: (m[1] ?? m[2]) as string, port }
}

/** A positive number from an option; `integer` when it must be whole. */
const positive = (name: string, text: string | undefined, fallback: number, integer: boolean): number => {
  if (text === undefined) return fallback
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} ${text}: expected a positive ${integer ? 'whole ' : ''}number`)
  }
  return n
}

const required = (values: Record<string, unknown>, name: string): string => {
  const v = values[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`)
  return v
}

/** Parses argv (without node and script). @throws UsageError */
export const parseRelayCli = (argv: string[]): RelayCommand => {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        domain: { type: 'string' },
        listen: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        'secret-file': { type: 'string' },
        'enroll-key-file': { type: 'string' },
        'trust-proxy': { type: 'string', multiple: true },
        'max-body': { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        timeout: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
        version: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: true,
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help === true) return { command: 'help' }
  if (values.version === true) return { command: 'version' }
  const [command, ...rest] = positionals
  if (command === 'credential') {
    if (rest.length > 1) throw new UsageError(`credential takes one id at most, not ${rest.join(' ')}`)
    const id = rest[0]
    if (id !== undefined && !ID_PATTERN.test(id)) throw new UsageError(`credential ${id}: an id is 10 lower-case hex characters, e.g. 2b080b3af6`)
    return { command: 'credential', secretFile: required(values, 'secret-file'), id }
  }
  if (command !== undefined) throw new UsageError(`unknown command ${command}`)
  const domain = required(values, 'domain').toLowerCase()
  if (!DOMAIN.test(domain)) throw new UsageError(`--domain ${domain}: expected a domain name such as relay.example.net`)
  const level = values['log-level'] ?? 'info'
  if (!LEVELS.includes(level)) throw new UsageError(`--log-level ${level}: expected one of ${LEVELS.join(', ')}`)
  const trustProxy = values['trust-proxy'] ?? []
  try {
    parseTrustList(trustProxy)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  return {
    command: 'run',
    domain,
    listen: parseListen(values.listen ?? '0.0.0.0:443'),
    cert: required(values, 'cert'),
    key: required(values, 'key'),
    secretFile: required(values, 'secret-file'),
    enrollKeyFile: values['enroll-key-file'],
    trustProxy,
    maxBody: positive('max-body', values['max-body'], DEFAULT_MAX_BODY, true),
    rate: positive('rate', values.rate, DEFAULT_RATE_LIMIT.rate, false),
    burst: positive('burst', values.burst, DEFAULT_RATE_LIMIT.burst, true),
    timeoutMs: positive('timeout', values.timeout, DEFAULT_TIMEOUT_MS / 1000, false) * 1000,
    logLevel: level as Level,
  }
}
