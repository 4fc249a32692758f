/** Medians, ratios and target verdicts: pure arithmetic over samples. */
import type { Figure } from './figures.js'

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median (values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** value / reference, or null when there is no usable reference. */
export function ratio (value: number, reference: number | null | undefined): number | null {
  if (reference === null || reference === undefined || !(reference > 0) || !Number.isFinite(value)) return null
  return value / reference
}

/** Whether our median meets the figure's target; null when it cannot be judged (no TLS in the run). */
export function targetMet (fig: Figure, oursMedian: number, ratioToTls: number | null): boolean | null {
  if (fig.target.kind === 'at-most') return oursMedian <= fig.target.value
  return ratioToTls === null ? null : ratioToTls >= fig.target.ratio
}
