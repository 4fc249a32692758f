import { DEFAULT_HISTORY_LINES, MAX_OUTBOUND_BYTES, NAMES_ON_JOIN_MAX } from '../constants.js'
import { chatError, type ChatError } from '../errors.js'
import { encodePublicKey, fingerprint } from '../secure/keypair.js'
import { BanList, formatDuration, type Ban } from './bans.js'
import { LocalFanOut, type FanOut, type MemberConnection } from './fan-out.js'
import { encodeMessage, isHistoryKind, speakerName, type ChatMessage, type Speaker } from './messages.js'
import { guestNick, nickKey, nickProblem } from './nick.js'
import { NickRegistry } from './nick-registry.js'

/** One person in the room: a key, a connection, and what the room knows of them. */
export class Member {
  readonly id: number
  readonly publicKey: Buffer
  readonly connection: MemberConnection
  readonly connectedAtMs: number
  nick = ''
  /** The nick is reserved for this key by the authorized keys file. */
  verified = false
  /** Away reason ('' = away without one); undefined = here. */
  away: string | undefined
  lastActiveMs: number
  /** The last member who sent us a private message: the target of /reply. */
  replyTo: Member | undefined
  /** True from join until the member leaves or is removed. */
  inRoom = false
  /** The key's fingerprint, computed on first use: every logged event names it, and hashing per message showed in profiles. */
  private fingerprintText: string | undefined

  constructor (id: number, publicKey: Buffer, connection: MemberConnection, nowMs: number) {
    this.id = id
    this.publicKey = publicKey
    this.connection = connection
    this.connectedAtMs = nowMs
    this.lastActiveMs = nowMs
  }

  /** The fingerprint of the member's key. */
  get fingerprint (): string {
    this.fingerprintText ??= fingerprint(this.publicKey)
    return this.fingerprintText
  }

  /** How the member appears as the author of a message. */
  get speaker (): Speaker {
    return { nick: this.nick, verified: this.verified }
  }
}

/** A line for the server's event log; `text` is what a member said, logged only when asked for. */
export interface RoomLogEvent {
  event: 'join' | 'leave' | 'nick' | 'message' | 'private' | 'away' | 'kick' | 'ban' | 'unban' | 'mute' | 'unmute' | 'motd'
  nick: string
  fingerprint: string
  detail?: string
  text?: string
}

/** Options of a room. */
export interface RoomOptions {
  /** Messages kept for members who join later (default 20; 0 keeps none). */
  historyLines?: number
  /** Nick ownership (default: an empty one in memory). */
  registry?: NickRegistry
  /** Banned keys (default: an empty list in memory). */
  bans?: BanList
  /** Message of the day, shown to each joining member. */
  motd?: string[]
  /** Whether a key may use operator commands; asked each time, so reloads apply at once. */
  isOperator?: (publicKey: Buffer) => boolean
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number
  /** Delivery (default: a LocalFanOut with MAX_OUTBOUND_BYTES). */
  fanOut?: FanOut<Member>
  /** Hears every room event. */
  log?: (event: RoomLogEvent) => void
  /** History from before (a restart), oldest first. */
  history?: Array<{ atMs: number, line: string }>
  /** Told the history after every change (the server keeps it in its state directory). */
  onHistory?: (history: ReadonlyArray<{ atMs: number, line: string }>) => void
  /** When the room is shared by several servers (lib/chat/redis-room.ts): hears what the others must know. */
  sync?: RoomSync
}

/**
 * What a room shared by several servers needs to hear besides the lines
 * (which go through the FanOut): changes of shared state, each just before
 * the line that announces it, and whether the room can take messages now.
 */
export interface RoomSync {
  /** Why messages cannot reach the room now (the sender is told), or undefined when they can. */
  unavailable (): ChatError | undefined
  /** `member` changed nick or away. */
  changed (member: Member): void
  /** A key was muted (`on`) or unmuted here. */
  muted (publicKey: Buffer, on: boolean): void
  /** `from` is about to send `to` a private message (so that /reply works where `to` is served). */
  privateFrom (from: Member, to: Member): void
  /** True for a member served by another server. */
  isRemote (member: Member): boolean
  /** The room is closing: members of other servers are dropped here without being announced. */
  closing (): void
}

/** What a member asks for when joining. */
export interface JoinRequest {
  publicKey: Buffer
  connection: MemberConnection
  /** The nick the member asked for; without one, the key's preferred nick or GuestN. */
  nick?: string
  /** Notices for this member alone, sent just before `-- your nick is` (the session's rate limit). */
  notices?: string[]
}

/**
 * The chat room: who is in it, their nicks, the history, and the order in
 * which everyone hears everything. It never sees a socket: members come
 * with a MemberConnection, and every delivery goes through the FanOut, each
 * broadcast encoded once. Everything happens synchronously, in call order,
 * so every member receives broadcasts in the same order.
 */
export class Room {
  readonly registry: NickRegistry
  readonly bans: BanList
  readonly historyLines: number
  motd: string[]
  private readonly fanOut: FanOut<Member>
  private readonly members = new Map<number, Member>()
  private readonly byNick = new Map<string, Member>()
  private readonly history: Array<{ atMs: number, line: string }> = []
  private readonly muted = new Set<string>()
  private readonly isOperatorKey: (publicKey: Buffer) => boolean
  private readonly log: (event: RoomLogEvent) => void
  private readonly onHistory: ((history: ReadonlyArray<{ atMs: number, line: string }>) => void) | undefined
  private readonly sync: RoomSync | undefined
  readonly now: () => number
  private nextId = 1
  private nextGuest = 1

  constructor (options: RoomOptions = {}) {
    this.registry = options.registry ?? new NickRegistry()
    // A nick held by a member online is in use: the registry never evicts its binding.
    this.registry.isInUse = (k) => this.byNick.has(k)
    this.bans = options.bans ?? new BanList()
    this.historyLines = Math.max(0, options.historyLines ?? DEFAULT_HISTORY_LINES)
    this.motd = options.motd ?? []
    this.isOperatorKey = options.isOperator ?? (() => false)
    this.now = options.now ?? Date.now
    this.log = options.log ?? (() => {})
    this.onHistory = options.onHistory
    if (this.historyLines > 0) this.history.push(...(options.history ?? []).slice(-this.historyLines))
    this.sync = options.sync
    this.fanOut = options.fanOut ?? new LocalFanOut<Member>(MAX_OUTBOUND_BYTES)
    this.fanOut.onOverflow = (member) => {
      this.remove(member, chatError('ERR_SLOW_READER', 'disconnected: your connection did not keep up with the room'), 'too slow (stopped reading)')
    }
  }

  /** Members in the room, in joining order. */
  list (): Member[] {
    return [...this.members.values()]
  }

  /** Number of members in the room. */
  get size (): number {
    return this.members.size
  }

  /** The member online under `nick` (case ignored). */
  find (nick: string): Member | undefined {
    return this.byNick.get(nickKey(nick))
  }

  /** True when `member` may use operator commands. */
  isOperator (member: Member): boolean {
    return this.isOperatorKey(member.publicKey)
  }

  /** True when the member's key is muted. */
  isMuted (member: Member): boolean {
    return this.muted.has(encodePublicKey(member.publicKey))
  }

  /**
   * Admit a member: pick its nick (the one asked for if it may have it,
   * else its key's preferred nick, else GuestN), send it the MOTD, the
   * history and its nick, then announce it to everyone.
   */
  join (request: JoinRequest): Member {
    const nowMs = this.now()
    const member = new Member(this.nextId++, request.publicKey, request.connection, nowMs)
    let refusal: ChatError | undefined
    let nick: string | undefined
    /** Why the key's own nick could not be given (it is online elsewhere, say): the member is told. */
    let preferredRefused: { nick: string, why: ChatError } | undefined
    if (request.nick !== undefined) {
      refusal = this.nickRefusal(request.nick, member)
      if (refusal === undefined) nick = request.nick
    } else {
      const preferred = this.registry.preferredNick(member.publicKey)
      const why = preferred === undefined ? undefined : this.nickRefusal(preferred, member)
      if (preferred !== undefined && why === undefined) nick = preferred
      else if (preferred !== undefined && why !== undefined) preferredRefused = { nick: preferred, why }
    }
    this.setNick(member, nick ?? this.freeGuestNick(), nowMs)
    this.members.set(member.id, member)
    member.inRoom = true

    for (const line of this.motd) this.tell(member, { kind: 'notice', text: line })
    if (this.history.length > 0) {
      // Marked as history: what follows was said before this member came (times in UTC).
      this.tell(member, { kind: 'notice', text: `history: the last ${this.history.length} message${this.history.length === 1 ? '' : 's'} said here` })
      for (const entry of this.history) this.tell(member, { kind: 'replay', atMs: entry.atMs, line: entry.line })
      this.tell(member, { kind: 'notice', text: 'end of history' })
    }
    if (refusal !== undefined) this.refuse(member, refusal)
    if (preferredRefused !== undefined) {
      this.tell(member, { kind: 'notice', text: `you are ${member.nick}, not ${preferredRefused.nick} (your key's nick): ${preferredRefused.why.message}; /nick NICK picks another` })
    }
    for (const text of request.notices ?? []) this.tell(member, { kind: 'notice', text })
    this.tell(member, { kind: 'self-nick', nick: member.nick })
    this.fanOut.attach(member)
    this.broadcast({ kind: 'join', who: member.speaker, count: this.members.size })
    this.tell(member, { kind: 'notice', text: this.whoIsHere() })
    this.record(member, 'join')
    return member
  }

  /** The member left (quit, lost connection): announce it with `reason`. Does not touch the connection. */
  leave (member: Member, reason: string): void {
    if (!member.inRoom) return
    member.inRoom = false
    this.members.delete(member.id)
    if (this.byNick.get(nickKey(member.nick)) === member) this.byNick.delete(nickKey(member.nick))
    this.fanOut.detach(member)
    this.broadcast({ kind: 'leave', who: member.speaker, reason, count: this.members.size })
    this.record(member, 'leave', reason)
  }

  /** Remove a member against its will: announce `reason` to the room, then close its connection with `error`. */
  remove (member: Member, error: ChatError, reason: string): void {
    if (!member.inRoom) return
    this.leave(member, reason)
    member.connection.close(error)
  }

  /** A line to the room. */
  say (member: Member, text: string): void {
    if (this.refuseIfMuted(member)) return
    this.broadcast({ kind: 'public', from: member.speaker, text })
    this.record(member, 'message', undefined, text)
  }

  /** `/me`. */
  emote (member: Member, text: string): void {
    if (this.refuseIfMuted(member)) return
    this.broadcast({ kind: 'emote', from: member.speaker, text })
    this.record(member, 'message', 'emote', text)
  }

  /** `/msg NICK TEXT`. */
  privateMessage (member: Member, nick: string, text: string): void {
    const target = this.find(nick)
    if (target === undefined) return this.refuse(member, noSuchNick(nick))
    this.sendPrivate(member, target, text)
  }

  /** `/reply TEXT`: to whoever last sent us a private message. */
  reply (member: Member, text: string): void {
    const target = member.replyTo
    if (target === undefined) return this.refuse(member, chatError('ERR_NO_SUCH_NICK', 'nobody has sent you a private message yet'))
    if (!target.inRoom) return this.refuse(member, chatError('ERR_NO_SUCH_NICK', `${target.nick} has left`))
    this.sendPrivate(member, target, text)
  }

  /** `/nick NICK`. */
  changeNick (member: Member, nick: string): void {
    if (nick === member.nick) return this.tell(member, { kind: 'notice', text: `your nick is already ${nick}` })
    const refusal = this.nickRefusal(nick, member)
    if (refusal !== undefined) return this.refuse(member, refusal)
    const old = member.nick
    if (this.byNick.get(nickKey(old)) === member) this.byNick.delete(nickKey(old))
    this.setNick(member, nick, this.now())
    this.sync?.changed(member)
    this.broadcast({ kind: 'nick-change', from: old, to: member.speaker })
    this.tell(member, { kind: 'self-nick', nick: member.nick })
    this.record(member, 'nick', `${old} -> ${nick}`)
  }

  /** `/away [REASON]` (reason '' = away without one) and `/back` (undefined). */
  setAway (member: Member, reason: string | undefined): void {
    if (reason === undefined && member.away === undefined) return this.tell(member, { kind: 'notice', text: 'you are not away' })
    member.away = reason
    this.sync?.changed(member)
    this.broadcast({ kind: 'away', who: member.speaker, reason })
    this.record(member, 'away', reason ?? 'back')
  }

  /** Tell one member something. */
  tell (member: Member, message: ChatMessage): void {
    this.fanOut.unicast(member, encodeMessage(message))
  }

  /** Tell one member that what it did was refused: only it sees the error. */
  refuse (member: Member, error: ChatError): void {
    this.tell(member, { kind: 'error', code: error.code, text: error.message })
  }

  /** Something for the whole room. */
  announce (text: string): void {
    this.broadcast({ kind: 'announce', text })
  }

  /** `/kick NICK [REASON]`. */
  kick (by: Member, nick: string, reason: string): void {
    const target = this.find(nick)
    if (target === undefined) return this.refuse(by, noSuchNick(nick))
    const why = `kicked by ${by.nick}${reason === '' ? '' : ': ' + reason}`
    this.record(target, 'kick', why)
    this.remove(target, chatError('ERR_KICKED', `you were ${why}`), why)
  }

  /** `/ban`: ban a key (every member online with it is removed). */
  ban (by: Member, publicKey: Buffer, nick: string | undefined, durationMs: number | undefined, reason: string): Ban {
    const ban = this.bans.add(publicKey, { nick, reason, by: by.nick, nowMs: this.now(), durationMs })
    const why = `banned by ${by.nick}${durationMs === undefined ? '' : ' for ' + formatDuration(durationMs)}${reason === '' ? '' : ': ' + reason}`
    const online = this.list().filter((m) => m.publicKey.equals(publicKey))
    if (online.length === 0) this.tell(by, { kind: 'notice', text: `${nick ?? fingerprint(publicKey)} is ${why}` })
    for (const target of online) this.remove(target, chatError('ERR_BANNED', `you were ${why}`), why)
    this.log({ event: 'ban', nick: nick ?? '', fingerprint: fingerprint(publicKey), detail: why })
    return ban
  }

  /** `/unban KEY|FINGERPRINT|NICK`. */
  unban (by: Member, target: string): void {
    const lifted = this.bans.remove(target)
    if (lifted === undefined) return this.refuse(by, chatError('ERR_NO_SUCH_NICK', `no ban matches ${target}`))
    const name = lifted.nick ?? fingerprint(Buffer.from(lifted.key, 'base64'))
    this.tell(by, { kind: 'notice', text: `${name} is no longer banned` })
    this.log({ event: 'unban', nick: lifted.nick ?? '', fingerprint: fingerprint(Buffer.from(lifted.key, 'base64')), detail: `by ${by.nick}` })
  }

  /** `/mute NICK`: toggles; a muted key's messages are refused until unmuted. */
  toggleMute (by: Member, nick: string): void {
    const target = this.find(nick)
    if (target === undefined) return this.refuse(by, noSuchNick(nick))
    const key = encodePublicKey(target.publicKey)
    const nowMuted = !this.muted.has(key)
    if (nowMuted) this.muted.add(key)
    else this.muted.delete(key)
    this.sync?.muted(target.publicKey, nowMuted)
    this.announce(`${target.nick} was ${nowMuted ? 'muted' : 'unmuted'} by ${by.nick}`)
    this.record(target, nowMuted ? 'mute' : 'unmute', `by ${by.nick}`)
  }

  /** `/motd TEXT`: replace the message of the day. */
  setMotd (by: Member, lines: string[]): void {
    this.motd = lines
    this.announce(`${by.nick} changed the message of the day`)
    this.record(by, 'motd')
  }

  /** Recompute the verified marks (after the reserved nicks were reloaded). */
  refreshVerified (): void {
    for (const member of this.members.values()) member.verified = this.registry.isReservedFor(member.nick, member.publicKey)
  }

  /** Shutting down: tell everyone, then end every member's connection cleanly. */
  close (notice: string): void {
    if (this.sync === undefined) this.announce(notice)
    this.sync?.closing()
    for (const member of this.list()) {
      // Shared: the others hear that this server's members left; members of other servers stay theirs.
      if (this.sync?.isRemote(member) === true) {
        this.drop(member)
        continue
      }
      if (this.sync !== undefined) {
        this.tell(member, { kind: 'notice', text: notice })
        this.leave(member, 'their server shut down')
      }
      member.inRoom = false
      this.fanOut.detach(member)
      member.connection.close()
    }
    this.members.clear()
    this.byNick.clear()
  }

  /**
   * A member served by another server of a shared room: in the room's
   * lists (so /names, /whois, /msg and nick checks see it) without any
   * announcement, which that server made.
   */
  admitRemote (publicKey: Buffer, connection: MemberConnection, state: { nick: string, verified: boolean, sinceMs: number, away: string | undefined }): Member {
    const member = new Member(this.nextId++, publicKey, connection, state.sinceMs)
    member.nick = state.nick
    member.verified = state.verified
    member.away = state.away
    member.lastActiveMs = this.now()
    // A nick claimed at the same moment on two servers: the first holder stays indexed until one yields.
    if (!this.byNick.has(nickKey(state.nick))) this.byNick.set(nickKey(state.nick), member)
    this.members.set(member.id, member)
    member.inRoom = true
    this.fanOut.attach(member)
    return member
  }

  /** A member's new nick, decided by the server that serves it: no announcement (it made one). */
  renameRemote (member: Member, nick: string, verified: boolean): void {
    if (this.byNick.get(nickKey(member.nick)) === member) this.byNick.delete(nickKey(member.nick))
    member.nick = nick
    member.verified = verified
    if (!this.byNick.has(nickKey(nick))) this.byNick.set(nickKey(nick), member)
  }

  /**
   * Another server's member claimed `member`'s nick first (both asked at
   * the same moment): `member` yields it for a GuestN nick, told why.
   */
  yieldNick (member: Member): void {
    if (!member.inRoom) return
    const old = member.nick
    if (this.byNick.get(nickKey(old)) === member) this.byNick.delete(nickKey(old))
    this.tell(member, { kind: 'notice', text: `the nick ${old} was taken on another server of the room at the same moment` })
    this.setNick(member, this.freeGuestNick(), this.now())
    this.sync?.changed(member)
    this.broadcast({ kind: 'nick-change', from: old, to: member.speaker })
    this.tell(member, { kind: 'self-nick', nick: member.nick })
    this.record(member, 'nick', `${old} -> ${member.nick}`)
  }

  /** Index `member` under its nick again (after the member holding it yielded). */
  reindex (member: Member): void {
    if (member.inRoom && this.byNick.get(nickKey(member.nick)) === undefined) this.byNick.set(nickKey(member.nick), member)
  }

  /** Take a member out of the room without announcing it (another server of a shared room did). */
  drop (member: Member): void {
    if (!member.inRoom) return
    member.inRoom = false
    this.members.delete(member.id)
    if (this.byNick.get(nickKey(member.nick)) === member) this.byNick.delete(nickKey(member.nick))
    this.fanOut.detach(member)
  }

  /** Mute or unmute a key without announcing it (another server of a shared room did). */
  setMuted (publicKey: Buffer, on: boolean): void {
    const key = encodePublicKey(publicKey)
    if (on) this.muted.add(key)
    else this.muted.delete(key)
  }

  /** The line a joining member gets about who is here: the nicks, or only their number in a big room. */
  private whoIsHere (): string {
    if (this.members.size > NAMES_ON_JOIN_MAX) return `${this.members.size} members are here; /names lists them`
    return `in the room: ${this.list().map((m) => speakerName(m.speaker)).join(', ')}`
  }

  private broadcast (message: ChatMessage): void {
    const line = encodeMessage(message)
    if (isHistoryKind(message) && this.historyLines > 0) {
      this.history.push({ atMs: this.now(), line: line.toString('utf8', 0, line.byteLength - 1) })
      if (this.history.length > this.historyLines) this.history.shift()
      this.onHistory?.(this.history)
    }
    this.fanOut.broadcast(line)
  }

  private sendPrivate (member: Member, target: Member, text: string): void {
    if (this.refuseIfMuted(member)) return
    this.sync?.privateFrom(member, target)
    this.tell(target, { kind: 'private-in', from: member.speaker, text })
    target.replyTo = member
    this.tell(member, { kind: 'private-out', to: target.speaker, text })
    if (target.away !== undefined) this.tell(member, { kind: 'notice', text: `${target.nick} is away${target.away === '' ? '' : ': ' + target.away}` })
    this.record(member, 'private', `to ${target.nick}`, text)
  }

  private refuseIfMuted (member: Member): boolean {
    // A shared room that cannot reach its other servers refuses messages rather than lose them.
    const unavailable = this.sync?.unavailable()
    if (unavailable !== undefined) {
      this.refuse(member, unavailable)
      return true
    }
    if (!this.isMuted(member)) return false
    this.refuse(member, chatError('ERR_MUTED', 'you are muted: your messages are not delivered'))
    return true
  }

  /** Why `member` may not take `nick` now: its form, another key's binding or reservation, or another member online. */
  private nickRefusal (nick: string, member: Member): ChatError | undefined {
    const problem = nickProblem(nick)
    if (problem !== undefined) return problem
    // A reservation tells most; then "in use" (an online nick is also bound to its holder); then a binding.
    const notOwner = this.registry.check(nick, member.publicKey)
    if (notOwner?.code === 'ERR_NICK_RESERVED') return notOwner
    const holder = this.find(nick)
    if (holder !== undefined && holder !== member) return chatError('ERR_NICK_IN_USE', `the nick ${holder.nick} is in use by another member`)
    return notOwner
  }

  private setNick (member: Member, nick: string, nowMs: number): void {
    member.nick = nick
    member.verified = this.registry.isReservedFor(nick, member.publicKey)
    this.byNick.set(nickKey(nick), member)
    this.registry.bind(nick, member.publicKey, nowMs)
  }

  private freeGuestNick (): string {
    while (this.byNick.has(nickKey(guestNick(this.nextGuest)))) this.nextGuest++
    return guestNick(this.nextGuest++)
  }

  private record (member: Member, event: RoomLogEvent['event'], detail?: string, text?: string): void {
    const entry: RoomLogEvent = { event, nick: member.nick, fingerprint: member.fingerprint }
    if (detail !== undefined) entry.detail = detail
    if (text !== undefined) entry.text = text
    this.log(entry)
  }
}

function noSuchNick (nick: string): ChatError {
  return chatError('ERR_NO_SUCH_NICK', `nobody here is called ${nick}`)
}
