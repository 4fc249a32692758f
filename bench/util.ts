/** Small helpers shared by the bench's server and client. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Workload } from './config.js'
import type { FigureName } from './figures.js'

/** Bytes a stream figure sends in total. */
export function streamedBytes (fig: FigureName, workload: Workload): number {
  return fig === 'bulk' ? workload.bulkBytes : workload.smallCount * workload.smallSize
}

/** Resolve once `condition()` holds, checking every few milliseconds. */
export async function until (condition: () => boolean, everyMs = 5): Promise<void> {
  while (!condition()) await sleep(everyMs)
}

/** Warm-up connections before timing handshakes: a tenth, at most 100, at least 1. */
export function warmupCount (timed: number): number {
  return Math.max(1, Math.min(100, Math.ceil(timed / 10)))
}
