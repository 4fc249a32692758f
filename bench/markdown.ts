/** bench/RESULTS.md from the results (pure). */
import { cipherBoundSection } from './cipher-bound-markdown.js'
import { FIGURES } from './figures.js'
import { perfSection } from './perf-profile-markdown.js'
import { PROFILE_CAVEAT } from './profile.js'
import { receiverFloorSection } from './receiver-floor-markdown.js'
import { formatRatio, formatValue, formatVerdict, markdownTable } from './format.js'
import { summarize, type BenchResults, type FigureSummary } from './results.js'

export function resultsMarkdown (r: BenchResults): string {
  const summaries = summarize(r)
  const parts = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${r.startedAt} in ${(r.elapsedS / 60).toFixed(1)} min. Rerun it to update this file; do not edit by hand.` +
      (r.quick ? ' **Quick mode: smoke-sized workloads, not comparable with a full run.**' : ''),
    '',
    '## Machine',
    '',
    `- Node ${r.machine.node} on ${r.machine.platform}`,
    `- CPU: ${r.machine.cpu}, ${r.machine.cores} cores (os.cpus())`,
    `- Memory: ${r.machine.memoryGiB.toFixed(1)} GiB`,
    `- Load average (1, 5, 15 min) at start ${loads(r.machine.loadAtStart)}, at end ${loads(r.machine.loadAtEnd)}: other work on the machine moves absolute figures; ratios within one run move less.`,
    '',
    '## Command',
    '',
    '```',
    r.command,
    '```',
    '',
    '`npm run bench` is `npm run build && node dist/bench/run.js`; `npm run bench -- --help` lists every option.',
    '',
    r.source === null
      ? 'Source: not a git checkout.'
      : `Source: commit \`${r.source.commit}\`${r.source.libDirty ? ', with uncommitted changes in lib/ (measured as they were in the working tree)' : ', lib/ as committed'}.` +
        ` Every measurement ran the same copy of the build (dist/lib sha256 \`${r.libHash}\`), taken when the run started.`,
    '',
    '## Method',
    '',
    ...method(r),
    '',
    '## Medians and targets',
    '',
    mediansTable(r, summaries),
    '',
    ...summaries.map((s) => `- ${targetSentence(s, r.workload.idleSettleS)}`),
    '',
    '## Ratio to TLS 1.3, every implementation',
    '',
    ratiosTable(r, summaries),
    ''
  ]
  parts.push(...cpuDuringTransfer(summaries), ...receiverFloorSection(r))
  const idle = summaries.find((s) => s.figure.name === 'idle')
  if (idle !== undefined) parts.push(...idleDetail(idle, r.workload.idleSettleS))
  if (r.cipherBound !== undefined) parts.push(...cipherBoundSection(r.cipherBound))
  parts.push(...perfSection(r))
  if (r.profiles.length > 0) parts.push(...profileSection(r))
  parts.push('## Every sample', '', ...summaries.flatMap((s) => samplesTable(r, s)), '## Implementations', '')
  for (const impl of r.impls) parts.push(`- **${impl.label}** (\`${impl.name}\`): ${impl.detail}`)
  for (const name of r.missing) parts.push(`- \`${name}\`: not available in this build, not measured`)
  parts.push('')
  return parts.join('\n')
}

function loads (l: number[]): string {
  return l.length === 0 ? '-' : l.map((x) => x.toFixed(2)).join(' ')
}

function method (r: BenchResults): string[] {
  const w = r.workload
  const mib = (n: number): string => n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} B`
  return [
    `- ${r.runs} run(s) per figure (idle: ${Math.min(r.runs, r.workload.idleRuns ?? r.runs)}). In each run every implementation is measured once, in a rotated order (run k starts with the k-th), so all of them share the machine's state of the moment; medians and ratios come from these runs only.`,
    '- Every measurement forks a fresh server process and a fresh client process; they talk over 127.0.0.1 with TCP_NODELAY on every socket. Both ends of the Noise implementations have one static key pair per process.',
    `- **bulk**: ${mib(w.bulkBytes)} in writes of ${w.bulkChunk} B; the client honours backpressure (write() false: wait for drain); timed from the first write until the server's one-byte acknowledgement of the last byte. MB = 10^6 bytes.`,
    `- **small**: ${w.smallCount} writes of ${w.smallSize} B, otherwise as bulk; messages per second.`,
    `- **handshakes**: ${w.handshakes} connections with ${w.concurrency} in flight, after an untimed warm-up; each is TCP connect, the full handshake, and both ends sending their end of stream (the server only after its own handshake completes), until the client sees close.`,
    `- **sequential**: the same, ${w.sequential} connections one at a time.`,
    `- **idle**: after a warm-up, the server's RSS is read with no connections, then at once with ${w.idle} established idle connections, each time twice: after three \`gc()\` calls (\`--expose-gc\`), then after three memory-reducing GCs (the inspector's \`HeapProfiler.collectGarbage\`, as DevTools' "collect garbage"); each reading is the growth over the baseline taken the same way, divided by the count. The figure judged is the memory-reducing reading; the \`gc()\` reading stays in the split below.` +
      (w.idleSettleS > 0 ? ` RSS is read once more after ${w.idleSettleS} s of idleness, against the memory-reducing baseline (see the split below).` : ''),
    '- Targets are from issue 2 section 4: ratios to TLS 1.3 within this run, and an absolute ceiling for idle memory. Where both TLS suites are measured (bulk and small: the figures the record cipher bounds), every ratio is to the faster of the two in this run (issue 9: "the faster TLS"); handshakes and idle memory do not depend on the record cipher and measure the ChaCha suite only.'
  ]
}

function mediansTable (r: BenchResults, summaries: FigureSummary[]): string {
  const header = ['figure', ...r.impls.map((i) => i.label), 'noise-chat / TLS', 'target', 'verdict']
  const body = summaries.map((s) => [
    `${s.figure.title}, ${s.figure.unit}`,
    ...r.impls.map((i) => cell(s, i.name)),
    formatRatio(s.ours?.ratioToTls ?? null),
    s.figure.targetText,
    s.ours === null ? 'not measured' : `**${formatVerdict(s.ours.met)}**`
  ])
  return markdownTable(header, body)
}

function ratiosTable (r: BenchResults, summaries: FigureSummary[]): string {
  const header = ['figure', ...r.impls.map((i) => i.label)]
  const body = summaries.map((s) => [s.figure.title, ...r.impls.map((i) => formatRatio(s.rows.find((row) => row.impl.name === i.name)?.ratioToTls ?? null))])
  return markdownTable(header, body)
}

function cell (s: FigureSummary, impl: string): string {
  const row = s.rows.find((x) => x.impl.name === impl)
  return row === undefined ? '-' : formatValue(row.median, s.figure.unit)
}

function targetSentence (s: FigureSummary, settleS: number): string {
  const f = s.figure
  if (s.ours === null) return `${f.title}: target ${f.targetText}; noise-chat was not measured.`
  const what = f.target.kind === 'at-most'
    ? `${formatValue(s.ours.median, f.unit)} ${f.unit}`
    : `${formatRatio(s.ours.ratioToTls)} TLS`
  const oursRow = s.rows.find((row) => row.impl.name === 'ours')
  const settled = oursRow?.settledKiB ?? null
  const afterGc = f.name === 'idle' && oursRow?.gcKiB != null ? ` (right after open, after memory-reducing GCs; after \`gc()\` only: ${oursRow.gcKiB.toFixed(1)} KiB, V8's young generation still grown)` : ''
  const after = f.name === 'idle' && settled !== null && f.target.kind === 'at-most'
    ? ` Read again after ${settleS} s idle: ${settled.toFixed(1)} KiB (${settled <= f.target.value ? 'within' : 'above'} the target; see the split below).`
    : ''
  return `${f.title}: noise-chat ${what}${afterGc}, target ${f.targetText}: **${formatVerdict(s.ours.met)}**.${after}`
}

/**
 * Which process bounds bulk and small: each one's CPU over the timed
 * window. A process near 100% is the bottleneck; both well below it means
 * they wait on each other (or on other work on the machine).
 */
function cpuDuringTransfer (summaries: FigureSummary[]): string[] {
  const streamed = summaries.filter((s) => s.rows.some((r) => r.clientCpu !== null))
  if (streamed.length === 0) return []
  const pct = (v: number | null): string => (v === null ? '-' : `${Math.round(v * 100)}%`)
  const rows = streamed.flatMap((s) => s.rows.map((r) => [s.figure.title, r.impl.label, pct(r.clientCpu), pct(r.serverCpu)]))
  return [
    '## CPU during bulk and small',
    '',
    'Each process\'s CPU (user + system) over the timed window, as a share of one core, medians: the client writes (its figure is its own `process.cpuUsage()`), the server reads and decrypts (read from /proc in clock ticks, 10 ms here, from before the client started until the result, so it includes the handshake: meaningless for a quick run, within a few percent for a full one). On loopback the kernel\'s TCP work is charged to whichever process makes the system call. A process near 100% is what bounds the figure; two processes well below it wait on each other.',
    '',
    markdownTable(['figure', 'implementation', 'client (sender)', 'server (receiver)'], rows),
    ''
  ]
}

function idleDetail (s: FigureSummary, settleS: number): string[] {
  const kib = (v: number | null): string => (v === null ? '-' : v.toFixed(1))
  const settledHeader = settleS > 0 ? `RSS after ${settleS} s idle` : 'RSS after settling (not measured)'
  return [
    '## Idle memory, split',
    '',
    'Growth per connection, KiB, medians, each against a baseline taken the same way. Two readings right after the connections opened: `gc()` is a full collection that empties V8\'s young generation (new space) but keeps its size, which a burst of handshakes\' survivors grows (on this Node up to 2 x 16 MiB), so those pages stay in RSS; the memory-reducing GC (`HeapProfiler.collectGarbage`, V8\'s low-memory notification) also shrinks new space to its minimum (2 x 512 KiB) and returns the pages at once, as V8\'s memory reducer does on its own some seconds later. Grown new space is V8\'s heap-sizing policy, the same for every implementation, not objects anyone holds, so the memory-reducing reading is the one that shows what a handshake leaves behind, and it is the judged figure above; the `gc()` reading is kept beside it. "Heap used + external" is what the connections keep alive in V8 and in Buffers, and "heap committed" what V8 holds from the OS, both after `gc()`. The last column reads RSS again after the idle period. RSS also holds native state the heap does not see (libuv handles, OpenSSL objects, malloc slack).',
    '',
    markdownTable(
      ['implementation', 'RSS, memory-reducing GC (judged)', 'RSS, gc() only', 'heap used + external', 'heap committed', 'young generation, gc()', 'young generation, memory-reducing GC', settledHeader],
      s.rows.map((r) => [r.impl.label, formatValue(r.median, 'KiB/conn'), kib(r.gcKiB), kib(r.heapKiB), kib(r.heapTotalKiB), kib(r.youngKiB), kib(r.reducedYoungKiB), kib(r.settledKiB)])
    ),
    ''
  ]
}

function profileSection (r: BenchResults): string[] {
  const parts = ['## Where the time goes (missed targets)', '', `One extra run of noise-chat under \`node --cpu-prof\` for each missed target; the top functions by self time in each process. ${PROFILE_CAVEAT}`, '']
  for (const p of r.profiles) parts.push(`### ${FIGURES.find((f) => f.name === p.figure)?.title ?? p.figure}`, '', '```', p.text, '```', '')
  return parts
}

function samplesTable (r: BenchResults, s: FigureSummary): string[] {
  const header = ['implementation', ...Array.from({ length: r.runs }, (_, i) => `run ${i + 1}`), 'median']
  const body = s.rows.map((row) => {
    const byRun = Array.from({ length: r.runs }, (_, i) => {
      const sample = r.samples.find((x) => x.figure === s.figure.name && x.impl === row.impl.name && x.run === i + 1)
      return sample === undefined ? '-' : formatValue(sample.value, s.figure.unit)
    })
    return [row.impl.label, ...byRun, formatValue(row.median, s.figure.unit)]
  })
  return [`### ${s.figure.title} (${s.figure.unit})`, '', markdownTable(header, body), '']
}
