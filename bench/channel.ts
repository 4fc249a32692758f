/**
 * A typed, queued view of an IPC peer: `next('type')` resolves with the next
 * message of that type (messages that arrive early wait in a queue). An
 * 'error' message, the peer's exit or a deadline rejects what is pending.
 */
import type { ChildProcess } from 'node:child_process'

interface Peer {
  send?: (message: any) => boolean
  on (event: 'message', listener: (message: unknown) => void): unknown
}

interface Waiter {
  type: string
  resolve: (message: any) => void
  reject: (err: Error) => void
}

export class Channel<In extends { type: string }, Out> {
  private readonly queue: In[] = []
  private readonly waiters: Waiter[] = []
  private failure: Error | null = null

  constructor (private readonly peer: Peer, private readonly name: string) {
    peer.on('message', (message) => this.receive(message as In))
  }

  /** Send a message; a peer that has gone away is ignored (its exit is reported separately). */
  send (message: Out): void {
    try {
      this.peer.send?.(message)
    } catch {}
  }

  /** The next message of type `type`; rejects on the peer's error or exit, or after `timeoutMs`. */
  next<T extends In['type']> (type: T, timeoutMs = 0): Promise<Extract<In, { type: T }>> {
    const queued = this.queue.findIndex((m) => m.type === type)
    if (queued >= 0) return Promise.resolve(this.queue.splice(queued, 1)[0] as Extract<In, { type: T }>)
    if (this.failure !== null) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { type, resolve, reject }
      this.waiters.push(waiter)
      if (timeoutMs > 0) {
        const timer = setTimeout(() => this.drop(waiter, new Error(`${this.name}: no '${type}' within ${timeoutMs / 1000} s`)), timeoutMs)
        const settle = waiter.resolve
        waiter.resolve = (m) => { clearTimeout(timer); settle(m) }
        const fail = waiter.reject
        waiter.reject = (e) => { clearTimeout(timer); fail(e) }
      }
    })
  }

  /** A promise that never resolves and rejects when the channel fails (for races). */
  failed (): Promise<never> {
    if (this.failure !== null) return Promise.reject(this.failure)
    return new Promise((_resolve, reject) => {
      this.waiters.push({ type: '', resolve: () => {}, reject })
    })
  }

  /** Fail everything pending and anything asked later. */
  fail (err: Error): void {
    if (this.failure === null) this.failure = err
    for (const w of this.waiters.splice(0)) w.reject(err)
  }

  private receive (message: In): void {
    if (message.type === 'error') {
      const m = message as unknown as { message: string, stack: string }
      const err = new Error(`${this.name}: ${m.message}`)
      err.stack = `${err.message}\n--- in ${this.name} ---\n${m.stack}`
      this.fail(err)
      return
    }
    const i = this.waiters.findIndex((w) => w.type === message.type)
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(message)
    else this.queue.push(message)
  }

  private drop (waiter: Waiter, err: Error): void {
    const i = this.waiters.indexOf(waiter)
    if (i >= 0) this.waiters.splice(i, 1)
    waiter.reject(err)
  }
}

/**
 * A channel to a forked child that fails when the child is gone: on 'close',
 * which comes after its last IPC message was delivered (an error it sent
 * just before exiting is reported, not lost to the race with 'exit').
 */
export function childChannel<In extends { type: string }, Out> (child: ChildProcess, name: string): Channel<In, Out> {
  const channel = new Channel<In, Out>(child, name)
  child.on('close', (code, signal) => channel.fail(new Error(`${name} exited (${signal ?? code})`)))
  child.on('error', (err) => channel.fail(err))
  return channel
}
