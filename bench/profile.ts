/**
 * Reading V8 .cpuprofile files (what `node --cpu-prof` writes): self time
 * per function, hottest first, so the bench can say where the time goes.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, hitCount?: number }
export interface CpuProfile { nodes: ProfileNode[], startTime: number, endTime: number, samples?: number[], timeDeltas?: number[] }

export interface HotFunction {
  name: string
  location: string
  selfMs: number
  /** Share of the time the process was not idle. */
  busyShare: number
}

export interface HotFile {
  /** Script path, or '(native)' for frames without one (syscalls, GC, builtins). */
  file: string
  selfMs: number
  busyShare: number
}

export interface ProfileSummary {
  totalMs: number
  busyMs: number
  top: HotFunction[]
  /** Self time summed per script: which layer the time is in. */
  files: HotFile[]
}

/** What a reader of these summaries must know about V8's sampling. */
export const PROFILE_CAVEAT = 'V8 samples only the JavaScript thread: native work called from JavaScript is charged to the calling function (writeBuffer, writev, update), but native work run straight from a libuv callback before any JavaScript (Node\'s TLS decrypting what it reads) counts as idle, so a TLS receiver looks cheaper than it is.'

/** V8's pseudo-frames for time not spent in a function. */
const IDLE_FRAME = '(idle)'

/**
 * Self time per function (same name and location summed), hottest first.
 * `root` (one folder or several, first match wins) is cut from locations.
 */
export function summarizeProfile (profile: CpuProfile, root: string | readonly string[] = [], limit = 15): ProfileSummary {
  const roots = typeof root === 'string' ? [root] : root
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  // timeDeltas[i] is the time before sample i; charge it to the sample after it.
  for (let i = 0; i < samples.length; i++) {
    const us = deltas[i + 1] ?? 0
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, us))
  }
  const byKey = new Map<string, { name: string, location: string, us: number }>()
  const byFile = new Map<string, number>()
  let idleUs = 0
  let totalUs = 0
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0
    totalUs += us
    const f = node.callFrame
    if (f.functionName === IDLE_FRAME) { idleUs += us; continue }
    const file = f.url === '' ? '(native)' : shortUrl(f.url, roots)
    byFile.set(file, (byFile.get(file) ?? 0) + us)
    const location = f.url === '' ? '' : `${file}:${f.lineNumber + 1}`
    const key = `${f.functionName}\u0000${location}`
    const entry = byKey.get(key) ?? { name: f.functionName === '' ? '(anonymous)' : f.functionName, location, us: 0 }
    entry.us += us
    byKey.set(key, entry)
  }
  const busyUs = Math.max(1, totalUs - idleUs)
  const top = [...byKey.values()].sort((a, b) => b.us - a.us).slice(0, limit)
    .map((e) => ({ name: e.name, location: e.location, selfMs: e.us / 1000, busyShare: e.us / busyUs }))
  const files = [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, Math.ceil(limit / 2))
    .map(([file, us]) => ({ file, selfMs: us / 1000, busyShare: us / busyUs }))
  return { totalMs: totalUs / 1000, busyMs: busyUs / 1000, top, files }
}

/** The summary as text lines for the console and RESULTS.md. */
export function profileText (label: string, s: ProfileSummary): string {
  const lines = [`${label}: ${s.busyMs.toFixed(0)} ms busy of ${s.totalMs.toFixed(0)} ms profiled; top self time:`]
  for (const f of s.top) {
    lines.push(`  ${share(f.busyShare, f.selfMs)}  ${f.name}${f.location === '' ? '' : '  ' + f.location}`)
  }
  lines.push('  by script:')
  for (const f of s.files) lines.push(`  ${share(f.busyShare, f.selfMs)}  ${f.file}`)
  return lines.join('\n')
}

function share (fraction: number, ms: number): string {
  return `${(fraction * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms`
}

/** Every .cpuprofile file directly in `dir`. */
export function profilesIn (dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => join(dir, f))
}

export function readProfile (file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
}

/** A script's path relative to the first root it lies under. */
function shortUrl (url: string, roots: readonly string[]): string {
  const path = url.replace(/^file:\/\//, '')
  const root = roots.find((r) => r !== '' && path.startsWith(r))
  return root === undefined ? path : path.slice(root.length).replace(/^\//, '')
}
