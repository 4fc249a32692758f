/** Number and table formatting for the console and RESULTS.md (pure). */
import type { Figure } from './figures.js'
import type { FigureSummary } from './results.js'

/** A figure's value in its unit, rounded for reading: 1155, 3.70 M, 156 k, 30.4. */
export function formatValue (value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value)
  if (unit === 'msg/s') {
    if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`
    if (value >= 1e3) return `${(value / 1e3).toFixed(0)} k`
  }
  if (unit === 'KiB/conn') return value.toFixed(1)
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1)
}

export function formatRatio (r: number | null): string {
  return r === null ? '-' : `${r.toFixed(2)}x`
}

/** "met", "MISSED" or "n/a (no TLS in this run)". */
export function formatVerdict (met: boolean | null): string {
  if (met === null) return 'n/a (needs TLS in the same run)'
  return met ? 'met' : 'MISSED'
}

/** One sentence on our figure against its target. */
export function verdictLine (s: FigureSummary): string {
  if (s.ours === null) return `${s.figure.title}: target ${s.figure.targetText}; noise-chat not measured`
  const fig: Figure = s.figure
  const measured = fig.target.kind === 'at-most'
    ? `${formatValue(s.ours.median, fig.unit)} ${fig.unit}`
    : `${formatRatio(s.ours.ratioToTls)} TLS (${formatValue(s.ours.median, fig.unit)} ${fig.unit})`
  return `${fig.title}: noise-chat ${measured}, target ${fig.targetText}: ${formatVerdict(s.ours.met)}`
}

/** Fixed-width text table: the first column left-aligned, the rest right-aligned. */
export function textTable (rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n')
}

/** A Markdown table from a header row and body rows. */
export function markdownTable (header: string[], body: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n')
}

/** The console summary of one figure, printed once its runs are done. */
export function figureSummaryText (s: FigureSummary): string {
  const header = [`${s.figure.title} (${s.figure.unit})`, 'median', 'min', 'max', 'x TLS']
  const body = s.rows.map((r) => [r.impl.label, formatValue(r.median, s.figure.unit), formatValue(r.min, s.figure.unit), formatValue(r.max, s.figure.unit), formatRatio(r.ratioToTls)])
  return textTable([header, ...body]).split('\n').map((l) => '  ' + l).join('\n') + '\n  ' + verdictLine(s)
}
