/**
 * `npm run bench`: issue 2 section 4's five figures for raw TCP, TLS 1.3,
 * @hyperswarm/secret-stream and noise-chat, interleaved, with medians,
 * ratios to TLS, targets and (on a full run) bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeSelfSignedCertificate } from './cert.js'
import { measureCipherBound, type CipherBound } from './cipher-bound.js'
import { BenchUsageError, parseConfig, usage, type BenchConfig } from './config.js'
import { FIGURE_NAMES, figure, type FigureName } from './figures.js'
import { figureSummaryText, formatValue } from './format.js'
import { IMPL_NAMES, type Impl, type ImplContext, type ImplName } from './impls/impl.js'
import { findImpl } from './impls/index.js'
import { resultsMarkdown } from './markdown.js'
import { measure } from './measure.js'
import { perfCategoriesText } from './perf-profile-markdown.js'
import { perfProfiledRun, perfUnavailable, type PerfSplit } from './perf-profile.js'
import { PROFILE_CAVEAT } from './profile.js'
import { profiledRun } from './profiling.js'
import { snapshotBuild, type Snapshot } from './snapshot.js'
import { fasterTls, summarize, summarizeFigure, type BenchResults, type ImplInfo, type Machine, type ProfileNote } from './results.js'

/** The project root (this file runs as dist/bench/run.js). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DEFAULT_OUT = join(ROOT, 'bench', 'RESULTS.md')

/** The record-cipher readings: sets of each implementation, and bytes per set (as the bulk figure's 1 GiB). */
const CIPHER_BOUND_SETS = 3
const CIPHER_BOUND_BYTES = 1024 ** 3

const print = (line = ''): void => { process.stdout.write(line + '\n') }

async function main (argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config: BenchConfig
  let impls: Impl[]
  let missing: ImplName[]
  try {
    config = parseConfig(argv, env)
    if (config.help) { print(usage()); return 0 }
    ;({ impls, missing } = pickImpls(config))
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err
    process.stderr.write(`bench: ${err.message}\n`)
    return 2
  }
  const cert = makeSelfSignedCertificate()
  const snapshot = snapshotBuild(ROOT, fileURLToPath(new URL('../', import.meta.url)))
  const run: RunContext = { ctx: { keyPem: cert.keyPem, certPem: cert.certPem }, snapshot }
  process.once('SIGINT', () => { snapshot.remove(); process.exit(130) })
  try {
    if (config.profile) return await profileMode(config, impls, run)
    if (config.perfProfile) return await perfProfileMode(config, impls, run)
    return await benchmark(config, impls, missing, run, argv, env)
  } finally {
    snapshot.remove()
  }
}

/** What every measurement of one run shares: the TLS certificate and the frozen build. */
interface RunContext {
  ctx: ImplContext
  snapshot: Snapshot
}

async function benchmark (config: BenchConfig, impls: Impl[], missing: ImplName[], run: RunContext, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now()
  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    elapsedS: 0,
    machine: machine(),
    command: commandLine(argv, env),
    source: sourceVersion(),
    libHash: run.snapshot.libHash,
    runs: config.runs,
    quick: config.quick,
    workload: config.workload,
    figures: config.figures,
    impls: impls.map(info),
    missing,
    samples: [],
    profiles: []
  }
  printPlan(config, results, missing)
  for (const name of config.figures) await runFigure(name, config, impls, run, results)

  const out = config.out ?? (isComplete(config, missing) ? DEFAULT_OUT : '')
  if (out !== '' && config.profileMissed && !config.quick) {
    results.profiles = await profileMissed(config, results, run)
    await perfProfileMissed(config, results, run)
  }
  if (out !== '' && !config.quick && cipherBoundFigureMissed(results)) results.cipherBound = await cipherBound(run)
  results.elapsedS = (Date.now() - started) / 1000
  results.machine.loadAtEnd = os.loadavg()
  print(`\nDone in ${(results.elapsedS / 60).toFixed(1)} min.`)
  if (out !== '') {
    writeFileSync(out, resultsMarkdown(results))
    const shown = relative(process.cwd(), out)
    print(`Wrote ${shown.startsWith('..') || shown === '' ? out : shown}`)
  } else {
    print('Not writing bench/RESULTS.md: only a full run of every figure and all five implementations does (or pass --out FILE).')
  }
  if (config.json !== null) {
    writeFileSync(config.json, JSON.stringify(results, null, 2) + '\n')
    print(`Wrote ${config.json}`)
  }
  return 0
}

/** Requested implementations that exist in this build; a missing one is an error only when named. */
function pickImpls (config: BenchConfig): { impls: Impl[], missing: ImplName[] } {
  const impls: Impl[] = []
  const missing: ImplName[] = []
  for (const name of config.impls) {
    const impl = findImpl(name)
    if (impl === undefined) missing.push(name)
    else impls.push(impl)
  }
  if (missing.length > 0 && config.implsExplicit) {
    throw new BenchUsageError(`--impl: ${missing.join(', ')} is not available in this build (is lib/secure/secure-stream.ts there?)`)
  }
  if (impls.length === 0) throw new BenchUsageError('no implementation to measure')
  return { impls, missing }
}

async function runFigure (name: FigureName, config: BenchConfig, impls: Impl[], run: RunContext, results: BenchResults): Promise<void> {
  const fig = figure(name)
  print(`\n== ${fig.title} (${fig.unit}), target ${fig.targetText}`)
  const runs = name === 'idle' ? Math.min(config.runs, config.workload.idleRuns) : config.runs
  const taking = impls.filter((impl) => impl.figures === undefined || impl.figures.includes(name))
  for (let k = 1; k <= runs; k++) {
    // Rotate the order each run so no implementation always goes first.
    const order = taking.map((_, i) => taking[(i + k - 1) % taking.length])
    for (const impl of order) {
      const m = await measure({ impl: impl.name, figure: name, workload: config.workload, ctx: run.ctx, worker: run.snapshot.worker, timeoutMs: config.timeoutMs })
      results.samples.push({ figure: name, impl: impl.name, run: k, ...m })
      const heap = m.heapKiB === undefined ? '' : `  (after gc() only: RSS ${m.gcKiB?.toFixed(1)}, heap used+external ${m.heapKiB.toFixed(1)}, heap committed ${m.heapTotalKiB?.toFixed(1)} (young generation ${m.youngKiB?.toFixed(1)}; after the memory-reducing GC ${m.reducedYoungKiB?.toFixed(1)})${m.settledKiB === undefined ? '' : `; RSS after ${config.workload.idleSettleS} s idle ${m.settledKiB.toFixed(1)}`})`
      const cpu = m.clientCpu === undefined ? '' : `  (CPU: client ${Math.round(m.clientCpu * 100)}%, server ${m.serverCpu === undefined ? '-' : `${Math.round(m.serverCpu * 100)}%`})`
      print(`  run ${k}/${runs}  ${impl.label.padEnd(14)} ${formatValue(m.value, fig.unit).padStart(9)} ${fig.unit}  in ${(m.elapsedMs / 1000).toFixed(2)} s${heap}${cpu}`)
    }
  }
  print('')
  print(figureSummaryText(summarizeFigure(fig, results)))
}

/** Whether bulk or small (the figures the record cipher bounds) missed its target in this run. */
function cipherBoundFigureMissed (results: BenchResults): boolean {
  return summarize(results).some((s) => (s.figure.name === 'bulk' || s.figure.name === 'small') && s.ours?.met === false)
}

/** The record cipher's readings (bench/cipher-bound.ts), from the run's frozen build. */
async function cipherBound (run: RunContext): Promise<CipherBound> {
  print('\n== the record cipher: openssl speed, and CPU per GiB of bulk for ours, TLS ChaCha and TLS AES-GCM')
  const bound = await measureCipherBound(join(run.snapshot.dir, 'bench'), CIPHER_BOUND_SETS, CIPHER_BOUND_BYTES)
  for (const p of bound.perGiB) print(`  ${p.label.padEnd(16)} sender ${(p.sender.user + p.sender.system).toFixed(2)} s/GiB, receiver ${(p.receiver.user + p.receiver.system).toFixed(2)} s/GiB, ${p.mbPerS.toFixed(0)} MB/s`)
  return bound
}

/** One profiled run of ours for each figure whose target was missed (idle is memory, not time). */
async function profileMissed (config: BenchConfig, results: BenchResults, run: RunContext): Promise<ProfileNote[]> {
  const notes: ProfileNote[] = []
  const dir = config.profileDir ?? mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-profile-'))
  for (const name of config.figures) {
    const s = summarizeFigure(figure(name), results)
    if (s.ours?.met !== false || name === 'idle') continue
    print(`\nProfiling noise-chat on ${name} (target missed)...`)
    const p = await profiledRun({ impl: 'ours', figure: name, workload: config.workload, ctx: run.ctx, timeoutMs: config.timeoutMs, dir, worker: run.snapshot.worker, roots: [run.snapshot.dir, ROOT] })
    print(p.text)
    notes.push({ figure: name, text: p.text })
  }
  return notes
}

/**
 * For bulk and small, when missed: one run each of ours and of the TLS
 * suite it was judged against under perf, so RESULTS.md can set their
 * whole-process CPU side by side. Without perf, RESULTS.md says why.
 */
async function perfProfileMissed (config: BenchConfig, results: BenchResults, run: RunContext): Promise<void> {
  const missed = summarize(results).filter((s) => (s.figure.name === 'bulk' || s.figure.name === 'small') && s.ours?.met === false)
  if (missed.length === 0) return
  const why = perfUnavailable()
  if (why !== null) {
    print(`\nNo whole-process profile: ${why}`)
    results.perfUnavailable = why
    return
  }
  const splits: PerfSplit[] = []
  for (const s of missed) {
    const tls = fasterTls(s.rows, s.figure)
    if (tls === undefined) continue
    for (const impl of ['ours', tls.impl.name] as const) {
      print(`\nProfiling ${impl === 'ours' ? 'noise-chat' : tls.impl.label} on ${s.figure.name} under perf (whole process)...`)
      splits.push(await perfProfiledRun({ impl, figure: s.figure.name as 'bulk' | 'small', workload: config.workload, ctx: run.ctx, timeoutMs: config.timeoutMs, worker: run.snapshot.worker, ourCode: [run.snapshot.dir, ROOT] }))
    }
  }
  results.perfSplits = splits
}

/** --perf-profile: one run of bulk and small (of the chosen figures) per chosen implementation under perf; prints each process's CPU by category. */
async function perfProfileMode (config: BenchConfig, impls: Impl[], run: RunContext): Promise<number> {
  const why = perfUnavailable()
  if (why !== null) {
    process.stderr.write(`bench: --perf-profile: ${why}\n`)
    return 1
  }
  const names = config.figures.filter((f): f is 'bulk' | 'small' => f === 'bulk' || f === 'small')
  if (names.length === 0) {
    process.stderr.write('bench: --perf-profile measures bulk and small; choose one of them with --only\n')
    return 2
  }
  for (const name of names) {
    for (const impl of impls) {
      print(`\n== ${impl.label} on ${name} under perf (whole process)`)
      const split = await perfProfiledRun({ impl: impl.name, figure: name, workload: config.workload, ctx: run.ctx, timeoutMs: config.timeoutMs, worker: run.snapshot.worker, ourCode: [run.snapshot.dir, ROOT] })
      print(perfCategoriesText(split, figure(name).unit))
    }
  }
  return 0
}

/** --profile: one run per chosen figure under --cpu-prof, for ours unless --impl says otherwise. */
async function profileMode (config: BenchConfig, impls: Impl[], run: RunContext): Promise<number> {
  const chosen = config.implsExplicit ? impls : impls.filter((i) => i.name === 'ours')
  if (chosen.length === 0) {
    process.stderr.write('bench: --profile profiles ours, which is not available in this build; pass --impl to profile another\n')
    return 2
  }
  const dir = config.profileDir ?? mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-profile-'))
  for (const name of config.figures) {
    for (const impl of chosen) {
      print(`\n== profiling ${impl.label} on ${name}`)
      const p = await profiledRun({ impl: impl.name, figure: name, workload: config.workload, ctx: run.ctx, timeoutMs: config.timeoutMs, dir, worker: run.snapshot.worker, roots: [run.snapshot.dir, ROOT] })
      print(`${formatValue(p.measurement.value, figure(name).unit)} ${figure(name).unit} under the profiler (slower than unprofiled)`)
      print(p.text)
      print('profiles (open in Chrome DevTools > Performance, or VS Code):')
      for (const f of p.files) print(`  ${f}`)
    }
  }
  print(`\nAll profiles are under ${dir}\nNote: ${PROFILE_CAVEAT}`)
  return 0
}

function isComplete (config: BenchConfig, missing: ImplName[]): boolean {
  return !config.quick && missing.length === 0 && config.figures.length === FIGURE_NAMES.length && config.impls.length === IMPL_NAMES.length
}

function printPlan (config: BenchConfig, results: BenchResults, missing: ImplName[]): void {
  const w = config.workload
  const n = config.figures.length * config.runs * results.impls.length
  print(`noise-chat bench: ${config.figures.length} figure(s) x ${config.runs} run(s) x ${results.impls.length} implementation(s) = ${n} measurements, each in fresh server and client processes`)
  print(`machine: Node ${results.machine.node}, ${results.machine.cpu}, ${results.machine.cores} cores, load average ${results.machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}`)
  print(`workload: bulk ${w.bulkBytes} B in ${w.bulkChunk} B writes; small ${w.smallCount} x ${w.smallSize} B; handshakes ${w.handshakes} with ${w.concurrency} in flight; sequential ${w.sequential}; idle ${w.idle} connections`)
  if (!config.quick) print('The full default run (5 runs of all five implementations, 3 of idle) takes about 12 minutes on 2 cores; --quick takes seconds.')
  if (missing.length > 0) print(`not available in this build, skipped: ${missing.join(', ')}`)
}

function info (impl: Impl): ImplInfo {
  return { name: impl.name, label: impl.label, detail: impl.describe() }
}

function machine (): Machine {
  const cpus = os.cpus()
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    loadAtStart: os.loadavg(),
    loadAtEnd: []
  }
}

/** The commit under test, and whether lib/ has uncommitted changes (they are measured too). */
function sourceVersion (): BenchResults['source'] {
  const git = (...args: string[]): string | null => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() : null
  }
  const commit = git('rev-parse', '--short', 'HEAD')
  if (commit === null) return null
  return { commit, libDirty: (git('status', '--porcelain', '--', 'lib') ?? '') !== '' }
}

function commandLine (argv: string[], env: NodeJS.ProcessEnv): string {
  const args = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ')
  if (env.npm_lifecycle_event === 'bench') return args === '' ? 'npm run bench' : `npm run bench -- ${args}`
  return `node dist/bench/run.js${args === '' ? '' : ' ' + args}`
}

main(process.argv.slice(2), process.env).then((code) => { process.exitCode = code }, (err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`)
  process.exitCode = 1
})
