/**
 * `npm run bench:chat`: issue 3's "Load, measured". The real noise-chat
 * server and ngircd (plain and TLS) under the same generated load; the
 * highest rate with 0 loss and p99 < 100 ms at N=100 and N=1000, the
 * memory per idle member at N=5000, what joining costs, the ratios to
 * ngircd over TLS and the targets met or missed, on stdout and (after a
 * complete full run) in bench/CHAT-RESULTS.md.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { ChatBenchUsageError, parseConfig, usage, type ChatBenchConfig } from './config.js'
import { profileOurs, runIdleScenario, runRateScenario } from './execute.js'
import { ensureNgircd, NGIRCD_SETTINGS } from './ngircd-server.js'
import { oursServerFlags } from './ours-server.js'
import { resultsMarkdown, summaryTable } from './report.js'
import { openRooms } from './room.js'
import { verdicts, type ChatBenchResults, type ChatMachine } from './results.js'
import { SCENARIO_NAMES, type RateScenario } from './scenarios.js'
import { TARGET_LABELS, TARGET_NAMES } from './target.js'

/** The project root (this file runs as dist/bench/chat/run.js). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const DEFAULT_OUT = join(ROOT, 'bench', 'CHAT-RESULTS.md')
/** Longest the bench waits for a quiet machine before starting anyway. */
const LOAD_WAIT_MAX_MS = 10 * 60_000

const print = (line = ''): void => { process.stdout.write(line + '\n') }

async function main (argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config: ChatBenchConfig
  try {
    config = parseConfig(argv)
  } catch (err) {
    if (!(err instanceof ChatBenchUsageError)) throw err
    process.stderr.write(`bench:chat: ${err.message}\n`)
    return 2
  }
  if (config.help) { print(usage()); return 0 }

  const started = Date.now()
  const loadWait = config.waitLoad > 0 ? await waitForQuiet(config.waitLoad) : null
  const results: ChatBenchResults = {
    startedAt: new Date().toISOString(),
    elapsedS: 0,
    command: commandLine(argv, env),
    ...sourceVersion(),
    machine: machine(),
    quick: config.quick,
    loadWait,
    ngircdVersion: null,
    ngircdMissing: null,
    oursFlags: oursServerFlags(0).map((f, i, all) => all[i - 1] === '--max-clients' ? 'N+100' : f),
    ngircdSettings: [...NGIRCD_SETTINGS],
    workers: config.workers,
    stepMs: config.stepMs,
    drainMs: config.drainMs,
    scenarios: config.scenarios,
    targets: [...config.targets],
    rate: [],
    idle: [],
    profiles: []
  }
  if (config.targets.some((t) => t !== 'ours')) {
    try {
      results.ngircdVersion = ensureNgircd(print).version
    } catch (err) {
      results.ngircdMissing = (err as Error).message
      results.targets = results.targets.filter((t) => t === 'ours')
      print(`ngircd will not be measured: ${results.ngircdMissing}`)
    }
  }
  print(`noise-chat bench:chat: ${config.scenarios.map((s) => s.name).join(', ')} on ${results.targets.map((t) => TARGET_LABELS[t]).join(', ')}; ` +
    `${config.workers} generator processes, ${config.stepMs / 1000} s steps`)
  print(`machine: ${results.machine.cpu}, ${results.machine.cores} cores, load average ${results.machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}`)

  for (const scenario of config.scenarios) {
    print(`\n== ${scenario.title}`)
    for (const target of results.targets) {
      if (scenario.kind === 'idle' && target !== 'ours' && !config.idleNgircd) {
        print(`  ${TARGET_LABELS[target]}: not measured (--idle-ngircd measures it; the reference figures are quoted)`)
        continue
      }
      print(`  ${TARGET_LABELS[target]}:`)
      if (scenario.kind === 'rate') results.rate.push(await runRateScenario(scenario, target, config, print))
      else results.idle.push(await runIdleScenario(scenario, target, config, print))
    }
  }
  if (config.profileMissed && !config.quick) await profileMisses(config, results)

  results.elapsedS = (Date.now() - started) / 1000
  results.machine.loadAtEnd = os.loadavg()
  print('')
  print(summaryTable(results))
  print(`\nDone in ${(results.elapsedS / 60).toFixed(1)} min.`)
  const complete = !config.quick && config.scenarios.length === SCENARIO_NAMES.length && results.targets.length === TARGET_NAMES.length
  const out = config.out ?? (complete ? DEFAULT_OUT : '')
  if (out !== '') {
    writeFileSync(out, resultsMarkdown(results))
    print(`Wrote ${relative(process.cwd(), out) || out}`)
  } else {
    print('Not writing bench/CHAT-RESULTS.md: only a full run of every scenario on every server does (or pass --out FILE).')
  }
  if (config.json !== undefined) {
    writeFileSync(config.json, JSON.stringify(results, null, 2) + '\n')
    print(`Wrote ${config.json}`)
  }
  return 0
}

/** For each rate scenario whose target ours missed: one step at ngircd TLS's best rate with our server under --cpu-prof. */
async function profileMisses (config: ChatBenchConfig, results: ChatBenchResults): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-chat-profile-'))
  for (const v of verdicts(results)) {
    const scenario = config.scenarios.find((s): s is RateScenario => s.name === v.scenario && s.kind === 'rate')
    if (scenario === undefined || v.met !== false || v.ngircdTls === null || v.ngircdTls === 0) continue
    print(`\nProfiling noise-chat on ${scenario.name} at ${v.ngircdTls} msg/s (target missed)...`)
    try {
      const p = await profileOurs(scenario, v.ngircdTls, config, join(dir, scenario.name), ROOT)
      print(p.text)
      results.profiles.push(p)
    } catch (err) {
      print(`  profiling failed: ${(err as Error).message}`)
    }
  }
  print(`profiles are under ${dir}`)
}

/** Wait (bounded) for the 1-minute load average to drop below `threshold`. */
async function waitForQuiet (threshold: number): Promise<NonNullable<ChatBenchResults['loadWait']>> {
  const t0 = Date.now()
  let announced = 0
  while (os.loadavg()[0] >= threshold && Date.now() - t0 < LOAD_WAIT_MAX_MS) {
    if (Date.now() - announced > 30_000) {
      print(`waiting for a quieter machine: load average ${os.loadavg()[0].toFixed(2)} (want < ${threshold}; at most ${LOAD_WAIT_MAX_MS / 60000} min)`)
      announced = Date.now()
    }
    await sleep(5000)
  }
  return { waitedS: (Date.now() - t0) / 1000, threshold, reached: os.loadavg()[0] < threshold }
}

function machine (): ChatMachine {
  const cpus = os.cpus()
  return {
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    kernel: `${os.type()} ${os.release()}`,
    loadAtStart: os.loadavg(),
    loadAtEnd: []
  }
}

/** The commit under test, and whether lib/ has uncommitted changes (they are measured too). */
function sourceVersion (): { commit: string | null, libDirty: boolean } {
  const git = (...args: string[]): string | null => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim() : null
  }
  return { commit: git('rev-parse', '--short', 'HEAD'), libDirty: (git('status', '--porcelain', '--', 'lib') ?? '') !== '' }
}

function commandLine (argv: string[], env: NodeJS.ProcessEnv): string {
  const args = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ')
  if (env.npm_lifecycle_event === 'bench:chat') return args === '' ? 'npm run bench:chat' : `npm run bench:chat -- ${args}`
  return `node dist/bench/chat/run.js${args === '' ? '' : ' ' + args}`
}

/** Ctrl-C or SIGTERM: stop the servers and workers of the rooms open now, then exit. */
function stopOnSignal (signal: NodeJS.Signals): void {
  process.stderr.write(`bench:chat: ${signal}: stopping ${openRooms.size} room(s)\n`)
  void Promise.allSettled([...openRooms].map((room) => room.close())).then(() => process.exit(130))
}
process.once('SIGINT', stopOnSignal)
process.once('SIGTERM', stopOnSignal)

main(process.argv.slice(2), process.env).then((code) => { process.exitCode = code }, (err: Error) => {
  process.stderr.write(`bench:chat failed: ${err.stack ?? err.message}\n`)
  process.exitCode = 1
})
