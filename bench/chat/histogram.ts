/**
 * A latency histogram in microseconds with about 1% relative precision:
 * logarithmic buckets, so millions of deliveries fit in a couple of
 * thousand counters that workers send to the controller and merge.
 */

/** Bucket growth factor: each bucket is 1% wider than the one before. */
const GROWTH = 1.01
const PER_LOG = 1 / Math.log(GROWTH)
/** Buckets up to e^(BUCKETS/PER_LOG) us: 2000 buckets reach about 7 minutes. */
const BUCKETS = 2000

/** Counts of latencies, mergeable across processes. */
export class LatencyHistogram {
  readonly counts: Float64Array
  count = 0
  maxUs = 0

  constructor (counts?: ArrayLike<number>) {
    this.counts = new Float64Array(BUCKETS)
    if (counts !== undefined) this.add(counts)
  }

  /** Record one latency (negative values, from clock jitter, count as 0). */
  record (us: number): void {
    const v = us < 1 ? 1 : us
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(v) * PER_LOG))
    this.counts[i]++
    this.count++
    if (v > this.maxUs) this.maxUs = v
  }

  /** Add another histogram's counts (as sent over IPC). */
  add (counts: ArrayLike<number>, maxUs = 0): void {
    for (let i = 0; i < BUCKETS && i < counts.length; i++) {
      this.counts[i] += counts[i]
      this.count += counts[i]
    }
    if (maxUs > this.maxUs) this.maxUs = maxUs
  }

  /** The latency at quantile q (0..1): the upper edge of its bucket, never above the maximum seen; NaN when empty. */
  quantileUs (q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]
      if (seen >= rank) return Math.min(this.maxUs, Math.exp((i + 1) / PER_LOG))
    }
    return this.maxUs
  }

  /** Forget everything (a new step). */
  reset (): void {
    this.counts.fill(0)
    this.count = 0
    this.maxUs = 0
  }
}
