import { MAX_FRAME_PIECES } from '../../lib/constants.js'
import { isNoiseChatError, secureStreamError } from '../../lib/errors.js'
import { FrameDecoder } from '../../lib/secure/frame-codec.js'
import { chunkPlan, mutate, randomInput } from '../mutate.js'
import type { Rng } from '../rng.js'
import { sessions } from '../sessions.js'
import { caseChunks, caseBytes, check, makeCase, type FuzzCase, type FuzzTarget } from '../target.js'

/**
 * The frame decoder (lib/secure/frame-codec.ts) against a model: a plain
 * loop that cuts the whole input at its length headers. Whatever the
 * chunking, pausing and resuming, the decoder must hand out exactly the
 * model's frames, in order, each in at most MAX_FRAME_PIECES views, stop
 * with ERR_BAD_FRAME exactly where the model meets a zero length (or a
 * length refused by `checkLength`), and agree on whether a frame is left
 * half-read at the end.
 */

/** `params.limit`: 0 = no checkLength; else checkLength refuses lengths above LIMITS[limit]. */
const LIMITS = [0, 32, 96, 1000]

function corpus (): Buffer[] {
  const seeds: Buffer[] = []
  for (const s of sessions()) seeds.push(s.toResponder.wire, s.toInitiator.wire)
  const frame = (n: number, fill: number): Buffer => Buffer.concat([Buffer.from([n >> 8, n & 0xff]), Buffer.alloc(n, fill)])
  seeds.push(Buffer.concat([frame(1, 1), frame(2, 2), frame(255, 3), frame(256, 4)]))
  seeds.push(Buffer.concat(Array.from({ length: 40 }, (_, i) => frame(1, i))))
  seeds.push(Buffer.concat([frame(65535, 0xaa), frame(3, 0xbb)]))
  return seeds
}

let seeds: Buffer[] | null = null

function generate (rng: Rng): FuzzCase {
  seeds ??= corpus()
  // Large seeds (the 64 KiB frame, the 20 KB session) are slow to chunk finely: they get their turn, not more.
  const seed = seeds[rng.weighted(seeds.map((s) => s.byteLength > 4096 ? 0.2 : 1))]!
  const bytes = rng.chance(0.08) ? randomInput(rng, 'frames') : mutate(rng, seed, { structure: 'frames', others: seeds })
  const params = {
    limit: rng.chance(0.2) ? rng.range(1, LIMITS.length - 1) : 0,
    pauseEvery: rng.chance(0.3) ? rng.range(1, 3) : 0,
    resumeLag: rng.int(3)
  }
  return makeCase(bytes, chunkPlan(rng, bytes.byteLength), params)
}

interface ModelResult {
  frames: Buffer[]
  /** Why decoding stopped early, if it did. */
  error: 'zero length' | 'refused length' | null
  /** Bytes of an unfinished frame at the end. */
  leftover: number
}

/** The model: one pass over the whole input. */
function model (bytes: Buffer, limit: number): ModelResult {
  const frames: Buffer[] = []
  let at = 0
  while (bytes.byteLength - at >= 2) {
    const length = bytes.readUInt16BE(at)
    if (length === 0) return { frames, error: 'zero length', leftover: 0 }
    if (limit > 0 && length > limit) return { frames, error: 'refused length', leftover: 0 }
    if (at + 2 + length > bytes.byteLength) break
    frames.push(bytes.subarray(at + 2, at + 2 + length))
    at += 2 + length
  }
  return { frames, error: null, leftover: bytes.byteLength - at }
}

function run (input: FuzzCase): string {
  const bytes = caseBytes(input)
  const limit = LIMITS[input.params['limit'] ?? 0] ?? 0
  const pauseEvery = input.params['pauseEvery'] ?? 0
  const resumeLag = input.params['resumeLag'] ?? 0
  const expected = model(bytes, limit)

  const decoder = new FrameDecoder()
  if (limit > 0) {
    decoder.checkLength = (length) => {
      if (length > limit) throw secureStreamError('ERR_BAD_FRAME', `length ${length} refused`)
    }
  }
  const got: Buffer[] = []
  const onFrame = (pieces: Buffer[], length: number): boolean => {
    check(pieces.length >= 1 && pieces.length <= MAX_FRAME_PIECES, () => `frame ${got.length} came in ${pieces.length} pieces (at most ${MAX_FRAME_PIECES})`)
    let total = 0
    for (const p of pieces) total += p.byteLength
    check(total === length, () => `frame ${got.length}: pieces hold ${total} bytes, length says ${length}`)
    got.push(Buffer.concat(pieces, length))
    return pauseEvery === 0 || got.length % pauseEvery !== 0
  }

  let error: unknown = null
  let lag = 0
  try {
    for (const chunk of caseChunks(input)) {
      decoder.push(chunk, onFrame)
      if (decoder.paused && ++lag > resumeLag) {
        lag = 0
        while (decoder.paused) decoder.resume(onFrame)
      }
    }
    while (decoder.paused) decoder.resume(onFrame)
  } catch (err) {
    if (!isNoiseChatError(err)) throw err
    error = err
  }

  check(got.length === expected.frames.length, () => `decoded ${got.length} frames, the model ${expected.frames.length}`)
  got.forEach((frame, i) => check(frame.equals(expected.frames[i]!), () => `frame ${i} differs from the model`))
  if (expected.error !== null) {
    check(isNoiseChatError(error, 'ERR_BAD_FRAME'), () => `the model stops at a ${expected.error}; the decoder ${error === null ? 'did not' : 'threw ' + String(error)}`)
    return `ERR_BAD_FRAME (${expected.error})`
  }
  check(error === null, () => `the decoder threw ${String(error)} where the model decodes`)
  check(decoder.midFrame === (expected.leftover > 0), () => `midFrame is ${decoder.midFrame} with ${expected.leftover} bytes left over`)
  return expected.leftover > 0 ? 'decoded, partial frame left' : 'decoded'
}

/** The frame decoder of lib/secure/frame-codec.ts. */
export const frameDecoderTarget: FuzzTarget = {
  name: 'frame-decoder',
  description: 'FrameDecoder against a one-pass model: any chunking, pausing, lying lengths',
  share: 430_000,
  timeoutMs: 2_000,
  generate,
  run
}
