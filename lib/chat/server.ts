import { EventEmitter } from 'node:events'
import type net from 'node:net'
import { join } from 'node:path'
import {
  ABORT_FLUSH_MS, BANS_FILE, CHAT_IDLE_TIMEOUT_MS, DEFAULT_HISTORY_LINES, HISTORY_FILE, CHAT_KEEP_ALIVE_MS, CHAT_SHUTDOWN_GRACE_MS, DEFAULT_MAX_CLIENTS,
  HANDSHAKE_TIMEOUT_MS, JOIN_NICK_WAIT_MS, MAX_LINE_BYTES, MAX_OUTBOUND_BYTES, MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_ADDRESS, NICK_REGISTRY_FILE
} from '../constants.js'
import { chatError, type ChatError } from '../errors.js'
import { isLoopback } from '../net/host-port.js'
import { fingerprint, type KeyPair } from '../secure/keypair.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import type { SecureStream } from '../secure/secure-stream.js'
import { refusalEntry, SecureServer, type AcceptFailure, type AcceptedPeer } from '../secure/server.js'
import { BanList, formatDuration } from './bans.js'
import { LocalFanOut, type FanOut, type MemberConnection } from './fan-out.js'
import { HistoryFile, type HistoryEntry } from './history-file.js'
import { LineSplitter } from './line-splitter.js'
import { NickRegistry, type Binding, type ReservedNick } from './nick-registry.js'
import type { RateLimitOptions } from './rate-limit.js'
import { Room, type Member, type RoomLogEvent, type RoomSync } from './room.js'
import { sanitizeText } from './sanitize.js'
import { Session } from './session.js'

/** Options of a chat server. */
export interface ChatServerOptions {
  /** The server's static key pair. */
  keyPair: KeyPair
  /** Decides about client keys before anything else (the authorized keys verifier); absent = any key. */
  verify?: VerifyRemoteKey
  /** Whether a key may use operator commands (asked each time, so reloads apply at once). */
  isOperator?: (publicKey: Buffer) => boolean
  /** Nicks reserved for keys (from authorized keys comments). */
  reserved?: ReservedNick[]
  /** Message of the day, one string per line. */
  motd?: string[]
  /** Messages replayed to joining members (default 20). */
  historyLines?: number
  /** Most members at once (default 1000). */
  maxClients?: number
  /** Each member's rate limit. */
  rate?: RateLimitOptions
  /** Where nicks and bans persist; absent = kept in memory only. */
  stateDir?: string
  /** Most nick bindings kept (default MAX_BOUND_NICKS); past it the least recently used one not online is evicted, and logged. */
  maxBoundNicks?: number
  /** Unsent output per member past which it is disconnected (default 256 KiB). */
  maxOutboundBytes?: number
  /** Secure stream timers, in ms (defaults: the chat's keep-alive and idle timeout, the spec's handshake timeout). */
  keepAlive?: number
  idleTimeout?: number
  handshakeTimeout?: number
  /** How long to wait for a first `/nick` line before joining a member under its default nick. */
  joinWait?: number
  /** How long a clean close waits for the member's END before cutting the connection. */
  closeGrace?: number
  /** Handshakes in progress at once: in all (past it the oldest is dropped), and from one address (past it new ones are refused). */
  maxPendingHandshakes?: number
  maxPendingHandshakesPerAddress?: number
  /** Most members from one address (an IPv6 /64); absent or 0: no limit (a NAT can put a whole office behind one address). */
  maxClientsPerAddress?: number
  /** When true, maxClientsPerAddress does not apply to loopback addresses (this machine's users, or a local proxy carrying many people). */
  perAddressSkipsLoopback?: boolean
  /** This server is one node of a room shared by several (lib/chat/redis-room.ts); absent = the room lives in this process. */
  shared?: SharedRoom
}

/**
 * A room shared by several servers, as one server sees it: delivery, the
 * shared nick registry and ban list (in place of the state directory's),
 * and the history (in place of the room's own).
 */
export interface SharedRoom {
  readonly fanOut: FanOut<Member>
  readonly sync: RoomSync
  readonly registry: NickRegistry
  readonly bans: BanList
  /** Start serving `room`: learn the members of the other servers and deliver the shared stream. */
  bind (room: Room): void
  /** Stop: after the room has closed, let the others know and disconnect. */
  close (): Promise<void>
}

/** One event of the server's log: room events plus connections and refusals. */
export interface ChatServerLogEvent {
  event: RoomLogEvent['event'] | 'connect' | 'refused' | 'disconnect' | 'error' | 'nick-evicted'
  nick?: string
  fingerprint?: string
  remote?: string
  detail?: string
  /** What a member said; only room events carry it. */
  text?: string
}

/** One connection and its state, from accept to close. */
interface Connection {
  socket: net.Socket
  stream: SecureStream
  session: Session | undefined
  /** We sent END (or began to): nothing more is written. */
  ended: boolean
  closeTimer: NodeJS.Timeout | undefined
  /** Joins the member under a default nick unless its /nick came first; undefined once it fired or the member joined. */
  joinTimer: NodeJS.Timeout | undefined
}

/**
 * The chat server: a TCP listener whose every connection is a secure
 * stream (responder) carrying lines to a Session of one Room. This file is
 * the only one of the chat that sees sockets.
 *
 * Events: 'log' (ChatServerLogEvent), 'error' for state files it could not
 * write (the room goes on).
 */
export class ChatServer extends EventEmitter {
  readonly room: Room
  readonly keyPair: KeyPair
  readonly maxClients: number
  private readonly options: ChatServerOptions
  /** Accepts connections and runs their handshakes, with the handshake gate and the connection caps. */
  private readonly acceptor: SecureServer
  /** Connections past the handshake. */
  private readonly connections = new Set<Connection>()
  /** Members admitted per source address, when --max-clients-per-address is set. */
  private readonly membersBySource = new Map<string, number>()
  private closing = false
  /** Connections past the handshake (in the room, or about to join): what --max-clients counts. */
  private openSessions = 0

  private readonly historyFile: HistoryFile | undefined

  private constructor (options: ChatServerOptions, registry: NickRegistry, bans: BanList, history?: { file: HistoryFile, entries: HistoryEntry[] }) {
    super()
    this.options = options
    this.keyPair = options.keyPair
    this.maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS
    if (options.reserved !== undefined) registry.setReserved(options.reserved)
    const shared = options.shared
    this.historyFile = history?.file
    this.room = new Room({
      registry,
      bans,
      // A shared room's history comes from the shared stream, whichever server a member joins.
      historyLines: shared === undefined ? options.historyLines : 0,
      motd: (options.motd ?? []).map(sanitizeText),
      isOperator: options.isOperator,
      // Lines of one event-loop turn leave together: one frame and one socket write per member per turn.
      fanOut: shared?.fanOut ?? new LocalFanOut<Member>(options.maxOutboundBytes ?? MAX_OUTBOUND_BYTES, { endTurn: setImmediate }),
      sync: shared?.sync,
      log: (event) => this.log(event),
      history: history?.entries,
      onHistory: history === undefined ? undefined : (entries) => history.file.save(entries)
    })
    shared?.bind(this.room)
    const maxHandshakes = options.maxPendingHandshakes ?? MAX_PENDING_HANDSHAKES
    this.acceptor = new SecureServer({
      keyPair: this.keyPair,
      verify: (key, info, peer) => this.verifyMember(key, info, peer),
      keepAlive: options.keepAlive ?? CHAT_KEEP_ALIVE_MS,
      idleTimeout: options.idleTimeout ?? CHAT_IDLE_TIMEOUT_MS,
      handshakeTimeout: options.handshakeTimeout ?? HANDSHAKE_TIMEOUT_MS,
      // Handshakes in progress count too; the gate keeps a crowd of them from starving the members.
      maxConnections: this.maxClients + maxHandshakes,
      maxHandshakes,
      maxHandshakesPerSource: options.maxPendingHandshakesPerAddress ?? MAX_PENDING_HANDSHAKES_PER_ADDRESS
    })
    this.acceptor.on('stream', (stream: SecureStream, socket: net.Socket, peer: AcceptedPeer) => this.accept(stream, socket, peer))
    // Every refusal is an event (the --log file keeps each; the CLI's human lines are rate-limited where they are printed).
    const refused = (failure: AcceptFailure): void => {
      const e = refusalEntry(failure)
      this.log({ event: 'refused', remote: formatRemote(e.remote), ...(e.fingerprint === undefined ? {} : { fingerprint: e.fingerprint }), detail: `${e.detail} (${e.code})` })
    }
    this.acceptor.on('failure', refused)
    this.acceptor.on('refused', refused)
  }

  /** A server with its nick registry and ban list loaded from the state directory. */
  static async create (options: ChatServerOptions): Promise<ChatServer> {
    let server: ChatServer | undefined
    const onError = (err: unknown): void => { server?.emit('error', err) }
    if (options.shared !== undefined) return (server = new ChatServer(options, options.shared.registry, options.shared.bans))
    const dir = options.stateDir
    const onEvict = (b: Binding): void => {
      server?.log({
        event: 'nick-evicted',
        nick: b.nick,
        fingerprint: fingerprint(Buffer.from(b.key, 'base64')),
        detail: `the binding was the least recently used (last ${new Date(b.lastUsedMs).toISOString()}) when the registry was full`
      })
    }
    const registry = await NickRegistry.open(dir === undefined ? undefined : join(dir, NICK_REGISTRY_FILE), {
      onError,
      onEvict,
      ...(options.maxBoundNicks === undefined ? {} : { maxNicks: options.maxBoundNicks })
    })
    const bans = await BanList.open(dir === undefined ? undefined : join(dir, BANS_FILE), onError)
    // What was said survives a restart, within --history (none kept with --history 0).
    const historyLines = options.historyLines ?? DEFAULT_HISTORY_LINES
    const history = dir === undefined || historyLines <= 0 ? undefined : await HistoryFile.open(join(dir, HISTORY_FILE), historyLines, onError)
    server = new ChatServer(options, registry, bans, history)
    return server
  }

  /** Listen; resolves to the address bound (port 0 picks a free one). */
  listen (port: number, host: string): Promise<{ host: string, port: number }> {
    return this.acceptor.listen({ host, port })
  }

  /** Connections open now (handshaking or in the room). */
  get connectionCount (): number {
    return this.acceptor.size
  }

  /** Replace the reserved nicks (SIGHUP reload). */
  setReserved (entries: ReservedNick[]): void {
    this.room.registry.setReserved(entries)
    this.room.refreshVerified()
  }

  /**
   * Check every connection past its handshake again, as a new handshake
   * would be (SIGHUP, after the authorized keys or the bans were re-read):
   * a member whose key is now banned, or no longer accepted by `verify`, is
   * disconnected with the reason (ERR_BANNED, ERR_KEY_REVOKED) and the room
   * is told. Resolves with who was disconnected.
   */
  async revalidate (): Promise<Array<{ fingerprint: string, nick: string | undefined, reason: string }>> {
    const dropped: Array<{ fingerprint: string, nick: string | undefined, reason: string }> = []
    for (const connection of [...this.connections]) {
      const { stream, session } = connection
      if (session === undefined || stream.destroying || connection.ended || stream.remotePublicKey === null) continue
      const refusal = await this.refusalNow(stream)
      if (refusal === undefined || stream.destroying || connection.ended) continue
      const member = session.member
      dropped.push({ fingerprint: fingerprint(stream.remotePublicKey), nick: member?.nick, reason: refusal.reason })
      if (member !== undefined && member.inRoom) this.room.remove(member, refusal.error, refusal.reason)
      else {
        session.end(refusal.reason)
        this.abortConnection(connection, refusal.error)
      }
    }
    return dropped
  }

  /** Why the key of `stream` would be refused now (a ban, or the verifier), or undefined. */
  private async refusalNow (stream: SecureStream): Promise<{ error: ChatError, reason: string } | undefined> {
    const key = stream.remotePublicKey!
    const ban = this.room.bans.find(key, Date.now())
    if (ban !== undefined) return { error: banError(ban.untilMs, ban.reason), reason: 'banned' }
    if (this.options.verify === undefined) return undefined
    let accepted: unknown
    try {
      accepted = await this.options.verify(Buffer.from(key), { isInitiator: false, handshakeHash: stream.handshakeHash ?? Buffer.alloc(64) })
    } catch {
      accepted = false
    }
    if (accepted === true) return undefined
    return {
      error: chatError('ERR_KEY_REVOKED', 'disconnected: your key is no longer authorized on this server'),
      reason: 'no longer authorized'
    }
  }

  /** Replace the message of the day (SIGHUP reload); each line is cleaned like a member's. */
  setMotd (lines: string[]): void {
    this.room.motd = lines.map(sanitizeText)
  }

  /**
   * Shut down: stop accepting, tell every member `notice`, send END to
   * each, wait up to the grace period for their END, cut what is left,
   * and write the state files.
   */
  async close (notice = 'the server is shutting down'): Promise<void> {
    if (this.closing) return
    this.closing = true
    // Handshakes in progress are cut; members not yet joined get END like the rest.
    this.acceptor.stopAccepting(chatError('ERR_SERVER_SHUTDOWN', notice))
    this.room.close(notice)
    for (const c of this.connections) this.endConnection(c)
    const grace = this.options.closeGrace ?? CHAT_SHUTDOWN_GRACE_MS
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, grace).unref())
    await Promise.race([Promise.all([...this.connections].map((c) => closed(c.stream))), deadline])
    for (const c of this.connections) c.stream.destroy(chatError('ERR_SERVER_SHUTDOWN', notice))
    await Promise.all([...this.connections].map((c) => closed(c.stream)))
    await Promise.allSettled([this.room.registry.flush(), this.room.bans.flush(), this.historyFile?.flush()])
    await this.options.shared?.close()
  }

  /** A connection past its handshake, its key accepted: it becomes a member. */
  private accept (stream: SecureStream, socket: net.Socket, peer: AcceptedPeer): void {
    const remote = formatRemote(peer.remote)
    if (this.closing) return void stream.destroy(chatError('ERR_SERVER_SHUTDOWN', 'the server is shutting down'))
    // Lines must leave when written: Nagle would hold a member's next turn until the last one is acknowledged.
    socket.setNoDelay(true)
    const connection: Connection = { socket, stream, session: undefined, ended: false, closeTimer: undefined, joinTimer: undefined }
    this.connections.add(connection)
    stream.on('error', (err: Error) => this.onStreamError(connection, err, remote))
    // One 'close' listener per member does all the cleaning up: every listener is a closure kept for the connection's life.
    stream.on('close', () => {
      clearTimeout(connection.closeTimer)
      stopJoinTimer(connection)
      this.connections.delete(connection)
      if (connection.session === undefined) return
      connection.session.end('connection lost')
      this.openSessions--
    })
    this.open(connection, remote)
  }

  /** Allowlist first, then the ban list, then room for one more. Thrown messages reach the client. */
  private async verifyMember (key: Buffer, info: Parameters<VerifyRemoteKey>[1], peer: AcceptedPeer): Promise<boolean> {
    if (this.options.verify !== undefined && (await this.options.verify(key, info)) !== true) return false
    const ban = this.room.bans.find(key, Date.now())
    if (ban !== undefined) throw banError(ban.untilMs, ban.reason)
    if (this.openSessions >= this.maxClients) {
      throw chatError('ERR_SERVER_FULL', `the server is full (${this.maxClients} members); try again later`)
    }
    if (!peer.stream.destroying && this.admitFrom(peer.source, peer.remote.host)) {
      peer.stream.once('close', () => this.releaseFrom(peer.source))
    }
    return true
  }

  /** Count one more member from `source`; refuse it when the address has its share. False when there is no share to count. */
  private admitFrom (source: string, host: string): boolean {
    const max = this.options.maxClientsPerAddress ?? 0
    if (max <= 0) return false
    if (this.options.perAddressSkipsLoopback === true && isLoopback(host)) return false
    const members = this.membersBySource.get(source) ?? 0
    if (members >= max) throw chatError('ERR_SERVER_FULL', `your address already has ${max} members here, the most the server allows from one address; try again later`)
    this.membersBySource.set(source, members + 1)
    return true
  }

  private releaseFrom (source: string): void {
    const left = (this.membersBySource.get(source) ?? 1) - 1
    if (left > 0) this.membersBySource.set(source, left)
    else this.membersBySource.delete(source)
  }

  private open (connection: Connection, remote: string): void {
    const { stream } = connection
    const publicKey = stream.remotePublicKey!
    this.log({ event: 'connect', fingerprint: fingerprint(publicKey), remote })
    const session = new Session(this.room, publicKey, this.memberConnection(connection), { rate: this.options.rate })
    connection.session = session
    this.openSessions++ // the connection's 'close' listener (accept) counts it out
    const splitter = new LineSplitter(MAX_LINE_BYTES)
    // Dropped once it fired or the member joined, so an idle member keeps no timer.
    connection.joinTimer = setTimeout(joinWithDefaultNick, this.options.joinWait ?? JOIN_NICK_WAIT_MS, connection)
    connection.joinTimer.unref()
    stream.on('data', (data: unknown) => {
      deliver(session, splitter.push(data as Buffer))
      if (connection.joinTimer !== undefined && session.state !== 'waiting') stopJoinTimer(connection)
    })
    stream.on('end', () => {
      stopJoinTimer(connection)
      deliver(session, splitter.end())
      session.end('quit')
      this.endConnection(connection)
    })
  }

  /** A member's way out, over its secure stream. */
  private memberConnection (connection: Connection): MemberConnection {
    return new StreamConnection(connection, this.closeMember)
  }

  /** How a member's connection is closed: one function for all of them. */
  private readonly closeMember = (connection: Connection, error?: ChatError): void => {
    if (error === undefined) return this.endConnection(connection)
    this.abortConnection(connection, error)
  }

  /**
   * Disconnect with a reason (sent in ABORT). What was written just before
   * (the notice that explains it) is still queued in the stream: let it
   * reach the socket first, briefly, unless the member is dropped for not
   * reading, where waiting is the very problem.
   */
  private abortConnection (connection: Connection, error: ChatError): void {
    const { stream } = connection
    if (stream.destroying || connection.ended) return
    connection.ended = true
    if (error.code === 'ERR_SLOW_READER') return void stream.destroy(error)
    const giveUpAt = Date.now() + ABORT_FLUSH_MS
    const attempt = (): void => {
      if (stream.destroying) return
      if (stream.bufferedAmount === 0 || Date.now() >= giveUpAt) return void stream.destroy(error)
      setTimeout(attempt, 5).unref()
    }
    setImmediate(attempt)
  }

  /** Send END (once); cut the connection if the member's END does not follow within the grace period. */
  private endConnection (connection: Connection): void {
    const { stream } = connection
    if (stream.destroying || connection.ended) return
    connection.ended = true
    stream.end()
    connection.closeTimer = setTimeout(() => stream.destroy(chatError('ERR_SERVER_SHUTDOWN', 'no END from the peer after ours')), this.options.closeGrace ?? CHAT_SHUTDOWN_GRACE_MS)
    connection.closeTimer.unref()
  }

  private onStreamError (connection: Connection, err: Error, remote: string): void {
    const code = (err as { code?: string }).code ?? ''
    const publicKey = connection.stream.remotePublicKey
    const who = publicKey === null ? {} : { fingerprint: fingerprint(publicKey) }
    if (connection.session === undefined) {
      const cause = (err as { cause?: unknown }).cause
      const decided = code === 'ERR_REMOTE_KEY_REJECTED' && cause instanceof Error
      const detail = decided ? cause.message : err.message
      // A refused key is logged with the decision's code (ERR_CLIENT_KEY_UNAUTHORIZED, ERR_BANNED...), as the CLI shows it.
      const shown = (decided ? (cause as { code?: string }).code : undefined) ?? code
      this.log({ event: 'refused', remote, ...who, detail: `${firstLine(detail)} (${shown || 'error'})` })
      return
    }
    connection.session.end(leaveReason(err))
    this.log({ event: 'disconnect', remote, ...who, detail: `${firstLine(err.message)} (${code || 'error'})` })
  }

  private log (event: ChatServerLogEvent): void {
    this.emit('log', event)
  }
}

/** A member's lines (or overlong-line notices) to its session. */
function deliver (session: Session, events: ReturnType<LineSplitter['push']>): void {
  for (const event of events) {
    if (event.type === 'line') session.receiveLine(event.text)
    else session.receiveOverlong(event.limit)
  }
}

/** The join wait ran out before a /nick: join under the default nick. */
function joinWithDefaultNick (connection: Connection): void {
  connection.joinTimer = undefined
  connection.session?.join()
}

function stopJoinTimer (connection: Connection): void {
  clearTimeout(connection.joinTimer)
  connection.joinTimer = undefined
}

/** The reason others are told when a member's connection failed. */
function leaveReason (err: Error): string {
  const code = (err as { code?: string }).code
  if (code === 'ERR_IDLE_TIMEOUT') return 'timed out'
  if (code === 'ERR_PEER_ABORTED') return 'quit: connection aborted'
  return 'connection lost'
}

function banError (untilMs: number | undefined, reason: string): ChatError {
  const until = untilMs === undefined ? '' : ` for another ${formatDuration(untilMs - Date.now())}`
  return chatError('ERR_BANNED', `your key is banned from this server${until}${reason === '' ? '' : ': ' + reason}`)
}

/**
 * A member's way out over its secure stream: a class, not closures, since
 * every member has one. The room's fan-out hands it one buffer per turn.
 */
class StreamConnection implements MemberConnection {
  private readonly connection: Connection
  private readonly closer: (connection: Connection, error?: ChatError) => void

  constructor (connection: Connection, closer: (connection: Connection, error?: ChatError) => void) {
    this.connection = connection
    this.closer = closer
  }

  send (bytes: Buffer): void {
    const { stream } = this.connection
    if (!this.connection.ended && !stream.destroying) stream.write(bytes)
  }

  /** What the stream has not sealed yet, plus what the socket has not handed to the kernel. */
  bufferedBytes (): number {
    return this.connection.stream.bufferedAmount + this.connection.socket.writableLength
  }

  close (error?: ChatError): void {
    this.closer(this.connection, error)
  }
}

function closed (stream: SecureStream): Promise<void> {
  if (stream.destroyed) return Promise.resolve()
  return new Promise((resolve) => stream.once('close', () => resolve()))
}

/** How the log writes a peer's address (as it always has: `host:port`, IPv6 unbracketed). */
function formatRemote (remote: { host: string, port: number }): string {
  return `${remote.host}:${remote.port}`
}

function firstLine (text: string): string {
  const i = text.indexOf('\n')
  return i === -1 ? text : text.slice(0, i)
}
