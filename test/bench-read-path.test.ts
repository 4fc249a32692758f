import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { cipherBoundSection } from '../bench/cipher-bound-markdown.js'
import type { ReadPathResult } from '../bench/read-path.js'

const SCRIPT = fileURLToPath(new URL('../bench/read-path.js', import.meta.url))

function readPath (mode: string): { status: number | null, stdout: string, stderr: string } {
  return spawnSync(process.execPath, [SCRIPT, mode, String(8 * 1024 * 1024)], { encoding: 'utf8', env: { ...process.env, READ_PATH_JSON: '1' }, timeout: 60_000 })
}

for (const mode of ['fresh', 'reused']) {
  test(`read-path ${mode}: every byte arrives and the cipher pass over it is timed`, (t) => {
    const r = readPath(mode)
    t.is(r.status, 0, r.stderr)
    const result = JSON.parse(r.stdout.trim()) as ReadPathResult
    t.is(result.mode, mode)
    for (const key of ['cipherSecondsPerGiB', 'cipherGbPerS', 'receiverSecondsPerGiB', 'mbPerS'] as const) t.ok(result[key] > 0 && Number.isFinite(result[key]), `${key} is a positive number (${result[key]})`)
    t.ok(result.receiverSecondsPerGiB >= result.cipherSecondsPerGiB, 'the cipher pass is part of the receiver\'s CPU')
    t.ok(result.faultsPerGiB >= 0)
  })
}

test('read-path refuses a mode it does not know', (t) => {
  const r = readPath('sideways')
  t.is(r.status, 2)
  t.ok(r.stderr.includes('usage: node dist/bench/read-path.js fresh|reused'))
})

test('RESULTS.md states both read paths beside the cipher speeds', (t) => {
  const read = (mode: 'fresh' | 'reused', gbPerS: number, receiver: number, faults: number): ReadPathResult =>
    ({ mode, cipherGbPerS: gbPerS, cipherSecondsPerGiB: 1.073741824 / gbPerS, receiverSecondsPerGiB: receiver, faultsPerGiB: faults, mbPerS: 900 })
  const cpu = { user: 0.3, system: 0.2, faults: 0 }
  const md = cipherBoundSection({
    aeadSpeed: [{ aead: 'chacha20-poly1305', gbPerS: 4.4 }, { aead: 'aes-128-gcm', gbPerS: 5.0 }],
    perGiB: [{ impl: 'ours', label: 'noise-chat', sender: cpu, receiver: cpu, mbPerS: 1000 }],
    sets: 3,
    bytes: 1024 ** 3,
    readPath: { fresh: read('fresh', 2.48, 1.256, 27321), reused: read('reused', 3.37, 0.651, 680) }
  }).join('\n')
  t.ok(md.includes('as it does for every socket a net.Server accepts: 2.48 GB/s (0.43 s/GiB), the receiver 1.26 s/GiB in all with 27k page faults per GiB'), 'the fresh read path')
  t.ok(md.includes("Over one buffer reused for every read (net.Socket's `onread` option): 3.37 GB/s (0.32 s/GiB), the receiver 0.65 s/GiB with 1k faults"))
  const without = cipherBoundSection({ aeadSpeed: null, perGiB: [], sets: 3, bytes: 1024 ** 3 }).join('\n')
  t.ok(!without.includes('read-path.js'), 'results from before the reading have no such line')
})
