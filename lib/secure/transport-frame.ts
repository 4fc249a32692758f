import {
  FRAME_ABORT, FRAME_DATA, FRAME_END, FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, FRAME_PING,
  MAX_ABORT_REASON_BYTES, MAX_DATA_BYTES, MIN_TRANSPORT_BODY_BYTES,
  TAG_BYTES, TYPE_BYTES
} from '../constants.js'
import { secureStreamError } from '../errors.js'
import { writeFrameHeader } from './frame-codec.js'
import type { TransportCipher } from './transport-cipher.js'

/**
 * Transport frames (PROTOCOL.md 4): sealing out and checking in, as pure
 * functions of a TransportCipher. Every frame is built in one buffer and
 * encrypted in place, so the buffer that leaves is the buffer we filled.
 */

/** A decrypted transport frame: its type and its body, as the pieces it was decrypted in. */
export interface TransportFrame {
  type: number
  body: Buffer[]
  bodyLength: number
}

/** Seal one frame of `type` carrying `body` into wire bytes (length prefix included). */
export function sealTransportFrame (cipher: TransportCipher, type: number, body: Uint8Array): Buffer {
  const wire = Buffer.allocUnsafe(FRAME_OVERHEAD_BYTES + body.byteLength)
  writeFrameHeader(wire, 0, TYPE_BYTES + body.byteLength + TAG_BYTES)
  wire[FRAME_HEADER_BYTES] = type
  wire.set(body, FRAME_HEADER_BYTES + TYPE_BYTES)
  cipher.sealInPlace(wire, FRAME_HEADER_BYTES, TYPE_BYTES + body.byteLength)
  return wire
}

/** Where a DATA sealer stands in a list of chunks. */
export interface ChunkCursor {
  index: number
  offset: number
}

/** Wire bytes that `length` bytes of DATA take: full frames of 65518 bytes, then one shorter frame. */
export function dataWireBytes (length: number): number {
  return length + Math.ceil(length / MAX_DATA_BYTES) * FRAME_OVERHEAD_BYTES
}

/**
 * Seal `length` bytes from `chunks`, starting at `cursor` (advanced in
 * place), into as few DATA frames as possible, written one after another
 * into `out` from its start; returns the bytes written (dataWireBytes).
 * Each frame is gathered into `out` and sealed where it lies, so the
 * whole batch leaves in one socket write and nothing is allocated.
 */
export function sealDataFramesInto (cipher: TransportCipher, chunks: Buffer[], cursor: ChunkCursor, length: number, out: Buffer): number {
  let at = 0
  let left = length
  while (left > 0) {
    const size = Math.min(left, MAX_DATA_BYTES)
    writeFrameHeader(out, at, TYPE_BYTES + size + TAG_BYTES)
    out[at + FRAME_HEADER_BYTES] = FRAME_DATA
    gather(chunks, cursor, size, out, at + FRAME_HEADER_BYTES + TYPE_BYTES)
    cipher.sealInPlace(out, at + FRAME_HEADER_BYTES, TYPE_BYTES + size)
    at += FRAME_OVERHEAD_BYTES + size
    left -= size
  }
  return at
}

/** Copy the next `size` bytes of `chunks` from `cursor` (advanced) into `out` at `at`. */
function gather (chunks: Buffer[], cursor: ChunkCursor, size: number, out: Buffer, at: number): void {
  const end = at + size
  while (at < end) {
    const chunk = chunks[cursor.index]!
    const n = Math.min(end - at, chunk.byteLength - cursor.offset)
    // Buffer#copy, not set(): for the small chunks of many writes it is the cheaper call (100-byte chunks: 15 ns against 20) and needs no subarray.
    chunk.copy(out, at, cursor.offset, cursor.offset + n)
    at += n
    cursor.offset += n
    if (cursor.offset === chunk.byteLength) {
      cursor.index++
      cursor.offset = 0
    }
  }
}

/**
 * Decrypt and check one transport frame body, given as the pieces it
 * arrived in (decrypted over themselves when `inPlace`: the caller owns
 * them). Anything the spec does not allow is ERR_BAD_FRAME; a failed
 * tag is ERR_DECRYPT_FAILED (thrown by the cipher). DATA bodies need no
 * length check: a uint16 frame cannot carry more than 65518 bytes of DATA.
 */
export function openTransportFrame (cipher: TransportCipher, pieces: Buffer[], length: number, inPlace = false): TransportFrame {
  if (length < MIN_TRANSPORT_BODY_BYTES) {
    throw secureStreamError('ERR_BAD_FRAME', `transport frame of ${length} bytes is too short to hold a type byte and a tag`)
  }
  const plaintext = cipher.openPieces(pieces, length, inPlace)
  const type = plaintext[0]![0]!
  const bodyLength = length - TYPE_BYTES - TAG_BYTES
  checkBodyLength(type, bodyLength)
  const body = plaintext.map((piece, i) => i === 0 ? piece.subarray(TYPE_BYTES) : piece).filter((piece) => piece.byteLength > 0)
  return { type, body, bodyLength }
}

function checkBodyLength (type: number, length: number): void {
  switch (type) {
    case FRAME_DATA:
      return
    case FRAME_END:
    case FRAME_PING:
      if (length === 0) return
      throw secureStreamError('ERR_BAD_FRAME', `${type === FRAME_END ? 'END' : 'PING'} frame must have an empty body, got ${length} bytes`)
    case FRAME_ABORT:
      if (length <= MAX_ABORT_REASON_BYTES) return
      throw secureStreamError('ERR_BAD_FRAME', `ABORT reason of ${length} bytes exceeds ${MAX_ABORT_REASON_BYTES}`)
    default:
      throw secureStreamError('ERR_BAD_FRAME', `unknown frame type 0x${type.toString(16).padStart(2, '0')}`)
  }
}
