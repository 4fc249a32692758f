/**
 * RESULTS.md's account of bulk's receiver (pure): what each process spends
 * per GiB in the bench's own bulk runs, and noise-chat's receiver split
 * into what any stream over a net.Socket pays (raw TCP's receiver), the
 * cipher fixed by PROTOCOL.md, and the rest, which is ours.
 */
import type { BenchResults, Sample } from './results.js'
import { markdownTable } from './format.js'
import { median } from './stats.js'

/** MB (10^6 bytes) in a GiB: seconds per GiB = share of a core x this / (MB/s). */
const MB_PER_GIB = 1024 ** 3 / 1e6

type Side = 'clientCpu' | 'serverCpu'

/** Median CPU seconds per GiB of one side of bulk, over the runs that recorded it. */
function perGiB (r: BenchResults, impl: string, side: Side): number | null {
  const xs = r.samples
    .filter((s: Sample) => s.figure === 'bulk' && s.impl === impl && s[side] !== undefined && s.value > 0)
    .map((s) => s[side]! * MB_PER_GIB / s.value)
  return xs.length > 0 ? median(xs) : null
}

const s2 = (x: number | null): string => (x === null ? '-' : x.toFixed(2))

/** How far below zero "ours minus raw TCP minus the cipher" may come out and still be read as the estimate's error (s/GiB). */
const FLOOR_ERROR_SECONDS = 0.05

/** A run where raw TCP's receiver cost more than ours with the cipher added: its reads faulted, and it is no floor. */
function noFloorText (r: BenchResults, ours: number, tcp: number, cipher: number): string {
  const faults = (impl: string): string => {
    const xs = faultsPerGiB(r, impl)
    return xs.length === 0 ? '-' : thousands(median(xs))
  }
  return `Where bulk's time goes, receiver side. In this run raw TCP's receiver spent ${s2(tcp)} s per GiB, more than noise-chat's ${s2(ours)} s less the cipher's ${s2(cipher)} s, with ${faults('tcp')} page faults per GiB (median) against noise-chat's ${faults('ours')}: its reads kept landing in memory the allocator had just given back to the kernel, so its cost is no floor for anyone else's, and this run gives no estimate from it. The whole-process profile below reads noise-chat's receiver directly, line by line beside TLS's.`
}

/** The receiver's minor page faults per GiB in each bulk run of `impl` that recorded them. */
function faultsPerGiB (r: BenchResults, impl: string): number[] {
  return r.samples
    .filter((s: Sample) => s.figure === 'bulk' && s.impl === impl && s.serverFaults !== undefined)
    .map((s) => s.serverFaults! * 1024 ** 3 / r.workload.bulkBytes)
}

const thousands = (x: number): string => `${Math.round(x / 1000)}k`

/** The receiver's minor page faults per GiB of bulk: median, and the lowest and highest run. */
function faultsText (r: BenchResults, impl: string): string {
  const xs = faultsPerGiB(r, impl)
  if (xs.length === 0) return '-'
  return `${thousands(median(xs))} (${thousands(Math.min(...xs))}-${thousands(Math.max(...xs))})`
}

export function receiverFloorSection (r: BenchResults): string[] {
  if (!r.samples.some((s) => s.figure === 'bulk' && s.serverCpu !== undefined)) return []
  const impls = r.impls.filter((i) => perGiB(r, i.name, 'serverCpu') !== null)
  const parts = [
    'The same as CPU seconds per GiB (share of a core x seconds per GiB at the run\'s own throughput), bulk, medians of the runs above, with the receiver\'s minor page faults per GiB (from /proc: each is a page of memory touched for the first time since the process got it, or got it back, from the kernel; the lowest and highest run beside the median show a run where the allocator kept giving memory back and faulting it in again):',
    '',
    markdownTable(['implementation', 'client (sender) s/GiB', 'server (receiver) s/GiB', 'server page faults per GiB, median (lowest-highest)'], impls.map((i) => [i.label, s2(perGiB(r, i.name, 'clientCpu')), s2(perGiB(r, i.name, 'serverCpu')), faultsText(r, i.name)])),
    ''
  ]
  const ours = perGiB(r, 'ours', 'serverCpu')
  const tcp = perGiB(r, 'tcp', 'serverCpu')
  const chacha = r.cipherBound?.aeadSpeed?.find((s) => s.aead === 'chacha20-poly1305')
  if (ours === null || tcp === null || chacha === undefined) return parts
  const cipher = MB_PER_GIB / 1000 / chacha.gbPerS
  const rest = ours - tcp - cipher
  if (rest < -FLOOR_ERROR_SECONDS) {
    parts.push(noFloorText(r, ours, tcp, cipher) + otherSets(r), '')
    return parts
  }
  const [tlsChacha, tlsAes] = [perGiB(r, 'tls', 'serverCpu'), perGiB(r, 'tls-aes', 'serverCpu')]
  const shares: Array<[string, number]> = [['raw TCP\'s part', tcp], ['the cipher', cipher], ['our own part', rest]]
  const largest = shares.reduce((a, b) => (b[1] > a[1] ? b : a))[0]
  const tlsText = tlsChacha === null
    ? ''
    : ` TLS's receivers spent ${s2(tlsChacha)} s (ChaCha)${tlsAes === null ? '' : ` and ${s2(tlsAes)} s (AES-GCM)`}; Node's TLS reads the socket in C++ into a buffer it reuses and decrypts there, so it does not pay net.Socket's read path (with the same cipher, ${tlsChacha < tcp + cipher ? 'less than raw TCP plus the cipher' : `${s2(tlsChacha - tcp - cipher)} s more than raw TCP plus the cipher`}).`
  parts.push(
    `Where bulk's time goes, receiver side (the side nearer a full core above). noise-chat's receiver spent ${s2(ours)} s per GiB: ${s2(tcp)} s is what raw TCP's receiver spends with no cipher at all (Node's net.Socket read path: the kernel's copy, and a buffer allocated per read of up to 64 KiB and handed to JavaScript), which no stream over a net.Socket avoids; opening ChaCha20-Poly1305 at this core's ${chacha.gbPerS.toFixed(2)} GB/s (\`openssl speed\`, below) is ${s2(cipher)} s; ${ownText(rest, ours, largest)}` +
    tlsText +
    ' Raw TCP\'s receiver keeps up without a full core, so its cost per byte is not taken under quite the same conditions: the split is an estimate from this run\'s own figures.' +
    otherSets(r),
    ''
  )
  return parts
}

/** What is left of the receiver's time for our own work; within the estimate's error when it comes out at or below zero. */
function ownText (rest: number, ours: number, largest: string): string {
  if (rest < 0.005) return `the rest, ${s2(rest)} s, is within the estimate's error: nothing measurable is left for our own framing, checks and stream beyond those two.`
  return `the remaining ${s2(rest)} s (${Math.round(100 * rest / ours)}%) is our own: framing, checks, the stream, and the garbage they make (the receiver's profile at the end lists it). The largest part is ${largest}.`
}


/** The same receivers in the cipher-bound section's own sets (bench/bulk-cpu.js), user and system apart: a second estimate to set beside this one. */
function otherSets (r: BenchResults): string {
  const rows = r.cipherBound?.perGiB
  const ours = rows?.find((p) => p.impl === 'ours')
  const tls = rows?.find((p) => p.impl === 'tls-chacha')
  if (ours === undefined || tls === undefined) return ''
  const total = (c: { user: number, system: number }): number => c.user + c.system
  return ` The cipher-bound sets below, a separate harness, put noise-chat's receiver at ${s2(total(ours.receiver))} s/GiB (user ${s2(ours.receiver.user)}, system ${s2(ours.receiver.system)}) against TLS ChaCha's ${s2(total(tls.receiver))} (user ${s2(tls.receiver.user)}, system ${s2(tls.receiver.system)})${differenceText(ours.receiver.user - tls.receiver.user, ours.receiver.system - tls.receiver.system)}`
}


function differenceText (user: number, system: number): string {
  const total = user + system
  const split = `${s2(Math.abs(user))} s of user time (ours and the cipher) and ${s2(Math.abs(system))} s of system time (the kernel's, which on loopback is charged to whichever process makes the call it runs in)`
  if (total <= 0) return `: ours is ${s2(-total)} s cheaper there, ${split}${user > 0 || system > 0 ? ', one of them the other way' : ''}.`
  return `: ours costs ${s2(total)} s more there, ${split}${user < 0 || system < 0 ? ', one of them the other way' : ''}.`
}
