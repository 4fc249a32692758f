/**
 * The idle figure's memory readings of the server process: after gc(), and
 * after memory-reducing GCs. Both run a few collections first, so what
 * remains is what is still referenced.
 */
import type { Session } from 'node:inspector/promises'
import v8 from 'node:v8'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { MemorySnapshot } from './messages.js'

/** Memory after full collections, so what remains is what connections hold. */
export async function memoryAfterGc (): Promise<MemorySnapshot> {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('the server needs --expose-gc to measure idle memory')
  for (let i = 0; i < FORCED_GCS; i++) {
    gc()
    await nextTurn()
  }
  return memoryNow()
}

/**
 * Memory after memory-reducing collections: the inspector's "collect
 * garbage" (V8's low-memory notification) also shrinks the young generation
 * back to its minimum and returns the freed pages, which gc() leaves grown
 * after a burst. What remains is what the connections hold, without V8's
 * heap-sizing slack.
 */
export async function memoryAfterReducingGc (inspector: Session): Promise<MemorySnapshot> {
  for (let i = 0; i < FORCED_GCS; i++) {
    await inspector.post('HeapProfiler.collectGarbage')
    await nextTurn()
  }
  return memoryNow()
}

/** Three collections: objects freed by one (weak callbacks, finalizers) are collected by the next. */
const FORCED_GCS = 3

function memoryNow (): MemorySnapshot {
  const m = process.memoryUsage()
  const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, newSpace }
}
