/**
 * The body of one stream entry of a room shared through Redis: everything
 * one node appended between two of its XADDs, in order (docs/SCALING.md,
 * "What is in Redis"). A batch is a run of items, each
 *
 *   tag (1 byte) | length (uint32 BE) | payload
 *
 * with the tags
 *
 *   L  a line for the whole room (the encoded line, as members receive it)
 *   E  a change of shared state (JSON, a RoomEvent)
 *   P  a line for one member: ref length (1 byte) | ref | reply ref length
 *      (1 byte, 0 = none) | reply ref | the encoded line
 *
 * Refs are `NODE:ID` in ASCII. Binary lengths, not separators, so a line
 * may hold any bytes and is never escaped or copied apart on reading.
 */

const TAG_LINE = 0x4c // 'L'
const TAG_EVENT = 0x45 // 'E'
const TAG_PRIVATE = 0x50 // 'P'
const ITEM_HEADER_BYTES = 5
const FIRST_CAPACITY = 1024

/** Builds one batch; `bytes()` hands out what was written, after which it is empty again. */
export class BatchWriter {
  private buf = Buffer.allocUnsafe(FIRST_CAPACITY)
  private size = 0
  private items = 0

  /** Bytes written so far. */
  get length (): number {
    return this.size
  }

  /** Items written so far. */
  get count (): number {
    return this.items
  }

  line (line: Buffer): void {
    this.header(TAG_LINE, line.length)
    this.size += line.copy(this.buf, this.size)
  }

  event (json: string): void {
    const n = Buffer.byteLength(json)
    this.header(TAG_EVENT, n)
    this.size += this.buf.write(json, this.size)
  }

  /** A line for one member; refs are `NODE:ID`, far below the 255 bytes their length byte allows. */
  unicast (to: string, replyRef: string | undefined, line: Buffer): void {
    const reply = replyRef ?? ''
    this.header(TAG_PRIVATE, 2 + to.length + reply.length + line.length)
    this.buf[this.size++] = to.length
    this.size += this.buf.write(to, this.size, 'latin1')
    this.buf[this.size++] = reply.length
    this.size += this.buf.write(reply, this.size, 'latin1')
    this.size += line.copy(this.buf, this.size)
  }

  /** The batch so far, as its own Buffer; the writer starts over. */
  bytes (): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.size))
    this.size = 0
    this.items = 0
    return out
  }

  /** Room for an item of `payload` bytes; writes its tag and length. */
  private header (tag: number, payload: number): void {
    const need = this.size + ITEM_HEADER_BYTES + payload
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, 2 * this.buf.length))
      this.buf.copy(bigger, 0, 0, this.size)
      this.buf = bigger
    }
    this.buf[this.size] = tag
    this.buf.writeUInt32BE(payload, this.size + 1)
    this.size += ITEM_HEADER_BYTES
    this.items++
  }
}

/** What a batch holds, told item by item (no object per item): lines are views into the batch, not copies. */
export interface BatchVisitor {
  line (line: Buffer): void
  /** `json` is the event's bytes: the visitor decodes only the events it acts on. */
  event (json: Buffer): void
  unicast (to: string, replyRef: string | undefined, line: Buffer): void
}

/**
 * Tell `visitor` each item of `batch`, in order. Returns false (having told
 * the items before it) at the first item that is cut short or has an
 * unknown tag: someone else wrote to our stream; the rest is skipped.
 */
export function readBatch (batch: Buffer, visitor: BatchVisitor): boolean {
  let at = 0
  while (at < batch.length) {
    if (at + ITEM_HEADER_BYTES > batch.length) return false
    const tag = batch[at]!
    const end = at + ITEM_HEADER_BYTES + batch.readUInt32BE(at + 1)
    if (end > batch.length) return false
    const start = at + ITEM_HEADER_BYTES
    at = end
    if (tag === TAG_LINE) {
      visitor.line(batch.subarray(start, end))
    } else if (tag === TAG_EVENT) {
      visitor.event(batch.subarray(start, end))
    } else if (tag === TAG_PRIVATE) {
      if (!readPrivate(batch, start, end, visitor)) return false
    } else {
      return false
    }
  }
  return true
}

function readPrivate (batch: Buffer, start: number, end: number, visitor: BatchVisitor): boolean {
  const toEnd = start + 1 + (batch[start] ?? 0)
  if (toEnd >= end) return false
  const replyEnd = toEnd + 1 + batch[toEnd]!
  if (replyEnd > end) return false
  const to = batch.toString('latin1', start + 1, toEnd)
  const reply = replyEnd === toEnd + 1 ? undefined : batch.toString('latin1', toEnd + 1, replyEnd)
  visitor.unicast(to, reply, batch.subarray(replyEnd, end))
  return true
}
