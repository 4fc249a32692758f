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
  /** Set by the room: called for each member whose unsent output passed the bound after a delivery. */
  onOverflow: (member: M) => void
}

/**
 * The fan-out of a room held in one process: it writes straight to each
 * member's connection and, after each delivery, reports the members whose
 * output buffer passed `maxOutboundBytes`, so that one stalled reader is
 * dropped instead of holding up (or eating the memory of) everyone else.
 */
export class LocalFanOut<M extends Recipient> implements FanOut<M> {
  readonly maxOutboundBytes: number
  onOverflow: (member: M) => void = () => {}
  private readonly members = new Set<M>()

  constructor (maxOutboundBytes: number) {
    this.maxOutboundBytes = maxOutboundBytes
  }

  attach (member: M): void {
    this.members.add(member)
  }

  detach (member: M): void {
    this.members.delete(member)
  }

  broadcast (line: Buffer): void {
    let overflowing: M[] | undefined
    for (const member of this.members) {
      member.connection.send(line)
      if (member.connection.bufferedBytes() > this.maxOutboundBytes) (overflowing ??= []).push(member)
    }
    // Reported after the loop: the handler detaches members and broadcasts their leaving.
    if (overflowing !== undefined) for (const member of overflowing) this.report(member)
  }

  unicast (member: M, line: Buffer): void {
    member.connection.send(line)
    if (member.connection.bufferedBytes() > this.maxOutboundBytes) this.report(member)
  }

  /** Members attached now. */
  get size (): number {
    return this.members.size
  }

  private report (member: M): void {
    if (this.members.has(member)) this.onOverflow(member)
  }
}
