/**
 * One measurement: fork a server and a client worker, run one figure for
 * one implementation, and return its number. Each measurement gets fresh
 * processes, so no implementation inherits another's heap, JIT state or
 * sockets.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { childChannel, type Channel } from './channel.js'
import type { Workload } from './config.js'
import type { FigureName } from './figures.js'
import type { ImplContext, ImplName } from './impls/impl.js'
import type { FromWorker, MemorySnapshot, ToWorker } from './messages.js'

/** This build's worker; a run passes its snapshot's instead (see snapshot.ts). */
const DEFAULT_WORKER = fileURLToPath(new URL('./worker.js', import.meta.url))

/** How long a worker may take to exit when told (profiles are written then). */
const EXIT_GRACE_MS = 15_000

export interface MeasureOptions {
  impl: ImplName
  figure: FigureName
  workload: Workload
  ctx: ImplContext
  timeoutMs: number
  /** The worker script to fork; default: the one beside this file. */
  worker?: string
  /** Extra node flags per role (e.g. --cpu-prof). */
  serverArgs?: string[]
  clientArgs?: string[]
  /** Told each worker's pid as it is forked (bench/perf-profile.ts keeps only their samples). */
  onSpawn?: (role: 'server' | 'client', pid: number) => void
}

/** One figure's number, plus memory details for idle. */
export interface Measurement {
  /** idle: RSS growth per connection right after open, after memory-reducing GCs (the judged reading). */
  value: number
  elapsedMs: number
  /** idle only: JS heap used + external (Buffers) growth per connection, KiB. */
  heapKiB?: number
  /** idle only: V8 heap committed, growth per connection, KiB. */
  heapTotalKiB?: number
  /** idle only: of that, V8's young generation (new space), KiB. */
  youngKiB?: number
  /** idle only: RSS growth per connection right after open after gc() only (young generation left grown), KiB. */
  gcKiB?: number
  /** idle only: young generation growth per connection after the memory-reducing GCs, KiB. */
  reducedYoungKiB?: number
  /** idle only: RSS growth per connection after the settle period, KiB. */
  settledKiB?: number
  /** bulk and small: CPU of each process over the timed window, as a share of one core (1 = a core busy throughout). */
  clientCpu?: number
  serverCpu?: number
  /** bulk and small: the server's minor page faults over the same window (a new page touched for the first time; see RESULTS.md). */
  serverFaults?: number
}

interface Worker { child: ChildProcess, channel: Channel<FromWorker, ToWorker> }

export async function measure (o: MeasureOptions): Promise<Measurement> {
  // --expose-gc lets the server read its memory after full collections.
  const worker = o.worker ?? DEFAULT_WORKER
  const server = spawnWorker(worker, 'server', ['--expose-gc', ...(o.serverArgs ?? [])])
  if (server.child.pid !== undefined) o.onSpawn?.('server', server.child.pid)
  let client: Worker | null = null
  try {
    server.channel.send({ type: 'start', role: 'server', impl: o.impl, figure: o.figure, workload: o.workload, ctx: o.ctx })
    const { port } = await server.channel.next('listening', o.timeoutMs)
    const server0 = processTimes(server.child.pid)
    client = spawnWorker(worker, 'client', o.clientArgs ?? [])
    if (client.child.pid !== undefined) o.onSpawn?.('client', client.child.pid)
    client.channel.send({ type: 'start', role: 'client', impl: o.impl, figure: o.figure, workload: o.workload, ctx: o.ctx, port })
    const result = o.figure === 'idle'
      ? await idleMemory(server, client, o.workload.idleSettleS * 1000, o.timeoutMs)
      : await race(client.channel.next('result', o.timeoutMs), server)
    const server1 = processTimes(server.child.pid)
    await checkServer(server, o)
    if (result.type !== 'result') return result.measurement
    const faults = result.cpu !== undefined && server0 !== null && server1 !== null ? { serverFaults: server1.minorFaults - server0.minorFaults } : {}
    return { value: result.value, elapsedMs: result.elapsedMs, ...cpuShares(result.cpu, server0?.cpuSeconds ?? null, server1?.cpuSeconds ?? null, result.elapsedMs), ...faults }
  } catch (err) {
    throw await withServerSide(err as Error, server)
  } finally {
    await Promise.all([stop(server), client === null ? null : stop(client)])
  }
}

/** The idle figure's choreography: warm up, baseline, open, measure. */
/**
 * The client's and server's CPU as shares of one core over the timed
 * window. The server's is read from /proc from before the client started
 * until the result: that adds only its accept and handshake, a millisecond
 * or so, to the transfer.
 */
function cpuShares (clientCpu: number | undefined, server0: number | null, server1: number | null, elapsedMs: number): Pick<Measurement, 'clientCpu' | 'serverCpu'> {
  const seconds = elapsedMs / 1000
  const out: Pick<Measurement, 'clientCpu' | 'serverCpu'> = {}
  if (clientCpu !== undefined) out.clientCpu = clientCpu / seconds
  if (server0 !== null && server1 !== null) out.serverCpu = (server1 - server0) / seconds
  return out
}

/** Clock ticks per second of /proc/PID/stat's times (getconf CLK_TCK; 100 on Linux unless built otherwise). */
let clockTicks: number | null = null

/** User + system CPU seconds a process has used so far, and its minor page faults, from /proc; null where there is none. */
function processTimes (pid: number | undefined): { cpuSeconds: number, minorFaults: number } | null {
  if (pid === undefined) return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces): state is field 3, minflt field 10, utime and stime fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / clockTicks, minorFaults: Number(fields[7]) }
  } catch {
    return null
  }
}

async function idleMemory (server: Worker, client: Worker, settleMs: number, timeoutMs: number): Promise<{ type: 'idle', measurement: Measurement }> {
  const t0 = Date.now()
  await race(client.channel.next('warm', timeoutMs), server)
  server.channel.send({ type: 'baseline' })
  const base = await race(server.channel.next('memory', timeoutMs), client)
  client.channel.send({ type: 'go' })
  const opened = await race(client.channel.next('opened', timeoutMs), server)
  server.channel.send({ type: 'measure', count: opened.count })
  const after = await race(server.channel.next('memory', timeoutMs), client)
  if (base.reduced === undefined || after.reduced === undefined) throw new Error('idle: the server sent no memory-reducing reading')
  const measurement = perConnection(base.memory, after.memory, base.reduced, after.reduced, opened.count, Date.now() - t0)
  if (settleMs > 0) {
    server.channel.send({ type: 'settle', ms: settleMs })
    const settled = (await race(server.channel.next('memory', timeoutMs + settleMs), client)).memory
    // Against the memory-reducing baseline: by now V8 has shrunk the young generation
    // the warm-up grew, and a gc() baseline would still count that growth as freed.
    measurement.settledKiB = (settled.rss - base.reduced.rss) / 1024 / opened.count
  }
  return { type: 'idle', measurement }
}

/**
 * Growth per connection in KiB. Each reading is against the baseline taken
 * the same way: gc() against gc(), memory-reducing against memory-reducing.
 */
export function perConnection (base: MemorySnapshot, after: MemorySnapshot, baseReduced: MemorySnapshot, afterReduced: MemorySnapshot, count: number, elapsedMs: number): Measurement {
  const kib = (bytes: number): number => bytes / 1024 / count
  return {
    value: kib(afterReduced.rss - baseReduced.rss),
    gcKiB: kib(after.rss - base.rss),
    reducedYoungKiB: kib(afterReduced.newSpace - baseReduced.newSpace),
    elapsedMs,
    heapKiB: kib(after.heapUsed + after.external - base.heapUsed - base.external),
    heapTotalKiB: kib(after.heapTotal - base.heapTotal),
    youngKiB: kib(after.newSpace - base.newSpace)
  }
}

/** Every handshake the client counted must have completed on the server too. */
async function checkServer (server: Worker, o: MeasureOptions): Promise<void> {
  server.channel.send({ type: 'stats' })
  const stats = await server.channel.next('stats', o.timeoutMs)
  if (stats.failed > 0) {
    throw new Error(`${o.impl} ${o.figure}: ${stats.failed} server-side handshakes failed (first: ${stats.firstFailure})`)
  }
}

/** Add the server's count of handshakes and its first failure to a client-side error. */
async function withServerSide (err: Error, server: Worker): Promise<Error> {
  try {
    server.channel.send({ type: 'stats' })
    const s = await server.channel.next('stats', 2000)
    err.message += ` [server: ${s.accepted} handshakes completed, ${s.failed} failed${s.firstFailure === null ? '' : `, first: ${s.firstFailure}`}]`
  } catch {}
  return err
}

/** Wait for `p`, but fail as soon as the other worker reports an error or dies. */
function race<T> (p: Promise<T>, other: Worker): Promise<T> {
  return Promise.race([p, other.channel.failed()])
}

function spawnWorker (script: string, role: string, execArgv: string[]): Worker {
  const child = fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return { child, channel: childChannel<FromWorker, ToWorker>(child, `${role} worker`) }
}

/** Ask a worker to exit (so profiles get written); kill it if it does not. */
async function stop (w: Worker): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()))
  w.channel.send({ type: 'exit' })
  const timer = setTimeout(() => w.child.kill('SIGKILL'), EXIT_GRACE_MS)
  await exited
  clearTimeout(timer)
}
