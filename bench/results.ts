/** The bench's results as data, and their per-figure summaries (pure). */
import type { CipherBound } from './cipher-bound.js'
import type { Workload } from './config.js'
import { figure, type Figure, type FigureName } from './figures.js'
import type { ImplName } from './impls/impl.js'
import type { PerfSplit } from './perf-profile.js'
import { median, ratio, targetMet } from './stats.js'

export interface Sample {
  figure: FigureName
  impl: ImplName
  /** 1-based run number. */
  run: number
  value: number
  elapsedMs: number
  heapKiB?: number
  heapTotalKiB?: number
  youngKiB?: number
  gcKiB?: number
  reducedYoungKiB?: number
  settledKiB?: number
  clientCpu?: number
  serverCpu?: number
  serverFaults?: number
}

export interface Machine {
  node: string
  platform: string
  cpu: string
  cores: number
  memoryGiB: number
  /** 1, 5 and 15 minute load averages when the run started and ended: other work on the machine skews absolute numbers (ratios less so). */
  loadAtStart: number[]
  loadAtEnd: number[]
}

export interface ImplInfo { name: ImplName, label: string, detail: string }

/** A profile's hottest functions, attached where a target was missed. */
export interface ProfileNote { figure: FigureName, text: string }

export interface BenchResults {
  startedAt: string
  elapsedS: number
  machine: Machine
  /** The command as typed, e.g. "node dist/bench/run.js --quick". */
  command: string
  /** The commit measured, and whether lib/ differed from it; null outside a git checkout. */
  source: { commit: string, libDirty: boolean } | null
  /** Hash of the built lib/ every measurement ran (snapshot.ts). */
  libHash: string
  runs: number
  quick: boolean
  workload: Workload
  figures: FigureName[]
  impls: ImplInfo[]
  /** Asked for but not available in this build. */
  missing: ImplName[]
  samples: Sample[]
  profiles: ProfileNote[]
  /** What the record cipher allows (bench/cipher-bound.ts): measured by a full run where bulk or small missed. */
  cipherBound?: CipherBound
  /** Whole-process profiles (bench/perf-profile.ts) of ours and the TLS suite it was judged against, for each missed throughput target. */
  perfSplits?: PerfSplit[]
  /** Why there are none although a throughput target was missed (no perf, no permission). */
  perfUnavailable?: string
}

export interface Row {
  impl: ImplInfo
  values: number[]
  median: number
  min: number
  max: number
  /** median / TLS median from this run; null without TLS. */
  ratioToTls: number | null
  /** idle only: medians per connection of heap used + external, heap committed, young generation (after gc()), RSS after gc() only, young generation after the memory-reducing GC, and RSS after settling. */
  heapKiB: number | null
  heapTotalKiB: number | null
  youngKiB: number | null
  gcKiB: number | null
  reducedYoungKiB: number | null
  settledKiB: number | null
  /** bulk and small: medians of each process's CPU over the timed window, as a share of one core. */
  clientCpu: number | null
  serverCpu: number | null
}

export interface FigureSummary {
  figure: Figure
  rows: Row[]
  /** Our verdict, when ours was measured. */
  ours: { median: number, ratioToTls: number | null, met: boolean | null } | null
}

/** Medians, ratios and verdicts of every figure that has samples. */
export function summarize (results: BenchResults): FigureSummary[] {
  return results.figures.map((name) => summarizeFigure(figure(name), results))
}

export function summarizeFigure (fig: Figure, results: BenchResults): FigureSummary {
  const mine = results.samples.filter((s) => s.figure === fig.name)
  const rows: Row[] = []
  for (const impl of results.impls) {
    const samples = mine.filter((s) => s.impl === impl.name)
    if (samples.length === 0) continue
    const values = samples.map((s) => s.value)
    const extra = (pick: (s: Sample) => number | undefined): number | null => {
      const found = samples.flatMap((s) => { const v = pick(s); return v === undefined ? [] : [v] })
      return found.length > 0 ? median(found) : null
    }
    rows.push({
      impl, values, median: median(values), min: Math.min(...values), max: Math.max(...values), ratioToTls: null,
      heapKiB: extra((s) => s.heapKiB), heapTotalKiB: extra((s) => s.heapTotalKiB), youngKiB: extra((s) => s.youngKiB),
      gcKiB: extra((s) => s.gcKiB), reducedYoungKiB: extra((s) => s.reducedYoungKiB), settledKiB: extra((s) => s.settledKiB),
      clientCpu: extra((s) => s.clientCpu), serverCpu: extra((s) => s.serverCpu)
    })
  }
  const tls = fasterTls(rows, fig)
  for (const row of rows) row.ratioToTls = ratio(row.median, tls?.median)
  const ours = rows.find((r) => r.impl.name === 'ours')
  return {
    figure: fig,
    rows,
    ours: ours === undefined ? null : { median: ours.median, ratioToTls: ours.ratioToTls, met: oursMet(fig, ours) }
  }
}

/**
 * The TLS row to beat: of the TLS suites measured for this figure, the one
 * with the best median (issue 9: ">= 1.0x the faster TLS").
 */
export function fasterTls (rows: Row[], fig: Figure): Row | undefined {
  const suites = rows.filter((r) => r.impl.name === 'tls' || r.impl.name === 'tls-aes')
  const better = (a: Row, b: Row): Row => (fig.higherIsBetter ? a.median >= b.median : a.median <= b.median) ? a : b
  return suites.length === 0 ? undefined : suites.reduce(better)
}

/** Issue 9: the idle ceiling must hold for both readings, at once and after the idle period. */
function oursMet (fig: Figure, ours: Row): boolean | null {
  const met = targetMet(fig, ours.median, ours.ratioToTls)
  if (met !== true || fig.target.kind !== 'at-most' || ours.settledKiB === null) return met
  return ours.settledKiB <= fig.target.value
}
