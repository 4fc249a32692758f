import { FRAME_ABORT, FRAME_DATA, FRAME_END, FRAME_PING } from '../../lib/constants.js'
import { isNoiseChatError } from '../../lib/errors.js'
import { acceptAnyKey } from '../../lib/secure/options.js'
import { SecureStream } from '../../lib/secure/secure-stream.js'
import { EPHEMERAL_KEY_PAIR, type WithEphemeral } from '../../lib/secure/testing.js'
import { TransportCipher } from '../../lib/secure/transport-cipher.js'
import { openTransportFrame } from '../../lib/secure/transport-frame.js'
import { ScriptedPeer } from '../../test/helpers/streams.js'
import { chunkPlan, mutate, randomInput, splitFrames } from '../mutate.js'
import type { Rng } from '../rng.js'
import { sessionKeys, sessions, type RecordedSession } from '../sessions.js'
import { caseBytes, caseChunks, check, makeCase, OracleFailure, type FuzzCase, type FuzzTarget } from '../target.js'

/**
 * Both roles of the real SecureStream (handshake, transport, ending) over an
 * in-memory raw stream. Each case replays a recorded valid session towards
 * one role, mutated, in chunks, then ends the raw stream (once the stream
 * has answered, or at once). The application side varies too: a reader
 * paused until the input is in, data written (and the stream ended) before
 * the handshake, a verify callback that answers later or says no.
 *
 * Oracles on what the stream delivers:
 * - it closes within the time bound, with an error or a clean end;
 * - every error is a coded noise-chat error;
 * - what it delivered is a prefix of what the valid session carries, and no
 *   longer than what the valid frames before the first damaged byte carry:
 *   nothing after a bad frame is ever delivered;
 * - a clean end (END, no error) only when the whole valid session, END
 *   included, arrived intact; nothing is delivered or ends after an error;
 *   nothing at all is delivered from a peer whose key was refused;
 * - the valid session itself, however it is cut and paced, delivers
 *   everything and ends the way it was recorded (unless closed at once).
 * Oracles on what the stream sends:
 * - whole frames only; its handshake messages exactly the recorded ones;
 * - transport frames that decrypt in order under its key, carrying a
 *   prefix of what the application wrote; nothing after its END or ABORT.
 */

type Role = 'responder' | 'initiator'

/** How the bytes are paced: all in one turn, a turn of the event loop between chunks, or a microtask. */
const PACING = ['sync', 'immediate', 'microtask'] as const

/** What the application writes before the handshake, when `params.write` asks for it. */
const EARLY_DATA = Buffer.from('early data from the application')

function recorded (role: Role, index: number): RecordedSession {
  const pair = sessions()[index]!
  return role === 'responder' ? pair.toResponder : pair.toInitiator
}

function generator (role: Role): (rng: Rng) => FuzzCase {
  return (rng) => {
    const all = sessions().map((s) => role === 'responder' ? s.toResponder : s.toInitiator)
    const wires = all.map((s) => s.wire)
    // The 20 KB session is slow to deliver byte by byte; it gets its share, not more.
    const session = rng.weighted(wires.map((w) => w.byteLength > 4096 ? 0.4 : 1))
    const chosen = all[session]!
    let bytes: Buffer
    const roll = rng.int(100)
    if (roll < 6) bytes = Buffer.from(chosen.wire)
    else if (roll < 10) bytes = randomInput(rng, 'frames')
    else if (roll < 50) {
      // The handshake intact, the transport damaged: most of what a stream handles after the handshake.
      const tails = all.map((s) => s.wire.subarray(s.handshakeBytes))
      const tail = mutate(rng, chosen.wire.subarray(chosen.handshakeBytes), { structure: 'frames', others: tails })
      bytes = Buffer.concat([chosen.wire.subarray(0, chosen.handshakeBytes), tail])
    } else bytes = mutate(rng, chosen.wire, { structure: 'frames', others: wires })
    const params = {
      session,
      pacing: rng.weighted([6, 3, 1]),
      asyncVerify: rng.chance(0.25) ? 1 : 0,
      closeEarly: rng.chance(0.2) ? 1 : 0,
      pausedReader: rng.chance(0.15) ? 1 : 0,
      write: rng.weighted([6, 2, 2]),
      reject: rng.chance(0.08) ? 1 : 0
    }
    return makeCase(bytes, chunkPlan(rng, bytes.byteLength), params)
  }
}

interface Observed {
  data: Buffer[]
  ended: boolean
  error: (Error & { code?: string }) | null
  /** Oracle breaches seen while events arrived (data after an error...). */
  breaches: string[]
}

function observe (stream: SecureStream): { observed: Observed, closed: Promise<void> } {
  const observed: Observed = { data: [], ended: false, error: null, breaches: [] }
  const closed = new Promise<void>((resolve) => {
    stream.on('data', (d: unknown) => {
      if (observed.error !== null) observed.breaches.push('data delivered after the error')
      observed.data.push(d as Buffer)
    })
    stream.on('end', () => {
      if (observed.error !== null) observed.breaches.push("'end' after the error")
      observed.ended = true
      stream.end()
    })
    stream.on('error', (err: Error) => {
      if (observed.error !== null) observed.breaches.push('a second error')
      observed.error = err
    })
    stream.on('close', () => resolve())
  })
  return { observed, closed }
}

/** A raw stream that records every write the SecureStream makes, as it makes it. */
class RecordingPeer extends ScriptedPeer {
  readonly calls: Buffer[] = []
  override write (data: unknown): boolean {
    this.calls.push(Buffer.from(data as Buffer))
    return super.write(data)
  }
}

const delay = (pacing: number): Promise<void> | null => {
  if (PACING[pacing] === 'immediate') return new Promise((resolve) => setImmediate(resolve))
  if (PACING[pacing] === 'microtask') return Promise.resolve()
  return null
}

function runner (role: Role, timeoutMs: number): (input: FuzzCase) => Promise<string> {
  return async (input) => {
    const p = input.params
    const index = p['session'] ?? 0
    const session = recorded(role, index)
    const keys = sessionKeys(index)
    const isInitiator = role === 'initiator'
    const decision = p['reject'] !== 1
    const verify = p['asyncVerify'] === 1
      ? () => new Promise<boolean>((resolve) => setImmediate(() => resolve(decision)))
      : decision ? acceptAnyKey : () => false
    const peer = new RecordingPeer()
    const stream = new SecureStream(isInitiator, peer, {
      keyPair: isInitiator ? keys.initiatorStatic : keys.responderStatic,
      verify,
      [EPHEMERAL_KEY_PAIR]: isInitiator ? keys.initiatorEphemeral : keys.responderEphemeral
    } as WithEphemeral<ConstructorParameters<typeof SecureStream>[2]>)
    const { observed, closed } = observe(stream)
    if (p['pausedReader'] === 1) stream.pause()
    if ((p['write'] ?? 0) >= 1) stream.write(EARLY_DATA)
    if (p['write'] === 2) stream.end()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs) })
    try {
      // The initiator speaks first: the recorded answer makes sense only after msg1.
      if (isInitiator && await Promise.race([peer.waitForBytes(1), closed, timeout]) === 'timeout') {
        throw new OracleFailure(`hang: the initiator sent no msg1 within ${timeoutMs} ms`)
      }
      for (const chunk of caseChunks(input)) {
        peer.deliver(chunk)
        const wait = delay(p['pacing'] ?? 0)
        if (wait !== null) await wait
      }
      if (p['pausedReader'] === 1) stream.resume()
      // A well-behaved peer closes once it has nothing more to say and the
      // stream has answered (PROTOCOL.md 6); an abrupt one closes at once.
      if (p['closeEarly'] !== 1) await settle(closed)
      peer.push(null)
      if (await Promise.race([closed, timeout]) === 'timeout') {
        throw new OracleFailure(`hang: the stream did not close within ${timeoutMs} ms of the end of its input`)
      }
    } finally {
      clearTimeout(timer)
      if (!stream.destroyed) stream.destroy()
    }
    checkSent(role, session, caseBytes(input), peer.calls, (p['write'] ?? 0) >= 1 ? EARLY_DATA : Buffer.alloc(0))
    return judge(role, session, caseBytes(input), observed, p['closeEarly'] === 1, !decision, p['pausedReader'] === 1)
  }
}

/** Turns of the event loop a peer waits for the stream to finish answering before it closes. */
const SETTLE_TURNS = 12

/** Wait until the stream closed, or SETTLE_TURNS turns of the event loop passed. */
async function settle (closed: Promise<void>): Promise<void> {
  let done = false
  void closed.then(() => { done = true })
  for (let i = 0; i < SETTLE_TURNS && !done; i++) await new Promise((resolve) => setImmediate(resolve))
}

function judge (role: Role, session: RecordedSession, input: Buffer, o: Observed, closedEarly: boolean, rejected: boolean, pausedReader: boolean): string {
  check(o.breaches.length === 0, () => o.breaches.join('; '))
  const delivered = Buffer.concat(o.data)
  const valid = session.wire
  check(delivered.equals(session.data.subarray(0, delivered.byteLength)), () => `delivered ${delivered.byteLength} bytes that are not a prefix of the session's data`)
  const intact = deliverableBefore(session, commonPrefix(input, valid))
  check(delivered.byteLength <= intact, () => `delivered ${delivered.byteLength} bytes, but the intact frames carry only ${intact}: data after a bad frame`)
  if (o.error !== null) check(isNoiseChatError(o.error), () => `an uncoded error: ${String(o.error?.stack ?? o.error)}`)
  check(o.error !== null || o.ended, 'closed with neither an end nor an error')
  if (o.ended) check(delivered.equals(session.data), () => `ended after ${delivered.byteLength} of ${session.data.byteLength} bytes`)
  const clean = o.ended && o.error === null
  const wholeSession = input.byteLength >= valid.byteLength && input.subarray(0, valid.byteLength).equals(valid)
  if (clean) check(wholeSession && session.ending === 'end', 'a clean end for a session that was not delivered intact up to its END')
  if (rejected) {
    check(delivered.byteLength === 0 && !o.ended, () => `delivered ${delivered.byteLength} bytes${o.ended ? ' and ended' : ''} from a peer whose key was refused`)
    if (input.equals(valid) && !closedEarly) check(o.error?.code === 'ERR_REMOTE_KEY_REJECTED', () => `refusing the valid session's key failed with ${o.error?.code}`)
  } else if (input.equals(valid) && !closedEarly) {
    // Closed at once, even a valid session may fail (the handshake or our END
    // still under way: PROTOCOL.md 7.2), but only with what the oracles above
    // allow; and a reader paused when an ABORT fails the stream loses what it
    // had not read (PROTOCOL.md 7.5).
    const mayLoseUnread = pausedReader && session.ending === 'abort'
    if (!mayLoseUnread) check(delivered.equals(session.data), () => `the valid session delivered ${delivered.byteLength} of ${session.data.byteLength} bytes`)
    if (session.ending === 'end') check(clean, () => `the valid session did not end cleanly: ${String(o.error)}`)
    else {
      const expected = role === 'initiator' && session.transport.length === 1 ? 'ERR_LOCAL_KEY_REJECTED' : 'ERR_PEER_ABORTED'
      check(o.error?.code === expected, () => `the valid session ending in ABORT failed with ${o.error?.code}, not ${expected}`)
    }
  }
  return clean ? 'clean end' : o.error!.code!
}

/**
 * What the stream sent: whole frames; its handshake messages as recorded;
 * then transport frames that open in order under its key, DATA carrying a
 * prefix of what was written, nothing after END or ABORT.
 */
function checkSent (role: Role, session: RecordedSession, input: Buffer, calls: Buffer[], written: Buffer): void {
  const wire = Buffer.concat(calls)
  const { frames, rest } = splitFrames(wire)
  check(rest.byteLength === 0, () => `the stream sent ${rest.byteLength} bytes that are not a whole frame`)
  // A responder's first frame is msg2; an initiator's are msg1 and, once it
  // accepted msg2, msg3. A responder's msg2 answers the msg1 it got: it is
  // the recorded one only when that msg1 was; an initiator's msg3 must always
  // be the recorded one (it can only follow the authentic msg2).
  const handshake = Math.min(frames.length, session.replies.length)
  const msg1Intact = input.subarray(0, session.frameEnds[0]!).equals(session.wire.subarray(0, session.frameEnds[0]!))
  for (let i = 0; i < handshake; i++) {
    if (role === 'responder' && !msg1Intact) continue
    check(frames[i]!.equals(session.replies[i]!), () => `handshake message ${role === 'responder' ? 2 : 2 * i + 1} the ${role} sent is not the recorded one`)
  }
  const cipher = new TransportCipher(session.replyKey)
  let sent = 0
  let last: string | null = null
  for (let i = handshake; i < frames.length; i++) {
    const body = frames[i]!.subarray(2)
    let frame
    try {
      frame = openTransportFrame(cipher, [body], body.byteLength)
    } catch (err) {
      throw new OracleFailure(`transport frame ${i - handshake} the ${role} sent does not open: ${String(err)}`)
    }
    check(last === null, () => `the ${role} sent a frame of type ${frame.type} after its ${last}`)
    const bytes = Buffer.concat(frame.body)
    if (frame.type === FRAME_DATA) {
      check(bytes.equals(written.subarray(sent, sent + bytes.byteLength)), () => `the ${role} sent DATA that was not written`)
      sent += bytes.byteLength
    } else if (frame.type === FRAME_END) last = 'END'
    else if (frame.type === FRAME_ABORT) last = 'ABORT'
    else check(frame.type === FRAME_PING, () => `the ${role} sent frame type ${frame.type}`)
  }
}

function commonPrefix (a: Buffer, b: Buffer): number {
  const n = Math.min(a.byteLength, b.byteLength)
  let i = 0
  while (i < n && a[i] === b[i]) i++
  return i
}

/** DATA bytes carried by the session's frames that lie wholly within its first `prefix` bytes. */
function deliverableBefore (session: RecordedSession, prefix: number): number {
  let data = 0
  for (let i = 0; i < session.frameEnds.length && session.frameEnds[i]! <= prefix; i++) data = session.dataAfter[i]!
  return data
}

function target (role: Role, share: number): FuzzTarget {
  const timeoutMs = 10_000
  return {
    name: `secure-stream-${role}`,
    description: `SecureStream as ${role}: recorded sessions mutated, chunked, paced; handshake, transport, ending, what it sends`,
    share,
    timeoutMs,
    generate: generator(role),
    run: runner(role, timeoutMs)
  }
}

/** The responder role, fed mutated msg1 + msg3 + initiator frames. */
export const secureResponderTarget = target('responder', 60_000)
/** The initiator role, fed mutated msg2 + responder frames. */
export const secureInitiatorTarget = target('initiator', 60_000)
