import { NONCE_BYTES, REKEY_INTERVAL_FRAMES } from '../constants.js'
import { secureStreamError } from '../errors.js'

const UINT32 = 0x1_0000_0000
export { NONCE_BYTES }

/**
 * A 64-bit frame counter kept as two 32-bit halves, because a JavaScript
 * number cannot hold all 64 bits (PROTOCOL.md 4). It also renders itself
 * as the 96-bit ChaCha20-Poly1305 nonce: 4 zero bytes, then n little-endian.
 */
export class Nonce {
  private lo = 0
  private hi = 0
  /** The 12 nonce bytes for the current value, updated in place. */
  readonly bytes: Buffer

  /** @param storage 12 bytes to keep the nonce in (zeroed here); a new buffer when absent. */
  constructor (storage: Buffer = Buffer.alloc(NONCE_BYTES)) {
    if (storage.byteLength !== NONCE_BYTES) throw secureStreamError('ERR_INVALID_ARGUMENT', `a nonce needs ${NONCE_BYTES} bytes of storage`)
    this.bytes = storage.fill(0)
  }

  /** The current value as a BigInt (for tests and error messages). */
  get value (): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo)
  }

  /** True before the first frame of this direction. */
  get isZero (): boolean {
    return this.lo === 0 && this.hi === 0
  }

  /**
   * Move the counter forward to `value`: an internal hook that lets tests
   * start near 2^32 or 2^64. It never goes back: a lower value would reuse
   * a (key, nonce) pair, which breaks ChaCha20-Poly1305 outright.
   */
  advanceTo (value: bigint): void {
    if (value < 0n || value >= 1n << 64n) throw secureStreamError('ERR_INVALID_ARGUMENT', 'nonce must be in 0 .. 2^64 - 1')
    if (value < this.value) throw secureStreamError('ERR_INVALID_ARGUMENT', `nonce may only move forward: it is ${this.value}, asked for ${value}`)
    this.lo = Number(value & 0xffffffffn)
    this.hi = Number(value >> 32n)
    this.render()
  }

  /** 2^64 - 1 is reserved for REKEY; reaching it means this direction is used up. */
  get exhausted (): boolean {
    return this.lo === UINT32 - 1 && this.hi === UINT32 - 1
  }

  /** True before the frame whose nonce is a positive multiple of 65536 (PROTOCOL.md 5). */
  get atRekey (): boolean {
    return this.lo % REKEY_INTERVAL_FRAMES === 0 && (this.lo !== 0 || this.hi !== 0)
  }

  increment (): void {
    this.lo++
    if (this.lo === UINT32) {
      this.lo = 0
      this.hi++
    }
    this.render()
  }

  private render (): void {
    this.bytes.writeUInt32LE(this.lo, 4)
    this.bytes.writeUInt32LE(this.hi, 8)
  }
}
