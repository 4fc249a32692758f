/** Small statistics for the reports: summaries of samples and the slope of memory over time. */

/** Count, min, median, 95th percentile and max of some samples (NaN when there are none). */
export interface Summary {
  count: number
  min: number
  median: number
  p95: number
  max: number
}

/** Summarize samples; NaN values are left out. */
export function summarize (samples: number[]): Summary {
  const sorted = samples.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  const at = (q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
  return { count: sorted.length, min: sorted[0] ?? NaN, median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? NaN }
}

/** The least-squares slope lives in the shared harness; re-exported for the reports that use it beside the rest. */
export { slope } from '../../harness/slope.js'

/** Milliseconds for a table: "12 ms", "1.4 s", or "-". */
export function ms (value: number): string {
  if (Number.isNaN(value)) return '-'
  if (value < 1000) return `${Math.round(value)} ms`
  return `${(value / 1000).toFixed(1)} s`
}

/** KiB as MiB with one decimal, or "-". */
export function mib (kib: number): string {
  return Number.isNaN(kib) ? '-' : `${(kib / 1024).toFixed(1)} MiB`
}

/** A Markdown table. */
export function table (head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

/** Latencies in whole milliseconds, counted per millisecond up to a bound (the rest in one overflow bucket): cheap for millions of samples, mergeable across processes. */
export class Histogram {
  readonly counts: number[]
  count = 0

  constructor (readonly maxMs = 10_000, counts?: number[]) {
    this.counts = counts ?? new Array<number>(maxMs + 1).fill(0)
    this.count = this.counts.reduce((a, b) => a + b, 0)
  }

  add (ms: number): void {
    this.counts[Math.min(this.maxMs, Math.max(0, Math.round(ms)))]!++
    this.count++
  }

  merge (other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i] ?? 0
    this.count += other.count
  }

  /** The smallest value with at least fraction `q` of the samples at or below it (ms); NaN when empty. */
  quantile (q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.ceil(q * this.count)
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return i
    }
    return this.maxMs
  }

  /** Largest value seen (ms). */
  get max (): number {
    for (let i = this.counts.length - 1; i >= 0; i--) if (this.counts[i]! > 0) return i
    return NaN
  }
}
