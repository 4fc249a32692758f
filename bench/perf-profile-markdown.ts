/**
 * RESULTS.md's whole-process profiles (pure): for each missed throughput
 * target, noise-chat beside the TLS suite it was judged against, CPU per
 * unit of work by category for each process's main thread, and what the
 * differences come to.
 */
import { FIGURES } from './figures.js'
import { formatValue, markdownTable, textTable } from './format.js'
import { CATEGORIES, type Category, type PerfSplit, type ProcessCpu } from './perf-profile.js'
import type { BenchResults, ImplInfo } from './results.js'

/** Rows below this many CPU seconds per unit in every column are left out: under a sample or two of a short run. */
const SHOWN_MIN_SECONDS = 0.005

/** Differences smaller than this (s per unit) are not named in the sentences: within one profiled run's noise. */
const NAMED_MIN_DIFFERENCE = 0.01

/** What each category is and what decides it: the key to reading the table. */
const MEANING: Record<Category, string> = {
  cipher: 'the record cipher\'s own code (ChaCha20 and Poly1305 for noise-chat and TLS ChaCha, AES-GCM for TLS AES-GCM), in OpenSSL or libsodium. PROTOCOL.md fixes ChaCha20-Poly1305 for noise-chat; on a CPU with AES instructions AES-GCM costs less per byte, and no framing can change that.',
  'kernel: copy to user (receive)': 'the kernel copying received bytes into the buffer a read gives it. Node\'s net.Socket reads into a new 64 KiB buffer each time, memory not yet in the cache; Node\'s TLS reads into the buffer of its BIO, which it reuses, so its copy is cheaper, and it pays later instead, when it copies each record\'s plaintext into a new buffer (its memcpy and allocator lines).',
  'kernel: copy from user (send)': 'the kernel copying what a write hands it into socket buffers.',
  'page faults': 'the first touch of memory the process just got, or got back, from the kernel: mostly new socket-read buffers (noise-chat, raw TCP) or new plaintext buffers (TLS), after the allocator gave freed ones back to the kernel.',
  'kernel: TCP/IP and loopback': 'the kernel\'s TCP and IP work, on loopback including the peer\'s segments and ACKs processed in this process\'s system calls and soft interrupts; the same protocol work for every implementation.',
  'kernel: waiting and waking': 'epoll, futexes and the scheduler.',
  'kernel: other (system call entry, timers)': 'the rest of the kernel: system call entry and exit, timer interrupts.',
  'allocator (malloc, free)': 'glibc\'s malloc and free: Buffers\' memory and V8\'s own.',
  'memcpy, memset (user space)': 'copies made in the process itself (Node\'s TLS copies each record\'s plaintext out of OpenSSL).',
  'V8: garbage collection': 'V8 collecting garbage on the main thread (its helper threads are in the last line).',
  'V8: start-up and compiling': 'V8 setting up the process, parsing and compiling JavaScript, and optimising hot functions.',
  'JavaScript of noise-chat (lib/)': 'noise-chat\'s own JavaScript (framing, checks, the stream) and the V8 builtins it calls.',
  'Node, V8 and other JavaScript': 'everything else on the main thread: Node\'s socket and stream code in JavaScript and C++, libuv, streamx, the bench\'s own loop.'
}

export function perfSection (r: BenchResults): string[] {
  const splits = r.perfSplits ?? []
  if (splits.length === 0 && r.perfUnavailable === undefined) return []
  const parts = ['## Where the CPU goes, whole process (perf)', '']
  if (splits.length === 0) {
    parts.push(`No whole-process profile: ${r.perfUnavailable ?? 'none was taken'}.`, '')
    return parts
  }
  parts.push(
    `For each throughput target missed, one more run each of noise-chat and of the TLS suite it was judged against, under \`perf record -a -g\` (cpu-clock at ${splits[0]!.sampleHz} Hz, kernel and user stacks; JavaScript frames named through \`node --perf-basic-prof\`). Unlike the V8 profile below, this sees the whole process: the kernel's side of each system call, page faults, and native code run straight from libuv. Each sample is put in the first category its stack fits, in the order of the table. Figures are CPU seconds per unit of work on each process's main thread, the one that runs JavaScript and the event loop and so bounds the stream; each process's other threads (V8's garbage-collection and compiler helpers) are the last line. Start-up and the handshake are in it too, a few hundredths of a second.`,
    ''
  )
  for (const figureName of ['bulk', 'small'] as const) {
    const ours = splits.find((s) => s.figure === figureName && s.impl === 'ours')
    const tls = splits.find((s) => s.figure === figureName && s.impl !== 'ours')
    if (ours === undefined || tls === undefined) continue
    parts.push(...figurePart(r, ours, tls))
  }
  parts.push('What the lines are:', '', ...CATEGORIES.map((c) => `- **${c}**: ${MEANING[c]}`), '')
  return parts
}

function figurePart (r: BenchResults, ours: PerfSplit, tls: PerfSplit): string[] {
  const fig = FIGURES.find((f) => f.name === ours.figure)!
  const unit = workUnit(ours)
  const label = (s: PerfSplit): string => implInfo(r, s.impl)?.label ?? s.impl
  const per = (s: PerfSplit, side: 'server' | 'client', c: Category): number => s[side].main[c] / s.units
  const rows = CATEGORIES
    .filter((c) => [ours, tls].some((s) => per(s, 'server', c) >= SHOWN_MIN_SECONDS || per(s, 'client', c) >= SHOWN_MIN_SECONDS))
    .map((c) => [c, ...sideCells(per(ours, 'server', c), per(tls, 'server', c)), ...sideCells(per(ours, 'client', c), per(tls, 'client', c))])
  const mainTotal = (s: PerfSplit, side: 'server' | 'client'): number => total(s[side]) / s.units
  const other = (s: PerfSplit, side: 'server' | 'client'): number => s[side].otherThreads / s.units
  rows.push(
    ['**main thread, in all**', ...sideCells(mainTotal(ours, 'server'), mainTotal(tls, 'server')), ...sideCells(mainTotal(ours, 'client'), mainTotal(tls, 'client'))],
    ['other threads, in all', ...sideCells(other(ours, 'server'), other(tls, 'server')), ...sideCells(other(ours, 'client'), other(tls, 'client'))]
  )
  const header = [`CPU s per ${unit}`, `noise-chat receiver`, `${label(tls)} receiver`, 'difference', 'noise-chat sender', `${label(tls)} sender`, 'difference']
  return [
    `### ${fig.title}`,
    '',
    `Under perf: noise-chat ${ours.value.toFixed(0)} ${fig.unit}, ${label(tls)} ${tls.value.toFixed(0)} ${fig.unit} (the profiler slows both a little). The receiver is the server, the sender the client.`,
    '',
    markdownTable(header, rows),
    '',
    ...verdict(ours, tls, label(tls), unit, cipherRates(r, tls.impl)),
    ''
  ]
}

/** One profiled run as console text: the value under perf, then each process's main thread by category and its other threads. */
export function perfCategoriesText (s: PerfSplit, unit: string): string {
  const per = workUnit(s)
  const rows = CATEGORIES.map((c) => [c, s2(s.server.main[c] / s.units), s2(s.client.main[c] / s.units)])
  rows.push(
    ['main thread, in all', s2(total(s.server) / s.units), s2(total(s.client) / s.units)],
    ['other threads, in all', s2(s.server.otherThreads / s.units), s2(s.client.otherThreads / s.units)]
  )
  const table = textTable([[`CPU s per ${per}`, 'receiver (server)', 'sender (client)'], ...rows]).split('\n').map((l) => '  ' + l).join('\n')
  return `  ${formatValue(s.value, unit)} ${unit} under perf\n${table}`
}

/** What `units` counts: GiB for bulk, millions of messages for small. */
function workUnit (s: PerfSplit): string {
  return s.figure === 'bulk' ? 'GiB' : 'million messages'
}

function implInfo (r: BenchResults, name: string): ImplInfo | undefined {
  return r.impls.find((i) => i.name === name)
}

function total (p: ProcessCpu): number {
  return CATEGORIES.reduce((sum, c) => sum + p.main[c], 0)
}

const s2 = (x: number): string => x.toFixed(2)
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`

function sideCells (ours: number, tls: number): string[] {
  return [s2(ours), s2(tls), signed(ours - tls)]
}

/** Seconds per GiB each AEAD takes at one core's `openssl speed` rate: noise-chat's (ChaCha20-Poly1305) and the TLS suite's; null without the reading. */
interface CipherRates { ours: number, tls: number, tlsAead: string }

function cipherRates (r: BenchResults, tlsImpl: string): CipherRates | null {
  const tlsAead = tlsImpl === 'tls-aes' ? 'aes-128-gcm' : 'chacha20-poly1305'
  const speed = (aead: string): number | undefined => r.cipherBound?.aeadSpeed?.find((s) => s.aead === aead)?.gbPerS
  const [chacha, other] = [speed('chacha20-poly1305'), speed(tlsAead)]
  if (chacha === undefined || other === undefined) return null
  const perGiB = (gbPerS: number): number => 1024 ** 3 / 1e9 / gbPerS
  return { ours: perGiB(chacha), tls: perGiB(other), tlsAead: tlsAead === 'aes-128-gcm' ? 'AES-128-GCM' : 'ChaCha20-Poly1305' }
}

/**
 * The cipher line's difference split in two: what the AEADs themselves
 * cost at `openssl speed`'s rate, and how far each runs below that rate in
 * its process. Only for bulk: the rates are per byte of 64 KiB buffers.
 */
function cipherSplitText (cipher: number, rates: CipherRates, ours: number, tls: number, side: 'server' | 'client'): string {
  const intrinsic = rates.ours - rates.tls
  const where = side === 'server' ? ' (for noise-chat\'s receiver, the read-path reading above measures what reading from the buffers Node allocates for each socket read does to it)' : ''
  return ` Of the cipher's ${signed(cipher)} s, ${signed(intrinsic)} s is the two AEADs at one core's \`openssl speed\` rate (ChaCha20-Poly1305, which PROTOCOL.md fixes, against ${rates.tlsAead}: ${s2(rates.ours)} against ${s2(rates.tls)} s per GiB), and ${signed(cipher - intrinsic)} s is how much further each falls below that rate where it runs: noise-chat's ${s2(ours)} s is ${s2(ours - rates.ours)} s over its rate, TLS's ${s2(tls)} s ${s2(tls - rates.tls)} s over its own${where}.`
}

/**
 * What the table comes to, for each process: the cipher's difference and
 * the rest's, and the lines that differ most either way.
 */
function verdict (ours: PerfSplit, tls: PerfSplit, tlsLabel: string, unit: string, rates: CipherRates | null): string[] {
  const lines: string[] = []
  for (const [side, name] of [['server', 'receiver'], ['client', 'sender']] as const) {
    const diff = (c: Category): number => (ours[side].main[c] / ours.units) - (tls[side].main[c] / tls.units)
    const cipher = diff('cipher')
    const rest = CATEGORIES.filter((c) => c !== 'cipher').reduce((sum, c) => sum + diff(c), 0)
    const more = CATEGORIES.filter((c) => c !== 'cipher' && diff(c) >= NAMED_MIN_DIFFERENCE).sort((a, b) => diff(b) - diff(a))
    const less = CATEGORIES.filter((c) => c !== 'cipher' && diff(c) <= -NAMED_MIN_DIFFERENCE).sort((a, b) => diff(a) - diff(b))
    const named = (cs: Category[]): string => cs.map((c) => `${c} ${signed(diff(c))}`).join(', ')
    let text = `- **${name}**: against ${tlsLabel}, noise-chat's ${name} spends ${signed(cipher)} s per ${unit} on the cipher and ${signed(rest)} s on everything else together`
    text += more.length > 0 ? `; more on ${named(more)}` : ''
    text += less.length > 0 ? `; less on ${named(less)}` : ''
    text += '.'
    if (rates !== null && ours.figure === 'bulk') text += cipherSplitText(cipher, rates, ours[side].main.cipher / ours.units, tls[side].main.cipher / tls.units, side)
    text += ' '
    const restCounts = rest >= NAMED_MIN_DIFFERENCE
    if (cipher > 0 && !restCounts) text += `Everything but the cipher line costs noise-chat's ${name} no more than ${tlsLabel}'s (${signed(rest)} s together): the gap is in the cipher line.`
    else if (cipher > 0) text += `Beyond the cipher line, ${signed(rest)} s is noise-chat's ${name}'s own, chiefly in the lines named first.`
    else if (restCounts) text += `The cipher costs noise-chat no more than ${tlsLabel}'s; the ${signed(rest)} s is in the lines named first.`
    else text += `noise-chat's ${name} spends no more than ${tlsLabel}'s on any of it.`
    lines.push(text)
  }
  return lines
}
