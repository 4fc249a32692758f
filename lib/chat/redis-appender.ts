import type { Redis } from 'ioredis'
import { REDIS_BATCH_MAX_BYTES, REDIS_LINGER_MS } from '../constants.js'
import { BatchWriter } from './redis-batch.js'

/**
 * A node's writing end of the room's stream. What the node appends between
 * two XADDs becomes one stream entry (a batch, lib/chat/redis-batch.ts; several
 * past REDIS_BATCH_MAX_BYTES):
 * at most one XADD is in flight, and XADDs are at least REDIS_LINGER_MS
 * apart: what comes meanwhile waits for the next entry. So a busy node
 * sends one command per few milliseconds however many lines its members
 * say, and a quiet one sends a line at the end of the turn it was said in.
 *
 * Each entry carries the node's id (`n`) and a sequence number (`s`), one
 * higher per entry: the client library resends an XADD that was in flight
 * when Redis went away, and the readers drop the copy by its number. One
 * XADD at a time also keeps the entries in the order they were made across
 * a reconnect.
 */
export class StreamAppender {
  private readonly redis: Redis
  private readonly stream: string
  private readonly nodeId: string
  private readonly maxEntries: string
  private readonly writer = new BatchWriter()
  /** Batches sealed and not sent yet, in order. */
  private sealed: Array<{ seq: number, body: Buffer }> = []
  private seq = 0
  private scheduled = false
  private inFlight = false
  /** When the last XADD was sent (performance.now()). */
  private sentAt = -Infinity
  private waiters: Array<() => void> = []
  private readonly send = (): void => this.sendNow()

  constructor (redis: Redis, stream: string, nodeId: string, maxEntries: number) {
    this.redis = redis
    this.stream = stream
    this.nodeId = nodeId
    this.maxEntries = String(maxEntries)
  }

  /** Append a line for the whole room; returns the sequence number of the entry it goes out in. */
  line (line: Buffer): number {
    const seq = this.open()
    this.writer.line(line)
    return this.wrote(seq)
  }

  /** Append a change of shared state (JSON); returns its entry's sequence number. */
  event (json: string): number {
    const seq = this.open()
    this.writer.event(json)
    return this.wrote(seq)
  }

  /** Append a line for one member (with the member to /reply to); returns its entry's sequence number. */
  unicast (to: string, replyRef: string | undefined, line: Buffer): number {
    const seq = this.open()
    this.writer.unicast(to, replyRef, line)
    return this.wrote(seq)
  }

  /** Resolves once everything appended so far has been answered by Redis (or failed). */
  async drained (): Promise<void> {
    if (!this.inFlight && !this.scheduled && this.writer.count === 0 && this.sealed.length === 0) return
    await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  /** The sequence number of the entry being filled, opened if none is. */
  private open (): number {
    if (this.writer.count === 0) this.seq++
    return this.seq
  }

  private wrote (seq: number): number {
    // A batch that grew past the bound goes as it is; the next item opens another.
    if (this.writer.length >= REDIS_BATCH_MAX_BYTES) this.seal()
    this.schedule()
    return seq
  }

  private seal (): void {
    if (this.writer.count === 0) return
    this.sealed.push({ seq: this.seq, body: this.writer.bytes() })
  }

  private schedule (): void {
    if (this.scheduled || this.inFlight) return
    this.scheduled = true
    const wait = this.sentAt + REDIS_LINGER_MS - performance.now()
    if (wait > 0) setTimeout(this.send, wait)
    else setImmediate(this.send)
  }

  private sendNow (): void {
    this.scheduled = false
    this.seal()
    const batches = this.sealed
    if (batches.length === 0) return this.settle()
    this.sealed = []
    this.inFlight = true
    this.sentAt = performance.now()
    // Several batches (a busy turn, or what waited for Redis) leave in one write: ioredis pipelines one tick's commands.
    const writes = batches.map(async (b) => await this.redis.xadd(this.stream, 'MAXLEN', '~', this.maxEntries, '*', 'n', this.nodeId, 's', String(b.seq), 'b', b.body).catch(() => null))
    void Promise.all(writes).then(() => {
      this.inFlight = false
      if (this.writer.count > 0 || this.sealed.length > 0) return this.schedule()
      this.settle()
    })
  }

  private settle (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }
}
