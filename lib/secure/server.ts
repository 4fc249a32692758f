import { EventEmitter } from 'node:events'
import type net from 'node:net'
import {
  MAX_PENDING_HANDSHAKES, MAX_PENDING_HANDSHAKES_PER_ADDRESS, REFUSAL_LOG_INTERVAL_MS, SECURE_SERVER_MAX_CONNECTIONS
} from '../constants.js'
import { secureServerError, type SecureServerError } from '../errors.js'
import type { HostPort } from '../net/host-port.js'
import { TcpListener } from '../net/tcp-listener.js'
import { HandshakeGate, sourceOf } from './handshake-gate.js'
import { fingerprint, type KeyPair } from './keypair.js'
import type { SecureStreamOptions, VerifyInfo } from './options.js'
import { RefusalLog } from './refusal-log.js'
import { SecureStream } from './secure-stream.js'

/** A connection the server accepted, as its verify function and its 'stream' listeners see it. */
export interface AcceptedPeer {
  remote: HostPort
  /** What the per-source bounds count it under: its IPv4 address, or its IPv6 /64 (see sourceOf). */
  source: string
  socket: net.Socket
  stream: SecureStream
}

/**
 * Decides about a client's static key, as VerifyRemoteKey does, knowing
 * where the client comes from (for per-address rules). Only `true` accepts;
 * a thrown Error's message is sent to the client in the ABORT.
 */
export type VerifyClientKey = (remotePublicKey: Buffer, info: VerifyInfo, peer: AcceptedPeer) => boolean | undefined | void | Promise<boolean | undefined | void>

/** Options of a SecureServer. Absent bounds take the defaults of lib/constants.ts. */
export interface SecureServerOptions {
  /** The server's static key pair. */
  keyPair: KeyPair
  /** Decides about each client's key. */
  verify: VerifyClientKey
  prologue?: string | Uint8Array
  /** Secure stream timers of every accepted connection, in ms (the stream's defaults when absent). */
  handshakeTimeout?: number
  keepAlive?: number
  idleTimeout?: number
  /** Connections held at once, handshaking or open. When they are all open, a newcomer is refused; otherwise the oldest handshake is dropped for it. */
  maxConnections?: number
  /** Connections held at once from one source; 0 or absent: no limit. */
  maxConnectionsPerSource?: number
  /** Handshakes in progress at once: in all (past it the oldest is dropped), and from one source (past it newcomers are refused). */
  maxHandshakes?: number
  maxHandshakesPerSource?: number
  /** How often each kind of refusal may be logged (the 'log' event); the rest are counted into a summary. */
  refusalLogIntervalMs?: number
}

/** A connection whose handshake failed, was dropped, or whose key was refused; or one turned away at once. */
export interface AcceptFailure {
  remote: HostPort
  source: string
  /** The stream's error (ERR_HANDSHAKE_TIMEOUT, ERR_REMOTE_KEY_REJECTED with the verifier's error as cause, ...) or a SecureServerError. */
  error: Error
  /** The client's static key, when the handshake got as far as msg3. */
  remotePublicKey: Buffer | null
}

/** One line of the server's log: a refusal, or a summary of `count` refusals of one code held back by the rate limit. */
export interface SecureServerLogEvent {
  event: 'refused'
  remote: HostPort
  source: string
  code: string
  /** The reason, one line: for a refused key, the verifier's reason. */
  detail: string
  fingerprint?: string
  /** 1 for a refusal logged as it happened; N for a summary of N refusals like it in the last interval. */
  count: number
}

interface Held {
  socket: net.Socket
  source: string
  stream: SecureStream
  /** Still counted (against the total and its source); false once released. */
  counted: boolean
}

/**
 * The one hardened acceptor of every noise-chat server (the chat server,
 * `tunnel server`, `listen`): TCP connections, each run through the
 * responder's handshake, with bounds on what connections that never finish
 * may hold.
 *
 * - Handshakes in progress, per source and in all (the HandshakeGate): a
 *   source past its share is refused; past the total the oldest handshake
 *   of the busiest source is dropped, so a crowd of stalled ones never
 *   turns a newcomer away.
 * - Connections held, per source and in all: past the total, while any
 *   handshake is in progress one (chosen the same way) makes room; only a
 *   server full of open streams refuses.
 * - The handshake timeout of every stream (the stream's own timer).
 *
 * Events: 'stream' (SecureStream, net.Socket, AcceptedPeer) once a
 * handshake completed and the key was accepted; 'failure' (AcceptFailure)
 * for one that did not; 'refused' (AcceptFailure) for a connection turned
 * away before its handshake began; 'log' (SecureServerLogEvent) for both,
 * rate-limited per code (REFUSAL_LOG_INTERVAL_MS).
 */
export class SecureServer extends EventEmitter {
  readonly tcp: TcpListener
  readonly maxConnections: number
  readonly maxConnectionsPerSource: number
  private readonly options: SecureServerOptions
  private readonly gate: HandshakeGate<Held>
  private readonly held = new Set<Held>()
  private readonly perSource = new Map<string, number>()
  private readonly refusals: RefusalLog<Omit<SecureServerLogEvent, 'count'>>
  private accepting = true

  constructor (options: SecureServerOptions) {
    super()
    this.options = options
    this.maxConnections = Math.max(1, options.maxConnections ?? SECURE_SERVER_MAX_CONNECTIONS)
    this.maxConnectionsPerSource = options.maxConnectionsPerSource ?? 0
    this.gate = new HandshakeGate(
      Math.min(options.maxHandshakes ?? MAX_PENDING_HANDSHAKES, this.maxConnections),
      options.maxHandshakesPerSource ?? MAX_PENDING_HANDSHAKES_PER_ADDRESS
    )
    this.refusals = new RefusalLog(options.refusalLogIntervalMs ?? REFUSAL_LOG_INTERVAL_MS, (entry, count) => this.emit('log', { ...entry, count }))
    // The caps are ours (they evict as well as refuse); the listener only counts, for drain.
    this.tcp = new TcpListener({ maxConnections: Infinity })
    this.tcp.on('connection', (socket: net.Socket) => this.accept(socket))
  }

  /** Handshakes in all, and from one source, that may be in progress at once. */
  get maxHandshakes (): number {
    return this.gate.maxTotal
  }

  get maxHandshakesPerSource (): number {
    return this.gate.maxPerSource
  }

  /** Connections held now (handshaking or open). */
  get size (): number {
    return this.held.size
  }

  /** Handshakes in progress now. */
  get handshaking (): number {
    return this.gate.size
  }

  /** Start listening; resolves to the address bound (port 0 picks a free port). */
  listen (at: HostPort): Promise<HostPort> {
    return this.tcp.listen(at)
  }

  /**
   * Stop accepting and cut the handshakes still in progress (with `reason`,
   * sent in their ABORT; none: cancelled, and not reported); open streams
   * go on. Pending log summaries are written.
   */
  stopAccepting (reason?: Error): void {
    this.accepting = false
    this.tcp.stopAccepting()
    for (const h of this.gate.handshakes()) h.stream.destroy(reason)
    this.refusals.flush()
  }

  /** Stop accepting, let open connections finish for at most `timeoutMs`, then cut the rest; resolves to how many were cut. */
  async drain (timeoutMs: number): Promise<number> {
    this.stopAccepting()
    return this.tcp.drain(timeoutMs)
  }

  private accept (socket: net.Socket): void {
    const remote = { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 }
    const source = sourceOf(socket.remoteAddress)
    if (!this.accepting) return void socket.destroy()
    const refusal = this.admissionProblem(source)
    if (refusal !== undefined) return this.refuse(socket, remote, source, refusal)
    if (this.held.size >= this.maxConnections) this.makeRoom()

    const verify = this.options.verify
    const stream: SecureStream = new SecureStream(false, socket, this.streamOptions((key, info) => verify(key, info, { remote, source, socket, stream })))
    const held: Held = { socket, source, stream, counted: true }
    this.hold(held)
    stream.on('error', noop)
    stream.on('close', () => this.release(held)) // 'close' comes once: no once() wrapper to keep per connection
    const evicted = this.gate.add(held, source)
    evicted?.stream.destroy(secureServerError('ERR_TOO_MANY_HANDSHAKES', `dropped to make room: ${this.gate.maxTotal} handshakes were in progress`))
    stream.opened.then(() => {
      this.gate.release(held)
      if (!stream.destroying) this.emit('stream', stream, socket, { remote, source, socket, stream } satisfies AcceptedPeer)
    }, (error: Error) => {
      this.gate.release(held)
      // A handshake we cut ourselves without a reason (stopAccepting) is no one's failure.
      if ((error as { code?: string }).code === 'ERR_CANCELLED' && !this.accepting) return
      this.fail({ remote, source, error, remotePublicKey: stream.remotePublicKey })
    })
    socket.resume()
  }

  /** Why a connection from `source` may not even start its handshake, or undefined. */
  private admissionProblem (source: string): SecureServerError | undefined {
    if (!this.gate.admits(source)) {
      return secureServerError('ERR_TOO_MANY_HANDSHAKES', `${this.gate.maxPerSource} handshakes from ${source} already in progress`)
    }
    const fromSource = this.perSource.get(source) ?? 0
    if (this.maxConnectionsPerSource > 0 && fromSource >= this.maxConnectionsPerSource) {
      return secureServerError('ERR_TOO_MANY_CONNECTIONS', `${this.maxConnectionsPerSource} connections from ${source} already open`)
    }
    // Full of open streams: nothing to drop for a newcomer.
    if (this.held.size >= this.maxConnections && this.gate.size === 0) {
      return secureServerError('ERR_TOO_MANY_CONNECTIONS', `${this.maxConnections} connections already open`)
    }
    return undefined
  }

  /** The server holds its most connections and some are handshaking: drop one (the gate's choice) for the newcomer. */
  private makeRoom (): void {
    const oldest = this.gate.victim()
    if (oldest === undefined) return
    this.gate.release(oldest)
    this.release(oldest)
    oldest.stream.destroy(secureServerError('ERR_TOO_MANY_HANDSHAKES', `dropped to make room: ${this.maxConnections} connections were open`))
  }

  private refuse (socket: net.Socket, remote: HostPort, source: string, error: SecureServerError): void {
    socket.destroy()
    const failure: AcceptFailure = { remote, source, error, remotePublicKey: null }
    this.emit('refused', failure)
    this.logRefusal(failure)
  }

  private fail (failure: AcceptFailure): void {
    this.emit('failure', failure)
    this.logRefusal(failure)
  }

  private logRefusal (failure: AcceptFailure): void {
    const entry = refusalEntry(failure)
    this.refusals.add(entry.code, entry)
  }

  private streamOptions (verify: SecureStreamOptions['verify']): SecureStreamOptions {
    const { keyPair, prologue, handshakeTimeout, keepAlive, idleTimeout } = this.options
    return {
      keyPair,
      verify,
      ...(prologue !== undefined ? { prologue } : {}),
      ...(handshakeTimeout !== undefined ? { handshakeTimeout } : {}),
      ...(keepAlive !== undefined ? { keepAlive } : {}),
      ...(idleTimeout !== undefined ? { idleTimeout } : {})
    }
  }

  private hold (held: Held): void {
    this.held.add(held)
    this.perSource.set(held.source, (this.perSource.get(held.source) ?? 0) + 1)
  }

  /** The connection no longer counts (closed, or dropped to make room); calling twice is harmless. */
  private release (held: Held): void {
    if (!held.counted) return
    held.counted = false
    this.held.delete(held)
    const left = (this.perSource.get(held.source) ?? 1) - 1
    if (left > 0) this.perSource.set(held.source, left)
    else this.perSource.delete(held.source)
  }
}

/** A refusal or failure as one log entry (not rate-limited): its code, its reason in one line (for a refused key, the verifier's), the key's fingerprint when known. */
export function refusalEntry ({ remote, source, error, remotePublicKey }: AcceptFailure): Omit<SecureServerLogEvent, 'count'> {
  const code = (error as { code?: string }).code ?? 'error'
  const cause = (error as { cause?: unknown }).cause
  const reason = code === 'ERR_REMOTE_KEY_REJECTED' && cause instanceof Error ? cause.message : error.message
  const who = remotePublicKey === null ? {} : { fingerprint: fingerprint(remotePublicKey) }
  return { event: 'refused', remote, source, code, detail: firstLine(reason), ...who }
}

/** `detail (CODE)`, or for a summary `N more like this in the last S s, the last: detail (CODE)`: how the chat server and the tools write a refusal. */
export function describeRefusal (event: SecureServerLogEvent, intervalMs = REFUSAL_LOG_INTERVAL_MS): string {
  const line = `${event.detail} (${event.code})`
  return event.count === 1 ? line : `${event.count} more like this in the last ${intervalMs / 1000} s, the last: ${line}`
}

function firstLine (text: string): string {
  const i = text.indexOf('\n')
  return i === -1 ? text : text.slice(0, i)
}

function noop (): void {}
