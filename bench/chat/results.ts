/**
 * Everything one run measured, and the verdict on each of issue 3's
 * targets (ratios to ngircd over TLS in the same run). Pure.
 */
import type { IdleOutcome, ProfileOutcome, RateOutcome } from './execute.js'
import { GENERATOR_MAX_WORKER_CPU_PCT, serverBoundFailure } from './step.js'
import type { Scenario, ScenarioName } from './scenarios.js'
import type { TargetName } from './target.js'

export interface ChatMachine {
  node: string
  cpu: string
  cores: number
  memoryGiB: number
  kernel: string
  loadAtStart: number[]
  loadAtEnd: number[]
}

export interface ChatBenchResults {
  startedAt: string
  elapsedS: number
  command: string
  commit: string | null
  /** lib/ had uncommitted changes (they were measured too). */
  libDirty: boolean
  machine: ChatMachine
  quick: boolean
  /** Seconds waited for the load average to drop, and whether it did. */
  loadWait: { waitedS: number, threshold: number, reached: boolean } | null
  ngircdVersion: string | null
  /** Why ngircd was not measured, when it was not. */
  ngircdMissing: string | null
  oursFlags: string[]
  ngircdSettings: string[]
  workers: number
  stepMs: number
  drainMs: number
  scenarios: Scenario[]
  targets: TargetName[]
  rate: RateOutcome[]
  idle: IdleOutcome[]
  profiles: ProfileOutcome[]
}

/** One target of the issue, judged. */
export interface TargetVerdict {
  scenario: ScenarioName
  /** What is compared: 'rate' (higher is better), 'rss' or 'p50' (lower is better). */
  measure: 'rate' | 'rss' | 'p50'
  /** The row's title when it is not the scenario's. */
  title?: string
  ours: number | null
  ngircdPlain: number | null
  ngircdTls: number | null
  /** ours / ngircd TLS. */
  ratio: number | null
  /** Met, missed, or null when it cannot be judged (a server not measured or failed). */
  met: boolean | null
  text: string
}

/** Issue 8's target for an idle member's cost to our server (ngircd over TLS: 15.1 KiB, plain 5.1 in the last full run). */
export const IDLE_TARGET_BYTES_PER_MEMBER = 10 * 1024

/** The verdict on every scenario in the run. */
export function verdicts (results: ChatBenchResults): TargetVerdict[] {
  return results.scenarios.flatMap((s) => {
    if (s.kind === 'idle') return [idleVerdict(s.name, results.idle)]
    const rate = rateVerdict(s.name, results.rate)
    return s.probeRate === undefined ? [rate] : [rate, probeVerdict(s.name, s.probeRate, s.members, results.rate)]
  })
}

function rateVerdict (scenario: ScenarioName, outcomes: RateOutcome[]): TargetVerdict {
  const outcome = (t: TargetName): RateOutcome | undefined => {
    const o = outcomes.find((x) => x.scenario === scenario && x.target === t)
    return o === undefined || o.error !== undefined ? undefined : o
  }
  const best = (t: TargetName): number | null => outcome(t)?.best ?? null
  const ours = best('ours')
  const tls = best('ngircd-tls')
  const ratio = ours === null || tls === null || tls === 0 ? null : ours / tls
  let met = ratio === null ? (ours !== null && tls === 0 ? true : null) : ratio >= 1
  let text = '>= 1.0x ngircd over TLS'
  // A limit the generator set is no server's limit: a ratio against it proves nothing.
  const bound = (['ours', 'ngircd-tls'] as const).filter((t) => outcome(t)?.ceilingGeneratorBound === true)
  if (met === false && bound.includes('ours')) {
    met = null
    text += ' (not judged: the generator saturated before our server)'
  } else if (met === true && bound.includes('ngircd-tls')) {
    const limit = serverBoundLimit(outcome('ngircd-tls'))
    if (ours !== null && limit !== null && ours >= limit) {
      text += ` (met by bound: ngircd TLS failed at ${limit.toLocaleString('en-US')} msg/s by itself, with p99 beyond what its generator's event-loop delay can add and every worker under ${GENERATOR_MAX_WORKER_CPU_PCT}% of a core, so its limit is below that; ours passed ${ours.toLocaleString('en-US')}: at least ${(ours / limit).toFixed(2)}x)`
    } else {
      met = null
      text += ' (not judged: the generator saturated before ngircd TLS)'
    }
  }
  return { scenario, measure: 'rate', ours, ngircdPlain: best('ngircd'), ngircdTls: tls, ratio, met, text }
}

/**
 * The lowest rate at which a server failed by itself (serverBoundFailure):
 * an upper bound on its limit even when its lowest failure was the
 * generator's. Null when no step shows one.
 */
export function serverBoundLimit (o: RateOutcome | undefined): number | null {
  // Only above its best pass: a failure below a rate it passed bounds nothing.
  const rates = (o?.steps ?? []).filter((st) => serverBoundFailure(st) && st.rate > (o?.best ?? 0)).map((st) => st.rate)
  return rates.length === 0 ? null : Math.min(...rates)
}

/** p50 latency of the fixed-rate step: ours against ngircd over TLS. */
function probeVerdict (scenario: ScenarioName, rate: number, members: number, outcomes: RateOutcome[]): TargetVerdict {
  const p50 = (t: TargetName): number | null => {
    const probe = outcomes.find((x) => x.scenario === scenario && x.target === t)?.probe
    return probe === undefined || !Number.isFinite(probe.p50Ms) ? null : probe.p50Ms
  }
  const ours = p50('ours')
  const tls = p50('ngircd-tls')
  const ratio = ours === null || tls === null || !(tls > 0) ? null : ours / tls
  return {
    scenario, measure: 'p50', title: `p50 latency at ${rate} msg/s, N=${members}`, ours, ngircdPlain: p50('ngircd'), ngircdTls: tls, ratio,
    met: ours === null || tls === null ? null : ours <= tls, text: '<= ngircd over TLS'
  }
}

function idleVerdict (scenario: ScenarioName, outcomes: IdleOutcome[]): TargetVerdict {
  const perMember = (t: TargetName): number | null => {
    const o = outcomes.find((x) => x.scenario === scenario && x.target === t)
    return o === undefined || o.error !== undefined ? null : o.perMemberBytes
  }
  const ours = perMember('ours')
  const tls = perMember('ngircd-tls')
  const ratio = ours === null || tls === null || !(tls > 0) ? null : ours / tls
  return {
    scenario, measure: 'rss', ours, ngircdPlain: perMember('ngircd'), ngircdTls: tls, ratio,
    met: ours === null ? null : ours <= IDLE_TARGET_BYTES_PER_MEMBER, text: `<= ${IDLE_TARGET_BYTES_PER_MEMBER / 1024} KiB per member`
  }
}

/** The step at the best rate of an outcome (the last passing step at that rate). */
export function bestStep (o: RateOutcome): RateOutcome['steps'][number] | undefined {
  return [...o.steps].reverse().find((s) => s.passed && s.rate === o.best)
}

/** The first failing step at the lowest failing rate. */
export function ceilingStep (o: RateOutcome): RateOutcome['steps'][number] | undefined {
  return o.steps.find((s) => !s.passed && s.rate === o.ceiling)
}
