/**
 * The one interface every benchmarked implementation fits behind. Both ends
 * get a connected net.Socket from the harness (so TCP set-up is identical
 * for all four) and turn it into a secure byte stream; the promise resolves
 * when that end's handshake is complete. Adding an implementation is one
 * object and one line in impls/index.ts.
 */
import type { Socket } from 'node:net'
import type { FigureName } from '../figures.js'

/** Every name --impl accepts, in table order, even before an implementation is available. */
export const IMPL_NAMES = ['tcp', 'tls', 'tls-aes', 'secret-stream', 'naive', 'ours'] as const

export type ImplName = typeof IMPL_NAMES[number]

/** What the harness needs of a stream: Node streams and streamx both fit. */
export interface BenchStream {
  write (data: Buffer): boolean
  end (data?: any): unknown
  destroy (err?: Error): unknown
  resume (): unknown
  on (event: string, listener: (...args: any[]) => void): unknown
  once (event: string, listener: (...args: any[]) => void): unknown
  removeListener (event: string, listener: (...args: any[]) => void): unknown
}

/** Per-process material an implementation may need (the TLS certificate). */
export interface ImplContext {
  keyPem: string
  certPem: string
}

/**
 * One end of a connection under test. The stream is handed over at once so
 * the harness can attach its listeners before anything can fire: a streamx
 * stream emits 'end' as soon as the peer's end is processed, reader or not.
 */
export interface Session {
  stream: BenchStream
  /** Resolves when this end's handshake is complete; rejects if it fails. */
  opened: Promise<void>
}

/** A benchmarked implementation. */
export interface Impl {
  readonly name: ImplName
  /** Human name for tables. */
  readonly label: string
  /** One-time set-up in a worker (key pairs, secure contexts). */
  prepare (ctx: ImplContext): void
  /** Responder: wrap an accepted socket. */
  accept (raw: Socket): Session
  /** Initiator: wrap a connected socket. */
  connect (raw: Socket): Session
  /** A line for RESULTS.md saying what is measured. */
  describe (): string
  /** The figures it takes part in; all when absent. */
  readonly figures?: readonly FigureName[]
}

/** Resolve when `event` fires on `emitter`, reject on its 'error' or an early 'close'. */
export function eventOrError (emitter: BenchStream, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      emitter.removeListener(event, onEvent)
      emitter.removeListener('error', onError)
      emitter.removeListener('close', onClose)
    }
    const onEvent = (): void => { cleanup(); resolve() }
    const onError = (err: Error): void => { cleanup(); reject(err) }
    const onClose = (): void => { cleanup(); reject(new Error(`closed before '${event}'`)) }
    emitter.on(event, onEvent)
    emitter.on('error', onError)
    if (event !== 'close') emitter.on('close', onClose)
  })
}

/** A session whose `opened` never counts as an unhandled rejection before the harness awaits it. */
export function session (stream: BenchStream, opened: Promise<unknown>): Session {
  const done = opened.then(() => {})
  done.catch(() => {})
  return { stream, opened: done }
}
