import { HeapSampler, judgeMemory, type HeapSample, type MemoryVerdict } from './memory.js'
import { Rng, inputSeed } from './rng.js'
import { OracleFailure, plainCase, type FuzzCase, type FuzzTarget, type Labels } from './target.js'

/**
 * The fuzz loop, free of workers and files: make input i of a target from
 * its seed, run it under the oracles and a time bound, count how it ended,
 * keep the failures (with their cases, so they can be written out and
 * replayed), and sample the heap along the way. The CLI runs it in a worker
 * per target; the test slice runs it in-process.
 */

/** How an input failed: an oracle did not hold, an exception escaped, it took too long, or something threw later, outside any call. */
export type FailureKind = 'oracle' | 'crash' | 'hang' | 'uncaught'

/** A failing input: everything needed to write it out and replay it. */
export interface Failure {
  target: string
  /** The input's own seed (remakes the case with `target.generate(new Rng(seed))`). */
  seed: number
  runSeed: number
  index: number
  kind: FailureKind
  message: string
  case: FuzzCase
}

/** What one input did. */
export interface CaseOutcome {
  labels: string[]
  failure?: { kind: FailureKind, message: string }
  elapsedMs: number
}

/** What a target's run did. */
export interface TargetStats {
  target: string
  runSeed: number
  inputs: number
  elapsedMs: number
  /** How many inputs ended each way (an error code, 'clean end', 'decoded'...). */
  labels: Record<string, number>
  failureCount: number
  /** The first failures, with their cases. */
  failures: Failure[]
  slowestMs: number
  slowestSeed: number
  heap: HeapSample[]
  memory: MemoryVerdict
}

export interface RunOptions {
  runSeed: number
  /** Inputs to run (Infinity with `seconds`). */
  inputs: number
  /** Stop after this many seconds, whatever the count. */
  seconds?: number
  /** Forced full GC for the heap samples; no memory verdict without it. */
  gc?: () => void
  /** Told the index of each input before it runs (a watchdog reads it). */
  onInput?: (index: number) => void
  /** Told now and then how far the run is. */
  onProgress?: (done: number, elapsedMs: number) => void
}

/** Failures kept with their cases; more are only counted. */
const KEPT_FAILURES = 20

/** Run one case under the oracles and the target's time bound. */
export function runCase (target: FuzzTarget, input: FuzzCase): CaseOutcome | Promise<CaseOutcome> {
  const started = performance.now()
  let result: Labels | Promise<Labels>
  try {
    result = target.run(input)
  } catch (err) {
    return failed(err, started)
  }
  if (!(result instanceof Promise)) return finished(target, result, started)
  // A promise that never settles is a hang too: bounded here, whatever the target does.
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<CaseOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ labels: [], elapsedMs: performance.now() - started, failure: { kind: 'hang', message: `hang: no result within ${ASYNC_BOUND_FACTOR * target.timeoutMs} ms` } }), ASYNC_BOUND_FACTOR * target.timeoutMs)
  })
  const outcome = result.then((labels) => finished(target, labels, started), (err: unknown) => failed(err, started))
  return Promise.race([outcome, bound]).finally(() => clearTimeout(timer))
}

/** An asynchronous input gets this many times its target's bound before the engine gives up on it (the target's own bound should fire first). */
const ASYNC_BOUND_FACTOR = 2

function finished (target: FuzzTarget, labels: Labels, started: number): CaseOutcome {
  const elapsedMs = performance.now() - started
  const list = typeof labels === 'string' ? [labels] : labels
  if (elapsedMs > target.timeoutMs) {
    return { labels: list, elapsedMs, failure: { kind: 'hang', message: `hang: took ${elapsedMs.toFixed(0)} ms (bound ${target.timeoutMs} ms)` } }
  }
  return { labels: list, elapsedMs }
}

function failed (err: unknown, started: number): CaseOutcome {
  const elapsedMs = performance.now() - started
  if (err instanceof OracleFailure) {
    return { labels: [], elapsedMs, failure: { kind: err.message.startsWith('hang') ? 'hang' : 'oracle', message: err.message } }
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err)
  return { labels: [], elapsedMs, failure: { kind: 'crash', message } }
}

/** The case of input `index` of `target` in a run seeded `runSeed`. */
export function caseOf (target: FuzzTarget, runSeed: number, index: number): { seed: number, input: FuzzCase } {
  const seed = inputSeed(runSeed, target.name, index)
  return { seed, input: target.generate(new Rng(seed)) }
}

/** Run `options.inputs` inputs of `target` (or until `options.seconds`). */
export async function runTarget (target: FuzzTarget, options: RunOptions): Promise<TargetStats> {
  const stats: TargetStats = {
    target: target.name,
    runSeed: options.runSeed,
    inputs: 0,
    elapsedMs: 0,
    labels: {},
    failureCount: 0,
    failures: [],
    slowestMs: 0,
    slowestSeed: 0,
    heap: [],
    memory: judgeMemory([], false)
  }
  const sampler = new HeapSampler(options.gc)
  const started = performance.now()
  const deadline = options.seconds === undefined ? Infinity : started + options.seconds * 1000
  let current: { index: number, seed: number, input: FuzzCase } | null = null
  const record = (kind: FailureKind, message: string, at: { index: number, seed: number, input: FuzzCase }): void => {
    stats.failureCount++
    if (stats.failures.length < KEPT_FAILURES) {
      stats.failures.push({ target: target.name, seed: at.seed, runSeed: options.runSeed, index: at.index, kind, message, case: plainCase(at.input) })
    }
  }
  // An exception thrown later, outside any call we made (a timer, an event),
  // belongs to the input running when it surfaced, or to one shortly before.
  const onUncaught = (err: unknown): void => {
    const message = `thrown outside the call (while input ${current?.index ?? '?'} ran): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`
    if (current !== null) record('uncaught', message, current)
    else stats.failureCount++
  }
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
  try {
    sampler.take(0)
    for (let index = 0; index < options.inputs; index++) {
      if ((index & 255) === 0) {
        const now = performance.now()
        if (now >= deadline) break
        if ((index & 16383) === 0) options.onProgress?.(index, now - started)
      }
      options.onInput?.(index)
      const { seed, input } = caseOf(target, options.runSeed, index)
      current = { index, seed, input }
      let outcome = runCase(target, input)
      if (outcome instanceof Promise) outcome = await outcome
      stats.inputs++
      for (const label of outcome.labels) stats.labels[label] = (stats.labels[label] ?? 0) + 1
      if (outcome.failure !== undefined) record(outcome.failure.kind, outcome.failure.message, current)
      if (outcome.elapsedMs > stats.slowestMs) {
        stats.slowestMs = outcome.elapsedMs
        stats.slowestSeed = seed
      }
      sampler.afterInput(index + 1)
    }
    // Let anything the last inputs left behind (timers, lingering closes) surface as theirs.
    await new Promise((resolve) => setTimeout(resolve, 50))
    sampler.take(stats.inputs)
  } finally {
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onUncaught)
  }
  stats.elapsedMs = performance.now() - started
  stats.heap = sampler.samples
  stats.memory = judgeMemory(sampler.samples, sampler.enabled)
  return stats
}
