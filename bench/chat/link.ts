/**
 * One bench member's connection, whatever the server: it joins the room,
 * says lines, and hands the worker whole lines of what arrives (as latin1
 * text: every byte the bench looks for is ASCII, and latin1 decodes
 * fastest). Protocol chores (IRC registration, PING) stay inside a link.
 */

/** What a link tells the worker. */
export interface LinkHandlers {
  /** Whole lines arrived (one or more, each ending in \n). */
  lines: (text: string) => void
  /** The connection is gone; `reason` says why (clean or not). */
  closed: (reason: string) => void
}

/** A member's connection. */
export interface MemberLink {
  /** Say `text` in the room. */
  say: (text: string) => void
  /** Leave cleanly. */
  close: () => void
}

/** What the worker counts in the lines of each protocol. */
export interface ProtocolSigns {
  /** Occurs once in each join announcement a member receives (its own first). */
  join: string
  /** Starts a line telling this member it did something wrong (rate limit, cannot send). */
  problem: string
}

/** Splits arriving bytes into whole lines, keeping a partial line for the next chunk. */
export class LineBlocks {
  private carry = ''

  /** The whole lines completed by `chunk`, or undefined when none is. */
  push (chunk: Uint8Array): string | undefined {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    const text = this.carry + bytes.toString('latin1')
    const nl = text.lastIndexOf('\n')
    if (nl === -1) {
      this.carry = text
      return undefined
    }
    this.carry = nl === text.length - 1 ? '' : text.slice(nl + 1)
    return nl === text.length - 1 ? text : text.slice(0, nl + 1)
  }
}
