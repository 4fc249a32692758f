/**
 * The controller's side of the load generator: a few worker processes,
 * each holding a share of the members (member i lives in worker i mod W,
 * so the first S members, the senders, are spread over the workers).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ConnectReply, ProgressReply, ReportReply, StepReply, StepRequest, WorkerReply, WorkerRequest } from './ipc.js'
import type { Endpoint } from './target.js'

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url))
/** Longest a worker may take to close its members and exit. */
const EXIT_WAIT_MS = 15_000

type Pending = { resolve: (reply: WorkerReply) => void, reject: (err: Error) => void }
type Request<T extends WorkerRequest> = T extends unknown ? Omit<T, 'id'> : never

/** One worker process and its pending requests. */
class WorkerProcess {
  readonly child: ChildProcess
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private exited: string | undefined

  constructor (nodeArgs: string[]) {
    this.child = fork(WORKER, [], { serialization: 'advanced', execArgv: nodeArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id)
      if (p === undefined) return
      this.pending.delete(reply.id)
      if (reply.type === 'error') p.reject(new Error(`worker ${this.child.pid}: ${reply.message}`))
      else p.resolve(reply)
    })
    this.child.on('exit', (code, signal) => {
      this.exited = `worker ${this.child.pid} exited (${signal ?? code})`
      for (const p of this.pending.values()) p.reject(new Error(this.exited))
      this.pending.clear()
    })
  }

  request<R extends WorkerReply> (message: Request<WorkerRequest>): Promise<R> {
    if (this.exited !== undefined) return Promise.reject(new Error(this.exited))
    const id = this.nextId++
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: WorkerReply) => void, reject })
      this.child.send({ ...message, id })
    })
  }

  async stop (): Promise<void> {
    if (this.exited !== undefined) return
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_WAIT_MS)
    await this.request({ type: 'close' }).catch(() => {})
    await gone
    clearTimeout(timer)
  }
}

/** Sums of the workers' progress. */
export interface FleetProgress { received: number, seen: number, joins: number, live: number }

/** The load generator's worker processes. */
export class Fleet {
  readonly workers: WorkerProcess[]

  private constructor (workers: WorkerProcess[]) {
    this.workers = workers
  }

  /** Start `count` workers (`nodeArgs` for each, e.g. --cpu-prof). */
  static start (count: number, nodeArgs: string[] = []): Fleet {
    return new Fleet(Array.from({ length: count }, () => new WorkerProcess(nodeArgs)))
  }

  /** Process ids of the workers. */
  get pids (): number[] {
    return this.workers.map((w) => w.child.pid!)
  }

  /** Connect members 0..count-1, each worker `concurrency` at a time; resolves when each joined or failed. */
  async connect (endpoint: Endpoint, count: number, concurrency: number): Promise<{ joined: number, failed: number, errors: string[] }> {
    const replies = await Promise.all(this.workers.map((w, k) => w.request<ConnectReply>({
      type: 'connect', endpoint, concurrency, members: range(count).filter((i) => i % this.workers.length === k)
    })))
    return {
      joined: sum(replies.map((r) => r.joined)),
      failed: sum(replies.map((r) => r.failed)),
      errors: replies.flatMap((r) => r.errors)
    }
  }

  async progress (): Promise<FleetProgress> {
    const replies = await Promise.all(this.workers.map((w) => w.request<ProgressReply>({ type: 'progress' })))
    return {
      received: sum(replies.map((r) => r.received)),
      seen: sum(replies.map((r) => r.seen)),
      joins: sum(replies.map((r) => r.joins)),
      live: sum(replies.map((r) => r.live))
    }
  }

  /** Run a step on every worker; resolves when all have sent. */
  step (request: Omit<StepRequest, 'id' | 'type'>): Promise<StepReply[]> {
    return Promise.all(this.workers.map((w) => w.request<StepReply>({ type: 'step', ...request })))
  }

  report (): Promise<ReportReply[]> {
    return Promise.all(this.workers.map((w) => w.request<ReportReply>({ type: 'report' })))
  }

  /** Close every member cleanly and stop the workers. */
  async stop (): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()))
  }
}

function range (n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

export function sum (values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}
