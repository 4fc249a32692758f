import { isIPv4, isIPv6 } from 'node:net'

/**
 * Bounds on handshakes in progress, so that connections which never finish
 * their handshake cannot crowd out the ones that do (sshd's MaxStartups
 * and PerSourceMaxStartups, in spirit). A pure bookkeeping class: the
 * server asks before it starts a handshake, tells it when one ends, and
 * closes what the gate says to close.
 *
 * - Per source (an IPv4 address, or an IPv6 /64, which one host usually
 *   holds whole): past `maxPerSource` the new connection is refused. A
 *   single host cannot hold more than its share, whatever it sends.
 * - In all: past `maxTotal` a handshake in progress is dropped to make
 *   room: the oldest of the source holding the most. A legitimate
 *   handshake takes a round trip; a stalled one sits for the whole
 *   handshake timeout, so the oldest is almost always the attacker's, and
 *   a newcomer is never turned away by a crowd of stalled connections from
 *   many sources. Taking it from the busiest source first matters when the
 *   crowd is renewed faster than a loaded server finishes a round trip:
 *   the oldest overall may then be a legitimate client's, alone from its
 *   address, while the attacker's addresses hold several each.
 */
export class HandshakeGate<T> {
  readonly maxTotal: number
  readonly maxPerSource: number
  /** Handshakes in progress, oldest first (a Map keeps insertion order), with their source. */
  private readonly pending = new Map<T, string>()
  /** The same per source, oldest first. */
  private readonly perSource = new Map<string, Set<T>>()

  constructor (maxTotal: number, maxPerSource: number) {
    this.maxTotal = Math.max(1, maxTotal)
    this.maxPerSource = Math.max(1, maxPerSource)
  }

  /** Handshakes in progress now. */
  get size (): number {
    return this.pending.size
  }

  /** Handshakes in progress from `source` (as returned by sourceOf). */
  countFrom (source: string): number {
    return this.perSource.get(source)?.size ?? 0
  }

  /** True when a handshake from `source` may start (its source is below its share). */
  admits (source: string): boolean {
    return this.countFrom(source) < this.maxPerSource
  }

  /**
   * Record a handshake that starts now. Returns the handshake dropped to
   * make room (see `victim`), which the caller must close, or undefined.
   * Call `admits` first: this does not check the per-source bound.
   */
  add (handshake: T, source: string): T | undefined {
    let evicted: T | undefined
    if (this.pending.size >= this.maxTotal) {
      evicted = this.victim()
      if (evicted !== undefined) this.release(evicted)
    }
    this.pending.set(handshake, source)
    let mine = this.perSource.get(source)
    if (mine === undefined) this.perSource.set(source, mine = new Set())
    mine.add(handshake)
    return evicted
  }

  /**
   * The handshake to drop when room is needed: the oldest of the source
   * with the most in progress (ties: the one whose oldest is oldest), or
   * undefined when none is in progress. O(sources), at most maxTotal.
   */
  victim (): T | undefined {
    let best: Set<T> | undefined
    let bestAge = Infinity
    const order = new Map<T, number>()
    let i = 0
    for (const h of this.pending.keys()) order.set(h, i++)
    for (const handshakes of this.perSource.values()) {
      const oldest = handshakes.values().next().value as T
      const age = order.get(oldest)!
      if (best === undefined || handshakes.size > best.size || (handshakes.size === best.size && age < bestAge)) {
        best = handshakes
        bestAge = age
      }
    }
    return best?.values().next().value
  }

  /** The handshakes in progress, oldest first (a copy: releasing while iterating is safe). */
  handshakes (): T[] {
    return [...this.pending.keys()]
  }

  /** The handshake ended (completed, failed or closed); unknown ones are ignored, so calling twice is harmless. */
  release (handshake: T): void {
    const source = this.pending.get(handshake)
    if (source === undefined) return
    this.pending.delete(handshake)
    const mine = this.perSource.get(source)!
    mine.delete(handshake)
    if (mine.size === 0) this.perSource.delete(source)
  }
}

/**
 * The source a connection is counted under: an IPv4 address as it is (also
 * when written IPv4-mapped, `::ffff:192.0.2.1`), an IPv6 address as its /64
 * (a host is given a whole /64 and can pick any address in it), anything
 * else as itself.
 */
export function sourceOf (address: string | undefined): string {
  if (address === undefined) return '?'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1]!
  if (isIPv4(address) || !isIPv6(address)) return address
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`
}

/** The eight groups of an IPv6 address, without leading zeros ('2001:db8::1' -> 2001 db8 0 0 0 0 0 1). */
function expandIPv6 (address: string): string[] {
  const [head, tail] = address.split('%')[0]!.split('::') as [string, string | undefined]
  const groups = (part: string | undefined): string[] => part === undefined || part === '' ? [] : part.split(':')
  const left = groups(head)
  const right = groups(tail)
  // A dotted IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) fills two groups.
  const dotted = address.includes('.') ? 1 : 0
  const middle = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length - dotted)).fill('0')
  return [...left, ...middle, ...right].map((g) => g.includes('.') ? g : Number.parseInt(g, 16).toString(16))
}
