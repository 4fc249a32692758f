import {
  FRAME_ABORT, FRAME_DATA, FRAME_END, FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES, FRAME_PING,
  MAX_ABORT_REASON_BYTES, MAX_DATA_BYTES, MAX_SEAL_PARTS, MIN_TRANSPORT_BODY_BYTES,
  OPENSSL_MIN_FRAME_BYTES, TAG_BYTES, TYPE_BYTES
} from '../constants.js'
import { secureStreamError } from '../errors.js'
import { joinPieces, writeFrameHeader } from './frame-codec.js'
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

/**
 * Seal `length` bytes from `chunks`, starting at `cursor` (advanced in
 * place), into as few DATA frames as possible. Returns the wire bytes as a
 * list of buffers to write in order (with cork/uncork, one system call):
 * many small writes become one full frame, and a large write is encrypted
 * straight from the caller's buffer.
 */
export function sealDataFrames (cipher: TransportCipher, chunks: Buffer[], cursor: ChunkCursor, length: number): Buffer[] {
  const out: Buffer[] = []
  let left = length
  while (left > 0) {
    const size = Math.min(left, MAX_DATA_BYTES)
    // Few large pieces: OpenSSL reads them where they are. Small frames, or
    // many small writes: one copy into the frame, sealed in place.
    if (size + TYPE_BYTES >= OPENSSL_MIN_FRAME_BYTES && countPieces(chunks, cursor, size) <= MAX_SEAL_PARTS) {
      sealLargeDataFrame(cipher, takeSlices(chunks, cursor, size), size, out)
    } else {
      out.push(sealGatheredDataFrame(cipher, chunks, cursor, size))
    }
    left -= size
  }
  return out
}

/** A frame gathered into one buffer and sealed in place (libsodium). */
function sealGatheredDataFrame (cipher: TransportCipher, chunks: Buffer[], cursor: ChunkCursor, size: number): Buffer {
  const wire = Buffer.allocUnsafe(size + FRAME_OVERHEAD_BYTES)
  writeFrameHeader(wire, 0, TYPE_BYTES + size + TAG_BYTES)
  wire[FRAME_HEADER_BYTES] = FRAME_DATA
  let at = FRAME_HEADER_BYTES + TYPE_BYTES
  const end = at + size
  while (at < end) {
    const chunk = chunks[cursor.index]!
    const n = Math.min(end - at, chunk.byteLength - cursor.offset)
    wire.set(n === chunk.byteLength ? chunk : chunk.subarray(cursor.offset, cursor.offset + n), at)
    at += n
    advance(cursor, chunk, n)
  }
  cipher.sealInPlace(wire, FRAME_HEADER_BYTES, TYPE_BYTES + size)
  return wire
}

/** A large frame in few pieces: sealed by OpenSSL from the caller's buffers; pushes header+type, ciphertext pieces, tag. */
function sealLargeDataFrame (cipher: TransportCipher, slices: Buffer[], size: number, out: Buffer[]): void {
  const [type, ...rest] = cipher.sealParts([DATA_TYPE, ...slices])
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + TYPE_BYTES)
  writeFrameHeader(head, 0, TYPE_BYTES + size + TAG_BYTES)
  head[FRAME_HEADER_BYTES] = type![0]!
  out.push(head, ...rest)
}

const DATA_TYPE = Buffer.from([FRAME_DATA])

/** Views of the next `size` bytes of `chunks` from `cursor` (advanced); copies nothing. */
function takeSlices (chunks: Buffer[], cursor: ChunkCursor, size: number): Buffer[] {
  const slices: Buffer[] = []
  let taken = 0
  while (taken < size) {
    const chunk = chunks[cursor.index]!
    const n = Math.min(size - taken, chunk.byteLength - cursor.offset)
    slices.push(n === chunk.byteLength ? chunk : chunk.subarray(cursor.offset, cursor.offset + n))
    taken += n
    advance(cursor, chunk, n)
  }
  return slices
}

/** How many chunks the next `size` bytes from `cursor` span (the cursor does not move). */
function countPieces (chunks: Buffer[], cursor: ChunkCursor, size: number): number {
  let pieces = 0
  let taken = 0
  let index = cursor.index
  let offset = cursor.offset
  while (taken < size && pieces <= MAX_SEAL_PARTS) {
    taken += chunks[index]!.byteLength - offset
    offset = 0
    index++
    pieces++
  }
  return pieces
}

function advance (cursor: ChunkCursor, chunk: Buffer, n: number): void {
  cursor.offset += n
  if (cursor.offset === chunk.byteLength) {
    cursor.index++
    cursor.offset = 0
  }
}

/**
 * Decrypt and check one transport frame body, given as the pieces it
 * arrived in. Anything the spec does not allow is ERR_BAD_FRAME; a failed
 * tag is ERR_DECRYPT_FAILED (thrown by the cipher). DATA bodies need no
 * length check: a uint16 frame cannot carry more than 65518 bytes of DATA.
 */
export function openTransportFrame (cipher: TransportCipher, pieces: Buffer[], length: number): TransportFrame {
  if (length < MIN_TRANSPORT_BODY_BYTES) {
    throw secureStreamError('ERR_BAD_FRAME', `transport frame of ${length} bytes is too short to hold a type byte and a tag`)
  }
  const plaintext = length >= OPENSSL_MIN_FRAME_BYTES
    ? cipher.openParts(pieces, length)
    : [cipher.open(joinPieces(pieces, length))]
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
