import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import {
  DEFAULT_HISTORY_LINES, DEFAULT_REDIS_ROOM, MAX_OUTBOUND_BYTES, REDIS_CLOSE_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS,
  REDIS_HEARTBEAT_INTERVAL_MS, REDIS_HISTORY_SCAN_ENTRIES, REDIS_LINGER_MS, REDIS_NODE_TIMEOUT_MS, REDIS_READ_BATCH_ENTRIES,
  REDIS_READ_BLOCK_MS, REDIS_RECONNECT_MAX_MS, REDIS_STREAM_MAX_ENTRIES
} from '../constants.js'
import { chatError, type ChatError } from '../errors.js'
import { encodePublicKey } from '../secure/keypair.js'
import { LocalFanOut, type FanOut, type MemberConnection } from './fan-out.js'
import { encodeMessage } from './messages.js'
import type { Member, Room, RoomSync } from './room.js'
import { StreamAppender } from './redis-appender.js'
import { readBatch, type BatchVisitor } from './redis-batch.js'
import { parseJson, SharedBanList, SharedNickRegistry, type SharedStateEvent } from './redis-state.js'
import { checkRoomName, parseRedisUrl, probeRedis, quietOptions, type RedisAddress } from './redis-url.js'
import type { SharedRoom } from './server.js'

/** Options of one node of a room shared through Redis. */
export interface RedisRoomOptions {
  /** redis://[USER:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS). */
  url: string
  /** The room's name: nodes with the same URL and name serve one room (default DEFAULT_REDIS_ROOM). */
  room?: string
  /** Messages replayed to a joining member (default 20). */
  historyLines?: number
  /** Unsent output per local member past which it is disconnected. */
  maxOutboundBytes?: number
  /** Heartbeat period and the silence after which a node is taken for dead, in ms (tests shorten them). */
  heartbeatMs?: number
  nodeTimeoutMs?: number
  /** Entries the stream keeps (MAXLEN ~). */
  maxStreamEntries?: number
  /** Hears what the node does with Redis (lost, back, a dead node's members removed): for the server's log. */
  log?: (text: string) => void
}

/** What a member looks like to the other nodes: in its join event and in the room's members hash. */
interface MemberRecord {
  ref: string
  key: string
  nick: string
  verified: boolean
  sinceMs: number
  away?: string | undefined
}

/** The state changes nodes tell each other, in the stream, just before the line that announces them. */
type RoomEvent =
  | { type: 'join', member: MemberRecord }
  | { type: 'leave', ref: string }
  | { type: 'member', member: MemberRecord }
  | { type: 'close', ref: string, code: string, text: string }
  | { type: 'mute', key: string, on: boolean }
  | SharedStateEvent

/** Redis key names of one room. */
function roomKeys (room: string): { stream: string, members: string, nicks: string, bans: string, mutes: string, node: (id: string) => string, reap: (id: string) => string } {
  const base = `noise-chat:room:${room}`
  return {
    stream: `${base}:stream`,
    members: `${base}:members`,
    nicks: `${base}:nicks`,
    bans: `${base}:bans`,
    mutes: `${base}:mutes`,
    node: (id) => `${base}:node:${id}`,
    reap: (id) => `${base}:reap:${id}`
  }
}

/**
 * One server's share of a room spread over several servers through Redis
 * (docs/SCALING.md). The room's one order is a Redis Stream: every line
 * meant for the whole room, and every change of shared state (joins,
 * leaves, nicks, away, mutes, bans), is appended to it (XADD) and nothing
 * is delivered at once; every node reads the stream (XREAD BLOCK) and
 * delivers each line to its own members in stream order, its own members'
 * lines included, so every member on every node sees the same sequence.
 *
 * It is the room's FanOut (lines), its RoomSync (state changes) and the
 * source of its registry and ban list. Members of other nodes are in the
 * room as members whose connection appends to the stream: /names, /whois,
 * /msg, nick checks, /kick and /ban work on them as on local ones, and
 * their own node does the delivering.
 *
 * What a node appends between two XADDs (one in flight, at least
 * REDIS_LINGER_MS apart) is one stream entry, a batch (StreamAppender,
 * lib/chat/redis-batch.ts); replies are read as Buffers
 * and each line is delivered as a view into the reply, never copied or
 * turned into a string. Each entry carries its node's id and a sequence
 * number, so an entry the client library sent twice (it resends what was in
 * flight when Redis went away) is delivered once. After losing Redis a node
 * reads on from the last id it delivered, so its members miss nothing the
 * stream still holds.
 */
export class RedisRoomNode implements FanOut<Member>, RoomSync, SharedRoom {
  readonly nodeId: string
  readonly roomName: string
  readonly address: RedisAddress
  readonly registry: SharedNickRegistry
  readonly bans: SharedBanList
  onOverflow: (member: Member) => void = () => {}
  private readonly options: RedisRoomOptions
  private readonly keys: ReturnType<typeof roomKeys>
  private readonly cmd: Redis
  private readonly reader: Redis
  private readonly local: LocalFanOut<Member>
  private readonly historyLines: number
  /** The latest history lines (without their newline); the newest `borrowed` of them are views into the XREAD reply being delivered. */
  private readonly history: Array<{ atMs: number, line: Buffer }>
  private borrowed = 0
  private readonly appender: StreamAppender
  /** The entry being delivered: its node and its time (ms, from its id). */
  private entryNode = ''
  private entryAtMs = 0
  private readonly visitor: BatchVisitor
  private readonly initialMembers: MemberRecord[]
  private readonly initialMutes: string[]
  private room: Room | undefined
  /** Every member the room holds, by its global ref (`NODE:ID`), and back. */
  private readonly byRef = new Map<string, Member>()
  private readonly refs = new Map<Member, string>()
  /** The members served by other nodes. */
  private readonly remote = new Set<Member>()
  /** Local members another node removed (kick, ban, taken for dead): their connection, until its close entry comes. */
  private readonly dropped = new Map<string, MemberConnection>()
  /** Per node, the last sequence number delivered: drops entries sent twice. */
  private readonly seen = new Map<string, number>()
  private lastId: string
  private up = true
  private stopping = false
  private roomClosing = false
  /** Set while applying another node's change: the room's calls back into us are not told again. */
  private applying = false
  private pendingFrom: { to: Member, from: Member } | undefined
  /** Local members whose latest nick claim (join or nick change) has not come back from the stream yet: its sequence number. */
  private readonly pendingClaims = new Map<Member, number>()
  private heartbeat: NodeJS.Timeout | undefined
  private beating = false
  /** No node is taken for dead before this (after our own start or reconnect, their beats may not have landed yet). */
  private reapNotBefore = 0
  private reading: Promise<void> | undefined

  private constructor (options: RedisRoomOptions, address: RedisAddress, cmd: Redis, reader: Redis, state: { lastId: string, history: Array<{ atMs: number, line: Buffer }>, members: MemberRecord[], mutes: string[] }, registry: SharedNickRegistry, bans: SharedBanList) {
    this.options = options
    this.address = address
    this.roomName = options.room ?? DEFAULT_REDIS_ROOM
    this.keys = roomKeys(this.roomName)
    this.nodeId = randomBytes(6).toString('hex')
    this.cmd = cmd
    this.reader = reader
    this.registry = registry
    this.bans = bans
    this.historyLines = Math.max(0, options.historyLines ?? DEFAULT_HISTORY_LINES)
    this.history = this.historyLines === 0 ? [] : state.history.slice(-this.historyLines)
    this.lastId = state.lastId
    this.initialMembers = state.members
    this.initialMutes = state.mutes
    // As the embedded room: the lines of one batch from the stream leave in one socket write per member.
    this.local = new LocalFanOut<Member>(options.maxOutboundBytes ?? MAX_OUTBOUND_BYTES, { endTurn: setImmediate })
    this.local.onOverflow = (member) => this.onOverflow(member)
    this.appender = new StreamAppender(cmd, this.keys.stream, this.nodeId, options.maxStreamEntries ?? REDIS_STREAM_MAX_ENTRIES)
    this.visitor = {
      line: (line) => this.deliverLine(line),
      event: (json) => this.deliverEvent(json),
      unicast: (to, replyRef, line) => this.deliverTo(to, line, replyRef)
    }
    bans.announce = (event) => this.appendEvent(event)
    cmd.on('close', () => this.lost())
    cmd.on('ready', () => this.regained())
  }

  /**
   * Connect to Redis and load the room's shared state: the history, who is
   * on the other nodes, the nicks, bans and mutes. Throws ERR_REDIS_URL_INVALID
   * or ERR_REDIS_UNAVAILABLE (naming the URL) when it cannot.
   */
  static async connect (options: RedisRoomOptions): Promise<RedisRoomNode> {
    const address = parseRedisUrl(options.url)
    const keys = roomKeys(checkRoomName(options.room ?? DEFAULT_REDIS_ROOM))
    await probeRedis(address)
    const clientOptions = {
      ...quietOptions(),
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      // Wait for Redis however long it takes: a command is never failed for being early, and the
      // room refuses messages meanwhile, so what waits is only joins, leaves and the like.
      maxRetriesPerRequest: null,
      retryStrategy: (attempt: number) => Math.min(50 * attempt, REDIS_RECONNECT_MAX_MS)
    }
    const cmd = new Redis(address.url, clientOptions)
    const reader = new Redis(address.url, clientOptions)
    // Errors show as the room's notices and the server's log; without a listener ioredis would print them.
    cmd.on('error', () => {})
    reader.on('error', () => {})
    try {
      const registry = new SharedNickRegistry(cmd, keys.nicks)
      const bans = new SharedBanList(cmd, keys.bans)
      const newest = await cmd.xrevrangeBuffer(keys.stream, '+', '-', 'COUNT', REDIS_HISTORY_SCAN_ENTRIES) as unknown as StreamEntry[]
      const members = Object.values(await cmd.hgetall(keys.members)).flatMap((t) => parseJson<MemberRecord>(t) ?? [])
      await registry.load()
      await bans.load()
      const mutes = await cmd.smembers(keys.mutes)
      const oldestFirst = newest.reverse()
      const history = historyOf(oldestFirst, options.historyLines ?? DEFAULT_HISTORY_LINES)
      const state = { lastId: oldestFirst.at(-1)?.[0].toString('latin1') ?? '0-0', history, members, mutes }
      const node = new RedisRoomNode(options, address, cmd, reader, state, registry, bans)
      await node.beat()
      return node
    } catch (err) {
      cmd.disconnect()
      reader.disconnect()
      throw chatError('ERR_REDIS_UNAVAILABLE', `cannot load the room from Redis at ${address.shown}: ${(err as Error).message}`, err)
    }
  }

  get fanOut (): FanOut<Member> {
    return this
  }

  get sync (): RoomSync {
    return this
  }

  /** True while Redis answers. */
  get available (): boolean {
    return this.up
  }

  /** Start serving `room`: the other nodes' members join it silently, then the stream is read. */
  bind (room: Room): void {
    this.room = room
    this.applyingDo(() => {
      for (const record of this.initialMembers) this.admit(record)
      for (const key of this.initialMutes) room.setMuted(Buffer.from(key, 'base64'), true)
    })
    this.reapNotBefore = Date.now() + this.nodeTimeoutMs
    this.heartbeat = setInterval(() => { void this.beat() }, this.options.heartbeatMs ?? REDIS_HEARTBEAT_INTERVAL_MS)
    this.heartbeat.unref()
    this.reading = this.readLoop()
  }

  /** After the room closed (its members' leaving appended): stop the heartbeat, let Redis take what is queued, disconnect. */
  async close (): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    clearInterval(this.heartbeat)
    const done = (async () => {
      await this.appender.drained()
      await this.cmd.del(this.keys.node(this.nodeId))
      await this.cmd.quit()
    })().catch(() => {})
    const timer = new Promise<void>((resolve) => setTimeout(resolve, REDIS_CLOSE_TIMEOUT_MS).unref())
    await Promise.race([done, timer])
    this.cmd.disconnect()
    this.reader.disconnect()
    await this.reading
  }

  // FanOut: what the room delivers goes through the stream; only unicasts to local members go straight.

  attach (member: Member): void {
    if (this.applying) return
    const ref = `${this.nodeId}:${member.id}`
    this.register(member, ref)
    // The history as this node has delivered it so far; every later line comes live: no gap, no repeat.
    if (this.history.length > 0) {
      // Marked as the embedded room marks it: what follows was said before this member came.
      const n = this.history.length
      this.local.unicast(member, encodeMessage({ kind: 'notice', text: `history: the last ${n} message${n === 1 ? '' : 's'} said here` }))
      for (const entry of this.history) this.local.unicast(member, encodeMessage({ kind: 'replay', atMs: entry.atMs, line: entry.line.toString() }))
      this.local.unicast(member, encodeMessage({ kind: 'notice', text: 'end of history' }))
    }
    this.local.attach(member)
    const record = this.record(member, ref)
    this.cmd.hset(this.keys.members, ref, JSON.stringify(record)).catch(() => {})
    this.pendingClaims.set(member, this.appendEvent({ type: 'join', member: record }))
  }

  detach (member: Member): void {
    const ref = this.refs.get(member)
    this.local.detach(member)
    if (ref === undefined) return
    this.unregister(member, ref)
    this.pendingClaims.delete(member)
    if (this.applying || (this.roomClosing && this.remote.has(member))) return
    this.remote.delete(member)
    this.cmd.hdel(this.keys.members, ref).catch(() => {})
    this.appendEvent({ type: 'leave', ref })
  }

  broadcast (line: Buffer): void {
    this.appender.line(line)
  }

  unicast (member: Member, line: Buffer): void {
    if (!this.remote.has(member)) return this.local.unicast(member, line)
    member.connection.send(line)
  }

  // RoomSync

  unavailable (): ChatError | undefined {
    if (this.up) return undefined
    return chatError('ERR_ROOM_UNAVAILABLE', 'message not sent: this server has lost contact with the rest of the room (Redis); send it again once it is back')
  }

  changed (member: Member): void {
    const ref = this.refs.get(member)
    if (ref === undefined || this.applying) return
    const record = this.record(member, ref)
    this.cmd.hset(this.keys.members, ref, JSON.stringify(record)).catch(() => {})
    this.pendingClaims.set(member, this.appendEvent({ type: 'member', member: record }))
  }

  muted (publicKey: Buffer, on: boolean): void {
    const key = encodePublicKey(publicKey)
    const write = on ? this.cmd.sadd(this.keys.mutes, key) : this.cmd.srem(this.keys.mutes, key)
    write.catch(() => {})
    this.appendEvent({ type: 'mute', key, on })
  }

  privateFrom (from: Member, to: Member): void {
    this.pendingFrom = { from, to }
  }

  isRemote (member: Member): boolean {
    return this.remote.has(member)
  }

  closing (): void {
    this.roomClosing = true
  }

  // The stream

  /** Append a change of shared state; returns the sequence number of the entry it goes out in. */
  private appendEvent (event: RoomEvent): number {
    return this.appender.event(JSON.stringify(event))
  }

  private async readLoop (): Promise<void> {
    let readAt = -Infinity
    while (!this.stopping) {
      // At most one XREAD per REDIS_LINGER_MS: in a busy room each reply carries the entries of a few ms, delivered in one turn.
      const wait = readAt + REDIS_LINGER_MS - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      readAt = performance.now()
      let reply: unknown
      try {
        // xreadBuffer, not callBuffer: ioredis 6.0 drops callBuffer's first argument under auto-pipelining.
        reply = await this.reader.xreadBuffer('COUNT', REDIS_READ_BATCH_ENTRIES, 'BLOCK', REDIS_READ_BLOCK_MS, 'STREAMS', this.keys.stream, this.lastId)
      } catch {
        if (this.stopping) return
        // Redis went away mid-read: the client reconnects; read on from the last id delivered.
        await new Promise((resolve) => setTimeout(resolve, 50))
        continue
      }
      const streams = reply as Array<[Buffer, StreamEntry[]]> | null
      for (const [id, fields] of streams?.[0]?.[1] ?? []) this.deliver(id, fields)
      this.keepHistory()
    }
  }

  /** One entry of the stream (one node's batch), in stream order. */
  private deliver (id: Buffer, raw: Buffer[]): void {
    this.lastId = id.toString('latin1')
    const { node, seq, body } = entryFields(raw)
    const last = this.seen.get(node)
    if (body === undefined || seq <= (last ?? 0)) return
    // A node numbers its entries one by one: a jump means entries this node never read (trimmed while it was behind, or lost by Redis).
    if (last !== undefined && seq > last + 1) this.missed(node, seq - last - 1)
    this.seen.set(node, seq)
    if (node === this.nodeId && this.pendingClaims.size > 0) {
      for (const [member, claim] of this.pendingClaims) if (claim <= seq) this.pendingClaims.delete(member)
    }
    this.entryNode = node
    this.entryAtMs = idTime(this.lastId)
    readBatch(body, this.visitor)
  }

  /** Say so, rather than let a gap in the conversation pass unseen. */
  private missed (node: string, entries: number): void {
    this.options.log?.(`missed ${entries} stream entries of node ${node} (trimmed by MAXLEN ~ before this node read them, or lost by Redis)`)
    this.local.broadcast(encodeMessage({ kind: 'announce', text: `this server missed part of the room's conversation (${entries} batch${entries === 1 ? '' : 'es'} of messages from another server that Redis no longer held): there is a gap here` }))
  }

  private deliverEvent (json: Buffer): void {
    // Our own changes were made here already, when they were appended.
    if (this.entryNode === this.nodeId) return
    const event = parseJson<RoomEvent>(json.toString())
    if (event !== undefined) this.applyingDo(() => this.apply(event))
  }

  /** A line for the whole room: the same view of the reply goes to every local member. */
  private deliverLine (line: Buffer): void {
    if (isHistoryLine(line)) this.remember(this.entryAtMs, line)
    this.local.broadcast(line)
  }

  /** A line for one member (a private message): delivered by the member's node only. */
  private deliverTo (ref: string, line: Buffer, replyRef: string | undefined): void {
    const member = this.byRef.get(ref)
    if (member === undefined || this.remote.has(member)) return
    if (replyRef !== undefined) {
      const from = this.byRef.get(replyRef)
      if (from !== undefined) member.replyTo = from
    }
    this.local.unicast(member, line)
  }

  private remember (atMs: number, line: Buffer): void {
    if (this.historyLines === 0) return
    this.history.push({ atMs, line: withoutNewline(line) })
    this.borrowed++
    if (this.history.length > this.historyLines) this.history.shift()
  }

  /** After a reply: the history lines that are views into it get their own copy, so the reply can go. */
  private keepHistory (): void {
    const n = Math.min(this.borrowed, this.history.length)
    for (let i = this.history.length - n; i < this.history.length; i++) this.history[i]!.line = Buffer.from(this.history[i]!.line)
    this.borrowed = 0
  }

  /** Another node's change, in stream order. */
  private apply (event: RoomEvent): void {
    const room = this.room
    if (room === undefined) return
    switch (event.type) {
      case 'join':
        this.admit(event.member)
        return
      case 'member': {
        const member = this.byRef.get(event.member.ref)
        if (member === undefined || !this.remote.has(member)) return
        member.away = event.member.away
        if (member.nick !== event.member.nick) {
          room.renameRemote(member, event.member.nick, event.member.verified)
          this.settleClaim(member)
        }
        return
      }
      case 'leave': {
        const member = this.byRef.get(event.ref)
        if (member === undefined) return
        // One of ours removed by another node (kick, ban, taken for dead): its close entry follows.
        if (!this.remote.has(member)) this.dropped.set(event.ref, member.connection)
        this.remote.delete(member)
        room.drop(member)
        return
      }
      case 'close': {
        const connection = this.dropped.get(event.ref)
        if (connection === undefined) return
        this.dropped.delete(event.ref)
        connection.close(chatError(event.code as ChatError['code'], event.text))
        return
      }
      case 'mute':
        room.setMuted(Buffer.from(event.key, 'base64'), event.on)
        return
      case 'ban':
        this.bans.mirrorAdd(event.ban)
        return
      case 'unban':
        this.bans.mirrorRemove(event.key)
    }
  }

  /** A member of another node enters this node's copy of the room. */
  private admit (record: MemberRecord): void {
    if (this.byRef.has(record.ref) || record.ref.startsWith(this.nodeId + ':')) return
    const key = Buffer.from(record.key, 'base64')
    const member = this.room!.admitRemote(key, this.remoteConnection(record.ref), {
      nick: record.nick, verified: record.verified, sinceMs: record.sinceMs, away: record.away
    })
    this.remote.add(member)
    this.register(member, record.ref)
    this.settleClaim(member)
  }

  /**
   * A member of another node claims a nick one of ours holds (both asked
   * at the same moment, each node checking its own copy). The claim
   * earlier in the stream wins, the same on every node: ours yields if
   * its claim has not come back from the stream yet (so it is later);
   * otherwise theirs is later and their node makes it yield.
   */
  private settleClaim (remote: Member): void {
    const holder = this.room!.find(remote.nick)
    if (holder === remote) return this.registry.mirror(remote.nick, remote.publicKey, Date.now())
    // Theirs is the later claim (or another node's member holds it): their node makes it yield; no binding.
    if (holder === undefined || this.remote.has(holder) || !this.pendingClaims.has(holder)) return
    this.pendingClaims.delete(holder)
    // After the entry being applied: the rename is a change of ours, told to the others.
    queueMicrotask(() => {
      if (holder.nick !== remote.nick || !remote.inRoom) return
      this.room!.yieldNick(holder)
      this.room!.reindex(remote)
      // The nick belongs to the winner's key; ours had bound it for a moment, here and in Redis.
      this.registry.bind(remote.nick, remote.publicKey, Date.now())
    })
  }

  /** How this node reaches a member of another node: through the stream, addressed to it. */
  private remoteConnection (ref: string): MemberConnection {
    return {
      send: (bytes) => {
        const pending = this.pendingFrom
        const from = pending !== undefined && this.byRef.get(ref) === pending.to ? this.refs.get(pending.from) : undefined
        this.pendingFrom = undefined
        this.appender.unicast(ref, from, bytes)
      },
      bufferedBytes: () => 0,
      close: (error) => {
        if (error === undefined) return
        this.appendEvent({ type: 'close', ref, code: error.code, text: error.message })
      }
    }
  }

  private register (member: Member, ref: string): void {
    this.byRef.set(ref, member)
    this.refs.set(member, ref)
  }

  private unregister (member: Member, ref: string): void {
    this.byRef.delete(ref)
    this.refs.delete(member)
  }

  private record (member: Member, ref: string): MemberRecord {
    return { ref, key: encodePublicKey(member.publicKey), nick: member.nick, verified: member.verified, sinceMs: member.connectedAtMs, away: member.away }
  }

  private applyingDo (fn: () => void): void {
    const was = this.applying
    this.applying = true
    try {
      fn()
    } finally {
      this.applying = was
    }
  }

  // Liveness

  private get nodeTimeoutMs (): number {
    return this.options.nodeTimeoutMs ?? REDIS_NODE_TIMEOUT_MS
  }

  /** Refresh our heartbeat; remove the members of nodes whose heartbeat has expired. */
  private async beat (): Promise<void> {
    if (this.beating || this.stopping) return
    this.beating = true
    try {
      await this.cmd.set(this.keys.node(this.nodeId), '1', 'PX', this.nodeTimeoutMs)
      if (this.room === undefined || !this.up || Date.now() < this.reapNotBefore) return
      const nodes = new Set([...this.remote].map((m) => this.refs.get(m)!.split(':')[0]!))
      for (const node of nodes) {
        if ((await this.cmd.exists(this.keys.node(node))) === 1) continue
        // One node announces the dead node's members; the others hear it from the stream.
        const won = await this.cmd.set(this.keys.reap(node), this.nodeId, 'PX', this.nodeTimeoutMs * 6, 'NX')
        if (won === 'OK') this.reap(node)
      }
    } catch {
      // Redis went away: lost() has told the members; the next beat tries again.
    } finally {
      this.beating = false
    }
  }

  private reap (node: string): void {
    const members = [...this.remote].filter((m) => this.refs.get(m)?.startsWith(node + ':') === true)
    if (members.length === 0) return
    this.options.log?.(`node ${node} of room ${this.roomName} stopped beating: removing its ${members.length} members`)
    const error = chatError('ERR_ROOM_UNAVAILABLE', 'disconnected: the other servers of the room took your server for dead; reconnect')
    for (const member of members) this.room!.remove(member, error, 'connection lost (their server stopped responding)')
  }

  private lost (): void {
    if (!this.up || this.stopping) return
    this.up = false
    this.options.log?.(`lost Redis at ${this.address.shown}: messages are refused until it is back`)
    this.local.broadcast(encodeMessage({ kind: 'announce', text: 'this server lost contact with the rest of the room (Redis): messages are refused until it is back' }))
  }

  private regained (): void {
    if (this.up || this.stopping) return
    this.up = true
    this.reapNotBefore = Date.now() + this.nodeTimeoutMs
    this.options.log?.(`Redis at ${this.address.shown} is back`)
    // Redis may have restarted empty: write our heartbeat and members again.
    void this.beat()
    for (const [member, ref] of this.refs) {
      if (!this.remote.has(member)) this.cmd.hset(this.keys.members, ref, JSON.stringify(this.record(member, ref))).catch(() => {})
    }
    this.local.broadcast(encodeMessage({ kind: 'announce', text: 'this server is back in contact with the room: messages are delivered again' }))
  }
}

/** One entry as XREAD and XREVRANGE return it with Buffer replies: its id and its [field, value, ...] list. */
type StreamEntry = [Buffer, Buffer[]]

const FIELD_NODE = 0x6e // 'n'
const FIELD_SEQ = 0x73 // 's'
const FIELD_BODY = 0x62 // 'b'

/** An entry's node id, sequence number and batch (undefined when the entry is not one of ours). */
function entryFields (raw: Buffer[]): { node: string, seq: number, body: Buffer | undefined } {
  let node = ''
  let seq = NaN
  let body: Buffer | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length !== 1) continue
    const value = raw[i + 1]!
    if (name[0] === FIELD_NODE) node = value.toString('latin1')
    else if (name[0] === FIELD_SEQ) seq = Number(value.toString('latin1'))
    else if (name[0] === FIELD_BODY) body = value
  }
  // An entry without a number (someone else's writing) is never taken for a duplicate, nor delivered.
  return { node, seq: Number.isSafeInteger(seq) ? seq : NaN, body: Number.isSafeInteger(seq) ? body : undefined }
}

/** The last `max` history lines of `entries` (oldest first), each with its own copy of the bytes. */
function historyOf (entries: StreamEntry[], max: number): Array<{ atMs: number, line: Buffer }> {
  const out: Array<{ atMs: number, line: Buffer }> = []
  if (max <= 0) return out
  let atMs = 0
  const visitor: BatchVisitor = {
    line: (line) => { if (isHistoryLine(line)) out.push({ atMs, line: Buffer.from(withoutNewline(line)) }) },
    event: () => {},
    unicast: () => {}
  }
  for (const [id, raw] of entries) {
    const { body } = entryFields(raw)
    if (body === undefined) continue
    atMs = idTime(id.toString('latin1'))
    readBatch(body, visitor)
  }
  return out.slice(-max)
}

function withoutNewline (line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0a ? line.subarray(0, -1) : line
}

/** The time in ms of a stream id (`MS-SEQ`): Redis's clock when the entry was added. */
function idTime (id: string): number {
  return Number(id.slice(0, id.indexOf('-')))
}

const LT = 0x3c // '<'
const STAR = 0x2a // '*'
const SPACE = 0x20

/**
 * True for the lines kept as history: what members said (`<nick> text`
 * and `* nick action`, as formatMessage writes public and emote lines),
 * not who came and went.
 */
function isHistoryLine (line: Buffer): boolean {
  return line[0] === LT || (line[0] === STAR && line[1] === SPACE)
}
