/**
 * The bench's command line and environment, parsed into one plain object.
 * Pure: no I/O, so the smoke test and `--help` share it. Precedence:
 * flag > environment variable > --quick defaults > full defaults.
 */
import { FIGURE_NAMES, type FigureName } from './figures.js'
import { IMPL_NAMES, type ImplName } from './impls/impl.js'

/** Sizes of every workload; each has a flag and an environment variable. */
export interface Workload {
  /** bulk: total bytes sent. */
  bulkBytes: number
  /** bulk: bytes per write(). */
  bulkChunk: number
  /** small: number of write() calls. */
  smallCount: number
  /** small: bytes per write(). */
  smallSize: number
  /** handshakes: connections timed (after a warm-up of a tenth, at most 100). */
  handshakes: number
  /** handshakes: connections in flight at once. */
  concurrency: number
  /** sequential: connections timed, one at a time (after the same warm-up). */
  sequential: number
  /** idle: established connections held open while the server's RSS is read. */
  idle: number
  /** idle: seconds of idleness before a last RSS reading (V8 returns transient heap after a few s); 0 = none. */
  idleSettleS: number
  /** idle: runs of the idle figure (each takes the settle time; RSS varies little between runs). */
  idleRuns: number
}

export interface BenchConfig {
  help: boolean
  quick: boolean
  runs: number
  workload: Workload
  figures: FigureName[]
  impls: ImplName[]
  /** True when --impl was given: a missing implementation is then an error. */
  implsExplicit: boolean
  /** Markdown results file; '' = none; undefined = bench/RESULTS.md, only after a complete full run. */
  out: string | undefined
  /** Machine-readable results file, or null. */
  json: string | null
  profile: boolean
  /** One run of the chosen throughput figures per implementation under perf, whole-process split by category. */
  perfProfile: boolean
  profileDir: string | null
  /** After a run that writes RESULTS.md, profile ours once for each missed target. */
  profileMissed: boolean
  /** Longest one measurement (both processes) may take. */
  timeoutMs: number
}

/** The workloads; five runs of all five (idle: three) take about 12 minutes on 2 cores. */
export const FULL_WORKLOAD: Workload = {
  bulkBytes: 1024 * 1024 * 1024,
  bulkChunk: 64 * 1024,
  smallCount: 1_000_000,
  smallSize: 100,
  handshakes: 2000,
  concurrency: 64,
  sequential: 1000,
  idle: 2000,
  idleSettleS: 10,
  idleRuns: 3
}

/** A smoke-sized run: seconds, not minutes; the numbers only show the harness works. */
export const QUICK_WORKLOAD: Workload = {
  bulkBytes: 8 * 1024 * 1024,
  bulkChunk: 64 * 1024,
  smallCount: 20_000,
  smallSize: 100,
  handshakes: 64,
  concurrency: 16,
  sequential: 20,
  idle: 40,
  idleSettleS: 0,
  idleRuns: 1
}

export const FULL_RUNS = 5
export const QUICK_RUNS = 1
const FULL_TIMEOUT_MS = 600_000
const QUICK_TIMEOUT_MS = 60_000

/** Thrown for a bad flag or value; run.ts prints it with the usage and exits 2. */
export class BenchUsageError extends Error {
  override name = 'BenchUsageError'
}

interface NumberOption { flag: string, env: string, key: keyof Workload | 'runs' | 'timeout', help: string, min: number }

const NUMBER_OPTIONS: readonly NumberOption[] = [
  { flag: '--runs', env: 'BENCH_RUNS', key: 'runs', help: 'runs per figure and implementation (5; quick 1)', min: 1 },
  { flag: '--bulk-bytes', env: 'BENCH_BULK_BYTES', key: 'bulkBytes', help: 'bulk: total bytes (1GiB; quick 8MiB)', min: 1 },
  { flag: '--bulk-chunk', env: 'BENCH_BULK_CHUNK', key: 'bulkChunk', help: 'bulk: bytes per write (64KiB)', min: 1 },
  { flag: '--small-count', env: 'BENCH_SMALL_COUNT', key: 'smallCount', help: 'small: writes (1000000; quick 20000)', min: 1 },
  { flag: '--small-size', env: 'BENCH_SMALL_SIZE', key: 'smallSize', help: 'small: bytes per write (100)', min: 1 },
  { flag: '--handshakes', env: 'BENCH_HANDSHAKES', key: 'handshakes', help: 'handshakes: connections timed (2000; quick 64)', min: 1 },
  { flag: '--concurrency', env: 'BENCH_CONCURRENCY', key: 'concurrency', help: 'handshakes: in flight (64; quick 16)', min: 1 },
  { flag: '--sequential', env: 'BENCH_SEQUENTIAL', key: 'sequential', help: 'sequential: connections timed (1000; quick 20)', min: 1 },
  { flag: '--idle', env: 'BENCH_IDLE', key: 'idle', help: 'idle: connections held open (2000; quick 40)', min: 1 },
  { flag: '--idle-settle', env: 'BENCH_IDLE_SETTLE', key: 'idleSettleS', help: 'idle: seconds before a second reading (10; quick 0 = none)', min: 0 },
  { flag: '--idle-runs', env: 'BENCH_IDLE_RUNS', key: 'idleRuns', help: 'idle: runs, at most --runs (3; quick 1)', min: 1 },
  { flag: '--timeout', env: 'BENCH_TIMEOUT', key: 'timeout', help: 'seconds one measurement may take (600; quick 60)', min: 1 }
]

/** The --help text. */
export function usage (): string {
  const lines = [
    'Usage: npm run bench -- [options]     (or: node dist/bench/run.js [options])',
    '',
    'Runs server and client in separate processes over 127.0.0.1 and compares raw TCP,',
    "Node's TLS 1.3, @hyperswarm/secret-stream and noise-chat's SecureStream.",
    '',
    'Options (each also as an environment variable):',
    '  --quick                 BENCH_QUICK=1      smoke-sized workloads, 1 run',
    `  --only LIST             BENCH_ONLY         figures, comma-separated: ${FIGURE_NAMES.join(',')}`,
    `  --impl LIST             BENCH_IMPL         implementations: ${IMPL_NAMES.join(',')}`
  ]
  for (const o of NUMBER_OPTIONS) lines.push(`  ${(o.flag + ' N').padEnd(22)}  ${o.env.padEnd(17)}  ${o.help}`)
  lines.push(
    '  --out FILE              BENCH_OUT          write the Markdown results here; --out= writes none. Default:',
    '                                             bench/RESULTS.md, only after a full run of every figure and',
    '                                             all five implementations',
    '  --json FILE             BENCH_JSON         also write every sample as JSON',
    '  --profile               BENCH_PROFILE=1    one run of the chosen figures for ours (or --impl) under',
    '                                             node --cpu-prof, both processes; prints the top self time',
    '  --perf-profile          BENCH_PERF_PROFILE=1  one run of bulk and small (of those chosen) per',
    '                                             implementation under perf record -a -g: each process\'s',
    '                                             CPU by category, kernel and native code included',
    '                                             (needs perf, Debian\'s linux-perf, and root)',
    '  --profile-dir DIR       BENCH_PROFILE_DIR  where the .cpuprofile files go (default: a temp dir)',
    '  --no-profile-missed     BENCH_PROFILE_MISSED=0  skip the profiles of each missed target (V8\'s',
    '                                             of ours; perf\'s of ours and TLS for bulk and small)',
    '                                             that a run writing RESULTS.md adds to it',
    '  --help',
    '',
    'Sizes accept 1000000, 1e6, 1_000_000, 64KiB, 16MiB, 1GiB.'
  )
  return lines.join('\n')
}

/** Parse argv (without node and script) and the environment. */
export function parseConfig (argv: readonly string[], env: Record<string, string | undefined>): BenchConfig {
  const flags = readFlags(argv)
  const pick = (flag: string, envName: string): string | undefined => flags.get(flag) ?? nonEmpty(env[envName])
  const quick = flags.has('--quick') || truthy(env.BENCH_QUICK)
  const workload: Workload = { ...(quick ? QUICK_WORKLOAD : FULL_WORKLOAD) }
  let runs = quick ? QUICK_RUNS : FULL_RUNS
  let timeoutMs = quick ? QUICK_TIMEOUT_MS : FULL_TIMEOUT_MS
  for (const o of NUMBER_OPTIONS) {
    const text = pick(o.flag, o.env)
    if (text === undefined) continue
    const value = parseSize(text, `${o.flag} (${o.env})`)
    if (value < o.min) throw new BenchUsageError(`${o.flag} must be at least ${o.min}, got '${text}'`)
    if (o.key === 'runs') runs = value
    else if (o.key === 'timeout') timeoutMs = value * 1000
    else workload[o.key] = value
  }
  const implText = pick('--impl', 'BENCH_IMPL')
  return {
    help: flags.has('--help'),
    quick,
    runs,
    workload,
    figures: parseList(pick('--only', 'BENCH_ONLY'), FIGURE_NAMES, '--only'),
    impls: parseList(implText, IMPL_NAMES, '--impl'),
    implsExplicit: implText !== undefined,
    out: flags.get('--out') ?? env.BENCH_OUT,
    json: pick('--json', 'BENCH_JSON') ?? null,
    profile: flags.has('--profile') || truthy(env.BENCH_PROFILE),
    perfProfile: flags.has('--perf-profile') || truthy(env.BENCH_PERF_PROFILE),
    profileDir: pick('--profile-dir', 'BENCH_PROFILE_DIR') ?? null,
    profileMissed: !flags.has('--no-profile-missed') && (env.BENCH_PROFILE_MISSED === undefined || truthy(env.BENCH_PROFILE_MISSED)),
    timeoutMs
  }
}

const BOOLEAN_FLAGS = new Set(['--quick', '--profile', '--perf-profile', '--no-profile-missed', '--help'])
const VALUE_FLAGS = new Set(['--only', '--impl', '--out', '--json', '--profile-dir', ...NUMBER_OPTIONS.map((o) => o.flag)])

function readFlags (argv: readonly string[]): Map<string, string | undefined> {
  const flags = new Map<string, string | undefined>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (arg === '-h') { flags.set('--help', undefined); continue }
    if (BOOLEAN_FLAGS.has(name)) { flags.set(name, undefined); continue }
    if (!VALUE_FLAGS.has(name)) throw new BenchUsageError(`unknown option '${arg}' (see --help)`)
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined) throw new BenchUsageError(`${name} needs a value`)
    flags.set(name, value)
  }
  return flags
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }

/** "1GiB" -> 1073741824, "1e6" -> 1000000, "64KiB" -> 65536, "1_000_000" -> 1000000. */
export function parseSize (text: string, what = 'value'): number {
  const match = /^\s*([0-9][0-9_]*(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = match === null ? undefined : SIZE_UNITS[match[2].toLowerCase()]
  const value = match === null || unit === undefined ? NaN : Number(match[1].replace(/_/g, '')) * unit
  if (!Number.isSafeInteger(value)) {
    throw new BenchUsageError(`${what}: '${text}' is not a whole number (examples: 1000000, 1e6, 64KiB, 1GiB)`)
  }
  return value
}

function parseList<T extends string> (text: string | undefined, allowed: readonly T[], flag: string): T[] {
  if (text === undefined) return [...allowed]
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const name of names) {
    if (!(allowed as readonly string[]).includes(name)) {
      throw new BenchUsageError(`${flag}: unknown name '${name}'; choose from ${allowed.join(', ')}`)
    }
  }
  if (names.length === 0) throw new BenchUsageError(`${flag} needs at least one of ${allowed.join(', ')}`)
  return allowed.filter((name) => names.includes(name)) // table order, no duplicates
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function truthy (value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false'
}
