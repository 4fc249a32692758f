import { EventEmitter } from 'node:events'
import {
  CHAT_IDLE_TIMEOUT_MS, CHAT_KEEP_ALIVE_MS, HANDSHAKE_TIMEOUT_MS, MAX_SERVER_LINE_BYTES,
  RECONNECT_INITIAL_MS, RECONNECT_MAX_MS, TOOL_CONNECT_TIMEOUT_MS
} from '../constants.js'
import type { KeyPair } from '../secure/keypair.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { SecureStream } from '../secure/secure-stream.js'
import { connectTcp } from '../net/connect.js'
import { watchTextPeer } from '../net/text-peer.js'
import { LineSplitter } from './line-splitter.js'
import { PacedSender } from './paced-sender.js'
import { sanitizeText } from './sanitize.js'

/** Where and as whom to connect. */
export interface ChatClientOptions {
  host: string
  port: number
  keyPair: KeyPair
  /** Decides about the server's key (a host key verifier: pin, known hosts, ask). */
  verify: VerifyRemoteKey
  /** Sent as `/nick NICK`, the first line, so the member joins under it. */
  nick?: string | undefined
  /** Timers in ms (defaults: the tools' connect timeout, the spec's handshake timeout, the chat's keep-alive and idle timeout). */
  connectTimeout?: number
  handshakeTimeout?: number
  keepAlive?: number
  idleTimeout?: number
  /** Send lines at the pace the server states in its welcome (piped input), instead of at once. */
  pace?: boolean
}

/**
 * One chat connection: a secure stream (initiator) carrying lines. Every
 * line from the server is cleaned again (no escapes, no controls) before
 * it is emitted, whatever the server sends.
 *
 * Events: 'line' (string) for each line from the server; 'end' when the
 * server sent END (answered at once with ours). `done` settles when the stream has closed: resolved
 * after END both ways, rejected with the stream's error otherwise.
 */
export class ChatConnection extends EventEmitter {
  readonly stream: SecureStream
  readonly done: Promise<void>
  /** The server sent its END (a clean close on its side). */
  serverEnded = false
  private ended = false
  private readonly splitter = new LineSplitter(MAX_SERVER_LINE_BYTES)
  /** Set when pacing: lines wait in it for the server's rate. */
  private readonly paced: PacedSender | undefined

  constructor (stream: SecureStream, options: { pace?: boolean } = {}) {
    super()
    this.stream = stream
    if (options.pace === true) {
      this.paced = new PacedSender((line) => { if (!this.stream.destroying) this.stream.write(Buffer.from(line + '\n')) })
      this.paced.on('sent', () => this.emit('sent'))
      stream.once('close', () => this.paced?.stop())
    }
    stream.on('data', (data: unknown) => this.deliver(this.splitter.push(data as Buffer)))
    stream.on('end', () => {
      this.deliver(this.splitter.end())
      this.serverEnded = true
      this.emit('end')
      // The server has finished with us: answer its END with ours so the connection can close (what is queued will not go).
      this.paced?.stop()
      this.end()
    })
    this.done = new Promise((resolve, reject) => {
      let failure: Error | undefined
      stream.on('error', (err: Error) => { failure = err })
      stream.on('close', () => failure === undefined ? resolve() : reject(failure))
    })
    this.done.catch(() => {})
  }

  /** The server's public key (after the handshake). */
  get serverKey (): Buffer | null {
    return this.stream.remotePublicKey
  }

  /** Send one line, as typed (newlines in it end the line early; the server splits on them). */
  sendLine (text: string): void {
    if (this.ended || this.stream.destroying) return
    const line = text.replace(/[\r\n]+/g, ' ')
    if (this.paced !== undefined) return this.paced.send(line)
    this.stream.write(Buffer.from(line + '\n'))
  }

  /** Lines waiting for the server's rate (pacing only); 'sent' is emitted as each goes. */
  get queuedLines (): number {
    return this.paced?.queued ?? 0
  }

  /** Send END (once): we will send nothing more (when pacing, once the queued lines went). The server answers with its own. */
  end (): void {
    if (this.ended || this.stream.destroying) return
    this.ended = true
    const paced = this.paced
    if (paced === undefined || paced.queued === 0) return void this.stream.end()
    paced.once('drain', () => { if (!this.stream.destroying) this.stream.end() })
  }

  /** True once we sent END. */
  get ending (): boolean {
    return this.ended
  }

  /** Give up at once, telling the server `reason` in an ABORT. */
  abort (reason: string): void {
    if (!this.stream.destroying) this.stream.destroy(new Error(reason))
  }

  private deliver (events: ReturnType<LineSplitter['push']>): void {
    for (const event of events) {
      if (event.type === 'line') {
        const line = sanitizeText(event.text)
        this.paced?.serverLine(line)
        this.emit('line', line)
      }
      else this.emit('line', `! a line from the server was longer than ${event.limit} bytes and was dropped`)
    }
  }
}

/**
 * Connect, run the handshake (the server's key checked by `verify`) and
 * send the nick line. Resolves once the handshake is done; a refusal of
 * our key by the server arrives just after, as the connection's error
 * (ERR_LOCAL_KEY_REJECTED, with the server's reason).
 */
export async function connectChat (options: ChatClientOptions): Promise<ChatConnection> {
  const socket = await connectTcp({ host: options.host, port: options.port }, options.connectTimeout ?? TOOL_CONNECT_TIMEOUT_MS)
  // An HTTP or SSH server (say) answers in text: say so at once rather than time out.
  const textPeer = watchTextPeer(socket, (err) => stream.destroy(err))
  const stream = new SecureStream(true, socket, {
    keyPair: options.keyPair,
    verify: options.verify,
    handshakeTimeout: options.handshakeTimeout ?? HANDSHAKE_TIMEOUT_MS,
    keepAlive: options.keepAlive ?? CHAT_KEEP_ALIVE_MS,
    idleTimeout: options.idleTimeout ?? CHAT_IDLE_TIMEOUT_MS
  })
  const connection = new ChatConnection(stream, { pace: options.pace })
  // Written now, sent right after the handshake: the server joins us under this nick.
  if (options.nick !== undefined) connection.sendLine(`/nick ${options.nick}`)
  try {
    await stream.opened
  } catch (err) {
    throw textPeer.error ?? err
  }
  return connection
}

/** Error codes that mean the network, not a person, ended the connection: worth reconnecting. */
const CONNECTION_LOSS_CODES = new Set([
  'ERR_TRUNCATED', 'ERR_IDLE_TIMEOUT', 'ERR_HANDSHAKE_INCOMPLETE', 'ERR_HANDSHAKE_TIMEOUT', 'ERR_CONNECT_TIMEOUT',
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN'
])

/**
 * True when `err` is a lost connection (reset, truncated, timed out,
 * refused while the server restarts) rather than a decision: a server
 * that aborted us (kick, ban, flood), refused our key, or a server key
 * that no longer checks out are final.
 */
export function isConnectionLoss (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && CONNECTION_LOSS_CODES.has(code)
}

/** The wait before reconnect attempt `attempt` (0-based): doubling from the initial delay up to the maximum. */
export function reconnectDelay (attempt: number, initialMs = RECONNECT_INITIAL_MS, maxMs = RECONNECT_MAX_MS): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30))
}

/** Options of a reconnecting chat: the connection's, plus the backoff. */
export interface ReconnectingChatOptions extends ChatClientOptions {
  reconnectInitialMs?: number
  reconnectMaxMs?: number
  /** How to connect (tests pass their own); default connectChat. */
  connect?: (options: ChatClientOptions) => Promise<ChatConnection>
}

/**
 * A chat session that survives lost connections: after a loss it waits
 * (doubling backoff) and connects again, checking the server's key again
 * each time (the verify function runs on every handshake). It rejoins
 * under `nick`, which the caller keeps up to date.
 *
 * Events: 'line' (string); 'status' (string) for what the connection is
 * doing, shown to the user; 'close' (Error | null) once, at the end: null
 * after a clean END both ways.
 */
export class ReconnectingChat extends EventEmitter {
  nick: string | undefined
  private readonly options: ReconnectingChatOptions
  private current: ChatConnection | undefined
  private stopped = false
  private closed = false
  private timer: NodeJS.Timeout | undefined
  private wakeUp: (() => void) | undefined

  constructor (options: ReconnectingChatOptions) {
    super()
    this.options = options
    this.nick = options.nick
  }

  /** Connect the first time; rejects (and nothing else happens) when that fails. */
  async start (): Promise<void> {
    this.attach(await this.connectOnce())
  }

  /** True while a connection is up. */
  get connected (): boolean {
    return this.current !== undefined
  }

  /** Send a line; false when there is no connection right now. */
  sendLine (text: string): boolean {
    if (this.current === undefined) return false
    this.current.sendLine(text)
    return true
  }

  /** Leave: END to the server (or stop reconnecting). 'close' follows. */
  end (): void {
    if (this.stopped) return
    this.stopped = true
    if (this.current !== undefined) return this.current.end()
    clearTimeout(this.timer)
    this.wakeUp?.()
    this.finish(null)
  }

  private connectOnce (): Promise<ChatConnection> {
    const connect = this.options.connect ?? connectChat
    return connect({ ...this.options, nick: this.nick })
  }

  private attach (connection: ChatConnection): void {
    this.current = connection
    connection.on('line', (line: string) => this.emit('line', line))
    connection.done.then(() => this.onClosed(null), (err: Error) => this.onClosed(err))
  }

  private onClosed (err: Error | null): void {
    this.current = undefined
    if (err === null || this.stopped || !isConnectionLoss(err)) return this.finish(err)
    void this.reconnect(err)
  }

  private async reconnect (cause: Error): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const wait = reconnectDelay(attempt, this.options.reconnectInitialMs, this.options.reconnectMaxMs)
      const why = attempt === 0 ? `connection lost (${describe(cause)})` : `reconnect failed (${describe(cause)})`
      this.emit('status', `${why}; reconnecting in ${Math.round(wait / 100) / 10}s`)
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve
        this.timer = setTimeout(resolve, wait)
      })
      if (this.stopped) return
      try {
        const connection = await this.connectOnce()
        if (this.stopped) return connection.end()
        this.emit('status', 'reconnected')
        return this.attach(connection)
      } catch (err) {
        if (!isConnectionLoss(err)) return this.finish(err as Error)
        cause = err as Error
      }
    }
  }

  private finish (err: Error | null): void {
    this.stopped = true
    if (this.closed) return
    this.closed = true
    this.emit('close', err)
  }
}

function describe (err: Error): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : err.message
}
