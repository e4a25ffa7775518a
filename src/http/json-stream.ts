/**
 * @module http/json-stream
 * Writes an action's result as JSON without building the whole text: lazy lists (any
 * non-array iterable) are written item by item, in chunks, waiting when the client is slow
 * and yielding to other requests between chunks.
 */
import type { Writable } from 'node:stream'

const CHUNK = 16 * 1024

const isLazyList = (v: unknown): v is Iterable<unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Symbol.iterator in v

/** Whether `v` is a lazy list or holds one at any depth, in an object or an array. */
const holdsLazyList = (v: unknown): v is object =>
  typeof v === 'object' && v !== null && (isLazyList(v) || Object.values(v).some(holdsLazyList))

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

  /** Writes what is buffered once it is large enough (or always, with `force`). */
  async flush (force = false): Promise<void> {
    if (!force && this.size < CHUNK) return
    const text = this.parts.join('')
    this.parts = []
    this.size = 0
    if (this.out.destroyed) throw new ClientGoneError('client went away')
    const ok = this.out.write(text)
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
      sink.push(first ? '' : ',')
      first = false
      await emit(item, sink)
      await sink.flush()
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
 * Writes `value` as JSON to `out` (without ending it).
 * @throws ClientGoneError when `out` closes first; errors from a lazy list pass through
 */
export const writeJson = async (out: Writable, value: unknown): Promise<void> => {
  const sink = new Sink(out)
  await emit(value, sink)
  await sink.flush(true)
}
