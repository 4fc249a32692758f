import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import sodium from 'sodium-native'
import { KEY_BYTES, SHORT_FINGERPRINT_CHARS } from '../constants.js'
import { identityError } from '../errors.js'

/**
 * A long-term X25519 static key pair. The secret key never leaves through
 * toJSON, inspect or string conversion: printing a KeyPair shows only the
 * public key's fingerprint.
 */
export class KeyPair {
  readonly publicKey: Buffer
  readonly secretKey: Buffer

  constructor (publicKey: Buffer, secretKey: Buffer) {
    if (publicKey.byteLength !== KEY_BYTES || secretKey.byteLength !== KEY_BYTES) {
      throw identityError('ERR_KEY_INVALID', `a key pair needs two ${KEY_BYTES}-byte keys`)
    }
    this.publicKey = publicKey
    this.secretKey = secretKey
  }

  /** The public half only: safe to log, serialise or send. */
  toJSON (): { publicKey: string, fingerprint: string } {
    return { publicKey: encodePublicKey(this.publicKey), fingerprint: fingerprint(this.publicKey) }
  }

  toString (): string {
    return `KeyPair(${fingerprint(this.publicKey)})`
  }

  [inspect.custom] (): string {
    return this.toString()
  }
}

/** A new random key pair (libsodium's CSPRNG). */
export function generateKeyPair (): KeyPair {
  const publicKey = Buffer.alloc(KEY_BYTES)
  const secretKey = Buffer.alloc(KEY_BYTES)
  sodium.crypto_kx_keypair(publicKey, secretKey)
  return new KeyPair(publicKey, secretKey)
}

/** The key pair of a given 32-byte secret key (X25519 clamps it itself). */
export function keyPairFromSecretKey (secretKey: Uint8Array): KeyPair {
  if (secretKey.byteLength !== KEY_BYTES) {
    throw identityError('ERR_KEY_INVALID', `a secret key is ${KEY_BYTES} bytes, got ${secretKey.byteLength}`)
  }
  const secret = Buffer.from(secretKey)
  const publicKey = Buffer.alloc(KEY_BYTES)
  sodium.crypto_scalarmult_base(publicKey, secret)
  return new KeyPair(publicKey, secret)
}

/** A public key as text: standard base64 of the 32 bytes, as WireGuard writes keys. */
export function encodePublicKey (publicKey: Uint8Array): string {
  return Buffer.from(publicKey).toString('base64')
}

/** Parse a base64 public key; anything but exactly 32 bytes is refused. */
export function parsePublicKey (text: string): Buffer {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) {
    throw identityError('ERR_KEY_INVALID', `'${clip(trimmed)}' is not a public key (44 characters of base64 encoding 32 bytes)`)
  }
  return Buffer.from(trimmed, 'base64')
}

/**
 * OpenSSH's fingerprint form: "SHA256:" + unpadded base64 of SHA-256 of
 * the raw 32 key bytes, so `base64 -d | sha256sum` can recompute it.
 */
export function fingerprint (publicKey: Uint8Array): string {
  const digest = createHash('sha256').update(publicKey).digest('base64')
  return 'SHA256:' + digest.replace(/=+$/, '')
}

/**
 * A short form for inline display (names lists, prompts). Never use it for
 * a trust decision: 48 bits can be brute-forced into a collision.
 */
export function shortFingerprint (publicKey: Uint8Array): string {
  return fingerprint(publicKey).slice('SHA256:'.length, 'SHA256:'.length + SHORT_FINGERPRINT_CHARS)
}

/** True when `text` looks like a full SHA256 fingerprint. */
export function isFingerprint (text: string): boolean {
  return /^SHA256:[A-Za-z0-9+/]{43}$/.test(text.trim())
}

/** Constant-time comparison of two public keys (same length assumed by callers, checked anyway). */
export function samePublicKey (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function clip (text: string): string {
  return text.length > 60 ? text.slice(0, 57) + '...' : text
}
