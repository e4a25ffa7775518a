/**
 * @module relay/main
 * `hotspotd-relay` as a command (the bundle dist/hotspotd-relay.js): reads its files, runs the
 * relay, reloads the certificate on SIGHUP (certbot renewals need no restart), stops gracefully
 * on SIGTERM and SIGINT; or prints a device credential for the operator.
 */
import { readFileSync } from 'node:fs'
import { newEndpointId, parseSecret, signCredential } from '../cloud/credential'
import { errorCode } from '../errors'
import { createLogger } from '../log'
import { VERSION } from '../version'
import { parseRelayCli, USAGE, type RelayCommand, type RunCommand } from './cli'
import { Relay } from './server'

/** The process, as the relay sees it (the real one at the bottom of this file; tests pass their own). */
export interface RelayProc {
  argv: string[]
  stdout: (text: string) => void
  stderr: (text: string) => void
  onSignal: (signal: 'SIGHUP' | 'SIGTERM' | 'SIGINT', fn: () => void) => void
  exit: (code: number) => void
}

/** An enrollment key shorter than this is refused: it is the one secret a stranger could guess at. */
export const MIN_ENROLL_KEY = 16

/** A file's bytes; the error names the option and the file. */
const readOption = (option: string, path: string): Buffer => {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new Error(`--${option} ${path}: cannot read it (${errorCode(err)})`)
  }
}

const readSecret = (path: string): Buffer => {
  try {
    return parseSecret(readOption('secret-file', path))
  } catch (err) {
    const message = (err as Error).message
    throw new Error(message.startsWith('--') ? message : `--secret-file ${path}: ${message}`)
  }
}

const readEnrollKey = (path: string): Buffer => {
  const key = readOption('enroll-key-file', path).toString('utf8').trim()
  if (key.length < MIN_ENROLL_KEY) {
    throw new Error(`--enroll-key-file ${path}: the key has ${key.length} characters; it needs at least ${MIN_ENROLL_KEY} (e.g. openssl rand -hex 16)`)
  }
  return Buffer.from(key)
}

/** Starts the relay for `opts`; resolves once it listens. */
const start = async (opts: RunCommand, proc: RelayProc): Promise<Relay> => {
  const log = createLogger((line) => { proc.stdout(`${line}\n`) }, opts.logLevel)
  const tls = (): { cert: Buffer; key: Buffer } => ({ cert: readOption('cert', opts.cert), key: readOption('key', opts.key) })
  const secret = readSecret(opts.secretFile)
  const enrollKey = opts.enrollKeyFile === undefined ? undefined : readEnrollKey(opts.enrollKeyFile)
  const { cert, key } = tls()
  let relay: Relay
  try {
    relay = new Relay({ ...opts, cert, key, secret, enrollKey, log })
  } catch (err) {
    throw new Error(`--cert ${opts.cert} and --key ${opts.key}: not a certificate and its key (${errorCode(err)})`)
  }
  const { host, port } = opts.listen
  try {
    await relay.listen(port, host)
  } catch (err) {
    throw new Error(`cannot listen on ${host}:${port}: ${errorCode(err)}`)
  }
  proc.onSignal('SIGHUP', () => {
    try {
      const renewed = tls()
      relay.reloadTls(renewed.cert, renewed.key)
      log.info(`certificate reloaded from ${opts.cert}`)
    } catch (err) {
      log.error(`certificate not reloaded, the old one stays: ${(err as Error).message}`)
    }
  })
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    log.info('stopping: closing tunnels')
    void relay.stop().then(() => {
      log.info('stopped')
      proc.exit(0)
    })
  }
  proc.onSignal('SIGTERM', stop)
  proc.onSignal('SIGINT', stop)
  const address = host.includes(':') ? `[${host}]:${relay.port}` : `${host}:${relay.port}`
  log.info(`hotspotd-relay ${VERSION} started: ${opts.domain} and *.${opts.domain} on ${address}, enrollment ${enrollKey === undefined ? 'off' : 'on'}`)
  return relay
}

/** Runs `hotspotd-relay` with `proc.argv`: exit 2 for a bad command line, 1 when it cannot start. */
export const runRelay = async (proc: RelayProc): Promise<Relay | undefined> => {
  let cmd: RelayCommand
  try {
    cmd = parseRelayCli(proc.argv)
  } catch (err) {
    proc.stderr(`hotspotd-relay: ${(err as Error).message}\n${USAGE}`)
    proc.exit(2)
    return undefined
  }
  try {
    switch (cmd.command) {
      case 'help':
        proc.stdout(USAGE)
        return undefined
      case 'version':
        proc.stdout(`hotspotd-relay ${VERSION}\n`)
        return undefined
      case 'credential':
        proc.stdout(`${signCredential(readSecret(cmd.secretFile), cmd.id ?? newEndpointId())}\n`)
        return undefined
      default:
        return await start(cmd, proc)
    }
  } catch (err) {
    proc.stderr(`hotspotd-relay: ${(err as Error).message}\n`)
    proc.exit(1)
    return undefined
  }
}

/* c8 ignore start: the process itself, exercised by test/integration/ against the bundle */
if (require.main === module) {
  void runRelay({
    argv: process.argv.slice(2),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    onSignal: (signal, fn) => process.on(signal, fn),
    exit: (code) => process.exit(code),
  })
}
/* c8 ignore stop */
