/**
 * npm run bench:scale: one room over 1, 2 and 3 `noise-chat server
 * --redis` nodes, beside one embedded node (no Redis), driven by the chat
 * bench's generator (bench/chat: its workers, pacing, tally and step
 * judgement, imported as they are). For each set-up it searches the
 * highest rate that passes the chat bench's criterion (no loss, no
 * reordering, nobody disconnected, p99 < 100 ms, the generator on time)
 * and reports deliveries/s, p99 and the CPU of each process: the
 * generator, every node, redis-server. Members are spread round-robin
 * over the nodes; the senders are the first members, so over the nodes too.
 *
 *   npm run bench:scale                       members 50, senders 10, 3 s steps
 *   npm run bench:scale -- --members 100 --senders 20 --step-ms 5000 --setups embedded,redis-3
 *   npm run bench:scale -- --help
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Fleet } from '../chat/fleet.js'
import type { ConnectReply } from '../chat/ipc.js'
import { CHAT_BIN, oursServerFlags } from '../chat/ours-server.js'
import { OutputWatch, stopProcess } from '../chat/process-output.js'
import { readCpuSeconds } from '../../harness/proc-stat.js'
import { waitForReadyLine } from '../../harness/ready-line.js'
import type { BenchRoom } from '../chat/room.js'
import { expectedJoinLines } from '../chat/room.js'
import { RateSearch } from '../chat/search.js'
import { runStep, waitQuiet, type StepResult } from '../chat/step.js'
import type { Endpoint } from '../chat/target.js'
import { writeKeyFile } from '../../lib/identity/key-file.js'
import { generateKeyPair } from '../../lib/secure/keypair.js'
import { freePort } from '../../harness/free-port.js'

const SETUPS = ['embedded', 'redis-1', 'redis-2', 'redis-3'] as const
type Setup = typeof SETUPS[number]
const RESULTS_FILE = fileURLToPath(new URL('../../../bench/SCALE-RESULTS.md', import.meta.url))
const START_TIMEOUT_MS = 30_000
const STOP_GRACE_MS = 10_000
const JOIN_TIMEOUT_MS = 60_000

interface Proc { name: string, child: ChildProcess, pid: number }

interface Outcome {
  setup: Setup
  best: StepResult | undefined
  /** CPU % (100 = one core) over the best step, per process. */
  cpu: Record<string, number>
  steps: string[]
}

const USAGE = `usage: node dist/bench/scale/run.js [options]

  --members N        members in the room (default 50)
  --senders N        members that send, the first N (default 10)
  --step-ms MS       sending time of one step (default 3000)
  --max-steps N      most steps of the rate search per set-up (default 7)
  --start-rate R     first rate tried, msg/s (default 400)
  --workers N        generator processes (default 2)
  --setups LIST      comma-separated, of ${SETUPS.join(',')} (default all)
  --profile DIR      run the nodes under node --cpu-prof, profiles into DIR
  --out FILE         where the results go (default bench/SCALE-RESULTS.md)
  --help             this text

Each step also prints the nodes' CPU seconds per 1000 deliveries (load-insensitive).`

/** A bad command line: a one-line message and exit status 2, not a stack trace. */
class UsageError extends Error {}

function parseCommandLine (argv: string[]): { values: Record<string, string | boolean | undefined> } {
  try {
    return parseArgs({
      args: argv,
      options: {
        members: { type: 'string', default: '50' },
        senders: { type: 'string', default: '10' },
        'step-ms': { type: 'string', default: '3000' },
        'max-steps': { type: 'string', default: '7' },
        'start-rate': { type: 'string', default: '400' },
        workers: { type: 'string', default: '2' },
        setups: { type: 'string', default: SETUPS.join(',') },
        profile: { type: 'string' },
        out: { type: 'string', default: RESULTS_FILE },
        help: { type: 'boolean', default: false }
      }
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

function positive (name: string): number {
  const n = Number(values[name])
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number, not ${String(values[name])}`)
  return n
}

let values: Record<string, string | boolean | undefined> = {}
let members = 0
let senders = 0
let stepMs = 0
let setups: Setup[] = []

async function main (): Promise<void> {
  try {
    values = parseCommandLine(process.argv.slice(2)).values
    if (values.help === true) {
      process.stdout.write(USAGE + '\n')
      return
    }
    members = positive('members')
    senders = positive('senders')
    stepMs = positive('step-ms')
    for (const name of ['max-steps', 'start-rate', 'workers']) positive(name)
    if (senders > members) throw new UsageError(`--senders (${senders}) must not exceed --members (${members})`)
    setups = String(values.setups).split(',') as Setup[]
    const unknown = setups.filter((s) => !(SETUPS as readonly string[]).includes(s))
    if (unknown.length > 0 || setups.length === 0) throw new UsageError(`--setups takes ${SETUPS.join(', ')}; not ${unknown.join(', ')}`)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`bench:scale: ${err.message}\n(--help lists the options)\n`)
    process.exitCode = 2
    return
  }
  const load = execFileSync('uptime', { encoding: 'utf8' }).trim()
  log(`bench:scale: ${members} members, ${senders} senders, ${stepMs} ms steps; ${load}`)
  const outcomes: Outcome[] = []
  for (const setup of setups) outcomes.push(await measure(setup))
  const report = markdown(outcomes, load, execFileSync('uptime', { encoding: 'utf8' }).trim())
  writeFileSync(String(values.out), report)
  process.stdout.write('\n' + report)
}

/** A set-up running: redis-server (when shared), its nodes, and the generator's members joined. */
interface Room {
  dir: string
  procs: Proc[]
  fleet: Fleet | undefined
  bench: BenchRoom
}

/**
 * Start the set-up, fill the room, search the best rate, stop everything.
 * A step that cost members (the slow-reader bound disconnects who cannot
 * keep up) leaves a smaller room behind, whose later steps would count the
 * missing members as loss: the room is then built anew, as the chat bench
 * does.
 */
async function measure (setup: Setup): Promise<Outcome> {
  let room: Room | undefined
  try {
    room = await startRoom(setup)
    const search = new RateSearch({ startRate: Number(values['start-rate']), minRate: 10, maxRate: 100_000, maxSteps: Number(values['max-steps']), precision: 0.2 })
    let best: StepResult | undefined
    let bestCpu: Record<string, number> = {}
    const steps: string[] = []
    for (let step = 1, rate = search.next(); rate !== undefined; step++, rate = search.next()) {
      const { procs, bench } = room
      const fleet = room.fleet!
      const watched = [...procs, ...fleet.pids.map((pid, i) => ({ name: `worker${i}`, pid, child: undefined as unknown as ChildProcess }))]
      const before = watched.map((p) => readCpuSeconds(p.pid))
      const t0 = performance.now()
      const result = await runStep(bench, { step, rate, senders, durationMs: stepMs, drainMs: 5000 })
      const wallS = (performance.now() - t0) / 1000
      const cpu: Record<string, number> = {}
      watched.forEach((p, i) => { cpu[p.name] = 100 * (readCpuSeconds(p.pid) - before[i]!) / wallS })
      search.record(rate, result.passed)
      const nodeCpuS = watched.reduce((a, p, i) => p.name.startsWith('node') ? a + readCpuSeconds(p.pid) - before[i]! : a, 0)
      // CPU per delivery does not depend on what else the machine runs, as throughput does: the A/B figure.
      const perK = result.received > 0 ? (1000 * nodeCpuS / result.received).toPrecision(3) : '-'
      const line = `${setup} ${rate} msg/s: ${result.passed ? 'pass' : 'FAIL'}, ${Math.round(result.deliveredPerS)} deliveries/s, p99 ${result.p99Ms.toFixed(1)} ms, nodes ${perK} CPU s per 1000 deliveries${result.passed ? '' : ' (' + result.why.join('; ') + ')'}`
      log(line)
      steps.push(line)
      if (result.passed && (best === undefined || result.rate > best.rate)) {
        best = result
        bestCpu = cpu
      }
      if (result.disconnected > 0) {
        log(`${setup}: ${result.disconnected} member(s) disconnected in that step; starting the set-up again with a full room`)
        await stopRoom(room)
        room = undefined
        room = await startRoom(setup)
      } else if (!result.passed) {
        await waitQuiet(bench, 10_000)
      }
    }
    return { setup, best, cpu: bestCpu, steps }
  } finally {
    if (room !== undefined) await stopRoom(room)
  }
}

async function startRoom (setup: Setup): Promise<Room> {
  const room: Room = { dir: mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-scale-')), procs: [], fleet: undefined, bench: undefined as unknown as BenchRoom }
  try {
    const { dir, procs } = room
    const nodes = setup === 'embedded' ? 1 : Number(setup.split('-')[1])
    // One key for every node (a --key FILE must exist): members pin one key whichever node they reach.
    await writeKeyFile(join(dir, 'server_x25519'), generateKeyPair())
    let redisArgs: string[] = []
    if (setup !== 'embedded') {
      const port = await freePort()
      procs.push(await startRedis(dir, port))
      redisArgs = ['--redis', `redis://127.0.0.1:${port}/0`, '--room', 'bench']
    }
    const endpoints: Endpoint[] = []
    for (let i = 0; i < nodes; i++) {
      const { proc, endpoint } = await startNode(dir, i, redisArgs)
      procs.push(proc)
      endpoints.push(endpoint)
    }
    room.fleet = Fleet.start(Math.min(Number(values.workers), members))
    await joinAll(room.fleet, endpoints)
    const nodeProcs = procs.filter((p) => p.name.startsWith('node'))
    room.bench = { setup: { members }, server: { pid: nodeProcs[0]!.pid }, fleet: room.fleet } as unknown as BenchRoom
    return room
  } catch (err) {
    await stopRoom(room)
    throw err
  }
}

async function stopRoom (room: Room): Promise<void> {
  await room.fleet?.stop().catch(() => {})
  for (const p of [...room.procs].reverse()) await stopProcess(p.child, STOP_GRACE_MS).catch(() => {})
  rmSync(room.dir, { recursive: true, force: true })
}

/** Member i joins node i mod nodes, through the generator's own workers (member i lives in worker i mod W). */
async function joinAll (fleet: Fleet, endpoints: Endpoint[]): Promise<void> {
  const W = fleet.workers.length
  const requests: Array<Promise<ConnectReply>> = []
  for (const [n, endpoint] of endpoints.entries()) {
    for (const [k, worker] of fleet.workers.entries()) {
      const mine = Array.from({ length: members }, (_, i) => i).filter((i) => i % endpoints.length === n && i % W === k)
      if (mine.length > 0) requests.push(worker.request<ConnectReply>({ type: 'connect', endpoint, members: mine, concurrency: 3 }))
    }
  }
  const replies = await Promise.all(requests)
  const failed = replies.reduce((a, r) => a + r.failed, 0)
  if (failed > 0) throw new Error(`${failed} members did not join: ${replies.flatMap((r) => r.errors).slice(0, 3).join('; ')}`)
  // Every member hears every join after its own; wait until they all have.
  const deadline = performance.now() + JOIN_TIMEOUT_MS
  while ((await fleet.progress()).joins < expectedJoinLines(members) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
}

async function startRedis (dir: string, port: number): Promise<Proc> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const failed = new Promise<never>((_resolve, reject) => child.once('error', (err) => reject(new Error(`cannot start redis-server (apt-get install -y redis-server): ${err.message}`))))
  await Promise.race([new OutputWatch(child).waitFor(/Ready to accept connections/, START_TIMEOUT_MS, child), failed])
  return { name: 'redis-server', child, pid: child.pid! }
}

/** A `noise-chat server` with the chat bench's flags, plus --redis when shared; one key for all nodes. */
async function startNode (dir: string, i: number, redisArgs: string[]): Promise<{ proc: Proc, endpoint: Endpoint }> {
  const args = [CHAT_BIN, 'server', ...oursServerFlags(members), '--port', '0', '--key', join(dir, 'server_x25519'), '--state-dir', join(dir, `state${i}`), ...redisArgs, '--ready-json']
  const profile = values.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', String(values.profile)]
  const child = spawn(process.execPath, [...profile, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  new OutputWatch(child) // keeps the output drained (and its tail) while the node runs
  // The ready line comes after the banner, and after the "shared through Redis" line when shared.
  const ready = await waitForReadyLine(child, 'stdout', START_TIMEOUT_MS)
  return { proc: { name: `node${i + 1}`, child, pid: child.pid! }, endpoint: { protocol: 'ours', host: '127.0.0.1', port: ready.port, serverKey: ready.publicKey } }
}


function markdown (outcomes: Outcome[], loadBefore: string, loadAfter: string): string {
  const embedded = outcomes.find((o) => o.setup === 'embedded')?.best?.deliveredPerS
  const rows = outcomes.map((o) => {
    const b = o.best
    if (b === undefined) return `| ${o.setup} | none passed | | | | | |`
    const share = (prefix: string): number => Object.entries(o.cpu).filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0)
    const nodes = Object.entries(o.cpu).filter(([k]) => k.startsWith('node')).map(([, v]) => v.toFixed(0)).join(' + ')
    const ratio = embedded === undefined ? '' : (b.deliveredPerS / embedded).toFixed(2) + 'x'
    return `| ${o.setup} | ${b.rate} | ${Math.round(b.deliveredPerS)} | ${ratio} | ${b.p99Ms.toFixed(1)} | ${nodes} | ${share('redis').toFixed(0)} | ${share('worker').toFixed(0)} |`
  })
  return [
    '# bench:scale: one room over 1, 2 and 3 nodes behind Redis',
    '',
    `${members} members (spread round-robin over the nodes), ${senders} senders, ${stepMs} ms steps; the best rate that passed the chat bench's criterion (no loss, no reordering, nobody disconnected, p99 < 100 ms, generator on time).`,
    `Load before: \`${loadBefore}\`; after: \`${loadAfter}\`. CPU in % of one core over the step (2 cores in all, shared with whatever else runs).`,
    '',
    '| set-up | best rate msg/s | deliveries/s | vs embedded | p99 ms | node CPU % | redis CPU % | generator CPU % |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Steps:',
    '',
    ...outcomes.flatMap((o) => o.steps.map((s) => `- ${s}`)),
    ''
  ].join('\n')
}

function log (text: string): void {
  process.stderr.write(text + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:scale: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 1
})
