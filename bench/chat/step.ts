/**
 * One load step: S senders share a total rate R for a fixed time, every
 * member counts what it receives, then the step is judged: no loss, no
 * reordering, nobody disconnected, p99 under the bound, and the generator
 * able to send on time.
 */
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { sum } from './fleet.js'
import { LatencyHistogram } from './histogram.js'
import { nowUs } from './payload.js'
import { readCpuSeconds, readRssBytes } from '../../harness/proc-stat.js'
import type { BenchRoom } from './room.js'

/** The criterion of every rate scenario. */
export const P99_BOUND_MS = 100
/** Longest the pacer may fall behind before the step counts as not offered. */
export const MAX_SEND_LAG_MS = 100
/**
 * A worker past this much of one core during a step was itself the
 * bottleneck: it reads and counts late, so latency and loss are its own.
 */
export const GENERATOR_MAX_WORKER_CPU_PCT = 85
/** A worker whose event loop ran its callbacks this late (p99) adds that much to every latency it measures. */
export const GENERATOR_MAX_LOOP_DELAY_MS = 20
/** Steps start this far in the future, so every worker starts at once. */
const START_DELAY_US = 100_000
const POLL_MS = 50

/** What to run. */
export interface StepSpec {
  step: number
  /** Total msg/s over all senders. */
  rate: number
  senders: number
  durationMs: number
  /** How long after sending ends deliveries may still arrive. */
  drainMs: number
}

/** A step's figures and verdict. */
export interface StepResult {
  rate: number
  members: number
  senders: number
  durationMs: number
  sent: number
  /** Deliveries due: every message to every member but its sender. */
  expected: number
  received: number
  lost: number
  reordered: number
  /** Payloads of earlier steps that arrived during this one. */
  stale: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Deliveries per second over the sending time. */
  deliveredPerS: number
  /** Server CPU over the step (100 = one core). */
  serverCpuPct: number
  /** All workers' CPU over the step (100 = one core). */
  generatorCpuPct: number
  /** CPU seconds of the server and of all workers over the step (for costs per delivery). */
  serverCpuS: number
  generatorCpuS: number
  /** The busiest worker's CPU over the step (100 = one core: a worker has one thread). */
  generatorMaxWorkerCpuPct: number
  /** The worst worker's event-loop delay over the step: 99th percentile and largest, ms. */
  generatorLoopDelayP99Ms: number
  generatorLoopDelayMaxMs: number
  /** Why the generator was the bottleneck in this step (empty: it had headroom). */
  generatorBound: string[]
  /** 1-minute load average of the machine at the end of the step. */
  loadAverage: number
  /** The server's memory at the end of the step, under load: RSS, and V8 heap used (ours only; null otherwise). */
  serverRssBytes: number
  serverHeapUsedBytes: number | null
  maxLagMs: number
  disconnected: number
  disconnects: string[]
  problems: string[]
  passed: boolean
  /** Why it failed (empty when it passed). */
  why: string[]
}

/** Why the generator, not the server, limited a step: a worker out of CPU or late on its event loop. Pure. */
export function generatorProblems (r: Pick<StepResult, 'generatorMaxWorkerCpuPct' | 'generatorLoopDelayP99Ms'>): string[] {
  const why: string[] = []
  if (r.generatorMaxWorkerCpuPct >= GENERATOR_MAX_WORKER_CPU_PCT) why.push(`a generator worker used ${r.generatorMaxWorkerCpuPct.toFixed(0)}% of a core (>= ${GENERATOR_MAX_WORKER_CPU_PCT}%)`)
  if (r.generatorLoopDelayP99Ms >= GENERATOR_MAX_LOOP_DELAY_MS) why.push(`a generator worker's event loop ran ${r.generatorLoopDelayP99Ms.toFixed(1)} ms late at p99 (>= ${GENERATOR_MAX_LOOP_DELAY_MS} ms)`)
  return why
}

/**
 * True when a failed step shows the server's own limit even though the
 * generator was not idle: every worker had CPU to spare (under
 * GENERATOR_MAX_WORKER_CPU_PCT), it sent on schedule, and the p99 latency
 * exceeds the bound by more than the generator's worst event-loop delay,
 * which is the most a worker's late turn can add to a delivery's latency.
 * Such a failure bounds the server's rate from above however late the
 * generator's loop ran. Pure.
 */
export function serverBoundFailure (r: Pick<StepResult, 'passed' | 'generatorMaxWorkerCpuPct' | 'generatorLoopDelayMaxMs' | 'p99Ms' | 'maxLagMs'>): boolean {
  if (r.passed) return false
  if (r.generatorMaxWorkerCpuPct >= GENERATOR_MAX_WORKER_CPU_PCT) return false
  if (r.maxLagMs > MAX_SEND_LAG_MS) return false
  return r.p99Ms - r.generatorLoopDelayMaxMs >= P99_BOUND_MS
}

/** Run one step in `room` and judge it. */
export async function runStep (room: BenchRoom, spec: StepSpec): Promise<StepResult> {
  const { members } = room.setup
  const pid = room.server.pid
  const before = (await room.fleet.report()).map((r) => r.disconnected)
  const senderMembers = Array.from({ length: spec.senders }, (_, i) => i)
  const cpu0 = readCpuSeconds(pid)
  const t0 = performance.now()
  const sends = await room.fleet.step({
    step: spec.step, senderMembers, rate: spec.rate, durationMs: spec.durationMs, startAtUs: nowUs() + START_DELAY_US
  })
  const sent = sum(sends.flatMap((s) => s.sent))
  const expected = sent * (members - 1)
  const deadline = performance.now() + spec.drainMs
  while (performance.now() < deadline) {
    const p = await room.fleet.progress()
    if (p.received >= expected || p.live < members) break
    await sleep(POLL_MS)
  }
  const wallS = (performance.now() - t0) / 1000
  const serverCpuPct = 100 * (readCpuSeconds(pid) - cpu0) / wallS
  const serverRssBytes = readRssBytes(pid)
  const memory = await room.server.memory?.(false)
  const reports = await room.fleet.report()
  const latency = new LatencyHistogram()
  for (const r of reports) latency.add(r.tally.latency, r.tally.maxLatencyUs)
  const received = sum(reports.map((r) => r.tally.received))
  const reordered = sum(reports.map((r) => r.tally.reordered))
  const disconnected = sum(reports.map((r, i) => r.disconnected - (before[i] ?? 0)))
  const maxLagMs = Math.max(...sends.map((s) => s.maxLagUs)) / 1000
  const result: StepResult = {
    rate: spec.rate,
    members,
    senders: spec.senders,
    durationMs: spec.durationMs,
    sent,
    expected,
    received,
    lost: Math.max(0, expected - received),
    reordered,
    stale: sum(reports.map((r) => r.tally.stale)),
    p50Ms: latency.quantileUs(0.5) / 1000,
    p99Ms: latency.quantileUs(0.99) / 1000,
    maxMs: latency.maxUs / 1000,
    deliveredPerS: received / (spec.durationMs / 1000),
    serverCpuPct,
    generatorCpuPct: 100 * sum(reports.map((r) => r.cpuUs)) / 1e6 / wallS,
    serverCpuS: serverCpuPct * wallS / 100,
    generatorCpuS: sum(reports.map((r) => r.cpuUs)) / 1e6,
    generatorMaxWorkerCpuPct: 100 * Math.max(...reports.map((r) => r.cpuUs)) / 1e6 / wallS,
    generatorLoopDelayP99Ms: Math.max(...reports.map((r) => r.loopDelayP99Ms)),
    generatorLoopDelayMaxMs: Math.max(...reports.map((r) => r.loopDelayMaxMs)),
    generatorBound: [],
    loadAverage: os.loadavg()[0]!,
    serverRssBytes,
    serverHeapUsedBytes: memory?.heapUsedBytes ?? null,
    maxLagMs,
    disconnected,
    disconnects: reports.flatMap((r) => r.disconnects).slice(0, 5),
    problems: reports.flatMap((r) => r.problems).slice(0, 5),
    passed: false,
    why: []
  }
  result.why = stepProblems(result)
  result.passed = result.why.length === 0
  result.generatorBound = generatorProblems(result)
  return result
}

/** Why a step fails the criterion (none: it passes). Pure. */
export function stepProblems (r: Pick<StepResult, 'sent' | 'expected' | 'received' | 'reordered' | 'disconnected' | 'p99Ms' | 'maxLagMs'>): string[] {
  const why: string[] = []
  if (r.sent === 0) why.push('nothing was sent')
  if (r.received < r.expected) why.push(`lost ${r.expected - r.received} of ${r.expected} deliveries`)
  if (r.received > r.expected) why.push(`${r.received - r.expected} deliveries more than sent`)
  if (r.reordered > 0) why.push(`${r.reordered} deliveries out of order`)
  if (r.disconnected > 0) why.push(`${r.disconnected} members disconnected`)
  if (!(r.p99Ms < P99_BOUND_MS)) why.push(`p99 ${Number.isNaN(r.p99Ms) ? 'unknown' : r.p99Ms.toFixed(1) + ' ms'} >= ${P99_BOUND_MS} ms`)
  if (r.maxLagMs > MAX_SEND_LAG_MS) why.push(`the generator fell ${r.maxLagMs.toFixed(0)} ms behind its schedule`)
  return why
}

/**
 * After a failed step: wait until nothing is in flight any more (the
 * server under `idlePct` CPU over a short window and no payload reaching
 * any member), at most `maxMs`, so the next step starts clean.
 */
export async function waitQuiet (room: BenchRoom, maxMs: number, idlePct = 15): Promise<void> {
  const windowMs = 250
  const pid = room.server.pid
  const deadline = performance.now() + maxMs
  let seen = (await room.fleet.progress()).seen
  while (performance.now() < deadline) {
    const c0 = readCpuSeconds(pid)
    await sleep(windowMs)
    const now = (await room.fleet.progress()).seen
    const serverPct = 100 * (readCpuSeconds(pid) - c0) / (windowMs / 1000)
    if (now === seen && serverPct < idlePct) return
    seen = now
  }
}
