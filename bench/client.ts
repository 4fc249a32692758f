/**
 * The initiator side of every figure, and the clock: it times bulk and small
 * from the first write to the server's acknowledgement of the last byte,
 * and handshakes from the first connect to the last close.
 */
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Workload } from './config.js'
import type { FigureName } from './figures.js'
import { eventOrError, type BenchStream, type Impl } from './impls/impl.js'
import type { ParentChannel } from './worker.js'
import { streamedBytes, warmupCount } from './util.js'

/** Idle connections are opened this many at a time (like the concurrent handshakes). */
const IDLE_OPEN_CONCURRENCY = 64

interface Connection { s: BenchStream, raw: net.Socket }

export async function runClient (impl: Impl, fig: FigureName, workload: Workload, port: number, parent: ParentChannel): Promise<void> {
  if (fig === 'bulk' || fig === 'small') {
    const chunkBytes = fig === 'bulk' ? workload.bulkChunk : workload.smallSize
    const { elapsedMs, cpu } = await timeStream(impl, port, streamedBytes(fig, workload), chunkBytes)
    const value = fig === 'bulk'
      ? workload.bulkBytes / 1e6 / (elapsedMs / 1000)
      : workload.smallCount / (elapsedMs / 1000)
    parent.send({ type: 'result', value, elapsedMs, cpu })
  } else if (fig === 'handshakes' || fig === 'sequential') {
    const count = fig === 'handshakes' ? workload.handshakes : workload.sequential
    const concurrency = fig === 'handshakes' ? workload.concurrency : 1
    await handshakeMany(impl, port, warmupCount(count), concurrency)
    const t0 = performance.now()
    await handshakeMany(impl, port, count, concurrency)
    const elapsedMs = performance.now() - t0
    parent.send({ type: 'result', value: count / (elapsedMs / 1000), elapsedMs })
  } else {
    await holdIdle(impl, port, workload.idle, parent)
  }
}

/** TCP connect, then the implementation's handshake (initiator side). */
async function dial (impl: Impl, port: number): Promise<Connection> {
  const raw = net.connect({ host: '127.0.0.1', port, noDelay: true })
  try {
    await eventOrError(raw, 'connect')
    raw.on('error', () => {}) // from here on the wrapping stream reports failures
    const { stream, opened } = impl.connect(raw)
    stream.on('error', () => {}) // callers add their own; this one keeps the worker alive meanwhile
    await opened
    return { s: stream, raw }
  } catch (err) {
    raw.destroy()
    throw err
  }
}

/** Send `total` bytes in writes of `chunkBytes`, honouring backpressure; ms until the server's ACK, and the CPU seconds this process spent meanwhile. */
async function timeStream (impl: Impl, port: number, total: number, chunkBytes: number): Promise<{ elapsedMs: number, cpu: number }> {
  const { s } = await dial(impl, port)
  const acked = new Promise<void>((resolve, reject) => {
    s.on('data', () => resolve())
    s.on('error', reject)
    s.on('close', () => reject(new Error('the stream closed before the server acknowledged the last byte')))
  })
  acked.catch(() => {}) // observed below; a failure mid-pump must not go unhandled
  const chunk = Buffer.alloc(chunkBytes, 0x61)
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  let left = total
  while (left > 0) {
    const piece = left >= chunkBytes ? chunk : chunk.subarray(0, left)
    left -= piece.byteLength
    if (!s.write(piece)) await eventOrError(s, 'drain')
  }
  await acked
  const elapsed = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  s.destroy()
  return { elapsedMs: elapsed, cpu: (cpu.user + cpu.system) / 1e6 }
}

/** `count` full connections (connect, handshake, both ends END, close), `concurrency` at a time. */
async function handshakeMany (impl: Impl, port: number, count: number, concurrency: number): Promise<void> {
  let started = 0
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++
      await connectAndClose(impl, port)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane))
}

/**
 * One connection: our END goes out at once; 'close' comes after the
 * server's END, which it sends only once its own handshake is complete, so
 * both ends' handshake work is inside the time.
 */
async function connectAndClose (impl: Impl, port: number): Promise<void> {
  const { s, raw } = await dial(impl, port)
  const closed = eventOrError(s, 'close')
  s.resume()
  s.end()
  await closed
  raw.destroy()
}

/** Warm up, then open `count` connections and keep them until the parent says exit. */
async function holdIdle (impl: Impl, port: number, count: number, parent: ParentChannel): Promise<void> {
  await handshakeMany(impl, port, warmupCount(count), 8)
  parent.send({ type: 'warm' })
  await parent.next('go')
  const held: Connection[] = []
  let started = 0
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++
      const c = await dial(impl, port)
      c.s.on('error', (err: Error) => parent.send({ type: 'error', message: `idle connection failed: ${err.message}`, stack: err.stack ?? '' }))
      held.push(c)
    }
  }
  await Promise.all(Array.from({ length: Math.min(IDLE_OPEN_CONCURRENCY, count) }, lane))
  parent.send({ type: 'opened', count: held.length })
}
