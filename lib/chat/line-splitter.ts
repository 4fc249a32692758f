import { MAX_LINE_BYTES } from '../constants.js'

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/** What the splitter found in the bytes it was given. */
export type SplitEvent =
  /** A whole line: UTF-8 decoded (invalid sequences become U+FFFD), without its `\n` or `\r\n`. */
  | { type: 'line', text: string }
  /** A line passed the limit: it is dropped, and so is the rest of it up to the next newline. */
  | { type: 'overlong', limit: number }

/**
 * Bytes in, lines out: the line codec of the chat wire (docs/CHAT.md).
 *
 * A line is everything up to `\n`; a `\r` right before it is dropped. A
 * line may hold at most `maxLineBytes` bytes; the moment a pending line
 * passes that, the splitter reports it once and discards bytes until the
 * next newline, so it never holds more than `maxLineBytes + 1` bytes
 * whatever the peer sends. Bytes are decoded only once the whole line is
 * in, so a character split across chunks decodes correctly.
 */
export class LineSplitter {
  readonly maxLineBytes: number
  private chunks: Buffer[] = []
  private pendingBytes = 0
  private discarding = false

  constructor (maxLineBytes: number = MAX_LINE_BYTES) {
    this.maxLineBytes = maxLineBytes
  }

  /** Feed bytes; returns the lines (and overlong notices) they complete, in order. */
  push (data: Uint8Array): SplitEvent[] {
    const events: SplitEvent[] = []
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    let start = 0
    while (start < bytes.byteLength) {
      const nl = bytes.indexOf(NEWLINE, start)
      const end = nl === -1 ? bytes.byteLength : nl
      // A partial line outlives this call: copy it, the caller may reuse its buffer.
      this.take(bytes.subarray(start, end), events, nl === -1)
      if (nl === -1) break
      this.finishLine(events)
      start = nl + 1
    }
    return events
  }

  /** The input ended: a last line without a newline still counts as a line. */
  end (): SplitEvent[] {
    const events: SplitEvent[] = []
    if (this.pendingBytes > 0 || this.discarding) this.finishLine(events)
    return events
  }

  /** Bytes of the unfinished line held right now (never more than maxLineBytes + 1). */
  get bufferedBytes (): number {
    return this.pendingBytes
  }

  private take (part: Buffer, events: SplitEvent[], keep: boolean): void {
    if (this.discarding || part.byteLength === 0) return
    // One extra byte is allowed to stay pending: it may be the `\r` of `\r\n`.
    if (this.pendingBytes + part.byteLength > this.maxLineBytes + 1) {
      this.startDiscarding(events)
      return
    }
    this.chunks.push(keep ? Buffer.from(part) : part)
    this.pendingBytes += part.byteLength
  }

  private finishLine (events: SplitEvent[]): void {
    if (this.discarding) {
      this.discarding = false
      return
    }
    let line = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.pendingBytes)
    this.chunks = []
    this.pendingBytes = 0
    if (line.byteLength > 0 && line[line.byteLength - 1] === CARRIAGE_RETURN) line = line.subarray(0, line.byteLength - 1)
    if (line.byteLength > this.maxLineBytes) {
      events.push({ type: 'overlong', limit: this.maxLineBytes })
      return
    }
    events.push({ type: 'line', text: line.toString('utf8') })
  }

  private startDiscarding (events: SplitEvent[]): void {
    this.chunks = []
    this.pendingBytes = 0
    this.discarding = true
    events.push({ type: 'overlong', limit: this.maxLineBytes })
  }
}
