import type NoiseState from 'noise-handshake'
import sodium from 'sodium-native'
import { HASH_BYTES, MSG1_BYTES, MSG2_MIN_BYTES, MSG3_MIN_BYTES } from '../constants.js'
import { secureStreamError } from '../errors.js'
import { NativeKdfNoiseState } from './noise-state.js'

const EMPTY = Buffer.alloc(0)

/** Smallest body of each handshake message with empty payloads (PROTOCOL.md 3). */
const MESSAGE_RULES = {
  1: { bytes: MSG1_BYTES, exact: true },
  2: { bytes: MSG2_MIN_BYTES, exact: false },
  3: { bytes: MSG3_MIN_BYTES, exact: false }
} as const

/**
 * Version 1's size rules for handshake bodies (PROTOCOL.md 3): msg1 exactly
 * 32 bytes (no payload allowed), msg2 at least 96, msg3 at least 64. Noise
 * itself would accept a msg1 payload; the wire spec does not.
 */
export function checkHandshakeMessageLength (message: 1 | 2 | 3, body: Uint8Array): void {
  const rule = MESSAGE_RULES[message]
  const ok = rule.exact ? body.byteLength === rule.bytes : body.byteLength >= rule.bytes
  if (ok) return
  const expected = rule.exact ? `exactly ${rule.bytes}` : `at least ${rule.bytes}`
  throw secureStreamError('ERR_HANDSHAKE_FAILED', `msg${message} must be ${expected} bytes, got ${body.byteLength}`)
}

/** The static key pair the handshake proves possession of. */
export interface StaticKeyPair {
  publicKey: Buffer
  secretKey: Buffer
}

/** What a completed handshake yields. Keys are private copies. */
export interface HandshakeResult {
  /** The key we encrypt with (c1 for the initiator, c2 for the responder). */
  sendKey: Buffer
  /** The key we decrypt with. */
  receiveKey: Buffer
  remotePublicKey: Buffer
  /** h after msg3: identifies this session, equal on both sides. */
  handshakeHash: Buffer
}

/**
 * The Noise XX handshake of PROTOCOL.md section 3, with no I/O: it takes
 * and returns frame bodies. Version 1's size rules are checked by
 * `checkHandshakeMessageLength`, not here, so that the public Noise test
 * vectors (which carry payloads) run through this same class. One method per message, named after who sends
 * it, so the order is visible at the call site:
 *
 *     initiator: writeMessage1 -> readMessage2 -> (verify) -> writeMessage3
 *     responder: readMessage1 -> writeMessage2 -> readMessage3 -> (verify)
 *
 * noise-handshake does the Noise state machine (with our key derivation,
 * noise-state.ts). Two of its habits shape
 * this wrapper: it reads any non-Buffer as hex, so we only ever pass
 * Buffers; and on completion it zeroes the remote ephemeral key inside the
 * buffer handed to recv(), so we hand it a copy and keep copies of what we
 * return.
 *
 * It also keeps key material after it is done: the split keys (tx, rx)
 * and our copy of the static secret after success, and the ephemeral
 * secret, chaining key and cipher key after a failure. `wipe()` zeroes all
 * of them in place; the stream calls it the moment the handshake ends,
 * either way (SECURITY.md 7).
 */
export class Handshake {
  readonly isInitiator: boolean
  private readonly noise: NoiseState
  private step = 0
  /** Our copy of the static key pair, handed to noise-handshake, wiped by wipe(). */
  private readonly staticCopy: StaticKeyPair
  /** The payload of the last message read (msg2 or msg3); version 1 ignores it. */
  receivedPayload: Buffer = EMPTY

  /**
   * @param ephemeral fixed ephemeral key pair: a hook for known-answer
   *   tests only. Reusing an ephemeral key breaks forward secrecy.
   */
  constructor (isInitiator: boolean, staticKeyPair: StaticKeyPair, prologue: Uint8Array, ephemeral?: StaticKeyPair) {
    this.isInitiator = isInitiator
    const s = { publicKey: Buffer.from(staticKeyPair.publicKey), secretKey: Buffer.from(staticKeyPair.secretKey) }
    this.staticCopy = s
    this.noise = new NativeKdfNoiseState('XX', isInitiator, s)
    this.noise.initialise(Buffer.from(prologue))
    if (ephemeral !== undefined) {
      this.noise.e = { publicKey: Buffer.from(ephemeral.publicKey), secretKey: Buffer.from(ephemeral.secretKey) }
    }
  }

  /** Initiator: msg1, `-> e`. Version 1 sends no payload. */
  writeMessage1 (payload: Uint8Array = EMPTY): Buffer {
    this.expect(true, 0)
    return this.send(payload)
  }

  /** Responder: read msg1; returns its payload. */
  readMessage1 (body: Uint8Array): Buffer {
    this.expect(false, 0)
    return this.recv(body)
  }

  /** Responder: msg2, `<- e, ee, s, es`. */
  writeMessage2 (payload: Uint8Array = EMPTY): Buffer {
    this.expect(false, 1)
    return this.send(payload)
  }

  /** Initiator: read msg2; returns the responder's static key, to verify before msg3. */
  readMessage2 (body: Uint8Array): Buffer {
    this.expect(true, 1)
    this.receivedPayload = this.recv(body)
    return Buffer.from(this.noise.rs!)
  }

  /** Initiator: msg3, `-> s, se`. Completes the handshake. */
  writeMessage3 (payload: Uint8Array = EMPTY): Buffer {
    this.expect(true, 2)
    return this.send(payload)
  }

  /** Responder: read msg3; returns the initiator's static key. Completes the handshake. */
  readMessage3 (body: Uint8Array): Buffer {
    this.expect(false, 2)
    this.receivedPayload = this.recv(body)
    return Buffer.from(this.noise.rs!)
  }

  /** The handshake hash h so far (a copy). */
  get hash (): Buffer {
    return Buffer.from(this.noise.complete ? this.noise.hash! : this.noise.digest!)
  }

  get complete (): boolean {
    return this.noise.complete
  }

  /** Messages written or read so far (0..3). */
  get messages (): number {
    return this.step
  }

  /**
   * Zero every secret this handshake and noise-handshake still hold: our
   * static secret copy, the ephemeral secret, the chaining key, the
   * current cipher key and the split keys. Idempotent; the handshake is
   * unusable afterwards (result() then returns zeros).
   */
  wipe (): void {
    const n = this.noise as unknown as NoiseInternals
    zero(this.staticCopy.secretKey)
    zero(n.e?.secretKey)
    zero(n.chainingKey)
    zero(n.key)
    // tx and rx are views of one small buffer that also holds the unused
    // halves of the split's HKDF output: zero all of it.
    zeroWhole(n.tx)
    zeroWhole(n.rx)
  }

  /** noise-handshake's state, for the test that checks wipe() reached it. */
  get noiseForTesting (): NoiseInternals {
    return this.noise as unknown as NoiseInternals
  }

  /** The split keys and the remote identity; only after the last message. */
  result (): HandshakeResult {
    if (!this.noise.complete) throw secureStreamError('ERR_INVALID_STATE', 'the handshake result was asked for before the handshake completed')
    return {
      sendKey: Buffer.from(this.noise.tx!),
      receiveKey: Buffer.from(this.noise.rx!),
      remotePublicKey: Buffer.from(this.noise.rs!),
      handshakeHash: Buffer.from(this.noise.hash!)
    }
  }

  private send (payload: Uint8Array): Buffer {
    this.step++
    try {
      return Buffer.from(this.noise.send(Buffer.from(payload)))
    } catch (err) {
      throw secureStreamError('ERR_HANDSHAKE_FAILED', 'could not write handshake message', err)
    }
  }

  private recv (body: Uint8Array): Buffer {
    this.step++
    try {
      // A copy: noise-handshake zeroes the remote ephemeral key in place.
      return Buffer.from(this.noise.recv(Buffer.from(body)))
    } catch (err) {
      throw secureStreamError('ERR_HANDSHAKE_FAILED', `could not read msg${this.step}: it failed to decrypt or is malformed (a different prologue or protocol?)`, err)
    }
  }

  /** A message out of turn (say, the peer spoke before msg1 was sent) fails the handshake. */
  private expect (initiator: boolean, step: number): void {
    if (this.isInitiator !== initiator || this.step !== step) {
      throw secureStreamError('ERR_HANDSHAKE_FAILED', `handshake message out of turn (after ${this.step} messages, as ${this.isInitiator ? 'initiator' : 'responder'})`)
    }
  }
}

/** The fields of noise-handshake's state that hold secrets (it has no types for them). */
export interface NoiseInternals {
  s: StaticKeyPair | null
  e: StaticKeyPair | null
  chainingKey: Uint8Array | null
  key: Uint8Array | null
  tx: Uint8Array | null
  rx: Uint8Array | null
}

function zero (bytes: Uint8Array | null | undefined): void {
  if (bytes !== null && bytes !== undefined) sodium.sodium_memzero(bytes)
}

/** Zero a view and, when it sits in a small buffer of its own (the split output), that whole buffer. */
function zeroWhole (view: Uint8Array | null): void {
  if (view === null) return
  const whole = view.buffer.byteLength <= 2 * HASH_BYTES ? new Uint8Array(view.buffer) : view
  sodium.sodium_memzero(whole)
}
