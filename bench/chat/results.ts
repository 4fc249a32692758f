/**
 * Everything one run measured, and the verdict on each of issue 3's
 * targets (ratios to ngircd over TLS in the same run). Pure.
 */
import type { IdleOutcome, ProfileOutcome, RateOutcome } from './execute.js'
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
  /** What is compared: 'rate' (higher is better) or 'rss' (lower is better). */
  measure: 'rate' | 'rss'
  ours: number | null
  ngircdPlain: number | null
  ngircdTls: number | null
  /** ours / ngircd TLS. */
  ratio: number | null
  /** Met, missed, or null when it cannot be judged (a server not measured or failed). */
  met: boolean | null
  text: string
}

/** The verdict on every scenario in the run. */
export function verdicts (results: ChatBenchResults): TargetVerdict[] {
  return results.scenarios.map((s) => s.kind === 'rate' ? rateVerdict(s.name, results.rate) : idleVerdict(s.name, results.idle))
}

function rateVerdict (scenario: ScenarioName, outcomes: RateOutcome[]): TargetVerdict {
  const best = (t: TargetName): number | null => {
    const o = outcomes.find((x) => x.scenario === scenario && x.target === t)
    return o === undefined || o.error !== undefined ? null : o.best
  }
  const ours = best('ours')
  const tls = best('ngircd-tls')
  const ratio = ours === null || tls === null || tls === 0 ? null : ours / tls
  const met = ratio === null ? (ours !== null && tls === 0 ? true : null) : ratio >= 1
  return { scenario, measure: 'rate', ours, ngircdPlain: best('ngircd'), ngircdTls: tls, ratio, met, text: '>= 1.0x ngircd over TLS' }
}

function idleVerdict (scenario: ScenarioName, outcomes: IdleOutcome[]): TargetVerdict {
  const perMember = (t: TargetName): number | null => {
    const o = outcomes.find((x) => x.scenario === scenario && x.target === t)
    return o === undefined || o.error !== undefined ? null : o.perMemberBytes
  }
  const ours = perMember('ours')
  const tls = perMember('ngircd-tls')
  const ratio = ours === null || tls === null || !(tls > 0) ? null : ours / tls
  return { scenario, measure: 'rss', ours, ngircdPlain: perMember('ngircd'), ngircdTls: tls, ratio, met: ratio === null ? null : ratio <= 1, text: '<= 1.0x ngircd over TLS' }
}

/** The step at the best rate of an outcome (the last passing step at that rate). */
export function bestStep (o: RateOutcome): RateOutcome['steps'][number] | undefined {
  return [...o.steps].reverse().find((s) => s.passed && s.rate === o.best)
}

/** The first failing step at the lowest failing rate. */
export function ceilingStep (o: RateOutcome): RateOutcome['steps'][number] | undefined {
  return o.steps.find((s) => !s.passed && s.rate === o.ceiling)
}
