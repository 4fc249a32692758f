import { isNoiseChatError } from '../../lib/errors.js'
import { defaultAeadBackend, libsodiumBackend, type AeadBackend } from '../../lib/secure/aead-backend.js'
import { TransportCipher } from '../../lib/secure/transport-cipher.js'
import { openTransportFrame } from '../../lib/secure/transport-frame.js'
import { V, hex } from '../../harness/vectors.js'
import { chunkPlan, mutate, randomInput } from '../mutate.js'
import type { Rng } from '../rng.js'
import { sessions } from '../sessions.js'
import { caseBytes, caseChunks, check, makeCase, type FuzzCase, type FuzzTarget } from '../target.js'

/**
 * `openTransportFrame` (lib/secure/transport-frame.ts) on frame bodies,
 * given as the pieces they arrived in. Each case names a recorded frame
 * (its key and nonce); the body is that frame's, mutated. A body the cipher
 * accepts must be that recorded frame's body exactly (no forgery, however
 * it was cut into pieces), and the recorded body itself must always be
 * accepted, whatever the pieces. Cases alternate between the streams'
 * backend (the native OpenSSL addon) and the libsodium fallback (its
 * libsodium and node:crypto paths), and between opening into new buffers
 * and in place (as a stream does on a socket only it reads), so all are
 * fuzzed alike.
 * Anything else must fail with ERR_BAD_FRAME or ERR_DECRYPT_FAILED.
 */

interface KnownFrame {
  /** Body bytes: the frame without its 2-byte length. */
  body: Buffer
  key: Buffer
  nonce: bigint
  type: number
  plaintext: Buffer
}

function known (): KnownFrame[] {
  const out: KnownFrame[] = []
  for (const s of sessions()) {
    for (const dir of [s.toResponder, s.toInitiator]) {
      for (const f of dir.transport) out.push({ body: f.wire.subarray(2), key: f.key, nonce: BigInt(f.nonce), type: f.type, plaintext: f.body })
    }
  }
  // The vectors' frames at the rekey boundary (65535 under the first key, 65536 under the next).
  const c1 = hex(V.handshake.split.c1_key)
  for (const f of V.rekey.frames as Array<{ nonce: number, frame_hex: string, type: number, body_hex: string }>) {
    if (f.nonce > 65536) continue
    out.push({ body: hex(f.frame_hex).subarray(2), key: c1, nonce: BigInt(f.nonce), type: f.type, plaintext: hex(f.body_hex) })
  }
  return out
}

let frames: KnownFrame[] | null = null
let bodies: Buffer[] = []

function all (): KnownFrame[] {
  if (frames === null) {
    frames = known()
    bodies = frames.map((f) => f.body)
  }
  return frames
}

function generate (rng: Rng): FuzzCase {
  const list = all()
  const frame = rng.int(list.length)
  let body: Buffer
  const roll = rng.int(100)
  if (roll < 10) body = Buffer.from(list[frame]!.body) // the real thing: must open, however it is cut
  else if (roll < 15) body = randomInput(rng, 'bytes', 200)
  else if (roll < 20) body = Buffer.from(rng.pick(bodies)) // another frame's body under this frame's key and nonce
  else body = mutate(rng, list[frame]!.body, { structure: 'bytes', others: bodies, maxStack: 3 })
  return makeCase(body, chunkPlan(rng, body.byteLength), { frame, fallback: rng.int(2), inPlace: rng.int(2) })
}

function run (input: FuzzCase): string {
  const list = all()
  const known = list[input.params['frame'] ?? 0]
  check(known !== undefined, 'the case names no recorded frame')
  const body = caseBytes(input)
  const pieces = caseChunks(input)
  const backend: AeadBackend = input.params['fallback'] === 1 ? libsodiumBackend : defaultAeadBackend
  const cipher = new TransportCipher(known.key, undefined, backend)
  cipher.nonce.advanceTo(known.nonce)
  const authentic = body.equals(known.body)
  // In place, as a stream does on a socket only it reads: the pieces are views of `body`, which is not looked at again.
  const inPlace = input.params['inPlace'] === 1
  let opened
  try {
    opened = openTransportFrame(cipher, pieces, body.byteLength, inPlace)
  } catch (err) {
    check(isNoiseChatError(err), () => `threw an uncoded error: ${String(err)}`)
    check(!authentic, () => `the recorded frame was refused (${err.code}) when cut into ${pieces.length} pieces`)
    check(err.code === 'ERR_BAD_FRAME' || err.code === 'ERR_DECRYPT_FAILED', () => `unexpected code ${err.code}`)
    return err.code
  }
  check(authentic, 'a body that is not the recorded one was accepted: a forgery')
  check(opened.type === known.type, () => `type ${opened.type}, recorded ${known.type}`)
  check(Buffer.concat(opened.body).equals(known.plaintext) && opened.bodyLength === known.plaintext.byteLength, 'the opened body differs from the recorded plaintext')
  return 'opened (the recorded frame)'
}

/** `openTransportFrame` of lib/secure/transport-frame.ts. */
export const transportFrameTarget: FuzzTarget = {
  name: 'transport-frame',
  description: 'openTransportFrame on mutated sealed bodies in pieces: only the recorded body opens',
  share: 170_000,
  timeoutMs: 2_000,
  generate,
  run
}
