/**
 * The five figures of issue 2 section 4, their units and their targets.
 * Targets are ratios to TLS 1.3 measured in the same bench run (to the faster
 * of its two suites where both are measured), except idle memory, which has
 * an absolute ceiling.
 */

export type FigureName = 'bulk' | 'small' | 'handshakes' | 'sequential' | 'idle'

/** How a figure's target is judged for our implementation. */
export type Target =
  | { kind: 'ratio-at-least', ratio: number }
  | { kind: 'at-most', value: number }

export interface Figure {
  readonly name: FigureName
  /** Row heading in tables. */
  readonly title: string
  readonly unit: string
  /** True when more is better (throughput), false for memory. */
  readonly higherIsBetter: boolean
  readonly target: Target
  /** The target as the issue states it. */
  readonly targetText: string
}

export const FIGURES: readonly Figure[] = [
  { name: 'bulk', title: 'bulk throughput', unit: 'MB/s', higherIsBetter: true, target: { kind: 'ratio-at-least', ratio: 1.0 }, targetText: '>= 1.0x the faster TLS 1.3 suite' },
  { name: 'small', title: 'small messages', unit: 'msg/s', higherIsBetter: true, target: { kind: 'ratio-at-least', ratio: 1.0 }, targetText: '>= 1.0x the faster TLS 1.3 suite' },
  { name: 'handshakes', title: 'handshakes, concurrent', unit: 'hs/s', higherIsBetter: true, target: { kind: 'ratio-at-least', ratio: 2.0 }, targetText: '>= 2.0x TLS 1.3' },
  { name: 'sequential', title: 'handshakes, sequential', unit: 'hs/s', higherIsBetter: true, target: { kind: 'ratio-at-least', ratio: 1.5 }, targetText: '>= 1.5x TLS 1.3' },
  { name: 'idle', title: 'idle connection, server RSS', unit: 'KiB/conn', higherIsBetter: false, target: { kind: 'at-most', value: 10 }, targetText: '<= 10 KiB' }
]

export const FIGURE_NAMES: readonly FigureName[] = FIGURES.map((f) => f.name)

/** The figure called `name`; throws for an unknown name (callers validate first). */
export function figure (name: FigureName): Figure {
  const found = FIGURES.find((f) => f.name === name)
  if (found === undefined) throw new Error(`unknown figure '${name}'`)
  return found
}
