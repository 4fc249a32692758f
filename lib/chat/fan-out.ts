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
  /** From now on, `member` receives nothing. */
  detach (member: M): void
  /** Deliver `line` to every attached member, in attach order; the same Buffer goes to each. */
  broadcast (line: Buffer): void
  /** Deliver `line` to one member. */
  unicast (member: M, line: Buffer): void
  /** Set by the room: called for each member whose unsent output passed the bound (soon after a delivery). */
  onOverflow: (member: M) => void
}

/** Runs a function later; LocalFanOut checks for overflowing members through it. */
export type Defer = (fn: () => void) => void

/**
 * The fan-out of a room held in one process: it writes straight to each
 * member's connection and drops a member whose unsent output passed
 * `maxOutboundBytes`, so that one stalled reader is dropped instead of
 * holding up (or eating the memory of) everyone else.
 *
 * The check is deferred (by default with setImmediate): a burst of lines
 * handled in one turn of the event loop queues them all before the stream
 * can hand any to the socket, so measuring at once would count a fast
 * member as slow. By the time the deferred check runs, whatever the
 * network accepted has left; what remains is what the member did not read.
 */
export class LocalFanOut<M extends Recipient> implements FanOut<M> {
  readonly maxOutboundBytes: number
  onOverflow: (member: M) => void = () => {}
  private readonly members = new Set<M>()
  private readonly suspects = new Set<M>()
  private readonly defer: Defer
  private checkPending = false

  /** `defer` schedules the overflow check; pass `(fn) => fn()` to check right after each delivery. */
  constructor (maxOutboundBytes: number, defer: Defer = setImmediate) {
    this.maxOutboundBytes = maxOutboundBytes
    this.defer = defer
  }

  attach (member: M): void {
    this.members.add(member)
  }

  detach (member: M): void {
    this.members.delete(member)
    this.suspects.delete(member)
  }

  broadcast (line: Buffer): void {
    for (const member of this.members) {
      member.connection.send(line)
      if (member.connection.bufferedBytes() > this.maxOutboundBytes) this.suspects.add(member)
    }
    // After the loop: the handler detaches members and broadcasts their leaving.
    this.scheduleCheck()
  }

  unicast (member: M, line: Buffer): void {
    member.connection.send(line)
    if (member.connection.bufferedBytes() > this.maxOutboundBytes) this.suspects.add(member)
    this.scheduleCheck()
  }

  /** Members attached now. */
  get size (): number {
    return this.members.size
  }

  private scheduleCheck (): void {
    if (this.suspects.size === 0 || this.checkPending) return
    this.checkPending = true
    this.defer(() => {
      this.checkPending = false
      const suspects = [...this.suspects]
      this.suspects.clear()
      for (const member of suspects) {
        if (this.members.has(member) && member.connection.bufferedBytes() > this.maxOutboundBytes) this.onOverflow(member)
      }
    })
  }
}
