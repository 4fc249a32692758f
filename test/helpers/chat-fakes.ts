import type { ChatError } from '../../lib/errors.js'
import type { MemberConnection } from '../../lib/chat/fan-out.js'
import { generateKeyPair } from '../../lib/secure/keypair.js'

/**
 * A member connection as a plain object: it records every line the room
 * sends, can pretend to hold unsent bytes (a reader that stopped reading),
 * and remembers how it was closed.
 */
export class RecordingConnection implements MemberConnection {
  readonly lines: string[] = []
  readonly buffers: Buffer[] = []
  /** When true, everything sent stays "unsent", as with a peer that never reads. */
  stalled = false
  pending = 0
  closed: { error: ChatError | undefined } | undefined

  send (bytes: Buffer): void {
    this.buffers.push(bytes)
    if (this.stalled) this.pending += bytes.byteLength
    for (const line of bytes.toString('utf8').split('\n').slice(0, -1)) this.lines.push(line)
  }

  bufferedBytes (): number {
    return this.pending
  }

  close (error?: ChatError): void {
    this.closed ??= { error }
  }

  /** Lines received since the last call of take(). */
  take (): string[] {
    const fresh = this.lines.slice(this.taken)
    this.taken = this.lines.length
    return fresh
  }

  private taken = 0
}

/** A fresh random public key. */
export function randomKey (): Buffer {
  return generateKeyPair().publicKey
}

/** A clock the test moves by hand. */
export class ManualClock {
  ms = Date.UTC(2024, 4, 1, 9, 0, 0)
  readonly now = (): number => this.ms
  advance (ms: number): void {
    this.ms += ms
  }
}
