import { TARGETS, findTarget } from './targets/index.js'

/**
 * The command line of `npm run fuzz` (dist/fuzz/run.js), parsed into a plan
 * without side effects.
 */

export interface FuzzOptions {
  runSeed: number
  /** Total inputs asked for with --inputs (shared out by the targets' shares), or undefined for the full run. */
  inputs: number | undefined
  seconds: number | undefined
  quick: boolean
  targets: string[]
  jobs: number
  json: string | undefined
  replay: string[]
  help: boolean
}

/** A wrong command line: the message says what and how to fix it. */
export class FuzzUsageError extends Error {}

/** The default run seed: fixed, so `npm run fuzz` is the same run everywhere. */
export const DEFAULT_RUN_SEED = 0x5eed

/** A quick run does this fraction of a full run's inputs. */
const QUICK_FRACTION = 0.01

export function usage (): string {
  return [
    'usage: npm run fuzz -- [options]        (or: node dist/fuzz/run.js [options])',
    '',
    'Mutates recorded valid sessions and chat traffic and feeds them to the frame',
    'decoder, the transport frame opener, both SecureStream roles, the line',
    'splitter, the sanitizer, the chat commands and the identity file parsers.',
    '',
    'options:',
    `  --seed N        run seed (decimal or 0x hex; default 0x${DEFAULT_RUN_SEED.toString(16)}); each input's own seed derives from it`,
    '  --inputs N      total inputs, shared out like a full run (with one --target: that many)',
    '  --target NAME   only this target (repeat, or NAME,NAME)',
    '  --seconds S     at most S seconds per target',
    `  --quick         ${QUICK_FRACTION * 100}% of a full run (a smoke run)`,
    '  --jobs N        targets run in parallel (default 1; each one is a worker thread)',
    '  --json FILE     also write the results as JSON',
    '  --replay FILE   run the case in a crash or regression file (repeatable) and report',
    '  --help',
    '',
    'targets (full-run inputs):',
    ...TARGETS.map((t) => `  ${t.name.padEnd(24)} ${String(t.share).padStart(7)}  ${t.description}`),
    '',
    'A failing input is written to fuzz/corpus/crashes/ as JSON (target, seed, case as hex);',
    'copy it to test/fixtures/fuzz-regressions/ to keep it as a regression test.'
  ].join('\n')
}

export function parseOptions (argv: string[]): FuzzOptions {
  const o: FuzzOptions = { runSeed: DEFAULT_RUN_SEED, inputs: undefined, seconds: undefined, quick: false, targets: [], jobs: 1, json: undefined, replay: [], help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined) throw new FuzzUsageError(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case '--seed': o.runSeed = integer(flag, value(), 0, 0xffffffff); break
      case '--inputs': o.inputs = integer(flag, value(), 1, Number.MAX_SAFE_INTEGER); break
      case '--seconds': o.seconds = positive(flag, value()); break
      case '--quick': o.quick = true; break
      case '--jobs': o.jobs = integer(flag, value(), 1, 64); break
      case '--json': o.json = value(); break
      case '--replay': o.replay.push(value()); break
      case '--target':
        for (const name of value().split(',').filter((n) => n !== '')) {
          if (findTarget(name) === undefined) throw new FuzzUsageError(`unknown target '${name}'; the targets are: ${TARGETS.map((t) => t.name).join(', ')}`)
          o.targets.push(name)
        }
        break
      case '--help': case '-h': o.help = true; break
      default: throw new FuzzUsageError(`unknown option '${arg}'; --help lists the options`)
    }
  }
  if (o.targets.length === 0) o.targets = TARGETS.map((t) => t.name)
  return o
}

/** How many inputs each chosen target gets: its share of a full run, of --inputs, or of a quick run; Infinity when only --seconds bounds it. */
export function planInputs (o: FuzzOptions): Map<string, number> {
  const chosen = o.targets.map((name) => findTarget(name)!)
  const plan = new Map<string, number>()
  const totalShare = chosen.reduce((a, t) => a + t.share, 0)
  for (const t of chosen) {
    let n: number
    if (o.inputs !== undefined) n = chosen.length === 1 ? o.inputs : Math.max(1, Math.round(o.inputs * t.share / totalShare))
    else if (o.seconds !== undefined && !o.quick) n = Infinity
    else n = o.quick ? Math.max(1, Math.round(t.share * QUICK_FRACTION)) : t.share
    plan.set(t.name, n)
  }
  return plan
}

function integer (flag: string, text: string, min: number, max: number): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new FuzzUsageError(`${flag} '${text}' must be a whole number from ${min} to ${max}`)
  return n
}

function positive (flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new FuzzUsageError(`${flag} '${text}' must be a positive number of seconds`)
  return n
}
