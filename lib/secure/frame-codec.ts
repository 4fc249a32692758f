import { FRAME_HEADER_BYTES, MAX_FRAME_BODY_BYTES, MAX_FRAME_PIECES } from '../constants.js'
import { secureStreamError } from '../errors.js'

const EMPTY_PIECES: Buffer[] = []

/**
 * The frame layer of PROTOCOL.md section 2: a uint16 big-endian length, then
 * that many bytes. Encoding is a pure function; decoding is a byte-driven
 * state machine that never holds more than one frame (65535 bytes) whatever
 * the peer claims, and never copies a frame that arrived whole in one chunk.
 */

/** Write the 2-byte length header of a frame whose body is `bodyLength` bytes. */
export function writeFrameHeader (out: Uint8Array, offset: number, bodyLength: number): void {
  if (bodyLength < 1 || bodyLength > MAX_FRAME_BODY_BYTES) {
    throw secureStreamError('ERR_INVALID_ARGUMENT', `frame body must be 1..${MAX_FRAME_BODY_BYTES} bytes, got ${bodyLength}`)
  }
  out[offset] = bodyLength >>> 8
  out[offset + 1] = bodyLength & 0xff
}

/** A whole frame (header + body) holding `body`, in a new buffer. */
export function encodeFrame (body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.byteLength)
  writeFrameHeader(out, 0, body.byteLength)
  out.set(body, FRAME_HEADER_BYTES)
  return out
}

/**
 * Receives each complete frame body as the pieces it arrived in (one piece
 * when it came whole in one chunk), and its total length. Return false to
 * stop decoding the rest of this chunk.
 */
export type FrameHandler = (pieces: Buffer[], length: number) => boolean

/** A frame body as one buffer: the pieces joined (copied only when there are several). */
export function joinPieces (pieces: Buffer[], length: number): Buffer {
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length)
}

/** Copy `pieces` one after another into `out` from its start; returns `out`. */
export function joinInto (out: Buffer, pieces: Buffer[]): Buffer {
  let at = 0
  for (const piece of pieces) {
    out.set(piece, at)
    at += piece.byteLength
  }
  return out
}

const READ_HEADER = 0
const READ_BODY = 1

/**
 * Splits a byte stream into frame bodies. Feed it chunks with `push`; it
 * calls the handler once per complete body, in order. A zero length is a
 * protocol error (ERR_BAD_FRAME), thrown from `push`. A body that spans
 * chunks is handed over as views of those chunks, not copied: a 64 KiB
 * frame always spans two 64 KiB socket reads, and the copy would cost a
 * quarter of the time its decryption does.
 *
 * When the handler returns false, decoding stops and the unread rest of the
 * chunk is kept; `resume` continues with it. This lets the stream hold
 * frames back while an asynchronous step (verifying a key) is under way.
 */
export class FrameDecoder {
  /**
   * Called with each length the moment its header is complete, before any
   * of the body is buffered; it throws to refuse a length the protocol
   * cannot be expecting (say, anything but 32 for msg1).
   */
  checkLength: ((length: number) => void) | null = null
  private state = READ_HEADER
  /** First header byte when a header was split across chunks; -1 when none. */
  private headerByte = -1
  /** Announced length of the body being read. */
  private bodyLength = 0
  /** Views of the body so far when it spans chunks; empty when none is. */
  private pieces: Buffer[] = EMPTY_PIECES
  private bodyFilled = 0
  /** The body gathered into one buffer once it came in too many pieces; else null. */
  private gathered: Buffer | null = null
  /** Bytes held back while paused; null when not paused. */
  private rest: Buffer | null = null

  /** True when a handler asked to stop and `resume` has not been called yet. */
  get paused (): boolean {
    return this.rest !== null
  }

  /** True when a frame has begun but not completed (a partial header or body). */
  get midFrame (): boolean {
    return this.headerByte !== -1 || this.state === READ_BODY
  }

  push (chunk: Buffer, onFrame: FrameHandler): void {
    if (this.rest !== null) {
      this.rest = this.rest.byteLength === 0 ? chunk : Buffer.concat([this.rest, chunk])
      return
    }
    this.consume(chunk, onFrame)
  }

  /** Continue with the bytes held back since a handler returned false. */
  resume (onFrame: FrameHandler): void {
    const rest = this.rest
    if (rest === null) return
    this.rest = null
    this.consume(rest, onFrame)
  }

  private consume (chunk: Buffer, onFrame: FrameHandler): void {
    let offset = 0
    while (offset < chunk.byteLength) {
      if (this.state === READ_HEADER) {
        offset = this.readHeader(chunk, offset)
        continue
      }
      let pieces: Buffer[]
      if (this.pieces.length === 0 && chunk.byteLength - offset >= this.bodyLength) {
        // The whole body is in this chunk: hand out a view, copy nothing.
        pieces = [chunk.subarray(offset, offset + this.bodyLength)]
        offset += this.bodyLength
      } else {
        offset = this.takePiece(chunk, offset)
        if (this.bodyFilled < this.bodyLength) continue
        pieces = this.pieces
        this.pieces = EMPTY_PIECES
      }
      this.state = READ_HEADER
      if (!onFrame(pieces, this.bodyLength)) {
        this.rest = chunk.subarray(offset)
        return
      }
    }
  }

  private readHeader (chunk: Buffer, offset: number): number {
    if (this.headerByte === -1 && chunk.byteLength - offset === 1) {
      this.headerByte = chunk[offset]!
      return offset + 1
    }
    let length: number
    if (this.headerByte === -1) {
      length = (chunk[offset]! << 8) | chunk[offset + 1]!
      offset += 2
    } else {
      length = (this.headerByte << 8) | chunk[offset]!
      this.headerByte = -1
      offset += 1
    }
    // PROTOCOL.md 2: a zero-length frame is an error. The check comes the
    // moment the header is complete, before anything is buffered.
    if (length === 0) throw secureStreamError('ERR_BAD_FRAME', 'received a frame of length 0')
    if (this.checkLength !== null) this.checkLength(length)
    this.state = READ_BODY
    this.bodyLength = length
    return offset
  }

  /**
   * Take what this chunk has of a body that spans chunks; returns the new
   * offset. Views are kept while there are few of them; a body trickling in
   * many small chunks is gathered into one buffer of its announced length
   * instead, so a peer sending 1-byte chunks cannot make us hold thousands
   * of views for one frame.
   */
  private takePiece (chunk: Buffer, offset: number): number {
    if (this.pieces.length === 0) {
      this.bodyFilled = 0
      this.pieces = []
    }
    const count = Math.min(this.bodyLength - this.bodyFilled, chunk.byteLength - offset)
    const piece = chunk.subarray(offset, offset + count)
    if (this.gathered !== null) {
      this.gathered.set(piece, this.bodyFilled)
    } else if (this.pieces.length < MAX_FRAME_PIECES) {
      this.pieces.push(piece)
    } else {
      this.gathered = Buffer.allocUnsafe(this.bodyLength)
      this.gathered.set(Buffer.concat(this.pieces), 0)
      this.gathered.set(piece, this.bodyFilled)
      this.pieces = [this.gathered]
    }
    this.bodyFilled += count
    if (this.bodyFilled === this.bodyLength) this.gathered = null
    return offset + count
  }
}
