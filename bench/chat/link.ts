/**
 * One bench member's connection, whatever the server: it joins the room,
 * says lines, and hands the worker whole lines of what arrives (as latin1
 * text: every byte the bench looks for is ASCII, and latin1 decodes
 * fastest). Protocol chores (IRC registration, PING) stay inside a link.
 */

/** What a link tells the worker. */
export interface LinkHandlers {
  /** Whole lines arrived (one or more, each ending in \n), as the bytes received. */
  lines: (bytes: Buffer) => void
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

/** What the worker counts in the lines of each protocol (ASCII, matched as bytes). */
export interface ProtocolSigns {
  /** Occurs once in each join announcement a member receives (its own first). */
  join: Buffer
  /** Starts a line telling this member it did something wrong (rate limit, cannot send). */
  problem: Buffer
}

const NEWLINE = 0x0a

/**
 * Splits arriving bytes into whole lines, keeping a partial line for the
 * next chunk. Bytes stay bytes: a chunk of whole lines is handed on as it
 * came (no copy); only a partial line at its end is copied aside.
 */
export class LineBlocks {
  private carry: Buffer | null = null

  /** The whole lines completed by `chunk`, or undefined when none is. */
  push (chunk: Uint8Array): Buffer | undefined {
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (this.carry !== null) {
      bytes = Buffer.concat([this.carry, bytes])
      this.carry = null
    }
    const nl = bytes.lastIndexOf(NEWLINE)
    if (nl === -1) {
      this.carry = Buffer.from(bytes)
      return undefined
    }
    if (nl === bytes.byteLength - 1) return bytes
    this.carry = Buffer.from(bytes.subarray(nl + 1))
    return bytes.subarray(0, nl + 1)
  }
}
