/**
 * `npm run fuzz`: issue 5 item 1. Runs every target (see fuzz/targets/) in a
 * worker thread each, prints per-target counts, inputs/s, how inputs ended
 * (rejections by code) and the heap's slope, writes each failing input to
 * fuzz/corpus/crashes/, and exits 1 if anything failed or memory grew.
 */
import os from 'node:os'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import { Worker } from 'node:worker_threads'
import { readCrashFile, writeCrashFile } from './crash-file.js'
import { caseOf, runCase, type Failure, type TargetStats } from './engine.js'
import { judgeMemory } from './memory.js'
import { FuzzUsageError, parseOptions, planInputs, usage, type FuzzOptions } from './options.js'
import { failureLines, labelLines, rate, summaryTable } from './report.js'
import { findTarget } from './targets/index.js'
import { plainCase } from './target.js'
import type { WorkerInput, WorkerMessage } from './worker.js'

/** Where failing inputs go (this file runs as dist/fuzz/run.js). */
const CRASH_DIR = fileURLToPath(new URL('../../fuzz/corpus/crashes/', import.meta.url))
/** A worker whose heartbeat has not moved for this long is stuck in one input: stopped, and the input is a hang. */
const WATCHDOG_MS = 60_000

const print = (line = ''): void => { process.stdout.write(line + '\n') }

async function main (argv: string[]): Promise<number> {
  let options: FuzzOptions
  try {
    options = parseOptions(argv)
  } catch (err) {
    if (!(err instanceof FuzzUsageError)) throw err
    process.stderr.write(`fuzz: ${err.message}\n`)
    return 2
  }
  if (options.help) {
    print(usage())
    return 0
  }
  if (options.replay.length > 0) return await replay(options.replay)

  // Heap samples need a forced GC; workers made after this have `gc`.
  v8.setFlagsFromString('--expose-gc')
  const plan = planInputs(options)
  const planned = [...plan.values()].reduce((a, n) => a + n, 0)
  print(`noise-chat fuzz: run seed 0x${options.runSeed.toString(16)}, ${Number.isFinite(planned) ? planned + ' inputs' : 'time-boxed'}` +
    `${options.seconds === undefined ? '' : `, at most ${options.seconds} s per target`}, ${options.jobs} job(s)`)
  print(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  print(`command: node dist/fuzz/run.js ${argv.join(' ')}`.trimEnd())
  print()

  const started = Date.now()
  const queue = [...plan.entries()]
  const results: TargetStats[] = []
  await Promise.all(Array.from({ length: Math.min(options.jobs, queue.length) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const stats = await runInWorker(next[0], next[1], options)
      print(`done ${stats.target}: ${stats.inputs} inputs in ${(stats.elapsedMs / 1000).toFixed(1)} s (${rate(stats).toFixed(0)}/s), ${stats.failureCount} failures, memory ${stats.memory.verdict}`)
      results.push(stats)
    }
  }))
  results.sort((a, b) => [...plan.keys()].indexOf(a.target) - [...plan.keys()].indexOf(b.target))
  const wallS = (Date.now() - started) / 1000

  const files = new Map<string, string>()
  for (const s of results) {
    for (const f of s.failures) files.set(`${f.target}/${f.seed}`, relative(process.cwd(), writeCrashFile(CRASH_DIR, f)) || CRASH_DIR)
  }

  print()
  for (const line of summaryTable(results)) print(line)
  print()
  print(`wall time ${wallS.toFixed(1)} s; load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  print()
  print('how inputs ended (rejections by code):')
  for (const s of results) for (const line of labelLines(s)) print(line)
  const failures = results.reduce((a, s) => a + s.failureCount, 0)
  const growing = results.filter((s) => s.memory.verdict === 'growing')
  print()
  if (failures > 0) {
    print(`${failures} failing inputs (first ones written to ${relative(process.cwd(), CRASH_DIR) || CRASH_DIR}):`)
    for (const s of results) for (const line of failureLines(s, files)) print(line)
    print('replay one with: node dist/fuzz/run.js --replay FILE')
  }
  for (const s of growing) print(`memory grows in ${s.target}: ${(s.memory.growthBytes / 1024 / 1024).toFixed(1)} MiB over the judged inputs`)
  if (failures === 0 && growing.length === 0) print('no failures; memory flat in every target')

  if (options.json !== undefined) {
    const { writeFileSync } = await import('node:fs')
    writeFileSync(options.json, JSON.stringify({ runSeed: options.runSeed, argv, wallS, node: process.version, cpus: os.cpus().length, results }, null, 2) + '\n')
    print(`wrote ${options.json}`)
  }
  return failures === 0 && growing.length === 0 ? 0 : 1
}

/** Run one target in a worker, watching its heartbeat: a stuck input is stopped and reported as a hang. */
function runInWorker (name: string, inputs: number, options: FuzzOptions): Promise<TargetStats> {
  const heartbeat = new SharedArrayBuffer(4)
  const beat = new Int32Array(heartbeat)
  const data: WorkerInput = { target: name, runSeed: options.runSeed, inputs, seconds: options.seconds, heartbeat }
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data })
  return new Promise((resolve) => {
    let settled = false
    let lastIndex = -1
    let lastMove = Date.now()
    let lastPrint = Date.now()
    const finish = (stats: TargetStats): void => {
      if (settled) return
      settled = true
      clearInterval(watchdog)
      resolve(stats)
    }
    const watchdog = setInterval(() => {
      const index = Atomics.load(beat, 0)
      if (index !== lastIndex) {
        lastIndex = index
        lastMove = Date.now()
      } else if (Date.now() - lastMove > WATCHDOG_MS) {
        void worker.terminate()
        finish(stuck(name, options.runSeed, index, Date.now() - lastMove))
      }
    }, 1000)
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'done') finish(m.stats)
      else if (Date.now() - lastPrint > 30_000) {
        lastPrint = Date.now()
        print(`  ${m.target}: ${m.done} inputs, ${(m.done / (m.elapsedMs / 1000)).toFixed(0)}/s`)
      }
    })
    worker.on('error', (err) => finish(crashed(name, options.runSeed, Atomics.load(beat, 0), err)))
    worker.on('exit', (code) => finish(crashed(name, options.runSeed, Atomics.load(beat, 0), new Error(`the worker exited with ${code} before reporting`))))
  })
}

function emptyStats (name: string, runSeed: number, index: number, failure: Failure): TargetStats {
  return {
    target: name,
    runSeed,
    inputs: index,
    elapsedMs: 0,
    labels: {},
    failureCount: 1,
    failures: [failure],
    slowestMs: 0,
    slowestSeed: failure.seed,
    heap: [],
    memory: judgeMemory([], false)
  }
}

function stuck (name: string, runSeed: number, index: number, ms: number): TargetStats {
  const { seed, input } = caseOf(findTarget(name)!, runSeed, index)
  return emptyStats(name, runSeed, index, { target: name, seed, runSeed, index, kind: 'hang', message: `hang: input ${index} ran for ${(ms / 1000).toFixed(0)} s without returning; the worker was stopped`, case: plainCase(input) })
}

function crashed (name: string, runSeed: number, index: number, err: Error): TargetStats {
  const { seed, input } = caseOf(findTarget(name)!, runSeed, index)
  return emptyStats(name, runSeed, index, { target: name, seed, runSeed, index, kind: 'crash', message: `the worker died: ${err.stack ?? err.message}`, case: plainCase(input) })
}

/** --replay: run the case of each file in this process and say how it ended. */
async function replay (paths: string[]): Promise<number> {
  let failed = 0
  for (const path of paths) {
    const file = readCrashFile(path)
    const target = findTarget(file.target)
    if (target === undefined) {
      print(`${path}: unknown target ${file.target}`)
      failed++
      continue
    }
    const outcome = await runCase(target, file.case)
    if (outcome.failure === undefined) print(`${path}: passes (${outcome.labels.join(', ')}) in ${outcome.elapsedMs.toFixed(1)} ms`)
    else {
      failed++
      print(`${path}: FAILS (${outcome.failure.kind}): ${outcome.failure.message}`)
    }
  }
  return failed === 0 ? 0 : 1
}

process.exitCode = await main(process.argv.slice(2))
