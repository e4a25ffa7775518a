/**
 * What every benchmark shares: measuring side by side with a baseline, and reporting one
 * figure per line for bench/run.mjs. A figure is never a single timing: the subject and its
 * baseline run alternately, several rounds, on the same machine in the same run, and the
 * report is the ratio of their medians with the raw figures beside it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'

export interface Figure {
  /** What is measured, e.g. "API reads: get_active_guests, requests/s". */
  name: string
  unit: string
  /** hotspotd's median. */
  value: number
  /** The baseline's median, and what the baseline is. */
  baseline: number
  baselineName: string
  /** How the ratio reads against the target, e.g. "value/baseline >= 0.85". */
  target: string
  ratio: number
  met: boolean
  /** Every round's figures, for RESULTS.md. */
  raw: Record<string, number[] | number | string>
}

/** Prints a figure as the one line bench/run.mjs collects. */
export const report = (f: Figure): void => {
  console.log(`RESULT ${JSON.stringify(f)}`)
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] as number : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** Runs `subject` and `baseline` alternately `rounds` times (ABAB..., so drift hits both alike). */
export const alternate = async (rounds: number, subject: () => Promise<number>, baseline: () => Promise<number>): Promise<{ subject: number[]; baseline: number[] }> => {
  const out = { subject: [] as number[], baseline: [] as number[] }
  for (let i = 0; i < rounds; i++) {
    out.subject.push(await subject())
    out.baseline.push(await baseline())
  }
  return out
}

/** Resident set size of a process in bytes, from /proc (VmRSS), or NaN when it is gone. */
export const rssOf = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? NaN : Number(m[1]) * 1024
  } catch {
    return NaN
  }
}

/** Rounds for display: 3 significant digits. */
export const round = (x: number): number => Number(x.toPrecision(3))

/** Processes and temporary directories a bench started: killed and removed when it exits. */
export const children = new Set<ChildProcess>()
export const dirs: string[] = []
const cleanup = (): void => {
  for (const c of children) c.kill('SIGKILL')
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { cleanup(); process.exit(1) })

/** Spawns `node args` and resolves with the port of the first line matching `portLine`. */
export const startServer = (args: string[], portLine: RegExp): Promise<{ child: ChildProcess; port: number; lines: string[] }> => {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  const lines: string[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no start within 15 s:\n${lines.join('\n')}`)) }, 15_000)
    const collect = (chunk: Buffer): void => {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      const port = lines.map((l) => portLine.exec(l)?.[1]).find((p) => p !== undefined)
      if (port !== undefined) { clearTimeout(timer); resolve({ child, port: Number(port), lines }) }
    }
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited (${code}) before it listened:\n${lines.join('\n')}`)) })
  })
}

/** SIGTERM, and waits for the exit. */
export const stop = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const gone = new Promise<void>((resolve) => child.once('exit', () => { resolve() }))
  child.kill('SIGTERM')
  await gone
}

/** Runs a bench's main, then exits 0, or 1 with the error printed. */
export const runBench = (main: () => Promise<void>): void => {
  main().then(() => { cleanup(); process.exit(0) }, (err: unknown) => { console.error(err); cleanup(); process.exit(1) })
}

/**
 * The UCI file of a benched daemon: the API on (POST, `key`), no built-in /ubus, `main` options
 * (backend, sqlite...) and any further sections as UCI text.
 */
export const benchConfig = (key: string, main: Record<string, string>, more = ''): string => `
config hotspotd 'main'
${Object.entries(main).map(([k, v]) => `\toption ${k} '${v}'\n`).join('')}config api 'api'
	option enabled '1'
	option post '1'
	option key '${key}'
config ubus 'ubus'
	option jsonrpc '0'
${more}`
