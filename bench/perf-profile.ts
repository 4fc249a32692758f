/**
 * A whole-process profile of one measurement under Linux perf: where each
 * process's CPU went, the kernel and native code included. V8's --cpu-prof
 * sees only JavaScript, so it cannot show the kernel's copy of each socket
 * read, page faults, TCP work, or a cipher that OpenSSL runs straight from
 * a libuv callback (Node's TLS). Here every sample's stack is put in one of
 * a few categories, so two implementations can be compared line by line.
 *
 * It needs `perf` (Debian's linux-perf) and permission to record every CPU
 * (root, or kernel.perf_event_paranoid <= 0).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import type { Workload } from './config.js'
import type { FigureName } from './figures.js'
import type { ImplContext, ImplName } from './impls/impl.js'
import { measure } from './measure.js'

/** Samples per second per CPU: about 0.2 ms of CPU each, thousands per process in a 1 GiB bulk run; odd, so it does not beat in step with 1 ms or 10 ms timers. */
export const PERF_SAMPLE_HZ = 4999

/** perf record -a opens one event per CPU before it records; its start is not announced, and a second is ample on 2 cores. */
const PERF_START_MS = 1000

/** Longest `perf script` output read back (a 1 GiB bulk run writes some tens of MiB). */
const PERF_SCRIPT_MAX_BYTES = 1024 ** 3

/** Where a sample's CPU time went, judged from its stack; the first that applies, in this order. */
export const CATEGORIES = [
  'cipher',
  'kernel: copy to user (receive)',
  'kernel: copy from user (send)',
  'page faults',
  'kernel: TCP/IP and loopback',
  'kernel: waiting and waking',
  'kernel: other (system call entry, timers)',
  'allocator (malloc, free)',
  'memcpy, memset (user space)',
  'V8: garbage collection',
  'V8: start-up and compiling',
  'JavaScript of noise-chat (lib/)',
  'Node, V8 and other JavaScript'
] as const

export type Category = typeof CATEGORIES[number]

/** One frame of a sampled stack, as `perf script` names it. */
export interface Frame {
  symbol: string
  /** The object it is in: [kernel.kallsyms], a shared library, the node binary, or a /tmp/perf-PID.map of JIT code. */
  dso: string
}

/** CPU seconds per category. */
export type CategorySeconds = Record<Category, number>

/** One process: its main (JavaScript) thread by category, and its other threads in all (V8's GC and compiler helpers, libuv's pool). */
export interface ProcessCpu {
  main: CategorySeconds
  otherThreads: number
}

/** What a profiled measurement gives: the figure's value under perf, and each process's CPU. */
export interface PerfSplit {
  impl: ImplName
  figure: FigureName
  /** The figure as measured under perf (a little lower than unprofiled). */
  value: number
  /** Units of work done, for per-unit figures: GiB for bulk, millions of messages for small. */
  units: number
  sampleHz: number
  server: ProcessCpu
  client: ProcessCpu
}

const CIPHER = /chacha|poly1305|aesni|aes_gcm|gcm_ghash|gcm_gmult|ghash_|_aes_|aes_ctr32|ossl_aes/i
const PAGE_FAULT = /^(asm_)?exc_page_fault$/
const COPY_TO_USER = /^(_copy_to_iter|simple_copy_to_iter|__skb_datagram_iter|skb_copy_datagram_iter)$/
const COPY_FROM_USER = /^(_copy_from_iter|skb_do_copy_data_nocache|skb_copy_to_page_nocache)$/
const TCP_IP = /^(__?tcp_|tcp_|__?ip_|ip6?_|ipv6_|__?inet_|net_rx_action|__?netif_|process_backlog|loopback_xmit|__?dev_queue_xmit|dev_hard_start_xmit|__?sk_|sk_|__?sock_|sock_|__?skb_|skb_|kfree_skb|consume_skb|release_sock|lock_sock)/
const WAITING = /schedule|epoll|futex|try_to_wake_up|wake_up|nanosleep/
const ALLOCATOR = /malloc|free|_int_|realloc|calloc|tcache|unlink_chunk|systrim|consolidate/
const MEMCPY = /memmove|memcpy|memset/
const GC = /v8::internal::(Heap::(CollectGarbage|CollectAllGarbage|PerformGarbageCollection|Scavenge|MarkCompact|IterateRoots|GarbageCollection|StartIncrementalMarking|FinalizeIncrementalMarking)|Scavenger|ScavengerCollector|MarkCompactCollector|MinorMarkCompactCollector|MinorMarkSweepCollector|ConcurrentMarking|Sweeper|ArrayBufferSweeper|IncrementalMarking|GCTracer)/
const COMPILING = /v8::internal::(compiler::|Compiler::|maglev::|baseline::|Parser|Scanner|Deserializer|interpreter::Bytecode|CodeGenerator|Snapshot)/

const isKernel = (f: Frame): boolean => f.dso === '[kernel.kallsyms]'

/**
 * The category of one sample, from its stack (leaf first). `ourCode` are
 * the folders whose lib/ is this package's own JavaScript (the bench's
 * snapshot, the checkout).
 */
export function classify (frames: readonly Frame[], ourCode: readonly string[]): Category {
  const leaf = frames[0]
  if (leaf === undefined) return 'Node, V8 and other JavaScript'
  if (CIPHER.test(leaf.symbol) && !isKernel(leaf)) return 'cipher'
  if (frames.some((f) => isKernel(f) && PAGE_FAULT.test(f.symbol))) return 'page faults'
  if (isKernel(leaf)) return kernelCategory(frames.filter(isKernel))
  if (ALLOCATOR.test(leaf.symbol) && leaf.dso.includes('libc')) return 'allocator (malloc, free)'
  if (MEMCPY.test(leaf.symbol)) return 'memcpy, memset (user space)'
  if (frames.some((f) => GC.test(f.symbol))) return 'V8: garbage collection'
  if (frames.some((f) => COMPILING.test(f.symbol))) return 'V8: start-up and compiling'
  // JavaScript: the function nearest the leaf decides whose it is, so V8's builtins count for the code that called them.
  const js = frames.find((f) => f.symbol.startsWith('JS:'))
  if (js !== undefined && ourCode.some((root) => js.symbol.includes(`${root}/lib/`))) return 'JavaScript of noise-chat (lib/)'
  return 'Node, V8 and other JavaScript'
}

function kernelCategory (kernel: readonly Frame[]): Category {
  const has = (re: RegExp): boolean => kernel.some((f) => re.test(f.symbol))
  if (has(COPY_TO_USER)) return 'kernel: copy to user (receive)'
  if (has(COPY_FROM_USER)) return 'kernel: copy from user (send)'
  if (has(TCP_IP)) return 'kernel: TCP/IP and loopback'
  if (has(WAITING)) return 'kernel: waiting and waking'
  return 'kernel: other (system call entry, timers)'
}

export function emptySeconds (): CategorySeconds {
  return Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as CategorySeconds
}

/** A sample of `perf script -F pid,tid,period,ip,sym,dso`: who, how long (ns of cpu-clock), and its stack. */
export interface PerfSample {
  pid: number
  tid: number
  periodNs: number
  frames: Frame[]
}

const HEADER = /^\s*(\d+)\/(\d+)\s+(\d+)\s*$/
const FRAME = /^\s*[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$/

/** Parse `perf script -F pid,tid,period,ip,sym,dso` output: blocks separated by blank lines, a header then one frame per line. */
export function parsePerfScript (text: string): PerfSample[] {
  const samples: PerfSample[] = []
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '')
    const head = HEADER.exec(lines[0] ?? '')
    if (head === null) continue
    const frames: Frame[] = []
    for (const line of lines.slice(1)) {
      const m = FRAME.exec(line)
      if (m !== null) frames.push({ symbol: m[1]!, dso: m[2]! })
    }
    samples.push({ pid: Number(head[1]), tid: Number(head[2]), periodNs: Number(head[3]), frames })
  }
  return samples
}

/** One process's CPU from the samples: its main thread by category, its other threads in all. */
export function processCpu (samples: readonly PerfSample[], pid: number, ourCode: readonly string[]): ProcessCpu {
  const main = emptySeconds()
  let otherThreads = 0
  for (const s of samples) {
    if (s.pid !== pid) continue
    const seconds = s.periodNs / 1e9
    if (s.tid === pid) main[classify(s.frames, ourCode)] += seconds
    else otherThreads += seconds
  }
  return { main, otherThreads }
}

/** Why perf cannot record here, or null when it can. */
export function perfUnavailable (): string | null {
  const r = spawnSync('perf', ['record', '-e', 'cpu-clock', '-a', '-o', '/dev/null', '--', 'true'], { encoding: 'utf8' })
  if (r.error !== undefined) return `perf could not be run (${r.error.message}); on Debian it is the linux-perf package`
  if (r.status !== 0) return `perf record -a failed: ${(r.stderr.split('\n').find((l) => l.trim() !== '') ?? `exit ${r.status}`).trim()}`
  return null
}

export interface PerfRequest {
  impl: ImplName
  figure: 'bulk' | 'small'
  workload: Workload
  ctx: ImplContext
  timeoutMs: number
  worker?: string
  /** Folders whose lib/ is this package's JavaScript. */
  ourCode: string[]
}

/**
 * One measurement with `perf record -a -g` running around it, JavaScript
 * frames named through --perf-basic-prof; the samples of the two workers
 * are kept and split. Start-up and the handshake are in the profile too:
 * small beside a full-sized transfer.
 */
export async function perfProfiledRun (r: PerfRequest): Promise<PerfSplit> {
  const dir = mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-perf-'))
  const data = join(dir, 'perf.data')
  const pids = { server: 0, client: 0 }
  try {
    const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', String(PERF_SAMPLE_HZ), '-g', '-a', '-o', data], { stdio: ['ignore', 'ignore', 'pipe'] })
    let perfErr = ''
    perf.stderr.on('data', (d: Buffer) => { perfErr += d.toString() })
    const exited = new Promise<number | null>((resolve) => perf.once('close', (code) => resolve(code)))
    await new Promise((resolve) => setTimeout(resolve, PERF_START_MS))
    if (perf.exitCode !== null) throw new Error(`perf record stopped at once: ${perfErr.trim()}`)
    let value: number
    try {
      const m = await measure({
        impl: r.impl,
        figure: r.figure,
        workload: r.workload,
        ctx: r.ctx,
        timeoutMs: r.timeoutMs,
        worker: r.worker,
        serverArgs: ['--perf-basic-prof'],
        clientArgs: ['--perf-basic-prof'],
        onSpawn: (role, pid) => { pids[role] = pid }
      })
      value = m.value
    } finally {
      perf.kill('SIGINT')
      await exited
    }
    const script = spawnSync('perf', ['script', '-i', data, '-F', 'pid,tid,period,ip,sym,dso', `--pid=${pids.server},${pids.client}`], { encoding: 'utf8', maxBuffer: PERF_SCRIPT_MAX_BYTES })
    if (script.status !== 0) throw new Error(`perf script failed: ${script.stderr.trim() || script.error?.message}`)
    const samples = parsePerfScript(script.stdout)
    return {
      impl: r.impl,
      figure: r.figure,
      value,
      units: r.figure === 'bulk' ? r.workload.bulkBytes / 1024 ** 3 : r.workload.smallCount / 1e6,
      sampleHz: PERF_SAMPLE_HZ,
      server: processCpu(samples, pids.server, r.ourCode),
      client: processCpu(samples, pids.client, r.ourCode)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    // V8 writes its map of JIT code to /tmp whatever TMPDIR says.
    for (const pid of Object.values(pids)) if (pid !== 0) rmSync(`/tmp/perf-${pid}.map`, { force: true })
  }
}
