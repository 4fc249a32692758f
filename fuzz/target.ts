import type { Rng } from './rng.js'

/**
 * One input of one target, in a form that can be written to a file and
 * replayed exactly: the bytes, how they are cut into chunks on delivery,
 * and the target's own small knobs (which recorded session it mutates, a
 * line limit...). A case made from a seed is always the same case.
 */
export interface FuzzCase {
  /** The bytes fed to the target, as hex. */
  hex: string
  /** The sizes of the chunks they are delivered in, in order (their sum is the byte length); empty means one chunk. */
  chunks: number[]
  /** Target-specific knobs, all small integers. */
  params: Record<string, number>
}

/**
 * A fuzz target: makes inputs from a seeded PRNG and runs one, checking the
 * oracles. `run` returns a short label of how the input ended (an error
 * code, 'clean end', 'decoded'...), or several, counted in the report; it throws an
 * OracleFailure when an oracle does not hold, and any other exception it
 * lets out is a crash. Both are failures.
 */
export interface FuzzTarget {
  readonly name: string
  /** One line for the report and `--help`. */
  readonly description: string
  /** Inputs in a full run (the shares add up to at least 1,000,000). */
  readonly share: number
  /** Most time one input may take before it counts as a hang. */
  readonly timeoutMs: number
  generate (rng: Rng): FuzzCase
  run (input: FuzzCase): Labels | Promise<Labels>
}

/** How an input ended: one label, or several (each counted once). */
export type Labels = string | string[]

/** An oracle that did not hold: the input is a failure. */
export class OracleFailure extends Error {
  override get name (): string {
    return 'OracleFailure'
  }
}

/** Throw an OracleFailure with `message` unless `condition` holds. */
export function check (condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new OracleFailure(typeof message === 'string' ? message : message())
}

/** The bytes of cases made in this process: a case's hex is only spelled out when it is written or sent. */
const bytesOf = new WeakMap<FuzzCase, Buffer>()

/** The bytes of a case. */
export function caseBytes (input: FuzzCase): Buffer {
  return bytesOf.get(input) ?? Buffer.from(input.hex, 'hex')
}

/** The bytes of a case cut into its delivery chunks (views, no copies). */
export function caseChunks (input: FuzzCase): Buffer[] {
  const bytes = caseBytes(input)
  if (input.chunks.length === 0) return bytes.byteLength === 0 ? [] : [bytes]
  const out: Buffer[] = []
  let at = 0
  for (const size of input.chunks) {
    out.push(bytes.subarray(at, at + size))
    at += size
  }
  if (at < bytes.byteLength) out.push(bytes.subarray(at))
  return out
}

/** Make a case from bytes, a chunk plan and knobs (its `hex` is computed when first read). */
export function makeCase (bytes: Buffer, chunks: number[], params: Record<string, number> = {}): FuzzCase {
  let hex: string | undefined
  const input = { chunks, params } as unknown as FuzzCase
  Object.defineProperty(input, 'hex', { enumerable: true, get: () => (hex ??= bytes.toString('hex')) })
  bytesOf.set(input, bytes)
  return input
}

/** A plain copy of a case (hex spelled out), to keep, send to another thread or write. */
export function plainCase (input: FuzzCase): FuzzCase {
  return { hex: input.hex, chunks: input.chunks, params: input.params }
}
