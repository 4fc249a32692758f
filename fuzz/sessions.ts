import { createHash } from 'node:crypto'
import { DEFAULT_PROLOGUE, FRAME_ABORT, FRAME_DATA, FRAME_END, FRAME_PING } from '../lib/constants.js'
import { keyPairFromSecretKey, type KeyPair } from '../lib/secure/keypair.js'
import { encodeFrame } from '../lib/secure/frame-codec.js'
import { Handshake } from '../lib/secure/handshake.js'
import { TransportCipher } from '../lib/secure/transport-cipher.js'
import { sealTransportFrame } from '../lib/secure/transport-frame.js'
import { V, hex, vectorKeys } from '../harness/vectors.js'

/**
 * Recorded valid sessions: what crosses the wire, in one direction, when a
 * known initiator and responder talk. Each is made by running the real
 * handshake with fixed keys, so a SecureStream given the same keys answers
 * byte for byte as recorded and the recording replays exactly. Session 0 is
 * the known-answer vectors' own handshake (checked against them at load).
 *
 * Every session but 0 has its own ephemeral keys, so its transport keys
 * differ from every other's: frames spliced in from another session fail to
 * authenticate, as they would between two real connections.
 */

/** A transport frame to seal: a type and a body. */
interface PlannedFrame {
  type: number
  body: Buffer
}

/** What one recorded session carries one way. */
export interface RecordedSession {
  /** Wire bytes the receiving role reads: msg1 + msg3 + frames (to a responder) or msg2 + frames (to an initiator). */
  wire: Buffer
  /** Byte offset where each frame of `wire` ends, in order. */
  frameEnds: number[]
  /** DATA bytes delivered by the frames that end at or before each of frameEnds (cumulative). */
  dataAfter: number[]
  /** Everything the DATA frames carry, in order. */
  data: Buffer
  /** How the valid session ends: the peer's END, or its ABORT. */
  ending: 'end' | 'abort'
  /** The transport frames alone (for the transport-frame target): wire bytes, nonce and key. */
  transport: Array<{ wire: Buffer, nonce: number, key: Buffer, type: number, body: Buffer }>
  /** Where the handshake ends in `wire` (the transport frames start there). */
  handshakeBytes: number
  /** The handshake frames the receiving role itself sends, in order, when it gets this session (msg2; or msg1, msg3). */
  replies: Buffer[]
  /** The key the receiving role sends its transport frames with. */
  replyKey: Buffer
}

/** The keys a role needs to replay a session: its static key and its fixed ephemeral. */
export interface SessionKeys {
  initiatorStatic: KeyPair
  responderStatic: KeyPair
  initiatorEphemeral: KeyPair
  responderEphemeral: KeyPair
}

interface SessionPlan {
  /** Payloads of msg2 (to the initiator) and msg3 (to the responder): version 1 ignores them; they must not break anything. */
  msg2Payload: Buffer
  msg3Payload: Buffer
  /** Frames each way (the same plan serves both directions). */
  frames: PlannedFrame[]
}

const data = (text: string | Buffer): PlannedFrame => ({ type: FRAME_DATA, body: Buffer.from(text) })
const end = (): PlannedFrame => ({ type: FRAME_END, body: Buffer.alloc(0) })
const ping = (): PlannedFrame => ({ type: FRAME_PING, body: Buffer.alloc(0) })
const abort = (reason: string): PlannedFrame => ({ type: FRAME_ABORT, body: Buffer.from(reason) })

/** Deterministic filler bytes (no PRNG state shared with the fuzzer). */
function filler (label: string, n: number): Buffer {
  const out = Buffer.alloc(n)
  for (let i = 0; i * 32 < n; i++) createHash('sha256').update(`${label}/${i}`).digest().copy(out, i * 32)
  return out
}

const EMPTY = Buffer.alloc(0)

const PLANS: SessionPlan[] = [
  { msg2Payload: EMPTY, msg3Payload: EMPTY, frames: [data('hello'), data('world!'), end()] },
  { msg2Payload: filler('p2', 40), msg3Payload: filler('p3', 24), frames: [ping(), data(''), data(filler('d300', 300)), end()] },
  { msg2Payload: EMPTY, msg3Payload: EMPTY, frames: [data(filler('big', 20_000)), data('tail'), end()] },
  { msg2Payload: EMPTY, msg3Payload: EMPTY, frames: [data('x'), abort('bye')] },
  { msg2Payload: EMPTY, msg3Payload: EMPTY, frames: [end()] },
  {
    msg2Payload: EMPTY,
    msg3Payload: EMPTY,
    frames: [...Array.from({ length: 12 }, (_, i) => i % 4 === 3 ? ping() : data(filler(`s${i}`, 1 + i))), end()]
  },
  { msg2Payload: EMPTY, msg3Payload: EMPTY, frames: [abort('r'.repeat(1024))] },
  { msg2Payload: EMPTY, msg3Payload: EMPTY, frames: [data('line one\n'), data('line two\n'), ping(), data('three'), end()] }
]

const keysOf = new Map<number, SessionKeys>()

/** The keys of session `index`: the vectors' for 0, derived ephemerals for the others (made once). */
export function sessionKeys (index: number): SessionKeys {
  let keys = keysOf.get(index)
  if (keys !== undefined) return keys
  const k = vectorKeys()
  const derive = (label: string): KeyPair => keyPairFromSecretKey(createHash('sha256').update(`noise-chat fuzz ${label} ${index}`).digest())
  keys = index === 0 ? k : { ...k, initiatorEphemeral: derive('initiator-ephemeral'), responderEphemeral: derive('responder-ephemeral') }
  keysOf.set(index, keys)
  return keys
}

/** The wire of each session, towards the responder (`to: 'responder'`) or the initiator. */
export interface SessionPair {
  toResponder: RecordedSession
  toInitiator: RecordedSession
}

/**
 * Run the handshake with these payloads. Each direction is recorded from its
 * own run: a SecureStream sends empty payloads, so the msg3 a responder can
 * accept is one written after an empty msg2, and the msg2 an initiator reads
 * may carry a payload. (Payloads change the handshake hash, not the keys.)
 */
function handshake (keys: SessionKeys, msg2Payload: Buffer, msg3Payload: Buffer): { messages: Buffer[], c1: Buffer, c2: Buffer } {
  const prologue = Buffer.from(DEFAULT_PROLOGUE)
  const initiator = new Handshake(true, keys.initiatorStatic, prologue, keys.initiatorEphemeral)
  const responder = new Handshake(false, keys.responderStatic, prologue, keys.responderEphemeral)
  const msg1 = initiator.writeMessage1()
  responder.readMessage1(msg1)
  const msg2 = responder.writeMessage2(msg2Payload)
  initiator.readMessage2(msg2)
  const msg3 = initiator.writeMessage3(msg3Payload)
  responder.readMessage3(msg3)
  const result = initiator.result()
  return { messages: [msg1, msg2, msg3], c1: result.sendKey, c2: result.receiveKey }
}

function record (plan: SessionPlan, keys: SessionKeys): SessionPair {
  const toResponder = handshake(keys, EMPTY, plan.msg3Payload)
  const toInitiator = handshake(keys, plan.msg2Payload, EMPTY)
  const [r1, r2, r3] = toResponder.messages.map((m) => encodeFrame(m))
  const [i1, i2, i3] = toInitiator.messages.map((m) => encodeFrame(m))
  return {
    toResponder: seal([r1!, r3!], toResponder.c1, plan.frames, [r2!], toResponder.c2),
    toInitiator: seal([i2!], toInitiator.c2, plan.frames, [i1!, i3!], toInitiator.c1)
  }
}

function seal (handshake: Buffer[], key: Buffer, frames: PlannedFrame[], replies: Buffer[], replyKey: Buffer): RecordedSession {
  const cipher = new TransportCipher(key)
  const pieces = [...handshake]
  const frameEnds: number[] = []
  const dataAfter: number[] = []
  const transport: RecordedSession['transport'] = []
  let at = 0
  let delivered = 0
  for (const h of handshake) {
    at += h.byteLength
    frameEnds.push(at)
    dataAfter.push(0)
  }
  frames.forEach((f, nonce) => {
    const wire = sealTransportFrame(cipher, f.type, f.body)
    pieces.push(wire)
    transport.push({ wire, nonce, key: Buffer.from(key), type: f.type, body: f.body })
    at += wire.byteLength
    if (f.type === FRAME_DATA) delivered += f.body.byteLength
    frameEnds.push(at)
    dataAfter.push(delivered)
  })
  const last = frames[frames.length - 1]!
  return {
    handshakeBytes: frameEnds[handshake.length - 1]!,
    replies,
    replyKey: Buffer.from(replyKey),
    wire: Buffer.concat(pieces),
    frameEnds,
    dataAfter,
    data: Buffer.concat(frames.filter((f) => f.type === FRAME_DATA).map((f) => f.body)),
    ending: last.type === FRAME_END ? 'end' : 'abort',
    transport
  }
}

let recorded: SessionPair[] | null = null

/** Every recorded session (made once, then shared). */
export function sessions (): SessionPair[] {
  if (recorded !== null) return recorded
  recorded = PLANS.map((plan, index) => record(plan, sessionKeys(index)))
  checkAgainstVectors(recorded[0]!)
  return recorded
}

/** Session 0 is the vectors' handshake and first frames: if it is not, the recordings are wrong. */
function checkAgainstVectors (s: SessionPair): void {
  const [m1, m2, m3] = V.handshake.messages.map((m: { frame_hex: string }) => hex(m.frame_hex))
  const firstData = V.transport.frames.find((f: { from: string }) => f.from === 'initiator')
  const expected = Buffer.concat([m1, m3, hex(firstData.frame_hex)])
  if (!s.toResponder.wire.subarray(0, expected.byteLength).equals(expected) || !s.toInitiator.wire.subarray(0, m2.byteLength).equals(m2)) {
    throw new Error('fuzz session 0 does not match the known-answer vectors')
  }
}
