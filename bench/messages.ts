/** The messages between the bench's parent process and its two workers (IPC). */
import type { Workload } from './config.js'
import type { FigureName } from './figures.js'
import type { ImplContext, ImplName } from './impls/impl.js'

/** Memory of the server process at one moment, after forced GC. */
export interface MemorySnapshot {
  rss: number
  /** V8 heap committed: grows under allocation pressure, shrinks only when V8's memory reducer runs. */
  heapTotal: number
  heapUsed: number
  external: number
  /** V8's young generation (new space) committed: grown by a burst's survivors, shrunk only by the memory reducer. */
  newSpace: number
}

export type ToWorker =
  | { type: 'start', role: 'server' | 'client', impl: ImplName, figure: FigureName, workload: Workload, ctx: ImplContext, port?: number }
  /** idle, server: measure memory once every warm-up connection has closed. */
  | { type: 'baseline' }
  /** idle, client: open the idle connections now. */
  | { type: 'go' }
  /** idle, server: measure memory once `count` connections are established. */
  | { type: 'measure', count: number }
  /** idle, server: measure again after `ms` of idleness. */
  | { type: 'settle', ms: number }
  /** server: say how many handshakes completed and failed. */
  | { type: 'stats' }
  | { type: 'exit' }

export type FromWorker =
  | { type: 'listening', port: number }
  /** cpu: bulk and small, the client's CPU seconds (user + system) in the timed window. */
  | { type: 'result', value: number, elapsedMs: number, cpu?: number }
  /** idle, client: warm-up connections done and closed. */
  | { type: 'warm' }
  /** idle, client: this many idle connections are established. */
  | { type: 'opened', count: number }
  /** idle, server: memory after gc(), and (baseline and right after open) after memory-reducing GCs too. */
  | { type: 'memory', memory: MemorySnapshot, reduced?: MemorySnapshot }
  | { type: 'stats', accepted: number, failed: number, firstFailure: string | null }
  | { type: 'error', message: string, stack: string }

export type MessageOf<M extends { type: string }, T extends M['type']> = Extract<M, { type: T }>
