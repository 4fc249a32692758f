/**
 * A small seeded PRNG (sfc32, seeded through splitmix32): the same seed
 * always yields the same numbers, on every machine and Node version, so any
 * input the fuzzer makes can be made again from its seed alone.
 */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: number) {
    let s = seed >>> 0
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** A uniform 32-bit unsigned integer. */
  u32 (): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** An integer in [0, n) (n >= 1). */
  int (n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n)
  }

  /** An integer in [lo, hi] inclusive. */
  range (lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  /** True with probability p. */
  chance (p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p
  }

  /** One element of a non-empty list. */
  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  /** An index chosen with the given weights. */
  weighted (weights: readonly number[]): number {
    let total = 0
    for (const w of weights) total += w
    let x = this.u32() / 0x1_0000_0000 * total
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!
      if (x < 0) return i
    }
    return weights.length - 1
  }

  /** A small size skewed towards 0: most are tiny, a few reach `max`. */
  small (max: number): number {
    const bits = this.int(Math.max(1, Math.ceil(Math.log2(max + 1))) + 1)
    return Math.min(max, this.int(1 << bits))
  }

  /** `n` random bytes. */
  bytes (n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    let i = 0
    for (; i + 4 <= n; i += 4) out.writeUInt32LE(this.u32(), i)
    for (; i < n; i++) out[i] = this.u32() & 0xff
    return out
  }
}

/**
 * The seed of input number `index` of `target` in a run seeded `runSeed`:
 * a hash of the three, so each input can be remade alone (and inputs of
 * different targets or runs do not repeat each other).
 */
export function inputSeed (runSeed: number, target: string, index: number): number {
  let h = 0x811c9dc5 ^ (runSeed >>> 0)
  for (let i = 0; i < target.length; i++) h = Math.imul(h ^ target.charCodeAt(i), 0x01000193)
  h = Math.imul(h ^ (index >>> 0), 0x01000193)
  h = Math.imul(h ^ Math.floor(index / 0x1_0000_0000), 0x01000193)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  h = Math.imul(h, 0x297a2d39)
  h ^= h >>> 15
  return h >>> 0
}
