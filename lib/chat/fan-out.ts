import type { ChatError } from '../errors.js'

/**
 * One member's way out: the server gives each member one, over its secure
 * stream; tests give plain objects.
 */
export interface MemberConnection {
  /** Queue one encoded line (or several) for the member. Never blocks and never throws. */
  send (bytes: Buffer): void
  /** Bytes queued for the member and not yet handed to the network. */
  bufferedBytes (): number
  /** Disconnect: with an error, its message is the reason the member is shown; without, a clean end (END). */
  close (error?: ChatError): void
}

/** Anything the room delivers to. */
export interface Recipient {
  readonly connection: MemberConnection
}

/**
 * The room's one way of delivering: the seam at which a room can later be
 * spread over several server processes (a fan-out that also forwards each
 * broadcast to its peers). The room hands it each line encoded once; a
 * fan-out never copies a line per recipient.
 */
export interface FanOut<M extends Recipient> {
  /** From now on, `member` receives broadcasts. */
  attach (member: M): void
  /** From now on, `member` receives nothing (what was queued for it before is still sent, at once). */
  detach (member: M): void
  /** Deliver `line` to every attached member, in attach order; the same Buffer goes to each. */
  broadcast (line: Buffer): void
  /** Deliver `line` to one member. */
  unicast (member: M, line: Buffer): void
  /** Set by the room: called for each member whose unsent output passed the bound (soon after a delivery). */
  onOverflow: (member: M) => void
}

/** Runs a function later; LocalFanOut checks for overflowing members, and ends its turns, through it. */
export type Defer = (fn: () => void) => void

/** How a LocalFanOut schedules its work. */
export interface LocalFanOutOptions {
  /** Schedules the overflow check (default setImmediate); `(fn) => fn()` checks right after each flush. */
  defer?: Defer
  /**
   * Ends a turn: everything queued for a member until `endTurn` runs its
   * callback leaves in one `send`. The server passes setImmediate, so the
   * lines of every socket read in one event-loop turn go out together;
   * absent, each delivery is sent at once (what the room's tests expect).
   */
  endTurn?: Defer
}

/** A member's place in a LocalFanOut, and what it is owed in the current turn. */
class Slot<M extends Recipient> {
  readonly member: M
  /** Index in the turn's broadcast log from which this member receives (it attached during the turn). */
  from = 0
  /** Lines for this member alone queued this turn, each after the broadcast log's first `at` lines: [at, line, at, line, ...]. */
  own: Array<number | Buffer> | null = null

  constructor (member: M, from: number) {
    this.member = member
    this.from = from
  }
}

/**
 * The fan-out of a room held in one process: it writes to each member's
 * connection and drops a member whose unsent output passed
 * `maxOutboundBytes`, so that one stalled reader is dropped instead of
 * holding up (or eating the memory of) everyone else.
 *
 * A broadcast costs O(1) when it is made: the line joins the turn's log.
 * At the end of the turn the log is joined into one buffer, shared by
 * every member who was there all turn and got nothing of its own; each
 * member then gets one `send` (one frame, one socket write) however many
 * lines the turn held. Members with lines of their own, or who came or
 * went during the turn, get their own merge, in the order it all happened.
 *
 * The overflow check is deferred (by default with setImmediate): right
 * after a send the stream cannot have handed anything to the socket yet,
 * so measuring at once would count a fast member as slow. By the time the
 * deferred check runs, whatever the network accepted has left; what
 * remains is what the member did not read.
 */
export class LocalFanOut<M extends Recipient> implements FanOut<M> {
  readonly maxOutboundBytes: number
  onOverflow: (member: M) => void = () => {}
  private readonly slots = new Map<M, Slot<M>>()
  private readonly suspects = new Set<M>()
  private readonly defer: Defer
  private readonly endTurn: Defer | undefined
  /** Broadcasts of the current turn, in order. */
  private log: Buffer[] = []
  /** Slots with lines of their own this turn (visited when the turn had no broadcast). */
  private owed: Array<Slot<M>> = []
  private turnPending = false
  private checkPending = false
  private readonly finishTurn = (): void => {
    this.turnPending = false
    this.flush()
  }

  /** `options` may be the overflow check's Defer alone (the older signature). */
  constructor (maxOutboundBytes: number, options: LocalFanOutOptions | Defer = {}) {
    const opts = typeof options === 'function' ? { defer: options } : options
    this.maxOutboundBytes = maxOutboundBytes
    this.defer = opts.defer ?? setImmediate
    this.endTurn = opts.endTurn
  }

  attach (member: M): void {
    if (this.slots.has(member)) return
    this.slots.set(member, new Slot(member, this.log.length))
  }

  detach (member: M): void {
    const slot = this.slots.get(member)
    if (slot === undefined) return
    // What it was owed before it left still goes, ahead of anything after.
    this.deliverSlot(slot)
    this.slots.delete(member)
    this.suspects.delete(member)
  }

  broadcast (line: Buffer): void {
    this.log.push(line)
    this.turnEnds()
  }

  unicast (member: M, line: Buffer): void {
    const slot = this.slots.get(member)
    if (slot === undefined) {
      // Not attached (about to join, or gone): nothing of the turn is queued for it, so order holds.
      member.connection.send(line)
      this.watch(member)
      this.scheduleCheck()
      return
    }
    if (slot.own === null) {
      slot.own = []
      this.owed.push(slot)
    }
    slot.own.push(this.log.length, line)
    this.turnEnds()
  }

  /** Members attached now. */
  get size (): number {
    return this.slots.size
  }

  /** Send everything queued in this turn now. */
  flush (): void {
    const log = this.log
    const owed = this.owed
    if (log.length === 0 && owed.length === 0) return
    this.log = []
    this.owed = []
    if (log.length === 0) {
      for (const slot of owed) if (this.slots.get(slot.member) === slot) this.deliver(slot, log, null)
    } else {
      const shared = log.length === 1 ? log[0]! : Buffer.concat(log)
      for (const slot of this.slots.values()) this.deliver(slot, log, shared)
    }
    this.scheduleCheck()
  }

  private turnEnds (): void {
    if (this.endTurn === undefined) return this.flush()
    if (this.turnPending) return
    this.turnPending = true
    this.endTurn(this.finishTurn)
  }

  /** Send one slot what it is owed of `log` (whose concatenation is `shared`), and start its next turn. */
  private deliver (slot: Slot<M>, log: Buffer[], shared: Buffer | null): void {
    const own = slot.own
    const from = slot.from
    slot.own = null
    slot.from = 0
    if (own === null && from === 0) {
      if (shared !== null) slot.member.connection.send(shared)
    } else {
      const bytes = merge(log, from, own)
      if (bytes !== null) slot.member.connection.send(bytes)
    }
    this.watch(slot.member)
  }

  /** A slot leaves mid-turn: it gets what was queued for it so far, and nothing of the turn after. */
  private deliverSlot (slot: Slot<M>): void {
    const own = slot.own
    const bytes = merge(this.log, slot.from, own)
    slot.own = null
    if (own !== null) this.owed = this.owed.filter((s) => s !== slot)
    if (bytes !== null) slot.member.connection.send(bytes)
  }

  private watch (member: M): void {
    if (member.connection.bufferedBytes() > this.maxOutboundBytes) this.suspects.add(member)
  }

  private scheduleCheck (): void {
    if (this.suspects.size === 0 || this.checkPending) return
    this.checkPending = true
    this.defer(() => {
      this.checkPending = false
      const suspects = [...this.suspects]
      this.suspects.clear()
      for (const member of suspects) {
        if (this.slots.has(member) && member.connection.bufferedBytes() > this.maxOutboundBytes) this.onOverflow(member)
      }
    })
  }
}

/** The broadcasts of `log` from index `from`, with a member's own lines at their places, as one buffer (null: nothing). */
function merge (log: Buffer[], from: number, own: Array<number | Buffer> | null): Buffer | null {
  if (own === null) {
    if (from >= log.length) return null
    return from === log.length - 1 ? log[from]! : Buffer.concat(from === 0 ? log : log.slice(from))
  }
  const parts: Buffer[] = []
  let next = from
  for (let i = 0; i < own.length; i += 2) {
    const at = own[i] as number
    while (next < at) parts.push(log[next++]!)
    parts.push(own[i + 1] as Buffer)
  }
  while (next < log.length) parts.push(log[next++]!)
  if (parts.length === 0) return null
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}
