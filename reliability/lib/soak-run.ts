/**
 * The soak: hundreds of members, held by a few worker processes, talking
 * through the real `noise-chat server` for minutes. Every member checks
 * every other member's sequence numbers; the server's memory is sampled
 * all along and its slope after warm-up reported.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { ToWorker, WorkerSpec } from '../soak-worker.js'
import { attackerAddresses } from './loopback.js'
import { cpuSeconds } from '../../harness/proc-stat.js'
import { ServerProcess } from './server-process.js'
import { addTallies, type SequenceTally } from './sequence-check.js'
import { Histogram, slope } from './stats.js'

const WORKER = fileURLToPath(new URL('../soak-worker.js', import.meta.url))

/** How big and how long. */
export interface SoakOptions {
  clients: number
  workers: number
  /** How long members send (ms). */
  durationMs: number
  /** Each member sends one message per this many ms. */
  intervalMs: number
  /** Server memory is sampled this often (ms). */
  sampleMs: number
  /** Samples before this much of the sending time has passed are warm-up, left out of the slope. */
  warmUpFraction: number
  /** Extra server flags (the rate limit, when members send faster than it allows). */
  serverArgs: string[]
  /** Called with progress lines. */
  progress?: (line: string) => void
}

/** What a soak found. */
export interface SoakReport {
  options: Omit<SoakOptions, 'progress'>
  joined: number
  joinMs: number
  joinRetries: number
  joinFailures: string[]
  sent: number
  /** Deliveries expected: each message to every member, its sender included. */
  expected: number
  tally: SequenceTally
  /** Every receiver had every message before the drain deadline. */
  complete: boolean
  unexpectedEnds: number
  latencyMs: { p50: number, p99: number, max: number }
  /** Server RSS samples: ms since sending began (negative while joining) and KiB. */
  rss: Array<{ ms: number, kib: number }>
  /** Least-squares slope of RSS after warm-up, in KiB per minute. */
  rssSlopeKiBPerMin: number
  rssAfterWarmUp: { first: number, last: number, min: number, max: number }
  serverCpuSeconds: number
  serverExit: number | null
  ends: Record<string, number>
}

/** Run a soak against a fresh server process. */
export async function runSoak (options: SoakOptions): Promise<SoakReport> {
  const say = options.progress ?? (() => {})
  const server = await ServerProcess.start({ args: options.serverArgs })
  const workers: Array<{ child: ChildProcess, inbox: Array<Record<string, unknown>>, wake: () => void }> = []
  const samples: Array<{ at: number, kib: number }> = []
  let sendStart = Date.now()
  const sampler = setInterval(() => samples.push({ at: Date.now(), kib: server.rssKiB() }), options.sampleMs)
  // Times are made relative to the first message at the end: joining comes out negative.
  const rss = (): Array<{ ms: number, kib: number }> => samples.map((s) => ({ ms: s.at - sendStart, kib: s.kib }))
  try {
    const addresses = await attackerAddresses(options.workers, 10)
    const per = Math.ceil(options.clients / options.workers)
    const joinStart = Date.now()
    for (let w = 0; w < options.workers; w++) {
      const nicks = Array.from({ length: Math.min(per, options.clients - w * per) }, (_, i) => `s${w * per + i}`)
      const spec: WorkerSpec = { port: server.port, serverKey: server.key, nicks, localAddress: addresses[w % addresses.length]!, connectConcurrency: addresses.length > 1 ? 4 : Math.max(1, Math.floor(12 / options.workers)) }
      const child = fork(WORKER, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      const entry = { child, inbox: [] as Array<Record<string, unknown>>, wake: () => {} }
      child.on('message', (m: Record<string, unknown>) => { entry.inbox.push(m); entry.wake() })
      workers.push(entry)
    }
    const next = async (type: string): Promise<Array<Record<string, unknown>>> => await Promise.all(workers.map(async (w) => {
      for (;;) {
        const i = w.inbox.findIndex((m) => m['type'] === type)
        if (i !== -1) return w.inbox.splice(i, 1)[0]!
        if (w.child.exitCode !== null) throw new Error(`a soak worker exited (${String(w.child.exitCode)}) before '${type}'`)
        await new Promise<void>((resolve) => { w.wake = resolve; setTimeout(resolve, 1000) })
      }
    }))
    const post = (message: ToWorker): void => { for (const w of workers) w.child.send(message) }

    const joinedMsgs = await next('joined')
    const joined = joinedMsgs.reduce((n, m) => n + (m['joined'] as number), 0)
    const joinMs = Date.now() - joinStart
    say(`${joined} of ${options.clients} members joined in ${(joinMs / 1000).toFixed(1)} s; sending for ${options.durationMs / 1000} s`)

    sendStart = Date.now()
    const cpuBefore = cpuSeconds(server.child.pid)
    post({ type: 'go', intervalMs: options.intervalMs })
    const ticker = setInterval(() => {
      const last = samples[samples.length - 1]
      say(`  ${Math.round((Date.now() - sendStart) / 1000)} s: server RSS ${last === undefined ? '?' : (last.kib / 1024).toFixed(1)} MiB`)
    }, Math.max(options.sampleMs, 15_000))
    await new Promise((resolve) => setTimeout(resolve, options.durationMs))
    clearInterval(ticker)
    post({ type: 'stop' })
    const sentMsgs = await next('sent')
    const sentBy: Record<string, number> = Object.assign({}, ...sentMsgs.map((m) => m['sent'] as Record<string, number>))
    const sent = Object.values(sentBy).reduce((a, b) => a + b, 0)
    post({ type: 'final', sent: sentBy, drainMs: 30_000 })
    const reports = await next('report')
    const serverCpuSeconds = cpuSeconds(server.child.pid) - cpuBefore
    clearInterval(sampler)
    post({ type: 'close' })
    const closedMsgs = await next('closed')
    await Promise.all(workers.map((w) => w.child.exitCode === null ? once(w.child, 'exit') : undefined))

    const latency = new Histogram()
    for (const r of reports) latency.merge(new Histogram(10_000, r['latency'] as number[]))
    const ends: Record<string, number> = {}
    for (const c of closedMsgs) for (const [k, v] of Object.entries(c['ends'] as Record<string, number>)) ends[k] = (ends[k] ?? 0) + v
    const warm = rss().filter((s) => s.ms >= options.warmUpFraction * options.durationMs && s.ms <= options.durationMs && !Number.isNaN(s.kib))
    const kibs = warm.map((s) => s.kib)
    return {
      options: { clients: options.clients, workers: options.workers, durationMs: options.durationMs, intervalMs: options.intervalMs, sampleMs: options.sampleMs, warmUpFraction: options.warmUpFraction, serverArgs: options.serverArgs },
      joined,
      joinMs,
      joinRetries: joinedMsgs.reduce((n, m) => n + (m['retries'] as number), 0),
      joinFailures: joinedMsgs.flatMap((m) => m['failures'] as string[]),
      sent,
      expected: sent * joined,
      tally: addTallies(reports.map((r) => r['tally'] as SequenceTally)),
      complete: reports.every((r) => r['complete'] === true),
      unexpectedEnds: reports.reduce((n, r) => n + (r['unexpectedEnds'] as number), 0),
      latencyMs: { p50: latency.quantile(0.5), p99: latency.quantile(0.99), max: latency.max },
      rss: rss(),
      rssSlopeKiBPerMin: slope(warm.map((s) => ({ x: s.ms / 60_000, y: s.kib }))),
      rssAfterWarmUp: { first: kibs[0] ?? NaN, last: kibs[kibs.length - 1] ?? NaN, min: Math.min(...kibs), max: Math.max(...kibs) },
      serverCpuSeconds,
      serverExit: await server.stop(),
      ends
    }
  } finally {
    clearInterval(sampler)
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL')
    if (server.alive) await server.stop()
  }
}

/** Growth of the server's RSS after warm-up that counts as a leak: well above one step of V8's heap growth (a few MiB). */
const MAX_STEADY_GROWTH_KIB = 16 * 1024

/** The problems a soak found; empty when it held. */
export function soakProblems (r: SoakReport): string[] {
  const problems: string[] = []
  if (r.joined !== r.options.clients) problems.push(`${r.options.clients - r.joined} members never joined: ${r.joinFailures.join('; ')}`)
  if (r.tally.lost > 0) problems.push(`${r.tally.lost} messages lost`)
  if (r.tally.duplicated > 0) problems.push(`${r.tally.duplicated} duplicated`)
  if (r.tally.reordered > 0) problems.push(`${r.tally.reordered} reordered`)
  if (r.tally.delivered !== r.expected) problems.push(`${r.tally.delivered} deliveries, ${r.expected} expected`)
  if (r.unexpectedEnds > 0) problems.push(`${r.unexpectedEnds} connections ended during the soak`)
  if (r.serverExit !== 0) problems.push(`the server exited ${String(r.serverExit)} at SIGTERM`)
  const growth = r.rssAfterWarmUp.last - r.rssAfterWarmUp.first
  if (growth > MAX_STEADY_GROWTH_KIB) problems.push(`server memory grew by ${(growth / 1024).toFixed(1)} MiB after warm-up`)
  return problems
}
