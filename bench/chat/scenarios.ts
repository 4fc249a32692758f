/**
 * Issue 3's three load scenarios, their sizes (full and --quick) and
 * their targets, as data.
 */
import type { SearchPlan } from './search.js'

export const SCENARIO_NAMES = ['n100', 'n1000', 'idle'] as const
export type ScenarioName = typeof SCENARIO_NAMES[number]

/** A search for the highest rate with 0 loss and p99 under the bound. */
export interface RateScenario {
  kind: 'rate'
  name: ScenarioName
  title: string
  members: number
  senders: number
  plan: SearchPlan
  /** A step at this fixed rate runs first, outside the search: its p50 is judged against ngircd over TLS (latency at low load). */
  probeRate?: number
  /** ngircd 26.1's figure over TLS from the issue (msg/s), for context. */
  issueReference: string
}

/** Members joined and left idle: the server's memory per member, and what joining them cost. */
export interface IdleScenario {
  kind: 'idle'
  name: ScenarioName
  title: string
  members: number
  /** A first reading of RSS this long after the join (what the room costs while V8 still holds the heap the join made it grow). */
  earlyMs: number
  /**
   * The judged reading, this long after the join: V8 gives back the heap
   * the join's burst made it grow (its young generation, sized by what
   * survived the burst) only once its memory reducer sees the process
   * idle, which in a 2000-member room took 25-30 s; 60 s is steady state.
   */
  settleMs: number
  issueReference: string
}

export type Scenario = RateScenario | IdleScenario

/** Rate searches stop when the best pass and the lowest fail are within 15%. */
const PRECISION = 0.15

/** The issue's sizes: a full run of all three on ours and ngircd (plain, TLS) takes about 15 minutes on 2 cores. */
export function fullScenarios (idleMembers = 5000): Scenario[] {
  return [
    {
      kind: 'rate', name: 'n100', title: 'N=100, S=10: highest rate with 0 loss and p99 < 100 ms', members: 100, senders: 10,
      plan: { startRate: 2000, minRate: 50, maxRate: 64000, maxSteps: 8, precision: PRECISION },
      probeRate: 500,
      issueReference: '16,000 msg/s = 1.58 M deliveries/s, plain and TLS alike'
    },
    {
      kind: 'rate', name: 'n1000', title: 'N=1000, S=10: highest rate with 0 loss and p99 < 100 ms', members: 1000, senders: 10,
      plan: { startRate: 200, minRate: 10, maxRate: 16000, maxSteps: 8, precision: PRECISION },
      issueReference: '500 msg/s over TLS (0.5 M deliveries/s); 1,500 plain'
    },
    {
      kind: 'idle', name: 'idle', title: `${idleMembers} idle members in the room: server RSS per member`, members: idleMembers, earlyMs: 10_000, settleMs: 60_000,
      issueReference: '17.1 KB over TLS, 6.9 KB plain; 72 s of CPU joining 5000'
    }
  ]
}

/** Smoke sizes: seconds per scenario; the figures only show that the harness works. */
export function quickScenarios (idleMembers = 100): Scenario[] {
  return [
    {
      kind: 'rate', name: 'n100', title: 'quick: N=20, S=4', members: 20, senders: 4,
      plan: { startRate: 400, minRate: 50, maxRate: 3200, maxSteps: 3, precision: 0.5 },
      probeRate: 100,
      issueReference: '(quick run: no reference)'
    },
    {
      kind: 'rate', name: 'n1000', title: 'quick: N=60, S=4', members: 60, senders: 4,
      plan: { startRate: 200, minRate: 25, maxRate: 1600, maxSteps: 3, precision: 0.5 },
      issueReference: '(quick run: no reference)'
    },
    {
      kind: 'idle', name: 'idle', title: `quick: ${idleMembers} idle members`, members: idleMembers, earlyMs: 500, settleMs: 1000,
      issueReference: '(quick run: no reference)'
    }
  ]
}
