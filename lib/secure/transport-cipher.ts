import { createDecipheriv } from 'node:crypto'
import sodium from 'sodium-native'
import { KEY_BYTES, TAG_BYTES } from '../constants.js'
import { secureStreamError } from '../errors.js'
import { joinInto } from './frame-codec.js'
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
 * Sending always uses libsodium, sealing in place in the caller's frame
 * buffer: no cipher object and no allocation per frame. node:crypto's
 * OpenSSL is faster per byte (a 64 KiB frame: 29 us against 37 in
 * isolation), but it needs a new Cipheriv object per frame, since a
 * cipher's nonce cannot be reset, and on Node 20 every update() allocates
 * its output twice (input length + 1, then a zero-filled buffer of the
 * input length it copies into). Measured end to end (1 GiB in 64 KiB
 * writes over TCP, bench/bulk-cpu.ts, 4 interleaved A/B sets), sealing
 * frames of 32 KiB and up with OpenSSL cost the sender 0.06-0.16 CPU s/GiB
 * more than libsodium in place, so sending stays on libsodium.
 * Receiving uses libsodium below OPENSSL_MIN_OPEN_BYTES and OpenSSL from
 * it up, where libsodium's decryption is much slower and reading each
 * socket chunk in place saves a copy (see constants.ts for the
 * measurement). Both compute ChaCha20-Poly1305-IETF exactly; the
 * known-answer tests cover frames on both sides of the limit.
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
    if (key.byteLength !== KEY_BYTES) throw secureStreamError('ERR_INVALID_ARGUMENT', `a transport key is ${KEY_BYTES} bytes`)
    if (storage.byteLength !== TransportCipher.STATE_BYTES) throw secureStreamError('ERR_INVALID_ARGUMENT', `a transport cipher needs ${TransportCipher.STATE_BYTES} bytes of storage`)
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

  /** Decrypt one frame body into a new buffer; a bad tag is ERR_DECRYPT_FAILED. */
  open (ciphertext: Uint8Array): Buffer {
    this.prepare()
    const plaintext = Buffer.allocUnsafe(ciphertext.byteLength - TAG_BYTES)
    this.decrypt(plaintext, ciphertext)
    return plaintext
  }

  /**
   * Decrypt a body that arrived in several pieces: one copy into a new
   * buffer of its length, then decryption in place in it (libsodium allows
   * the plaintext to overlay the ciphertext). Returns the plaintext view.
   * The pieces themselves are never written to: they are the raw stream's
   * chunks, which another listener may hold.
   */
  openJoined (pieces: Buffer[], length: number): Buffer {
    this.prepare()
    const frame = joinInto(Buffer.allocUnsafe(length), pieces)
    const plaintext = frame.subarray(0, length - TAG_BYTES)
    this.decrypt(plaintext, frame)
    return plaintext
  }

  private decrypt (plaintext: Buffer, ciphertext: Uint8Array): void {
    try {
      sodium.crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, null, ciphertext, EMPTY, this.nonce.bytes, this.key)
    } catch (err) {
      throw secureStreamError('ERR_DECRYPT_FAILED', `frame ${this.nonce.value} failed authentication`, err)
    }
    this.nonce.increment()
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
