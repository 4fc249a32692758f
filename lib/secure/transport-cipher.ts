import sodium from 'sodium-native'
import { KEY_BYTES, TAG_BYTES } from '../constants.js'
import { secureStreamError } from '../errors.js'
import { defaultAeadBackend, type AeadBackend } from './aead-backend.js'
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
 * The cipher itself is the backend's (lib/secure/aead-backend.ts): the
 * package's native OpenSSL addon where it was built, else libsodium and
 * node:crypto. Both compute ChaCha20-Poly1305-IETF exactly; the
 * known-answer tests run on both.
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
   * @param backend the cipher implementation; tests pass each one.
   */
  constructor (key: Uint8Array, storage: Buffer = Buffer.allocUnsafeSlow(TransportCipher.STATE_BYTES), private readonly backend: AeadBackend = defaultAeadBackend) {
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
    this.backend.sealInPlace(this.key, this.nonce.bytes, buf, start, length)
    this.nonce.increment()
  }

  /**
   * Decrypt one frame body (ciphertext then tag), given as the pieces it
   * arrived in, which are not written to unless `inPlace` (the caller owns
   * them: the plaintext may then be written over them). Returns the
   * plaintext as pieces; a bad tag is ERR_DECRYPT_FAILED, and the nonce
   * then does not move.
   */
  openPieces (pieces: Buffer[], length: number, inPlace = false): Buffer[] {
    this.prepare()
    const backend = this.backend
    const plaintext = inPlace ? backend.openPiecesInPlace(this.key, this.nonce.bytes, pieces, length) : backend.openPieces(this.key, this.nonce.bytes, pieces, length)
    if (plaintext === null) throw secureStreamError('ERR_DECRYPT_FAILED', `frame ${this.nonce.value} failed authentication`)
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
