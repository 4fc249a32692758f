/**
 * The frame every DoS scenario runs in: a fresh server, the legitimate
 * client measured before, during and after the attack, the server's
 * memory sampled all along, and the attacker's own account of what it got.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { AttackSpec } from '../attacker.js'
import { cliProbe, libraryProbe, probeRepeatedly, type ProbeResult, type Target } from './probe.js'
import type { ServerProcess } from './server-process.js'
import { summarize, type Summary } from './stats.js'

const ATTACKER = fileURLToPath(new URL('../attacker.js', import.meta.url))

/** An attack running in its own process. */
export interface RunningAttack {
  child: ChildProcess
  /** Resolves when the attacker says the attack is under way. */
  ready: Promise<void>
  /** The attacker's result (its JSON), once it ends. */
  result: Promise<unknown>
  /** Ask it to end now. */
  stop: () => void
}

/** Start `node dist/reliability/attacker.js SPEC`. */
export function startAttack (spec: AttackSpec): RunningAttack {
  const child = spawn(process.execPath, [ATTACKER, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdin!.on('error', () => {})
  let onReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => { onReady = resolve })
  const result = new Promise<unknown>((resolve, reject) => {
    let got: unknown
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') onReady()
      else if (line.startsWith('result ')) got = JSON.parse(line.slice(7))
    })
    child.once('exit', (code) => {
      onReady()
      if (got === undefined) reject(new Error(`the attacker exited (${String(code)}) without a result: ${stderr}`))
      else resolve(got)
    })
  })
  result.catch(() => {})
  return { child, ready, result, stop: () => { child.stdin!.write('stop\n') } }
}

/** Samples of the server's resident memory, every `everyMs`. */
export class RssSampler {
  readonly samples: Array<{ ms: number, kib: number }> = []
  private readonly timer: NodeJS.Timeout
  private readonly started = Date.now()

  constructor (server: Pick<ServerProcess, 'rssKiB'>, everyMs = 250) {
    const take = (): void => { this.samples.push({ ms: Date.now() - this.started, kib: server.rssKiB() }) }
    take()
    this.timer = setInterval(take, everyMs)
  }

  /** Largest sample so far (KiB). */
  get maxKiB (): number {
    return Math.max(...this.samples.map((s) => s.kib).filter((k) => !Number.isNaN(k)))
  }

  stop (): void {
    clearInterval(this.timer)
  }
}

/** Figures of the legitimate client in one phase. */
export interface ClientFigures {
  /** Library probes: how many tried, how many served, and their waits (ms). */
  probes: number
  served: number
  waitMs: Summary
  failures: string[]
  /** The real `noise-chat connect` (piped): served?, its wait and exit code. */
  cli?: ProbeResult
}

/** What one scenario measured. */
export interface ScenarioFigures {
  name: string
  before: ClientFigures
  during: ClientFigures
  after: ClientFigures
  rssKiB: { before: number, duringMax: number, after: number }
  /** Highest RSS in the last third of the attack less the highest in the middle third (KiB): near 0 when memory has stopped growing. */
  rssLateGrowthKiB: number
  attacker: unknown
  /** What the watcher saw (see ScenarioOptions.watch). */
  watched?: unknown
  /** The server's log, counted: "refused ERR_TOO_MANY_HANDSHAKES" -> how many. */
  serverLog: Record<string, number>
  serverAlive: boolean
}

/** Something that watches the room through the attack: started before it, finished after it settled. */
export type Watcher = (target: Target) => Promise<() => Promise<unknown>>

/** How to run one scenario. */
export interface ScenarioOptions {
  name: string
  server: ServerProcess
  box: import('./server-process.js').Sandbox
  /** The attacks, started together. */
  attacks: AttackSpec[]
  /** After the attackers are ready, wait this long before measuring (the attack builds up). */
  rampMs?: number
  /** Measure the legitimate client for at most this long during the attack; then stop the attackers. */
  measureMs: number
  /** After the attack, wait this long before the "after" figures (timeouts run out, memory settles). */
  settleMs?: number
  /** Run the real CLI client during the attack (default true). */
  cli?: boolean
  watch?: Watcher
}

/** Run one scenario end to end. */
export async function runScenario (options: ScenarioOptions): Promise<ScenarioFigures> {
  const { server, box } = options
  const target: Target = { port: server.port, key: server.key, publicKey: server.publicKey }
  const cli = options.cli ?? true
  const before = await measure(target, box, 'b', 3, cli)
  const finishWatch = options.watch === undefined ? undefined : await options.watch(target)
  const rssBefore = server.rssKiB()
  const sampler = new RssSampler(server)
  const { measured: [samples, cliResult], attacker } = await duringAttacks(options.attacks, options, (attacking) => Promise.all([
    probeRepeatedly(target, 'd', () => !attacking()),
    cli ? cliProbe(target, box, 'cliduring') : Promise.resolve(undefined)
  ]))
  const duringMax = sampler.maxKiB
  const rssLateGrowthKiB = lateGrowth(sampler.samples)
  await sleep(options.settleMs ?? 2000)
  sampler.stop()
  const after = await measure(target, box, 'a', 3, false)
  const watched = finishWatch === undefined ? undefined : await finishWatch()
  return {
    name: options.name,
    before,
    during: figures(samples, cliResult),
    after,
    rssKiB: { before: rssBefore, duringMax, after: server.rssKiB() },
    rssLateGrowthKiB,
    attacker: attacker.length === 1 ? attacker[0] : attacker,
    watched,
    serverLog: countLog(server),
    serverAlive: server.alive
  }
}

/**
 * Start the attacks one after the other (each once the one before is
 * under way: the talker after its non-readers joined), wait `rampMs`, run
 * `measure` while they last (at most `measureMs`: `attacking()` turns
 * false), then stop them. Resolves with what `measure` measured and each
 * attacker's own result.
 */
export async function duringAttacks<T> (specs: AttackSpec[], timing: { rampMs?: number, measureMs: number }, measure: (attacking: () => boolean) => Promise<T>): Promise<{ measured: T, attacker: unknown[] }> {
  const attacks: RunningAttack[] = []
  for (const spec of specs) {
    const attack = startAttack(spec)
    attacks.push(attack)
    await attack.ready
  }
  await sleep(timing.rampMs ?? 500)
  let attacking = true
  const allDone = Promise.allSettled(attacks.map((a) => a.result)).then(() => { attacking = false })
  const window = setTimeout(() => { attacking = false }, timing.measureMs)
  const measured = await measure(() => attacking)
  clearTimeout(window)
  for (const a of attacks) a.stop()
  await allDone
  const attacker = await Promise.all(attacks.map((a) => a.result.catch((err: Error) => ({ error: err.message }))))
  return { measured, attacker }
}

/** Max of the last third of `samples` less the max of the middle third. */
export function lateGrowth (samples: Array<{ ms: number, kib: number }>): number {
  const valid = samples.filter((s) => !Number.isNaN(s.kib))
  const third = Math.floor(valid.length / 3)
  if (third === 0) return NaN
  const max = (part: Array<{ kib: number }>): number => Math.max(...part.map((s) => s.kib))
  return max(valid.slice(2 * third)) - max(valid.slice(third, 2 * third))
}

/** The server's log events with the code at the end of their detail, counted. */
function countLog (server: ServerProcess): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const e of server.log()) {
    const code = /\((\w+)\)$/.exec(e.detail ?? '')?.[1]
    const key = code === undefined ? e.event : `${e.event} ${code}`
    // A rate-limited summary line stands for `count` refusals.
    counts[key] = (counts[key] ?? 0) + (e.count ?? 1)
  }
  return counts
}

/** `count` library probes one after the other, and one CLI probe. */
async function measure (target: Target, box: import('./server-process.js').Sandbox, prefix: string, count: number, cli: boolean): Promise<ClientFigures> {
  const samples: ProbeResult[] = []
  for (let i = 0; i < count; i++) samples.push(await libraryProbe(target, `${prefix}${i}`, { timeoutMs: 15_000 }))
  return figures(samples, cli ? await cliProbe(target, box, `cli${prefix}`) : undefined)
}

/** Probe results as the figures of one phase. */
export function figures (samples: ProbeResult[], cli: ProbeResult | undefined): ClientFigures {
  const out: ClientFigures = {
    probes: samples.length,
    served: samples.filter((s) => s.served).length,
    waitMs: summarize(samples.map((s) => s.waitMs)),
    failures: [...new Set(samples.filter((s) => !s.served).map((s) => s.failure ?? '?'))]
  }
  if (cli !== undefined) out.cli = cli
  return out
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
