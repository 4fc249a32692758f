import { createDecipheriv } from 'node:crypto'
import sodium from 'sodium-native'
import { NATIVE_MAX_IN_PLACE_PIECES, NATIVE_MIN_OPEN_BYTES, NATIVE_MIN_SEAL_BYTES, OPENSSL_MIN_OPEN_BYTES, TAG_BYTES } from '../constants.js'
import { joinInto } from './frame-codec.js'
import { loadNativeAead, type NativeAead } from './native-aead.js'

const EMPTY = Buffer.alloc(0)

/**
 * ChaCha20-Poly1305-IETF for transport frames (PROTOCOL.md 5: no
 * additional data), behind one interface with two implementations that
 * compute the same bytes. A TransportCipher holds the key and the nonce and
 * asks its backend for one operation at a time.
 */
export interface AeadBackend {
  readonly name: 'openssl' | 'libsodium'
  /** Encrypt buf[start, start + length) in place and write the 16-byte tag right after it. */
  sealInPlace (key: Buffer, nonce: Buffer, buf: Buffer, start: number, length: number): void
  /**
   * Decrypt a body of `length` bytes (ciphertext then tag) given as the
   * pieces it arrived in, which are never written to (they are the raw
   * stream's chunks, which another listener may hold). Returns the
   * plaintext as pieces, or null when the tag does not verify.
   */
  openPieces (key: Buffer, nonce: Buffer, pieces: Buffer[], length: number): Buffer[] | null
  /**
   * The same, but the plaintext may be written over the ciphertext in the
   * pieces themselves, and the pieces returned are views of them: for a
   * caller that owns the pieces and nobody else reads them. On a bad tag
   * the pieces may hold garbage; the caller must drop them.
   */
  openPiecesInPlace (key: Buffer, nonce: Buffer, pieces: Buffer[], length: number): Buffer[] | null
}

/**
 * The native addon: OpenSSL's ChaCha20-Poly1305, about twice as fast as
 * libsodium's on large frames on x86, with one reused context, so nothing
 * is allocated per frame but the plaintext. Small frames (a chat line) go
 * to libsodium, whose call costs less than the addon's set-up per frame
 * (NATIVE_MIN_SEAL_BYTES, NATIVE_MIN_OPEN_BYTES).
 */
export function opensslBackend (aead: NativeAead): AeadBackend {
  return {
    name: 'openssl',
    sealInPlace (key, nonce, buf, start, length) {
      if (length < NATIVE_MIN_SEAL_BYTES) return libsodiumBackend.sealInPlace(key, nonce, buf, start, length)
      aead.seal(key, nonce, buf, start, length)
    },
    openPieces (key, nonce, pieces, length) {
      if (length < NATIVE_MIN_OPEN_BYTES) return libsodiumBackend.openPieces(key, nonce, pieces, length)
      const { ciphertext, tag } = splitTag(pieces, length)
      const plaintext = Buffer.allocUnsafe(length - TAG_BYTES)
      return aead.open(key, nonce, ciphertext, tag, plaintext) ? [plaintext] : null
    },
    openPiecesInPlace (key, nonce, pieces, length) {
      if (length < NATIVE_MIN_OPEN_BYTES) return libsodiumBackend.openPiecesInPlace(key, nonce, pieces, length)
      const { ciphertext, tag } = splitTag(pieces, length)
      if (ciphertext.length > NATIVE_MAX_IN_PLACE_PIECES) return this.openPieces(key, nonce, pieces, length)
      return aead.openInPlace(key, nonce, ciphertext, tag) ? ciphertext : null
    }
  }
}

/**
 * Without the addon: libsodium seals in place; receiving uses libsodium for
 * small bodies and node:crypto's OpenSSL from OPENSSL_MIN_OPEN_BYTES up,
 * where its faster decryption outweighs a cipher object per frame.
 */
export const libsodiumBackend: AeadBackend = {
  name: 'libsodium',
  sealInPlace (key, nonce, buf, start, length) {
    const plaintext = buf.subarray(start, start + length)
    const ciphertext = buf.subarray(start, start + length + TAG_BYTES)
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(ciphertext, plaintext, EMPTY, null, nonce, key)
  },
  openPieces (key, nonce, pieces, length) {
    if (length >= OPENSSL_MIN_OPEN_BYTES) return openWithNodeCrypto(key, nonce, pieces, length)
    // One piece is decrypted into a new buffer; several are joined into one, then decrypted in place (libsodium allows the overlay).
    const frame = pieces.length === 1 ? pieces[0]! : joinInto(Buffer.allocUnsafe(length), pieces)
    const plaintext = pieces.length === 1 ? Buffer.allocUnsafe(length - TAG_BYTES) : frame.subarray(0, length - TAG_BYTES)
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, frame, EMPTY, nonce, key)
    } catch {
      return null
    }
    return [plaintext]
  },
  openPiecesInPlace (key, nonce, pieces, length) {
    if (pieces.length !== 1 || length >= OPENSSL_MIN_OPEN_BYTES) return libsodiumBackend.openPieces(key, nonce, pieces, length)
    // libsodium decrypts over its own ciphertext when both start at the same byte.
    const frame = pieces[0]!
    const plaintext = frame.subarray(0, length - TAG_BYTES)
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, frame, EMPTY, nonce, key)
    } catch {
      return null
    }
    return [plaintext]
  }
}

function openWithNodeCrypto (key: Buffer, nonce: Buffer, pieces: Buffer[], length: number): Buffer[] | null {
  const { ciphertext, tag } = splitTag(pieces, length)
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES })
  decipher.setAuthTag(tag)
  const plaintext = ciphertext.map((piece) => decipher.update(piece))
  try {
    decipher.final()
  } catch {
    return null
  }
  return plaintext
}

/** Split a body given as pieces into the ciphertext views and the 16-byte tag at its end. */
function splitTag (pieces: Buffer[], length: number): { ciphertext: Buffer[], tag: Buffer } {
  const tagAt = length - TAG_BYTES
  const ciphertext: Buffer[] = []
  const tagParts: Buffer[] = []
  let offset = 0
  for (const piece of pieces) {
    const end = offset + piece.byteLength
    if (end <= tagAt) ciphertext.push(piece)
    else if (offset >= tagAt) tagParts.push(piece)
    else {
      ciphertext.push(piece.subarray(0, tagAt - offset))
      tagParts.push(piece.subarray(tagAt - offset))
    }
    offset = end
  }
  return { ciphertext, tag: tagParts.length === 1 ? tagParts[0]! : Buffer.concat(tagParts, TAG_BYTES) }
}

const load = loadNativeAead()

/** The backend streams use: the native addon where it loaded, else libsodium. */
export const defaultAeadBackend: AeadBackend = load.aead === null ? libsodiumBackend : opensslBackend(load.aead)

/** Why the default is libsodium (null when it is the native addon): for `noise-chat --version` and the benches. */
export const nativeAeadUnavailable: string | null = load.reason
