import NoiseState, { type KeyPair } from 'noise-handshake'
import sodium from 'sodium-native'
import { HASH_BYTES, KEY_BYTES } from '../constants.js'
import { hkdf2 } from './hkdf.js'

const EMPTY = Buffer.alloc(0)

/**
 * noise-handshake's state machine with its two key derivations (MixKey and
 * Split) done by hkdf2: the same bytes (the vectors check them), a quarter
 * of the JavaScript and native-call work, and fewer copies of secrets left
 * behind.
 *
 * - MixKey derives into one working buffer kept for the handshake (ck in
 *   the first half, k in the second), overwritten in place each time, where
 *   noise-handshake allocates a new one per call and drops the old one
 *   unzeroed. The unused half of the second output and the DH result are
 *   zeroed at once.
 * - Split derives into one buffer of its own, as noise-handshake does (tx
 *   and rx are views of it; Handshake.wipe zeroes it whole), with the
 *   unused halves zeroed at once.
 */
export class NativeKdfNoiseState extends NoiseState {
  /** ck (bytes 0..63) and k (64..95) after the first MixKey. */
  private work: Buffer | null = null

  protected override mixKey (remoteKey: Buffer, localKey: KeyPair): void {
    const dh = this.curve.dh(remoteKey, localKey)
    let work = this.work
    if (work === null) work = this.work = Buffer.allocUnsafeSlow(2 * HASH_BYTES)
    hkdf2(work, this.chainingKey!, dh)
    sodium.sodium_memzero(dh)
    work.fill(0, HASH_BYTES + KEY_BYTES)
    this.chainingKey = work.subarray(0, HASH_BYTES)
    this.initialiseKey(work.subarray(HASH_BYTES, HASH_BYTES + KEY_BYTES))
  }

  protected override split (): Buffer[] {
    const out = Buffer.allocUnsafeSlow(2 * HASH_BYTES)
    hkdf2(out, this.chainingKey!, EMPTY)
    out.fill(0, KEY_BYTES, HASH_BYTES)
    out.fill(0, HASH_BYTES + KEY_BYTES)
    return [out.subarray(0, KEY_BYTES), out.subarray(HASH_BYTES, HASH_BYTES + KEY_BYTES)]
  }
}
