/**
 * @module passwd
 * `hotspotd passwd`: sets the password of the `admin` user of the built-in /ubus sessions (and,
 * later, the admin panel). On a terminal it asks twice without echo; otherwise it reads the
 * first line of standard input, so scripts and uci-defaults can pipe one in. Only the scrypt
 * hash is stored (hotspotd.admin.password_hash); a running daemon uses it at the next sign-in.
 */
import { saveAdminPasswordHash } from './config/config'
import { hashPassword } from './config/password'

export const MIN_PASSWORD = 8
export const MAX_PASSWORD = 1024

/** Standard input as far as passwd needs it; a TTY has setRawMode. */
export type PasswdInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }

export interface PasswdIo {
  stdin: PasswdInput
  /** Standard error: prompts and messages (standard output stays clean for scripts). */
  write: (text: string) => void
}

/** A password refused or not given; the message is for the user. */
export class PasswdError extends Error {
  readonly code = 'PASSWD'
}

/** Reads one line typed on a terminal without echoing it. Ctrl-C or Ctrl-D on an empty line cancels. */
export const readHidden = async (stdin: PasswdInput, write: (text: string) => void, prompt: string): Promise<string> => {
  write(prompt)
  stdin.setRawMode?.(true)
  stdin.resume()
  let typed = ''
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer | string): void => {
        for (const ch of String(chunk)) {
          if (ch === '\r' || ch === '\n') return done(() => { resolve(typed) })
          if (ch === '\u0003' || (ch === '\u0004' && typed === '')) return done(() => { reject(new PasswdError('cancelled')) })
          if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('')
          else if (ch >= ' ') typed += ch
        }
      }
      const done = (settle: () => void): void => {
        stdin.removeListener('data', onData)
        settle()
      }
      stdin.on('data', onData)
    })
  } finally {
    stdin.setRawMode?.(false)
    stdin.pause()
    write('\n')
  }
}

/** The first line of a non-terminal standard input (without its line ending). */
export const readFirstLine = async (stdin: PasswdInput): Promise<string> => {
  let text = ''
  for await (const chunk of stdin) {
    text += String(chunk)
    if (text.includes('\n')) break
  }
  return (text.split('\n')[0] as string).replace(/\r$/, '')
}

/** Checks a new password; returns why it is refused, or null. */
export const passwordProblem = (password: string): string | null => {
  const n = [...password].length
  if (n < MIN_PASSWORD) return `too short: at least ${MIN_PASSWORD} characters`
  if (n > MAX_PASSWORD) return `too long: at most ${MAX_PASSWORD} characters`
  return null
}

/** Asks for (or reads) the new password, checks it, and saves its hash in `configFile`. */
export const runPasswd = async (configFile: string, io: PasswdIo): Promise<void> => {
  let password: string
  if (io.stdin.isTTY === true) {
    password = await readHidden(io.stdin, io.write, 'New password for admin: ')
    const again = await readHidden(io.stdin, io.write, 'Retype the password: ')
    if (again !== password) throw new PasswdError('the passwords do not match; nothing changed')
  } else {
    password = await readFirstLine(io.stdin)
  }
  const problem = passwordProblem(password)
  if (problem !== null) throw new PasswdError(`password ${problem}; nothing changed`)
  saveAdminPasswordHash(configFile, await hashPassword(password))
  io.write(`Password for admin saved in ${configFile}; it applies at the next sign-in.\n`)
}
