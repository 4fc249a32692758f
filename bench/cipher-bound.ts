/**
 * What the record cipher alone allows: the figures behind "why bulk and
 * small writes stay below TLS 1.3 with AES-GCM". PROTOCOL.md fixes
 * ChaCha20-Poly1305 as the transport cipher; where AES-GCM is faster on a
 * CPU, no per-frame work of ours can make up the difference. Two readings,
 * both taken by the same full run that writes RESULTS.md:
 *
 * - one core's AEAD speed on 64 KiB, from `openssl speed -evp` (the
 *   system's OpenSSL, the same assembly as the OpenSSL inside Node);
 * - CPU seconds per GiB of the bulk transfer in the sender and in the
 *   receiver for ours, TLS ChaCha and TLS AES-128-GCM (bench/bulk-cpu.ts),
 *   interleaved, medians: a figure the machine's load barely moves.
 */
import { execFile, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Cpu } from './bulk-cpu.js'
import type { ReadMode, ReadPathResult } from './read-path.js'
import { median } from './stats.js'

const run = promisify(execFile)

/** The AEADs `openssl speed` is asked about, by its names, with ours first. */
const AEADS = ['chacha20-poly1305', 'aes-128-gcm'] as const

/** bulk-cpu implementations compared, with the labels RESULTS.md uses. */
const IMPLS: Array<{ impl: string, label: string }> = [
  { impl: 'ours', label: 'noise-chat' },
  { impl: 'tls-chacha', label: 'TLS 1.3 ChaCha' },
  { impl: 'tls-aes128', label: 'TLS 1.3 AES-GCM' }
]

export interface AeadSpeed { aead: string, gbPerS: number }
export interface CpuPerGiB { impl: string, label: string, sender: Cpu, receiver: Cpu, mbPerS: number }

export interface CipherBound {
  /** null when the openssl CLI is not installed. */
  aeadSpeed: AeadSpeed[] | null
  perGiB: CpuPerGiB[]
  /** The cipher over received bytes, reading into a new buffer each time and into one reused buffer (bench/read-path.ts), medians; absent in results from before it was measured. */
  readPath?: Record<ReadMode, ReadPathResult>
  sets: number
  bytes: number
}

/** One core's speed of `aead` on 64 KiB buffers, GB/s; null when openssl is missing or says nothing parsable. */
export function opensslSpeed (aead: string): number | null {
  const r = spawnSync('openssl', ['speed', '-evp', aead, '-bytes', '65536', '-seconds', '1'], { encoding: 'utf8' })
  if (r.status !== 0) return null
  // The last line: "<name>  <thousands of bytes per second>k".
  const m = /\s([\d.]+)k\s*$/.exec(r.stdout.trim())
  return m === null ? null : Number(m[1]) * 1000 / 1e9
}

async function bulkCpu (script: string, impl: string, bytes: number): Promise<{ sender: Cpu, receiver: Cpu, mbPerS: number }> {
  const { stdout } = await run(process.execPath, [script, impl, String(bytes)], { env: { ...process.env, BULK_CPU_JSON: '1' }, timeout: 300_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

async function readPath (script: string, mode: ReadMode, bytes: number): Promise<ReadPathResult> {
  const { stdout } = await run(process.execPath, [script, mode, String(bytes)], { env: { ...process.env, READ_PATH_JSON: '1' }, timeout: 300_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

/** `sets` interleaved rounds of every implementation, and of both read paths, with the scripts of `benchDir` (a build's dist/bench); medians per field. */
export async function measureCipherBound (benchDir: string, sets: number, bytes: number): Promise<CipherBound> {
  const samples = new Map<string, Array<{ sender: Cpu, receiver: Cpu, mbPerS: number }>>()
  const reads: Record<ReadMode, ReadPathResult[]> = { fresh: [], reused: [] }
  const bulkCpuScript = join(benchDir, 'bulk-cpu.js')
  const readPathScript = join(benchDir, 'read-path.js')
  for (let k = 0; k < sets; k++) {
    for (const { impl } of IMPLS) {
      const list = samples.get(impl) ?? []
      list.push(await bulkCpu(bulkCpuScript, impl, bytes))
      samples.set(impl, list)
    }
    for (const mode of ['fresh', 'reused'] as const) reads[mode].push(await readPath(readPathScript, mode, bytes))
  }
  const mid = (xs: number[]): number => median(xs)
  const cpu = (list: Cpu[]): Cpu => ({ user: mid(list.map((c) => c.user)), system: mid(list.map((c) => c.system)), faults: mid(list.map((c) => c.faults)) })
  const perGiB = IMPLS.map(({ impl, label }) => {
    const list = samples.get(impl)!
    return { impl, label, sender: cpu(list.map((s) => s.sender)), receiver: cpu(list.map((s) => s.receiver)), mbPerS: mid(list.map((s) => s.mbPerS)) }
  })
  const speeds = AEADS.map((aead) => ({ aead, gbPerS: opensslSpeed(aead) }))
  const aeadSpeed = speeds.every((s) => s.gbPerS !== null) ? speeds as AeadSpeed[] : null
  return { aeadSpeed, perGiB, sets, bytes, readPath: { fresh: medianRead(reads.fresh), reused: medianRead(reads.reused) } }
}

function medianRead (xs: ReadPathResult[]): ReadPathResult {
  const m = (pick: (r: ReadPathResult) => number): number => median(xs.map(pick))
  return {
    mode: xs[0]!.mode,
    cipherSecondsPerGiB: m((r) => r.cipherSecondsPerGiB),
    cipherGbPerS: m((r) => r.cipherGbPerS),
    receiverSecondsPerGiB: m((r) => r.receiverSecondsPerGiB),
    faultsPerGiB: m((r) => r.faultsPerGiB),
    mbPerS: m((r) => r.mbPerS)
  }
}
