/**
 * @module http/json-stream
 * Writes an action's result as JSON without building the whole text: lazy lists (any
 * non-array iterable) are written item by item, in chunks, waiting when the client is slow
 * and yielding to other requests between chunks.
 */
import type { Writable } from 'node:stream'

/**
 * Characters gathered before a write. Small, because what waits to be written is alive when V8
 * collects its young generation, and enough such survivors make V8 grow it for good: listing
 * 100,000 vouchers through WebAssembly SQLite grew the daemon by 18 MB with 16 KiB chunks, by
 * 10 MB with 8 KiB ones (bench/big-list.bench.ts).
 * Below the HTTP response's 16 KiB high-water mark, so a write to a client that keeps up
 * returns true and costs a turn of the event loop, not a wait for drain.
 */
const CHUNK = 8 * 1024

const isLazyList = (v: unknown): v is Iterable<unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Symbol.iterator in v

/**
 * Whether `v` is a lazy list or holds one at any depth, in an object or an array. Asked of every
 * item of a long list, so it allocates nothing (no Object.values array per row).
 */
const holdsLazyList = (v: unknown): v is object => {
  if (typeof v !== 'object' || v === null) return false
  if (isLazyList(v)) return true
  for (const key in v) {
    if (holdsLazyList((v as Record<string, unknown>)[key])) return true
  }
  return false
}

/** Raised when the client goes away before the answer is written. */
export class ClientGoneError extends Error {
  readonly code = 'CLIENT_GONE'
}

class Sink {
  private parts: string[] = []
  private size = 0
  constructor (private readonly out: Writable) {}

  push (s: string): void {
    this.parts.push(s)
    this.size += s.length
  }

  /** Whether enough is buffered to be written. */
  get full (): boolean {
    return this.size >= CHUNK
  }

  /** Writes what is buffered; true when the destination can take more at once. */
  write (): boolean {
    const text = this.parts.join('')
    this.parts = []
    this.size = 0
    if (this.out.destroyed) throw new ClientGoneError('client went away')
    return this.out.write(text)
  }

  /** Writes what is buffered, then waits: for drain when the destination is full, else a turn of the event loop. */
  async flush (): Promise<void> {
    const ok = this.write()
    await (ok ? new Promise<void>((resolve) => setImmediate(resolve)) : drained(this.out))
  }
}

const drained = (out: Writable): Promise<void> => new Promise<void>((resolve, reject) => {
  const done = (err?: Error): void => {
    out.off('drain', onDrain)
    out.off('close', onClose)
    if (err === undefined) resolve(); else reject(err)
  }
  const onDrain = (): void => { done() }
  const onClose = (): void => { done(new ClientGoneError('client went away')) }
  out.on('drain', onDrain)
  out.on('close', onClose)
})

const emit = async (value: unknown, sink: Sink): Promise<void> => {
  if (isLazyList(value) || (Array.isArray(value) && holdsLazyList(value))) {
    sink.push('[')
    let first = true
    for (const item of value) {
      if (!first) sink.push(',')
      first = false
      // Items without lists of their own (every row of a long list) are written without an
      // await each: a promise per row is garbage, and garbage is what grows the heap.
      if (holdsLazyList(item)) await emit(item, sink)
      else sink.push(JSON.stringify(item) ?? 'null')
      if (sink.full) await sink.flush()
    }
    sink.push(']')
  } else if (holdsLazyList(value)) {
    sink.push('{')
    let first = true
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue
      sink.push(`${first ? '' : ','}${JSON.stringify(key)}:`)
      first = false
      await emit(item, sink)
    }
    sink.push('}')
  } else {
    sink.push(JSON.stringify(value) ?? 'null')
  }
}

/**
 * Writes `value` as JSON to `out` (without ending it). The last piece is written without waiting
 * for it to drain, so the caller's `end()` follows in the same turn: an HTTP answer then leaves
 * in one packet with its last chunk, not in two an event-loop turn apart.
 * @throws ClientGoneError when `out` closes first; errors from a lazy list pass through
 */
export const writeJson = async (out: Writable, value: unknown): Promise<void> => {
  const sink = new Sink(out)
  await emit(value, sink)
  sink.write()
}
