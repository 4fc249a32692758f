/**
 * Running the scenarios against one server: a rate search (a room of N
 * members, steps until the search settles; the room is rebuilt when a
 * step cost it members) or an idle room (join everyone, wait, read the
 * server's memory), and one profiled step of ours.
 */
import { mkdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { profilesIn, profileText, readProfile, summarizeProfile } from '../profile.js'
import type { ChatBenchConfig } from './config.js'
import { readRssBytes } from '../../harness/proc-stat.js'
import { BenchRoom, type JoinFigures, type RoomSetup } from './room.js'
import type { IdleScenario, RateScenario, ScenarioName } from './scenarios.js'
import { RateSearch } from './search.js'
import { runStep, waitQuiet, type StepResult } from './step.js'
import type { TargetName } from './target.js'

/** A rate search's outcome on one server. */
export interface RateOutcome {
  scenario: ScenarioName
  target: TargetName
  /** Highest rate that passed, msg/s (0: none). */
  best: number
  /** Lowest rate that failed, msg/s (null: none did). */
  ceiling: number | null
  /** That step failed with the generator saturated: it is the generator's limit, not the server's. */
  ceilingGeneratorBound: boolean
  /** The fixed-rate step run before the search (latency at low load), when the scenario has one. */
  probe?: StepResult
  steps: StepResult[]
  /** The first room's join (the same members every time). */
  join: JoinFigures | undefined
  /** Rooms built (more than one when a failed step cost members). */
  rooms: number
  error?: string
}

/** An idle room's outcome on one server. */
export interface IdleOutcome {
  scenario: ScenarioName
  target: TargetName
  join: JoinFigures | undefined
  /** Server RSS after the room sat idle for the scenario's earlyMs (reported, not judged). */
  rssEarlyBytes: number
  /** Server RSS after the room sat idle for the scenario's settleMs. */
  rssSettledBytes: number
  /** (settled RSS - RSS before anyone joined) / members. */
  perMemberBytes: number
  /** Ours only: V8 heap used after a full GC, before anyone joined and after the idle wait, and the difference per member. */
  heapBeforeBytes: number | null
  heapSettledBytes: number | null
  heapPerMemberBytes: number | null
  error?: string
}

/** A profiled step of ours. */
export interface ProfileOutcome {
  scenario: ScenarioName
  rate: number
  step: StepResult | undefined
  text: string
}

/** Longest the server may take to go quiet after a failed step. */
const QUIET_WAIT_MS = 15_000
let stepCounter = 0

type Log = (line: string) => void

function roomSetup (config: ChatBenchConfig, target: TargetName, members: number, cpuProfileDir?: string): RoomSetup {
  return {
    target, members, workers: config.workers, concurrency: config.concurrency, joinTimeoutMs: config.joinTimeoutMs,
    ...(cpuProfileDir === undefined ? {} : { cpuProfileDir })
  }
}

/** Search the highest passing rate of `scenario` on `target`. */
export async function runRateScenario (scenario: RateScenario, target: TargetName, config: ChatBenchConfig, log: Log): Promise<RateOutcome> {
  const outcome: RateOutcome = { scenario: scenario.name, target, best: 0, ceiling: null, ceilingGeneratorBound: false, steps: [], join: undefined, rooms: 0 }
  const search = new RateSearch(scenario.plan)
  let room: BenchRoom | undefined
  try {
    for (let rate = search.next(); rate !== undefined; rate = search.next()) {
      if (room === undefined) {
        const opened = await BenchRoom.open(roomSetup(config, target, scenario.members))
        room = opened.room
        outcome.rooms++
        outcome.join ??= opened.join
        if (!opened.join.complete) throw new Error(`not every member joined: ${opened.join.errors.join('; ')}`)
        log(`    room of ${scenario.members} joined in ${opened.join.wallS.toFixed(1)} s (server CPU ${opened.join.serverCpuS.toFixed(1)} s)`)
      }
      if (scenario.probeRate !== undefined && outcome.probe === undefined) {
        outcome.probe = await runStep(room, { step: ++stepCounter, rate: scenario.probeRate, senders: scenario.senders, durationMs: config.stepMs, drainMs: config.drainMs })
        log(`    latency probe ${stepLine(outcome.probe)}`)
        await waitQuiet(room, QUIET_WAIT_MS)
      }
      const result = await runStep(room, { step: ++stepCounter, rate, senders: scenario.senders, durationMs: config.stepMs, drainMs: config.drainMs })
      search.record(rate, result.passed, result.generatorBound.length > 0)
      outcome.steps.push(result)
      log(`    ${stepLine(result)}`)
      if (!result.passed) {
        await waitQuiet(room, QUIET_WAIT_MS)
        if ((await room.fleet.progress()).live < scenario.members) {
          await room.close()
          room = undefined
        }
      }
    }
  } catch (err) {
    outcome.error = (err as Error).message
    log(`    failed: ${outcome.error}`)
  } finally {
    await room?.close()
  }
  outcome.best = search.best
  outcome.ceiling = Number.isFinite(search.ceiling) ? search.ceiling : null
  outcome.ceilingGeneratorBound = search.ceilingGeneratorBound
  return outcome
}

/** Join `scenario.members`, let the room idle, read the server's memory. */
export async function runIdleScenario (scenario: IdleScenario, target: TargetName, config: ChatBenchConfig, log: Log): Promise<IdleOutcome> {
  const outcome: IdleOutcome = {
    scenario: scenario.name, target, join: undefined, rssEarlyBytes: 0, rssSettledBytes: 0, perMemberBytes: 0, heapBeforeBytes: null, heapSettledBytes: null, heapPerMemberBytes: null
  }
  let room: BenchRoom | undefined
  try {
    const opened = await BenchRoom.open(roomSetup(config, target, scenario.members))
    room = opened.room
    outcome.join = opened.join
    if (!opened.join.complete) throw new Error(`not every member joined: ${opened.join.errors.join('; ')}`)
    await sleep(scenario.earlyMs)
    outcome.rssEarlyBytes = readRssBytes(room.server.pid)
    await sleep(scenario.settleMs - scenario.earlyMs)
    outcome.rssSettledBytes = readRssBytes(room.server.pid)
    outcome.perMemberBytes = (outcome.rssSettledBytes - opened.join.rssBeforeBytes) / scenario.members
    // After RSS: the collection below would change it.
    const heap = (await room.server.memory?.(true))?.heapUsedBytes
    outcome.heapBeforeBytes = opened.join.heapBeforeBytes
    if (heap !== undefined && opened.join.heapBeforeBytes !== null) {
      outcome.heapSettledBytes = heap
      outcome.heapPerMemberBytes = (heap - opened.join.heapBeforeBytes) / scenario.members
    }
    const live = (await room.fleet.progress()).live
    if (live < scenario.members) throw new Error(`${scenario.members - live} members were disconnected while idle`)
    log(`    ${scenario.members} joined in ${opened.join.wallS.toFixed(1)} s, server CPU ${opened.join.serverCpuS.toFixed(1)} s; ` +
      `RSS ${mib(opened.join.rssBeforeBytes)} -> ${mib(outcome.rssSettledBytes)} MiB = ${(outcome.perMemberBytes / 1024).toFixed(1)} KiB/member` +
      (outcome.heapPerMemberBytes === null ? '' : `, heap ${(outcome.heapPerMemberBytes / 1024).toFixed(1)} KiB/member`))
  } catch (err) {
    outcome.error = (err as Error).message
    log(`    failed: ${outcome.error}`)
  } finally {
    await room?.close()
  }
  return outcome
}

/** One step of ours at `rate` with the server under node --cpu-prof; the top self time. */
export async function profileOurs (scenario: RateScenario, rate: number, config: ChatBenchConfig, dir: string, root: string): Promise<ProfileOutcome> {
  mkdirSync(dir, { recursive: true })
  let room: BenchRoom | undefined
  let step: StepResult | undefined
  try {
    room = (await BenchRoom.open(roomSetup(config, 'ours', scenario.members, dir))).room
    step = await runStep(room, { step: ++stepCounter, rate, senders: scenario.senders, durationMs: config.stepMs, drainMs: config.drainMs })
  } finally {
    // The profile is written when the server exits.
    await room?.close()
  }
  const texts = profilesIn(dir).map((f) => profileText(`noise-chat server, ${scenario.name} at ${rate} msg/s`, summarizeProfile(readProfile(f), root, 12)))
  return { scenario: scenario.name, rate, step, text: texts.join('\n\n') || '(no profile was written)' }
}

/** One line per step for the console. */
export function stepLine (r: StepResult): string {
  const verdict = r.passed ? 'pass' : `FAIL (${r.why.join('; ')})`
  const bound = r.generatorBound.length === 0 ? '' : ` [GENERATOR-BOUND: ${r.generatorBound.join('; ')}]`
  return `${String(r.rate).padStart(6)} msg/s: delivered ${fmtInt(r.received)}/${fmtInt(r.expected)}, ` +
    `${fmtInt(r.deliveredPerS)}/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ` +
    `server CPU ${r.serverCpuPct.toFixed(0)}%, generator CPU ${r.generatorCpuPct.toFixed(0)}% (busiest worker ${r.generatorMaxWorkerCpuPct.toFixed(0)}%, ` +
    `loop delay p99 ${r.generatorLoopDelayP99Ms.toFixed(1)} ms), load ${r.loadAverage.toFixed(1)}: ${verdict}${bound}`
}

function fmtInt (n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function mib (bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1)
}
