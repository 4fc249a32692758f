import sodium from 'sodium-native'
import { HASH_BLOCK_BYTES, HASH_BYTES } from '../constants.js'

/**
 * Noise's HKDF (the Noise spec, section 4.3) over HMAC-BLAKE2b, with two
 * outputs: what MixKey and Split need. Each HMAC is two one-shot native
 * BLAKE2b calls over contiguous scratch memory (pad block, then message),
 * where noise-handshake's own builds an array per hash and goes through
 * libsodium's batch call, the slow path of the binding: a third of the
 * handshake's hashing time was that marshalling, not BLAKE2b.
 *
 * The scratch is module-wide (the work is synchronous) and zeroed before
 * hkdf2 returns: it holds keys only while one derivation runs.
 */

/** Inner hash input: the ipad block, then the message (at most T(1) || 0x02). */
const inner = Buffer.allocUnsafeSlow(HASH_BLOCK_BYTES + HASH_BYTES + 1)
/** Outer hash input: the opad block, then the inner hash. */
const outer = Buffer.allocUnsafeSlow(HASH_BLOCK_BYTES + HASH_BYTES)
const innerHash = outer.subarray(HASH_BLOCK_BYTES)
/** HKDF's pseudorandom key (temp_key in the Noise spec). */
const prk = Buffer.allocUnsafeSlow(HASH_BYTES)

/**
 * HKDF(chainingKey, inputKeyMaterial) with two outputs, written to
 * `out[0, 64)` and `out[64, 128)`. `out` may hold `chainingKey` itself:
 * the key is read in full before anything is written.
 */
export function hkdf2 (out: Uint8Array, chainingKey: Uint8Array, inputKeyMaterial: Uint8Array): void {
  if (out.byteLength < 2 * HASH_BYTES || chainingKey.byteLength > HASH_BLOCK_BYTES || inputKeyMaterial.byteLength > HASH_BYTES) {
    throw new RangeError('hkdf2: needs a 128-byte output, a key of at most one block and at most 64 bytes of input key material')
  }
  const first = out.subarray(0, HASH_BYTES)
  inner.set(inputKeyMaterial, HASH_BLOCK_BYTES)
  hmac(prk, chainingKey, inputKeyMaterial.byteLength)
  inner[HASH_BLOCK_BYTES] = 0x01
  hmac(first, prk, 1)
  inner.set(first, HASH_BLOCK_BYTES)
  inner[HASH_BLOCK_BYTES + HASH_BYTES] = 0x02
  hmac(out.subarray(HASH_BYTES, 2 * HASH_BYTES), prk, HASH_BYTES + 1)
  sodium.sodium_memzero(inner)
  sodium.sodium_memzero(outer)
  sodium.sodium_memzero(prk)
}

/** HMAC-BLAKE2b(key, message) into `out`, the message already in `inner` after the pad block. */
function hmac (out: Uint8Array, key: Uint8Array, messageBytes: number): void {
  const n = key.byteLength
  for (let i = 0; i < n; i++) {
    inner[i] = key[i]! ^ 0x36
    outer[i] = key[i]! ^ 0x5c
  }
  inner.fill(0x36, n, HASH_BLOCK_BYTES)
  outer.fill(0x5c, n, HASH_BLOCK_BYTES)
  sodium.crypto_generichash(innerHash, inner.subarray(0, HASH_BLOCK_BYTES + messageBytes))
  sodium.crypto_generichash(out, outer)
}
