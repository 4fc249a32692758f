/**
 * Memory over a target's run: heapUsed after a forced full GC, sampled at
 * intervals of inputs, and a judgement of whether it grows. A leak of even
 * a few bytes an input shows as a steady slope over hundreds of thousands
 * of inputs; noise does not.
 */
import { slope as fitSlope } from '../harness/slope.js'

/** One sample: after `input` inputs, `heapUsed` bytes were live. */
export interface HeapSample {
  input: number
  heapUsed: number
}

/** Most samples kept: past it every other one is dropped and the interval doubles. */
const MAX_SAMPLES = 64
/** Inputs between samples at first. */
const FIRST_INTERVAL = 1024
/** The first part of a run is warm-up (caches, JIT, pools): not judged. */
const WARM_UP_FRACTION = 0.25
/** Growth below this, over the judged part of the run, is noise. */
const GROWTH_ALLOWED_BYTES = 4 * 1024 * 1024

/** Samples the heap every so many inputs, keeping at most MAX_SAMPLES spread over the run. */
export class HeapSampler {
  readonly samples: HeapSample[] = []
  private interval = FIRST_INTERVAL
  private readonly gc: (() => void) | undefined

  constructor (gc: (() => void) | undefined) {
    this.gc = gc
  }

  get enabled (): boolean {
    return this.gc !== undefined
  }

  /** Call after each input; samples when `input` is on the interval. */
  afterInput (input: number): void {
    if (this.gc === undefined || input % this.interval !== 0) return
    this.take(input)
    if (this.samples.length >= MAX_SAMPLES) {
      for (let i = this.samples.length - 1; i >= 0; i -= 2) this.samples.splice(i, 1)
      this.interval *= 2
    }
  }

  /** Sample now (at the end of a run). */
  take (input: number): void {
    if (this.gc === undefined) return
    this.gc()
    this.gc()
    this.samples.push({ input, heapUsed: process.memoryUsage().heapUsed })
  }
}

/** The verdict on a run's memory. */
export interface MemoryVerdict {
  /** 'flat', 'growing', or why it was not judged. */
  verdict: 'flat' | 'growing' | 'not measured' | 'too few samples'
  /** Least-squares slope over the judged samples, bytes per 1000 inputs. */
  slopeBytesPerKiloInput: number
  /** The slope times the judged span of inputs: what the heap gained over it. */
  growthBytes: number
  firstBytes: number
  lastBytes: number
  samples: number
}

/** Judge samples: growing when the fitted growth over the judged span passes the allowance and the later half sits above the earlier. */
export function judgeMemory (samples: readonly HeapSample[], measured = true): MemoryVerdict {
  const empty = { slopeBytesPerKiloInput: 0, growthBytes: 0, firstBytes: samples[0]?.heapUsed ?? 0, lastBytes: samples[samples.length - 1]?.heapUsed ?? 0, samples: samples.length }
  if (!measured) return { verdict: 'not measured', ...empty }
  const last = samples[samples.length - 1]?.input ?? 0
  const judged = samples.filter((s) => s.input >= last * WARM_UP_FRACTION)
  if (judged.length < 6) return { verdict: 'too few samples', ...empty }
  const n = judged.length
  // All inputs equal (no x spread) has no slope: counted as flat.
  const slope = fitSlope(judged.map((s) => ({ x: s.input, y: s.heapUsed }))) || 0
  const span = judged[n - 1]!.input - judged[0]!.input
  const growthBytes = slope * span
  const half = Math.floor(n / 2)
  const mean = (xs: readonly HeapSample[]): number => xs.reduce((a, s) => a + s.heapUsed, 0) / xs.length
  const sustained = mean(judged.slice(n - half)) - mean(judged.slice(0, half)) > GROWTH_ALLOWED_BYTES / 2
  return {
    verdict: growthBytes > GROWTH_ALLOWED_BYTES && sustained ? 'growing' : 'flat',
    slopeBytesPerKiloInput: slope * 1000,
    growthBytes,
    firstBytes: judged[0]!.heapUsed,
    lastBytes: judged[n - 1]!.heapUsed,
    samples: samples.length
  }
}
