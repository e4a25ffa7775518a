/**
 * @module log
 * One line per event a human cares about, on stdout (procd hands it to logd). Never pass a
 * secret (API key, passcode) to a logger.
 */

export type Level = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug: (msg: string) => void
  info: (msg: string) => void
  warn: (msg: string) => void
  error: (msg: string) => void
}

const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 }

/**
 * A logger writing `level: message` lines at or above the minimum level through `write`. The
 * minimum may be a function, read at each line, so a reload can change it.
 */
export const createLogger = (write: (line: string) => void, min: Level | (() => Level) = 'info'): Logger => {
  const floor = typeof min === 'function' ? min : () => min
  const at = (level: Level) => (msg: string): void => {
    if (ORDER[level] >= ORDER[floor()]) write(`${level}: ${msg}`)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
