import { createCipheriv, createDecipheriv } from 'node:crypto'
import sodium from 'sodium-native'
import { KEY_BYTES, TAG_BYTES } from '../constants.js'
import { secureStreamError } from '../errors.js'
import { Nonce, NONCE_BYTES } from './nonce.js'

/** Nonce 2^64 - 1, reserved for REKEY: 4 zero bytes then eight 0xff (PROTOCOL.md 5). */
const REKEY_NONCE = Buffer.from('00000000ffffffffffffffff', 'hex')
const ZEROS = Buffer.alloc(KEY_BYTES)
const EMPTY = Buffer.alloc(0)

/**
 * One direction of the transport: a ChaCha20-Poly1305 key and its frame
 * counter (PROTOCOL.md 4-5). The counter is implicit, never sent, so a
 * replayed, reordered or dropped frame fails to authenticate.
 *
 * We do not use noise-handshake's CipherState for this: it writes only the
 * low 32 bits of the nonce and has no REKEY.
 *
 * The same AEAD comes from two libraries, chosen by frame size only:
 * libsodium for small frames (its call costs under a microsecond, where
 * node:crypto's cipher object costs several) and OpenSSL through node:crypto
 * for large ones (about 20 % faster per byte here, and it reads each piece
 * where it lies, so a large write is never copied into a frame buffer and a
 * received frame is never copied out of the socket's chunks). Both compute ChaCha20-Poly1305-IETF exactly; the
 * known-answer tests cover frames on both sides of the threshold.
 */
export class TransportCipher {
  /** Bytes of state a cipher keeps: its key and its nonce. */
  static readonly STATE_BYTES = KEY_BYTES + NONCE_BYTES

  private readonly key: Buffer
  readonly nonce: Nonce

  /**
   * @param key the 32-byte key; copied, since the handshake library zeroes
   *   and reuses its buffers.
   * @param storage STATE_BYTES of memory to keep key and nonce in; a stream
   *   passes a view of one small allocation that holds all its state, so an
   *   idle connection costs a few hundred bytes, not a few small buffers each.
   */
  constructor (key: Uint8Array, storage: Buffer = Buffer.allocUnsafeSlow(TransportCipher.STATE_BYTES)) {
    if (key.byteLength !== KEY_BYTES) throw new RangeError(`a transport key is ${KEY_BYTES} bytes`)
    if (storage.byteLength !== TransportCipher.STATE_BYTES) throw new RangeError(`a transport cipher needs ${TransportCipher.STATE_BYTES} bytes of storage`)
    this.key = storage.subarray(0, KEY_BYTES)
    this.key.set(key)
    this.nonce = new Nonce(storage.subarray(KEY_BYTES))
  }

  /**
   * Encrypt `buf[start, start + length)` in place and write the 16-byte tag
   * right after it, so the caller's frame buffer becomes the wire bytes.
   */
  sealInPlace (buf: Buffer, start: number, length: number): void {
    this.prepare()
    const plaintext = buf.subarray(start, start + length)
    const ciphertext = buf.subarray(start, start + length + TAG_BYTES)
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(ciphertext, plaintext, EMPTY, null, this.nonce.bytes, this.key)
    this.nonce.increment()
  }

  /**
   * Encrypt the concatenation of `parts` as one frame's plaintext, with
   * OpenSSL, reading each part in place. Returns one ciphertext piece per
   * part, then the 16-byte tag.
   */
  sealParts (parts: Uint8Array[]): Buffer[] {
    this.prepare()
    const cipher = createCipheriv('chacha20-poly1305', this.key, this.nonce.bytes, { authTagLength: TAG_BYTES })
    const out = parts.map((part) => cipher.update(part))
    cipher.final()
    out.push(cipher.getAuthTag())
    this.nonce.increment()
    return out
  }

  /** Decrypt one frame body into a new buffer; a bad tag is ERR_DECRYPT_FAILED. */
  open (ciphertext: Uint8Array): Buffer {
    this.prepare()
    const plaintext = Buffer.allocUnsafe(ciphertext.byteLength - TAG_BYTES)
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, ciphertext, EMPTY, this.nonce.bytes, this.key)
    } catch (err) {
      throw secureStreamError('ERR_DECRYPT_FAILED', `frame ${this.nonce.value} failed authentication`, err)
    }
    this.nonce.increment()
    return plaintext
  }

  /**
   * Decrypt one frame body given as pieces (the views the frame arrived
   * in), with OpenSSL, piece by piece: nothing is copied into one buffer
   * first. Returns the plaintext pieces, only after the tag has verified.
   */
  openParts (pieces: Buffer[], length: number): Buffer[] {
    this.prepare()
    const { ciphertext, tag } = splitTag(pieces, length)
    const decipher = createDecipheriv('chacha20-poly1305', this.key, this.nonce.bytes, { authTagLength: TAG_BYTES })
    decipher.setAuthTag(tag)
    const plaintext = ciphertext.map((piece) => decipher.update(piece))
    try {
      decipher.final()
    } catch (err) {
      throw secureStreamError('ERR_DECRYPT_FAILED', `frame ${this.nonce.value} failed authentication`, err)
    }
    this.nonce.increment()
    return plaintext
  }

  /** The current key, for known-answer tests only. */
  get keyForTesting (): Buffer {
    return Buffer.from(this.key)
  }

  /** Overwrite the key; the cipher is unusable afterwards. */
  wipe (): void {
    sodium.sodium_memzero(this.key)
  }

  private prepare (): void {
    if (this.nonce.exhausted) {
      throw secureStreamError('ERR_NONCE_EXHAUSTED', 'this direction used its last nonce (2^64 - 2); open a new stream')
    }
    if (this.nonce.atRekey) this.rekey()
  }

  /** k = first 32 bytes of ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes) (Noise spec 4.2, REKEY). */
  private rekey (): void {
    const out = Buffer.alloc(KEY_BYTES + TAG_BYTES)
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out, ZEROS, EMPTY, null, REKEY_NONCE, this.key)
    out.copy(this.key, 0, 0, KEY_BYTES)
    sodium.sodium_memzero(out)
  }
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
