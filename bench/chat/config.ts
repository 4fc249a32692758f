/**
 * `npm run bench:chat`'s command line, parsed into one plain object.
 * Pure: no I/O, so the smoke test and `--help` share it.
 */
import { parseArgs } from 'node:util'
import { fullScenarios, quickScenarios, SCENARIO_NAMES, type Scenario, type ScenarioName } from './scenarios.js'
import { TARGET_NAMES, type TargetName } from './target.js'

export interface ChatBenchConfig {
  help: boolean
  quick: boolean
  scenarios: Scenario[]
  targets: TargetName[]
  workers: number
  /** Sending time of each step. */
  stepMs: number
  /** How long deliveries may trail the end of sending. */
  drainMs: number
  /** Members each worker connects at once while joining. */
  concurrency: number
  /** Longest a room's join may take. */
  joinTimeoutMs: number
  /** Markdown results: '' = none; undefined = bench/CHAT-RESULTS.md after a complete full run. */
  out: string | undefined
  json: string | undefined
  /** Profile ours for one step of each rate scenario whose target it missed. */
  profileMissed: boolean
  /** Wait (up to 10 minutes) for the 1-minute load average to fall below this; 0 = do not wait. */
  waitLoad: number
  /** Also measure ngircd in the idle scenario (its join of 5000 takes 5 to 10 minutes: off by default). */
  idleNgircd: boolean
}

/**
 * Members each worker connects at once. Joining is server-bound for every
 * server (each join is announced to everyone), so more lanes only crowd
 * the listen queue: ngircd resets connections when 48 arrive at once
 * while it is busy, and ours allows 16 handshakes in flight per address.
 */
const JOIN_LANES_PER_WORKER = 3

/** Thrown for a bad flag or value; run.ts prints it and exits 2. */
export class ChatBenchUsageError extends Error {
  override name = 'ChatBenchUsageError'
}

/** The --help text. */
export function usage (): string {
  return `Usage: npm run bench:chat -- [options]     (or: node dist/bench/chat/run.js [options])

Drives the real 'noise-chat server' process, and ngircd (plain and TLS; installed
with apt-get when missing), with the same load generator: worker processes each
holding many members over 127.0.0.1. Scenarios (issue 3, "Load, measured"):
  n100    N=100, S=10: highest rate with 0 loss and p99 < 100 ms
  n1000   N=1000, S=10: the same
  idle    5000 idle members: server RSS per member, and what joining them cost

Options:
  --quick               seconds, not minutes: tiny rooms, one-second steps
  --only LIST           scenarios: ${SCENARIO_NAMES.join(',')}
  --targets LIST        servers: ${TARGET_NAMES.join(',')}
  --workers N           generator processes (default 3)
  --step-seconds N      sending time of each step (default 4; quick 1)
  --idle-members N      members of the idle scenario (default 5000; quick 100)
  --max-steps N         at most N steps per rate search (default 8; quick 3)
  --out FILE            write the Markdown results here; --out= writes none. Default:
                        bench/CHAT-RESULTS.md, only after a full run of every scenario and server
  --json FILE           also write every figure as JSON
  --no-profile          skip the CPU profile of ours on each missed rate target
  --idle-ngircd         also measure ngircd's idle room (5 + 10 minutes of joining 5000 in
                        the last full run; the idle target is absolute, so off by default)
  --wait-load X         first wait (up to 10 min) for the 1-minute load average to drop
                        below X (default 1.5 on a full run, 0 = no wait; quick: no wait)
  --help
`
}

/** Parse argv (without node and script). */
export function parseConfig (argv: readonly string[]): ChatBenchConfig {
  let values
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        only: { type: 'string' },
        targets: { type: 'string' },
        workers: { type: 'string' },
        'step-seconds': { type: 'string' },
        'idle-members': { type: 'string' },
        'max-steps': { type: 'string' },
        out: { type: 'string' },
        json: { type: 'string' },
        'no-profile': { type: 'boolean' },
        'wait-load': { type: 'string' },
        'idle-ngircd': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }))
  } catch (err) {
    throw new ChatBenchUsageError((err as Error).message)
  }
  const quick = values.quick === true
  const idleMembers = number(values['idle-members'], '--idle-members', quick ? 100 : 5000, 2)
  const all = quick ? quickScenarios(idleMembers) : fullScenarios(idleMembers)
  const only = list(values.only, SCENARIO_NAMES, '--only')
  const maxSteps = values['max-steps'] === undefined ? undefined : number(values['max-steps'], '--max-steps', 0, 1)
  const scenarios = all.filter((s) => only.includes(s.name as ScenarioName))
    .map((s) => s.kind === 'rate' && maxSteps !== undefined ? { ...s, plan: { ...s.plan, maxSteps } } : s)
  return {
    help: values.help === true,
    quick,
    scenarios,
    targets: list(values.targets, TARGET_NAMES, '--targets'),
    workers: number(values.workers, '--workers', 3, 1),
    stepMs: number(values['step-seconds'], '--step-seconds', quick ? 1 : 4, 1) * 1000,
    drainMs: quick ? 1500 : 3000,
    concurrency: JOIN_LANES_PER_WORKER,
    joinTimeoutMs: quick ? 60_000 : 900_000,
    out: values.out,
    json: values.json,
    profileMissed: values['no-profile'] !== true,
    idleNgircd: values['idle-ngircd'] === true || quick,
    waitLoad: values['wait-load'] === undefined ? (quick ? 0 : 1.5) : decimal(values['wait-load'], '--wait-load')
  }
}

function number (text: string | undefined, flag: string, fallback: number, min: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < min) throw new ChatBenchUsageError(`${flag} must be a whole number of at least ${min}, got '${text}'`)
  return n
}

function decimal (text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0) throw new ChatBenchUsageError(`${flag} must be a number of at least 0, got '${text}'`)
  return n
}

function list<T extends string> (text: string | undefined, allowed: readonly T[], flag: string): T[] {
  if (text === undefined) return [...allowed]
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const name of names) {
    if (!(allowed as readonly string[]).includes(name)) throw new ChatBenchUsageError(`${flag}: unknown name '${name}'; choose from ${allowed.join(', ')}`)
  }
  if (names.length === 0) throw new ChatBenchUsageError(`${flag} needs at least one of ${allowed.join(', ')}`)
  return allowed.filter((name) => names.includes(name))
}
