import type { TargetStats } from './engine.js'

/** The printed report of a fuzz run: one row per target, then how inputs ended, memory, failures. */

const MiB = 1024 * 1024

export function rate (s: TargetStats): number {
  return s.elapsedMs === 0 ? 0 : s.inputs / (s.elapsedMs / 1000)
}

export function summaryTable (all: readonly TargetStats[]): string[] {
  const rows = [['target', 'inputs', 'seconds', 'inputs/s', 'failures', 'heap MiB (judged start -> end)', 'slope B/1k inputs', 'memory']]
  for (const s of all) {
    rows.push([
      s.target,
      String(s.inputs),
      (s.elapsedMs / 1000).toFixed(1),
      rate(s).toFixed(0),
      String(s.failureCount),
      s.memory.verdict === 'not measured' ? '-' : `${(s.memory.firstBytes / MiB).toFixed(1)} -> ${(s.memory.lastBytes / MiB).toFixed(1)}`,
      s.memory.verdict === 'not measured' || s.memory.verdict === 'too few samples' ? '-' : s.memory.slopeBytesPerKiloInput.toFixed(0),
      s.memory.verdict
    ])
  }
  const total = all.reduce((a, s) => a + s.inputs, 0)
  const failures = all.reduce((a, s) => a + s.failureCount, 0)
  rows.push(['total', String(total), '', '', String(failures), '', '', ''])
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((cell, i) => i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)).join('  ').trimEnd())
}

/** How each target's inputs ended, most frequent first. */
export function labelLines (s: TargetStats): string[] {
  const entries = Object.entries(s.labels).sort((a, b) => b[1] - a[1])
  return [`${s.target}:`, ...entries.map(([label, n]) => `  ${String(n).padStart(8)}  ${label}`)]
}

export function failureLines (s: TargetStats, files: ReadonlyMap<string, string>): string[] {
  return s.failures.map((f) => {
    const first = f.message.split('\n')[0]
    const file = files.get(`${f.target}/${f.seed}`)
    const kind = first.startsWith(`${f.kind}:`) ? '' : `${f.kind}: `
    return `  ${f.target} input ${f.index} seed 0x${(f.seed >>> 0).toString(16).padStart(8, '0')} ${kind}${first}${file === undefined ? '' : `\n    -> ${file}`}`
  })
}
