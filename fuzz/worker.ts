import { parentPort, workerData } from 'node:worker_threads'
import { runTarget, type TargetStats } from './engine.js'
import { findTarget } from './targets/index.js'

/**
 * One target's run, in a worker thread of `npm run fuzz`. It writes the
 * index of the input it is about to run into shared memory, so the main
 * thread can tell which input hangs even when this thread never yields
 * again, and posts progress and, at the end, its statistics.
 */

export interface WorkerInput {
  target: string
  runSeed: number
  inputs: number
  seconds: number | undefined
  /** Int32Array over it: [0] = index of the input running now. */
  heartbeat: SharedArrayBuffer
}

export type WorkerMessage =
  | { type: 'progress', target: string, done: number, elapsedMs: number }
  | { type: 'done', stats: TargetStats }

const input = workerData as WorkerInput
const target = findTarget(input.target)
if (target === undefined) throw new Error(`no fuzz target ${input.target}`)
const beat = new Int32Array(input.heartbeat)
const gc = (globalThis as { gc?: () => void }).gc

const stats = await runTarget(target, {
  runSeed: input.runSeed,
  inputs: input.inputs,
  ...(input.seconds === undefined ? {} : { seconds: input.seconds }),
  ...(gc === undefined ? {} : { gc }),
  onInput: (index) => Atomics.store(beat, 0, index),
  onProgress: (done, elapsedMs) => parentPort!.postMessage({ type: 'progress', target: target.name, done, elapsedMs } satisfies WorkerMessage)
})
parentPort!.postMessage({ type: 'done', stats } satisfies WorkerMessage)
