import {
  FRAME_ABORT, FRAME_DATA, FRAME_END, FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, FRAME_PING,
  MAX_ABORT_REASON_BYTES, MAX_DATA_BYTES, MIN_TRANSPORT_BODY_BYTES, TAG_BYTES, TYPE_BYTES
} from '../constants.js'
import { secureStreamError } from '../errors.js'
import { writeFrameHeader } from './frame-codec.js'
import type { TransportCipher } from './transport-cipher.js'

/**
 * Transport frames (PROTOCOL.md 4): sealing out and checking in, as pure
 * functions of a TransportCipher. Every frame is built in one buffer and
 * encrypted in place, so the buffer that leaves is the buffer we filled.
 */

/** A decrypted transport frame: its type and a view of its body. */
export interface TransportFrame {
  type: number
  body: Buffer
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

/**
 * Seal `length` bytes from `chunks`, starting at `cursor` (advanced in
 * place), into as few DATA frames as possible, all in one new buffer: many
 * small writes become one full frame and one socket write.
 */
export function sealDataFrames (cipher: TransportCipher, chunks: Buffer[], cursor: ChunkCursor, length: number): Buffer {
  const frames = Math.ceil(length / MAX_DATA_BYTES)
  const wire = Buffer.allocUnsafe(length + frames * FRAME_OVERHEAD_BYTES)
  let pos = 0
  let left = length
  while (left > 0) {
    const size = Math.min(left, MAX_DATA_BYTES)
    writeFrameHeader(wire, pos, TYPE_BYTES + size + TAG_BYTES)
    wire[pos + FRAME_HEADER_BYTES] = FRAME_DATA
    copyFromChunks(chunks, cursor, wire, pos + FRAME_HEADER_BYTES + TYPE_BYTES, size)
    cipher.sealInPlace(wire, pos + FRAME_HEADER_BYTES, TYPE_BYTES + size)
    pos += size + FRAME_OVERHEAD_BYTES
    left -= size
  }
  return wire
}

function copyFromChunks (chunks: Buffer[], cursor: ChunkCursor, out: Buffer, at: number, size: number): void {
  let filled = 0
  while (filled < size) {
    const chunk = chunks[cursor.index]!
    const n = Math.min(size - filled, chunk.byteLength - cursor.offset)
    chunk.copy(out, at + filled, cursor.offset, cursor.offset + n)
    filled += n
    cursor.offset += n
    if (cursor.offset === chunk.byteLength) {
      cursor.index++
      cursor.offset = 0
    }
  }
}

/**
 * Decrypt and check one transport frame body. Anything the spec does not
 * allow is ERR_BAD_FRAME; a failed tag is ERR_DECRYPT_FAILED (thrown by the
 * cipher). DATA bodies need no length check: a uint16 frame cannot carry
 * more than 65518 bytes of DATA.
 */
export function openTransportFrame (cipher: TransportCipher, body: Buffer): TransportFrame {
  if (body.byteLength < MIN_TRANSPORT_BODY_BYTES) {
    throw secureStreamError('ERR_BAD_FRAME', `transport frame of ${body.byteLength} bytes is too short to hold a type byte and a tag`)
  }
  const plaintext = cipher.open(body)
  const type = plaintext[0]!
  const payload = plaintext.subarray(TYPE_BYTES)
  checkBodyLength(type, payload.byteLength)
  return { type, body: payload }
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
