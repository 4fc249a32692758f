import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resultsMarkdown } from '../bench/markdown.js'
import { CATEGORIES, classify, emptySeconds, parsePerfScript, processCpu, type PerfSplit } from '../bench/perf-profile.js'
import type { BenchResults } from '../bench/results.js'

// Real `perf script -F pid,tid,period,ip,sym,dso` output: samples picked from
// a bulk run of noise-chat recorded with --perf-basic-prof (server pid 7025,
// its main thread, one of its helper threads, then one sample of the client,
// pid 7037), the checkout's path replaced by /checkout.
const FIXTURE = readFileSync(fileURLToPath(new URL('../../test/fixtures/perf-script-bulk.txt', import.meta.url)), 'utf8')
const OURS = ['/checkout/node_modules/.cache/noise-chat-bench/run-1']
const RUN = fileURLToPath(new URL('../bench/run.js', import.meta.url))

test('perf script output parses into samples with pid, thread, period and the whole stack', (t) => {
  const samples = parsePerfScript(FIXTURE)
  t.is(samples.length, 12)
  t.alike(samples.map((s) => s.pid), [...Array(11).fill(7025), 7037])
  t.ok(samples.slice(0, 10).every((s) => s.tid === 7025), 'main-thread samples first')
  t.not(samples[10]!.tid, 7025, 'then one of its other threads')
  t.ok(samples.every((s) => s.periodNs > 100_000 && s.periodNs < 1_000_000), 'cpu-clock periods in ns')
  t.ok(samples.every((s) => s.frames.length > 0))
  t.alike(samples[0]!.frames[0], { symbol: 'chacha20_poly1305_aead_cipher', dso: '/usr/bin/node' })
})

test('each sample lands in the category its stack says', (t) => {
  const got = parsePerfScript(FIXTURE).slice(0, 10).map((s) => classify(s.frames, OURS))
  t.alike(got, [
    'cipher',
    'kernel: copy to user (receive)',
    'page faults',
    'kernel: TCP/IP and loopback',
    'kernel: waiting and waking',
    'allocator (malloc, free)',
    'memcpy, memset (user space)',
    'V8: garbage collection',
    'JavaScript of noise-chat (lib/)',
    'Node, V8 and other JavaScript'
  ])
  const ours = parsePerfScript(FIXTURE)[8]!
  t.is(classify(ours.frames, ['/elsewhere']), 'Node, V8 and other JavaScript', 'JavaScript is ours only under our own folders')
  t.is(classify([], OURS), 'Node, V8 and other JavaScript', 'an empty stack is not lost')
})

test('a process is split into its main thread by category and its other threads in all; other processes are left out', (t) => {
  const samples = parsePerfScript(FIXTURE)
  const server = processCpu(samples, 7025, OURS)
  const mainNs = samples.filter((s) => s.pid === 7025 && s.tid === 7025).reduce((n, s) => n + s.periodNs, 0)
  const sum = CATEGORIES.reduce((n, c) => n + server.main[c], 0)
  t.ok(Math.abs(sum - mainNs / 1e9) < 1e-12, 'every main-thread sample counted once')
  t.is(server.otherThreads, samples[10]!.periodNs / 1e9)
  t.is(server.main.cipher, samples[0]!.periodNs / 1e9)
  const client = processCpu(samples, 7037, OURS)
  t.is(client.otherThreads, 0)
  t.is(CATEGORIES.reduce((n, c) => n + client.main[c], 0), samples[11]!.periodNs / 1e9)
})

function split (impl: 'ours' | 'tls-aes', server: Partial<Record<string, number>>, value: number): PerfSplit {
  const main = { ...emptySeconds(), ...server }
  return { impl, figure: 'bulk', value, units: 1, sampleHz: 4999, server: { main, otherThreads: 0.2 }, client: { main: { ...emptySeconds(), cipher: 0.3 }, otherThreads: 0.1 } }
}

function results (perfSplits: PerfSplit[] | undefined, perfUnavailable?: string): BenchResults {
  return {
    startedAt: '2026-12-08T00:00:00.000Z', elapsedS: 1, command: 'test', source: null, libHash: 'x', runs: 1, quick: false,
    machine: { node: 'v20', platform: 'linux x64', cpu: 'cpu', cores: 2, memoryGiB: 1, loadAtStart: [0, 0, 0], loadAtEnd: [0, 0, 0] },
    workload: { bulkBytes: 1024 ** 3, bulkChunk: 65536, smallCount: 1, smallSize: 1, handshakes: 1, concurrency: 1, sequential: 1, idle: 1, idleSettleS: 0, idleRuns: 1 },
    figures: ['bulk'],
    impls: [{ name: 'tls-aes', label: 'TLS 1.3 AES-GCM', detail: '' }, { name: 'ours', label: 'noise-chat', detail: '' }],
    missing: [], samples: [], profiles: [], perfSplits, perfUnavailable
  }
}

test('RESULTS.md sets noise-chat beside the TLS suite line by line and says what the difference comes to', (t) => {
  const md = resultsMarkdown(results([
    split('ours', { cipher: 0.42, 'kernel: copy to user (receive)': 0.15, 'memcpy, memset (user space)': 0.01 }, 893),
    split('tls-aes', { cipher: 0.27, 'kernel: copy to user (receive)': 0.06, 'memcpy, memset (user space)': 0.12, 'allocator (malloc, free)': 0.08 }, 829)
  ]))
  t.ok(md.includes('## Where the CPU goes, whole process (perf)'))
  t.ok(md.includes('| CPU s per GiB | noise-chat receiver | TLS 1.3 AES-GCM receiver | difference | noise-chat sender | TLS 1.3 AES-GCM sender | difference |'))
  t.ok(md.includes('| cipher | 0.42 | 0.27 | +0.15 | 0.30 | 0.30 | +0.00 |'), 'the cipher row, both processes')
  t.ok(md.includes('| **main thread, in all** | 0.58 | 0.53 | +0.05 |'), 'main-thread totals')
  t.ok(md.includes('spends +0.15 s per GiB on the cipher and -0.10 s on everything else together'), 'the receiver sentence adds up the rows')
  t.ok(md.includes('more on kernel: copy to user (receive) +0.09; less on memcpy, memset (user space) -0.11, allocator (malloc, free) -0.08'), 'names the lines that differ, largest first')
  t.ok(md.includes("Everything but the cipher line costs noise-chat's receiver no more than TLS 1.3 AES-GCM's (-0.10 s together): the gap is in the cipher line."))
  t.ok(!md.includes('| V8: garbage collection |'), 'rows that are zero everywhere are left out')
  for (const c of CATEGORIES) t.ok(md.includes(`- **${c}**: `), `says what "${c}" is`)
})

test('with the AEAD speeds measured, the cipher line is split into the AEADs themselves and how far each runs below its rate', (t) => {
  const r = results([
    split('ours', { cipher: 0.42 }, 893),
    split('tls-aes', { cipher: 0.27 }, 829)
  ])
  r.cipherBound = { aeadSpeed: [{ aead: 'chacha20-poly1305', gbPerS: 4.27 }, { aead: 'aes-128-gcm', gbPerS: 4.71 }], perGiB: [], sets: 3, bytes: 1024 ** 3 }
  const md = resultsMarkdown(r)
  t.ok(md.includes("Of the cipher's +0.15 s, +0.02 s is the two AEADs at one core's `openssl speed` rate (ChaCha20-Poly1305, which PROTOCOL.md fixes, against AES-128-GCM: 0.25 against 0.23 s per GiB), and +0.13 s is how much further each falls below that rate where it runs: noise-chat's 0.42 s is 0.17 s over its rate, TLS's 0.27 s 0.04 s over its own"))
  t.ok(md.includes('the read-path reading above measures'), 'the receiver is pointed at the read-path reading')
})

test('a run where raw TCP\'s receiver faulted more than ours gives no floor estimate from it, and says why', (t) => {
  const r = results(undefined)
  r.impls = [{ name: 'tcp', label: 'raw TCP', detail: '' }, { name: 'ours', label: 'noise-chat', detail: '' }]
  const bulk = (impl: 'tcp' | 'ours', run: number, serverCpu: number, serverFaults: number) => ({ figure: 'bulk' as const, impl, run, value: 1000, elapsedMs: 1074, clientCpu: 0.5, serverCpu, serverFaults })
  r.samples = [bulk('tcp', 1, 1.9, 111_000), bulk('ours', 1, 1.25, 10_000)]
  r.cipherBound = { aeadSpeed: [{ aead: 'chacha20-poly1305', gbPerS: 4.27 }, { aead: 'aes-128-gcm', gbPerS: 4.71 }], perGiB: [], sets: 3, bytes: 1024 ** 3 }
  const md = resultsMarkdown(r)
  t.ok(md.includes('| raw TCP | 0.54 | 2.04 | 111k (111k-111k) |'), 'the page faults per GiB beside the CPU')
  t.ok(md.includes("In this run raw TCP's receiver spent 2.04 s per GiB, more than noise-chat's 1.34 s less the cipher's 0.25 s, with 111k page faults per GiB (median) against noise-chat's 10k"))
  t.ok(!md.includes("within the estimate's error"), 'no negative remainder passed off as error')
})

test('RESULTS.md says why there is no whole-process profile when perf could not run', (t) => {
  const md = resultsMarkdown(results(undefined, 'perf could not be run (spawn perf ENOENT); on Debian it is the linux-perf package'))
  t.ok(md.includes('No whole-process profile: perf could not be run (spawn perf ENOENT); on Debian it is the linux-perf package.'))
  t.ok(!resultsMarkdown(results(undefined)).includes('whole process (perf)'), 'and nothing at all when none was asked for')
})

test('--perf-profile runs bulk under perf and prints each process by category', (t) => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BENCH_')))
  const r = spawnSync(process.execPath, [RUN, '--perf-profile', '--quick', '--only', 'bulk', '--impl', 'ours', '--bulk-bytes', '64MiB'], { encoding: 'utf8', env: clean, timeout: 120_000 })
  t.is(r.status, 0, r.stderr)
  t.ok(r.stdout.includes('== noise-chat on bulk under perf (whole process)'))
  t.ok(/MB\/s under perf/.test(r.stdout))
  for (const c of CATEGORIES) t.ok(new RegExp(`^\\s+${c.replace(/[()]/g, '\\$&')}\\s+\\d+\\.\\d\\d\\s+\\d+\\.\\d\\d$`, 'm').test(r.stdout), `a row for ${c}`)
  const main = /main thread, in all\s+(\d+\.\d\d)\s+(\d+\.\d\d)/.exec(r.stdout)
  t.ok(main !== null && Number(main[1]) > 0 && Number(main[2]) > 0, 'both processes were sampled')
  const cipher = /^\s+cipher\s+(\d+\.\d\d)/m.exec(r.stdout)
  t.ok(cipher !== null && Number(cipher[1]) > 0, 'the receiver spent time in the cipher: the addon\'s frames are seen')
})
