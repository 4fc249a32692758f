import type { CipherBound, CpuPerGiB } from './cipher-bound.js'
import type { ReadPathResult } from './read-path.js'
import { markdownTable } from './format.js'

/** Bytes in a GiB over bytes in a GB: seconds per GiB = this / (GB/s). */
const GIB_IN_GB = 1024 ** 3 / 1e9

const total = (c: { user: number, system: number }): number => c.user + c.system
const both = (p: CpuPerGiB): number => total(p.sender) + total(p.receiver)
const s3 = (x: number): string => x.toFixed(2)

/**
 * The section of RESULTS.md that accounts for the bulk and small gap to
 * TLS AES-GCM: the AEAD speeds on one core, then what a GiB costs each
 * process, and the two compared.
 */
export function cipherBoundSection (b: CipherBound): string[] {
  const row = (p: CpuPerGiB): string[] => [
    p.label,
    `${s3(total(p.sender))} (${s3(p.sender.user)} + ${s3(p.sender.system)})`,
    `${s3(total(p.receiver))} (${s3(p.receiver.user)} + ${s3(p.receiver.system)})`,
    s3(both(p)),
    p.mbPerS.toFixed(0)
  ]
  const parts = [
    '## The record cipher: what bulk and small writes can reach',
    '',
    'PROTOCOL.md fixes ChaCha20-Poly1305 as the transport cipher. Where a CPU runs AES-GCM faster, TLS with AES-GCM has a cheaper cipher than any stream of this protocol can have, however little else it does per frame. These readings, taken by this run after the figures, separate the two.',
    ''
  ]
  const chacha = b.aeadSpeed?.find((s) => s.aead === 'chacha20-poly1305')
  const aes = b.aeadSpeed?.find((s) => s.aead === 'aes-128-gcm')
  if (chacha !== undefined && aes !== undefined) {
    const dChacha = GIB_IN_GB / chacha.gbPerS
    const dAes = GIB_IN_GB / aes.gbPerS
    parts.push(`- One core, 64 KiB buffers (\`openssl speed -evp\`): ChaCha20-Poly1305 ${chacha.gbPerS.toFixed(2)} GB/s, AES-128-GCM ${aes.gbPerS.toFixed(2)} GB/s. Sealing or opening a GiB costs ${s3(dChacha)} s against ${s3(dAes)} s: ${s3(dChacha - dAes)} s more in each process, ${s3(2 * (dChacha - dAes))} s in the two.`)
  } else {
    parts.push('- `openssl speed` was not available: no AEAD speeds.')
  }
  const [ours, tlsChacha, tlsAes] = ['ours', 'tls-chacha', 'tls-aes128'].map((impl) => b.perGiB.find((p) => p.impl === impl))
  if (ours !== undefined && tlsChacha !== undefined && tlsAes !== undefined) {
    parts.push(`- CPU per GiB in both processes: noise-chat ${s3(both(ours))} s, TLS ChaCha ${s3(both(tlsChacha))} s (${(both(ours) / both(tlsChacha)).toFixed(2)}x), TLS AES-GCM ${s3(both(tlsAes))} s.` +
      (chacha !== undefined && aes !== undefined ? againstAes(both(ours) - both(tlsAes), 2 * (GIB_IN_GB / chacha.gbPerS - GIB_IN_GB / aes.gbPerS)) : ''))
  }
  if (b.readPath !== undefined) parts.push(readPathText(b.readPath.fresh, b.readPath.reused, b.sets))
  parts.push('',
    `CPU seconds per GiB of a bulk transfer (\`node dist/bench/bulk-cpu.js IMPL\`, ${(b.bytes / 1024 ** 3).toFixed(0)} GiB in 64 KiB writes, ${b.sets} interleaved sets, medians; user + system; on loopback the kernel's TCP work is charged to either process):`,
    '',
    markdownTable(['implementation', 'sender s/GiB', 'receiver s/GiB', 'both', 'MB/s'], b.perGiB.map(row)),
    '')
  return parts
}

/** The cipher over bytes read into a new buffer each time against one reused buffer: why a stream over an accepted net.Socket pays more for the same cipher than Node's TLS. */
function readPathText (fresh: ReadPathResult, reused: ReadPathResult, sets: number): string {
  return `- The same cipher over received bytes (\`node dist/bench/read-path.js fresh|reused\`: raw TCP, 1 GiB in 64 KiB writes, one ChaCha20-Poly1305 pass in place over every read, ${sets} interleaved sets, medians). Over the new buffer Node's net.Socket allocates for each read, as it does for every socket a net.Server accepts: ${fresh.cipherGbPerS.toFixed(2)} GB/s (${s3(fresh.cipherSecondsPerGiB)} s/GiB), the receiver ${s3(fresh.receiverSecondsPerGiB)} s/GiB in all with ${Math.round(fresh.faultsPerGiB / 1000)}k page faults per GiB. Over one buffer reused for every read (net.Socket's \`onread\` option): ${reused.cipherGbPerS.toFixed(2)} GB/s (${s3(reused.cipherSecondsPerGiB)} s/GiB), the receiver ${s3(reused.receiverSecondsPerGiB)} s/GiB with ${Math.round(reused.faultsPerGiB / 1000)}k faults. The bytes are the same; memory just handed out by the allocator and filled by the kernel is slower to read back than a buffer in constant use. Node's TLS reads into its BIO's buffer, which it reuses, and so decrypts at the second speed; a stream over a socket that a net.Server accepted has only the first kind, because \`onread\` is an option of sockets one creates (\`net.connect\`, \`new net.Socket\`), and Node has no public way to give one to a socket it accepted.`
}

/** The CPU gap to TLS AES-GCM in both processes, set against what the cipher difference alone accounts for; either may be negative. */
function againstAes (gap: number, cipher: number): string {
  const cipherText = cipher > 0
    ? `the cipher difference above is ${s3(cipher)} s`
    : `on this CPU ChaCha20-Poly1305 is the faster AEAD (by ${s3(-cipher)} s)`
  if (gap > 0) return ` Against AES-GCM noise-chat spends ${s3(gap)} s/GiB more; ${cipherText}.`
  return ` Against AES-GCM noise-chat spends ${s3(-gap)} s/GiB less; ${cipherText}.`
}
