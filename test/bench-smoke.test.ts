import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseConfig, parseSize, QUICK_WORKLOAD } from '../bench/config.js'
import { FIGURE_NAMES } from '../bench/figures.js'
import { summarize, type BenchResults } from '../bench/results.js'

const RUN = fileURLToPath(new URL('../bench/run.js', import.meta.url))

// Smaller than --quick: the point is that every figure runs end to end and
// yields numbers, never how fast anything is (timings decide nothing here).
const TINY = ['--quick', '--bulk-bytes', '1MiB', '--small-count', '2000', '--handshakes', '8', '--concurrency', '4', '--sequential', '4', '--idle', '8']

function tempDir (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function bench (args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BENCH_') && k !== 'npm_lifecycle_event'))
  return spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8', env: { ...clean, ...env }, timeout: 60_000 })
}

test('a quick run measures every figure for each implementation and writes well-formed results', (t) => {
  const dir = tempDir(t)
  const out = join(dir, 'RESULTS.md')
  const json = join(dir, 'results.json')
  const r = bench([...TINY, '--impl', 'tls,ours', '--out', out, '--json', json])
  t.is(r.status, 0, r.stderr)

  const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults
  t.alike(results.impls.map((i) => i.name), ['tls', 'ours'])
  t.alike(results.figures, [...FIGURE_NAMES])
  t.is(results.samples.length, FIGURE_NAMES.length * 2, 'one sample per figure and implementation')
  for (const s of results.samples) {
    t.ok(Number.isFinite(s.value), `${s.figure} ${s.impl} is a finite number`)
    if (s.figure !== 'idle') t.ok(s.value > 0, `${s.figure} ${s.impl} is positive`) // idle RSS growth may be 0 for 8 connections
    t.ok(s.elapsedMs > 0, `${s.figure} ${s.impl} took measurable time`)
    if (s.figure === 'bulk' || s.figure === 'small') {
      t.ok(s.clientCpu! > 0 && s.clientCpu! < 3, `${s.figure} ${s.impl}: the client's CPU share is a number (${s.clientCpu})`)
      // Read from /proc in 10 ms ticks, and with the handshake in it: in a run of a few milliseconds it can exceed a core.
      t.ok(Number.isFinite(s.serverCpu) && s.serverCpu! >= 0, `${s.figure} ${s.impl}: the server's CPU share is a number (${s.serverCpu})`)
    }
    if (s.figure === 'idle') {
      t.ok(Number.isFinite(s.gcKiB), `idle ${s.impl}: the gc() reading is a number`)
      t.ok(Number.isFinite(s.reducedYoungKiB), `idle ${s.impl}: young generation after the memory-reducing GC is a number`)
    }
  }
  t.ok(results.machine.cores > 0 && results.machine.node === process.version, 'machine recorded')

  const md = readFileSync(out, 'utf8')
  t.ok(md.startsWith('# Benchmark results'))
  t.ok(md.includes('Quick mode'), 'a quick run says it is not comparable')
  t.ok(md.includes('| figure | TLS 1.3 ChaCha | noise-chat | noise-chat / TLS | target | verdict |'), 'medians table has a column per implementation')
  for (const target of ['>= 1.0x the faster TLS 1.3 suite', '>= 2.0x TLS 1.3', '>= 1.5x TLS 1.3', '<= 10 KiB']) t.ok(md.includes(target), `states target ${target}`)
  const verdicts = md.match(/\*\*(met|MISSED)\*\*/g) ?? []
  t.ok(verdicts.length >= FIGURE_NAMES.length, 'a verdict for every figure')
  t.ok(/\| bulk throughput, MB\/s \| [0-9.]+ \| [0-9.]+ \| [0-9.]+x \|/.test(md), 'bulk medians and ratio are numbers')
  t.ok(r.stdout.includes('bulk throughput: noise-chat'), 'the console shows each verdict as it goes')
  t.ok(md.includes('| implementation | RSS, memory-reducing GC (judged) | RSS, gc() only |'), 'the idle split shows both readings right after open')
  t.ok(/\| bulk throughput \| noise-chat \| [0-9]+% \| [0-9]+% \|/.test(md), 'each process\'s CPU during bulk is shown')
  t.ok(/\| noise-chat \| -?[0-9.]+ \| -?[0-9.]+ \| -?[0-9.]+ \|/.test(md.slice(md.indexOf('## Idle memory, split'))), 'both idle readings of ours are numbers')
})

test('--only and --impl filter, and a filtered run leaves bench/RESULTS.md alone', (t) => {
  const dir = tempDir(t)
  const json = join(dir, 'results.json')
  const r = bench([...TINY, '--json', json], { BENCH_ONLY: 'bulk', BENCH_IMPL: 'tcp' })
  t.is(r.status, 0, r.stderr)
  const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults
  t.alike(results.samples.map((s) => [s.figure, s.impl]), [['bulk', 'tcp']])
  t.ok(r.stdout.includes('Not writing bench/RESULTS.md'))
})

test('bulk is judged against the faster TLS suite; handshakes measure the ChaCha suite only', (t) => {
  const dir = tempDir(t)
  const json = join(dir, 'results.json')
  const r = bench([...TINY, '--only', 'bulk,handshakes', '--impl', 'tls,tls-aes,ours', '--json', json])
  t.is(r.status, 0, r.stderr)
  const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults
  t.alike(results.samples.filter((s) => s.figure === 'handshakes').map((s) => s.impl).sort(), ['ours', 'tls'], 'no AES row for handshakes')
  const [bulk] = summarize(results)
  const median = (name: string): number => bulk!.rows.find((row) => row.impl.name === name)!.median
  const faster = Math.max(median('tls'), median('tls-aes'))
  t.is(bulk!.ours!.ratioToTls, median('ours') / faster)
})

test('--profile writes a .cpuprofile per process and prints the top self time', (t) => {
  const dir = tempDir(t)
  const r = bench([...TINY, '--profile', '--only', 'small', '--profile-dir', dir])
  t.is(r.status, 0, r.stderr)
  for (const role of ['server', 'client']) {
    const files = r.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(join(dir, 'ours-small', role)) && l.endsWith('.cpuprofile'))
    t.is(files.length, 1, `one ${role} profile listed`)
    t.ok(files.length === 1 && existsSync(files[0]), `${role} profile exists`)
  }
  t.ok(/server \(ours, small\): \d+ ms busy/.test(r.stdout), 'server summary printed')
  t.ok(r.stdout.includes('by script:'))
})

test('an unknown figure is a usage error that names it', (t) => {
  const r = bench(['--only', 'bulk,warp'])
  t.is(r.status, 2)
  t.ok(r.stderr.includes("unknown name 'warp'"), r.stderr)
  t.is(r.stdout, '')
})

test('workload sizes come from flags over environment over --quick defaults', (t) => {
  const c = parseConfig(['--quick', '--bulk-bytes', '2MiB'], { BENCH_BULK_BYTES: '3MiB', BENCH_SMALL_COUNT: '1e3', BENCH_RUNS: '3' })
  t.is(c.workload.bulkBytes, 2 * 1024 * 1024, 'flag wins over env')
  t.is(c.workload.smallCount, 1000, 'env wins over quick default')
  t.is(c.workload.handshakes, QUICK_WORKLOAD.handshakes, 'quick default otherwise')
  t.is(c.runs, 3)
  t.is(parseSize('1GiB'), 1024 ** 3)
  t.is(parseSize('1_000_000'), 1_000_000)
  t.exception(() => parseSize('12 parsecs'), /not a whole number/)
})

test('the record-cipher readings: AEAD speeds and CPU per GiB for ours and both TLS suites, rendered with the comparison', async (t) => {
  const { measureCipherBound } = await import('../bench/cipher-bound.js')
  const { cipherBoundSection } = await import('../bench/cipher-bound-markdown.js')
  const benchDir = fileURLToPath(new URL('../bench/', import.meta.url))
  const bound = await measureCipherBound(benchDir, 1, 16 * 1024 * 1024)
  t.alike(bound.perGiB.map((p) => p.impl), ['ours', 'tls-chacha', 'tls-aes128'])
  for (const p of bound.perGiB) {
    t.ok(p.sender.user + p.sender.system > 0 && p.receiver.user + p.receiver.system > 0, `${p.impl}: CPU per GiB measured`)
    t.ok(p.mbPerS > 0, `${p.impl}: throughput measured`)
  }
  t.ok(bound.aeadSpeed !== null && bound.aeadSpeed.every((s) => s.gbPerS > 0), 'openssl speed read for both AEADs (openssl is installed here)')
  const text = cipherBoundSection(bound).join('\n')
  t.ok(text.includes('| noise-chat |') && text.includes('| TLS 1.3 AES-GCM |'), 'one row per implementation')
  t.ok(/ChaCha20-Poly1305 [\d.]+ GB\/s, AES-128-GCM [\d.]+ GB\/s/.test(text), 'the AEAD speeds are stated')
  t.ok(/Against AES-GCM noise-chat spends [\d.]+ s\/GiB (more|less); (the cipher difference above is [\d.]+ s|on this CPU ChaCha20-Poly1305 is the faster AEAD)/.test(text), 'the gap is set against the cipher difference, whichever way either goes')
})

test('bulk\'s receiver split: each process\'s CPU per GiB from the runs, and ours as raw TCP + the cipher + our own part', async (t) => {
  const { receiverFloorSection } = await import('../bench/receiver-floor-markdown.js')
  const sample = (impl: string, value: number, clientCpu: number, serverCpu: number): BenchResults['samples'][number] => ({ figure: 'bulk', impl: impl as any, run: 1, value, elapsedMs: 1, clientCpu, serverCpu })
  const results = {
    impls: [{ name: 'tcp', label: 'raw TCP' }, { name: 'tls', label: 'TLS 1.3 ChaCha' }, { name: 'ours', label: 'noise-chat' }],
    // 1073.74 MB per GiB: a full core at 1073.74 MB/s is 1.00 s/GiB.
    samples: [sample('tcp', 2147.48, 0.5, 1), sample('tls', 1073.74, 0.5, 0.7), sample('ours', 1073.74, 0.6, 1)],
    cipherBound: { aeadSpeed: [{ aead: 'chacha20-poly1305', gbPerS: 4.294967296 }], perGiB: [], sets: 1, bytes: 1 }
  } as unknown as BenchResults
  const text = receiverFloorSection(results).join('\n')
  t.ok(text.includes('| raw TCP | 0.25 | 0.50 |'), 'raw TCP: 0.5 and 1 of a core at 2 GiB/s')
  t.ok(text.includes('| noise-chat | 0.60 | 1.00 |'), 'ours: a full core at 1 GiB/s is 1.00 s/GiB')
  t.ok(text.includes('spent 1.00 s per GiB: 0.50 s is what raw TCP'), 'raw TCP\'s part')
  t.ok(text.includes('is 0.25 s; the remaining 0.25 s (25%) is our own'), 'the cipher at 4.29 GB/s is 0.25 s/GiB, the rest is ours')
  t.ok(text.includes('(with the same cipher, less than raw TCP plus the cipher)'), 'TLS at 0.70 s/GiB receives for less than raw TCP (0.50) plus the cipher (0.25)')
  t.is(receiverFloorSection({ ...results, samples: [] } as unknown as BenchResults).length, 0, 'no bulk samples with CPU: no section')
})
