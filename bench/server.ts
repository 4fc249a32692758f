/**
 * The responder side of every figure. It accepts on 127.0.0.1, completes
 * each handshake through the implementation under test, and then does what
 * the figure needs: count bytes and acknowledge the last, end at once, or
 * hold the connection idle while the parent reads its memory.
 */
import { Session } from 'node:inspector/promises'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Workload } from './config.js'
import type { FigureName } from './figures.js'
import type { BenchStream, Impl } from './impls/impl.js'
import { memoryAfterGc, memoryAfterReducingGc } from './memory.js'
import type { ParentChannel } from './worker.js'
import { streamedBytes, until } from './util.js'

/** The byte the server sends back when the last byte of a stream figure arrived. */
export const ACK = Buffer.from([0x06])

interface ServerState {
  /** Raw sockets not yet closed. */
  live: number
  /** Secure sessions established and not yet closed. */
  sessions: number
  accepted: number
  failed: number
  firstFailure: string | null
}

export async function runServer (impl: Impl, fig: FigureName, workload: Workload, parent: ParentChannel): Promise<void> {
  const state: ServerState = { live: 0, sessions: 0, accepted: 0, failed: 0, firstFailure: null }
  const handle = sessionHandler(fig, workload, parent)
  const server = net.createServer({ noDelay: true }, (raw) => {
    state.live++
    raw.on('error', () => {}) // resets at close time are not the figure's business
    raw.on('close', () => { state.live-- })
    const { stream, opened } = impl.accept(raw)
    const onOpen = handle(stream) // listeners first: nothing may fire unheard
    let established = false
    stream.on('close', () => {
      if (established) state.sessions--
      raw.destroy()
    })
    opened.then(() => {
      established = true
      state.accepted++
      state.sessions++
      onOpen()
    }, (err: Error) => {
      state.failed++
      state.firstFailure ??= err.message
      raw.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  parent.send({ type: 'listening', port: (server.address() as net.AddressInfo).port })
  serveRequests(state, parent).catch(() => {}) // ends when the parent says exit
}

/**
 * Per figure: attach the session's listeners at once, and return what to
 * do when the handshake completes.
 */
function sessionHandler (fig: FigureName, workload: Workload, parent: ParentChannel): (s: BenchStream) => () => void {
  if (fig === 'bulk' || fig === 'small') {
    const total = streamedBytes(fig, workload)
    return (s) => {
      let received = 0
      let acked = false
      s.on('error', (err: Error) => { if (!acked) parent.send({ type: 'error', message: `server stream: ${err.message}`, stack: err.stack ?? '' }) })
      s.on('data', (data: Buffer) => {
        received += data.byteLength
        if (received >= total && !acked) {
          acked = true
          s.write(ACK)
        }
      })
      return () => {}
    }
  }
  if (fig === 'idle') {
    return (s) => {
      s.on('error', () => {})
      s.on('end', () => s.end()) // the warm-up connections close; a half-close needs our end too
      s.resume()
      return () => {}
    }
  }
  // handshakes and sequential: the handshake is all; end our side once it is complete.
  return (s) => {
    s.on('error', () => {})
    s.resume()
    return () => { s.end() }
  }
}

/** Answer the parent's idle-memory and stats requests. */
async function serveRequests (state: ServerState, parent: ParentChannel): Promise<void> {
  const requests = [
    (async () => {
      await parent.next('baseline')
      await until(() => state.live === 0 && state.sessions === 0)
      const inspector = new Session() // connected before the baseline, so both readings hold its cost
      inspector.connect()
      parent.send({ type: 'memory', memory: await memoryAfterGc(), reduced: await memoryAfterReducingGc(inspector) })
      const { count } = await parent.next('measure')
      await until(() => state.sessions >= count)
      // gc() first: the memory-reducing GC would leave it nothing to show.
      parent.send({ type: 'memory', memory: await memoryAfterGc(), reduced: await memoryAfterReducingGc(inspector) })
      const { ms } = await parent.next('settle')
      await sleep(ms)
      parent.send({ type: 'memory', memory: await memoryAfterGc() })
    })(),
    (async () => {
      await parent.next('stats')
      parent.send({ type: 'stats', accepted: state.accepted, failed: state.failed, firstFailure: state.firstFailure })
    })()
  ]
  await Promise.all(requests)
}
