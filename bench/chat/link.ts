/**
 * One bench member's connection, whatever the server: it joins the room,
 * says lines, and hands the worker each payload that arrives (with the
 * time its bytes were read) and the lines that carry none, as bytes:
 * nothing is decoded to text. Protocol chores (IRC registration, PING)
 * stay inside a link.
 */
import { nowUs, scanPayloads, type OtherLines } from './payload.js'

/** Called for each payload received: its fields and when its bytes were read (monotonic microseconds). */
export type ReceivedPayload = (step: number, sender: number, seq: number, sentUs: number, receivedUs: number) => void

/** What a link tells the worker. */
export interface LinkHandlers {
  /** A payload arrived. */
  payload: ReceivedPayload
  /** Whole lines without a payload arrived (joins, problems), as the bytes received. */
  other: OtherLines
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

/**
 * Everything a link does with arriving bytes: whole lines (LineBlocks),
 * then their payloads, stamped once per read, and the other lines.
 */
export class LineReader {
  private readonly blocks = new LineBlocks()
  private receivedUs = 0
  private readonly visit: (step: number, sender: number, seq: number, sentUs: number) => void

  constructor (payload: ReceivedPayload, private readonly other: OtherLines) {
    this.visit = (step, sender, seq, sentUs) => payload(step, sender, seq, sentUs, this.receivedUs)
  }

  /** Bytes read from the connection; they are only looked at during the call (a reused read buffer is fine). */
  push (chunk: Uint8Array): void {
    const bytes = this.blocks.push(chunk)
    if (bytes === undefined) return
    this.receivedUs = nowUs()
    scanPayloads(bytes, this.visit, this.other)
  }
}
