import { Duplex, getStreamError } from 'streamx'
import { inspect } from 'node:util'
import {
  ABORT_GRACE_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_MS,
  DEFAULT_PROLOGUE, FRAME_ABORT, FRAME_DATA, FRAME_END, FRAME_PING, HANDSHAKE_TIMEOUT_MS,
  HASH_BYTES, KEY_BYTES, MAX_WRITE_BATCH_BYTES, STREAM_HIGH_WATER_MARK_BYTES
} from '../constants.js'
import { SecureStreamError, secureStreamError } from '../errors.js'
import { fingerprint, generateKeyPair } from './keypair.js'
import { encodeFrame, FrameDecoder, joinPieces } from './frame-codec.js'
import { openTransportFrame, sealDataFrames, sealTransportFrame } from './transport-frame.js'
import { checkHandshakeMessageLength, Handshake, type HandshakeResult, type StaticKeyPair } from './handshake.js'
import type { SecureStreamOptions, VerifyRemoteKey } from './options.js'
import { TransportCipher } from './transport-cipher.js'
import { checkOptions } from './check-options.js'
import { abortReasonBytes, abortReasonOf, printable } from './abort-reason.js'

/**
 * What a SecureStream needs of the stream it wraps: a net.Socket, a Node
 * Duplex or a streamx Duplex all fit.
 */
export interface RawStream {
  write (chunk: Buffer): boolean
  end (): unknown
  /** Optional: lets the many pieces of one batch of frames leave in one system call. */
  cork? (): void
  uncork? (): void
  destroy (err?: Error): unknown
  pause (): unknown
  resume (): unknown
  on (event: string, listener: (...args: any[]) => void): unknown
  once (event: string, listener: (...args: any[]) => void): unknown
}

/** Options only tests use: a fixed ephemeral key reproduces the known-answer vectors. */
interface TestingOptions {
  ephemeralKeyPairForTesting?: StaticKeyPair
}

const HANDSHAKING = 0
const OPEN = 1

const EMPTY = Buffer.alloc(0)
const noop = (): void => {}

/**
 * A Noise XX secure channel over any byte stream (PROTOCOL.md). A streamx
 * Duplex: writes made before the handshake completes are buffered by
 * streamx until `_open` calls back; backpressure passes through in both
 * directions; `end()` sends an authenticated END; a close without END or
 * ABORT is ERR_TRUNCATED, never a clean end.
 *
 * Life of a stream:
 *   handshake (msg1..msg3, the verify callback between) -> open -> END both
 *   ways, or ABORT, or an error; then the raw stream is closed.
 */
export class SecureStream extends Duplex {
  readonly isInitiator: boolean
  readonly rawStream: RawStream
  /** Our static public key. */
  readonly publicKey: Buffer
  /** The peer's static public key: known after msg2 (initiator) or msg3 (responder). */
  remotePublicKey: Buffer | null = null
  /** The handshake hash, equal on both sides: binds anything to this session. */
  handshakeHash: Buffer | null = null

  private readonly facts: Buffer
  private phase = HANDSHAKING
  private handshake: Handshake | null
  private sender: TransportCipher | null = null
  private receiver: TransportCipher | null = null
  private readonly decoder = new FrameDecoder()
  private readonly verifyRemoteKey: VerifyRemoteKey
  private readonly keepAliveMs: number
  private readonly idleTimeoutMs: number

  private endSent = false
  private endReceived = false
  private abortSent = false
  private abortReceived = false
  private receivedTransportFrame = false
  private sentMessage2 = false
  private handshakeTimeoutMs = HANDSHAKE_TIMEOUT_MS
  private sentSinceKeepAlive = false
  /** The raw stream ended, closed or failed: nothing more can be sent or received. */
  private rawGone = false
  /** We began closing the raw stream ourselves. */
  private rawClosing = false
  private pausedForVerify = false
  private pausedForReader = false
  /** The reason to send in ABORT when we fail because we rejected the peer's key. */
  private abortReason: string | null = null
  /** Set when the stream failed; the destroy follows on the next turn. */
  private failure: Error | null = null

  private openCallback: ((err: Error | null) => void) | null = null
  private drainCallback: ((err: Error | null) => void) | null = null
  private handshakeTimer: NodeJS.Timeout | null = null
  private keepAliveTimer: NodeJS.Timeout | null = null
  private idleTimer: NodeJS.Timeout | null = null
  /** The `opened` promise, made only when someone asks for it: idle connections should not pay for one. */
  private openedPromise: Promise<void> | null = null
  private resolveOpened: () => void = noop
  private rejectOpened: (err: Error) => void = noop
  /** How the handshake ended, for an `opened` asked for afterwards: null while it runs. */
  private openOutcome: Error | true | null = null

  constructor (isInitiator: boolean, rawStream: RawStream, options: SecureStreamOptions) {
    super({ eagerOpen: true, highWaterMark: STREAM_HIGH_WATER_MARK_BYTES, mapWritable: toBuffer, byteLength })
    const opts = checkOptions(options)
    this.isInitiator = isInitiator
    this.rawStream = rawStream
    this.verifyRemoteKey = opts.verify
    this.keepAliveMs = opts.keepAlive ?? DEFAULT_KEEP_ALIVE_MS
    this.idleTimeoutMs = opts.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS

    const keyPair = opts.keyPair ?? generateKeyPair()
    // Our key, the peer's and the handshake hash share one small allocation:
    // pooled copies would each pin an 8 KiB slab for the connection's life.
    this.facts = Buffer.allocUnsafeSlow(2 * KEY_BYTES + HASH_BYTES)
    this.publicKey = this.facts.subarray(0, KEY_BYTES)
    this.publicKey.set(keyPair.publicKey)
    const prologue = typeof opts.prologue === 'string' ? Buffer.from(opts.prologue) : opts.prologue ?? Buffer.from(DEFAULT_PROLOGUE)
    const ephemeral = (options as TestingOptions).ephemeralKeyPairForTesting
    this.handshake = new Handshake(isInitiator, keyPair, prologue, ephemeral)

    // A responder knows msg1 is exactly 32 bytes: refuse any other length
    // from its header alone, so an HTTP request or a port scan fails at once.
    if (!isInitiator) this.decoder.checkLength = this.checkMessage1Length
    rawStream.on('data', this.onRawData)
    rawStream.on('end', this.onRawEnd)
    rawStream.on('close', this.onRawEnd)
    rawStream.on('error', this.onRawError)

    // PROTOCOL.md 3: the responder's clock starts when it accepts the connection.
    if (!isInitiator) this.startHandshakeTimer(opts.handshakeTimeout)
    else this.handshakeTimeoutMs = opts.handshakeTimeout ?? HANDSHAKE_TIMEOUT_MS
    if (opts.signal !== undefined) this.watchSignal(opts.signal)
  }

  /** Resolves when the handshake completed and the peer's key was accepted; rejects with the stream's error otherwise. */
  get opened (): Promise<void> {
    if (this.openedPromise !== null) return this.openedPromise
    if (this.openOutcome === true) this.openedPromise = Promise.resolve()
    else if (this.openOutcome !== null) this.openedPromise = Promise.reject(this.openOutcome)
    else {
      this.openedPromise = new Promise((resolve, reject) => {
        this.resolveOpened = resolve
        this.rejectOpened = reject
      })
    }
    // Awaiting `opened` is optional: an unawaited failure must not crash the process.
    this.openedPromise.catch(noop)
    return this.openedPromise
  }

  /**
   * Bytes accepted by write() and not yet handed to the raw stream (like
   * ws's bufferedAmount): lets a writer bound a reader that stopped
   * reading. What the raw stream holds itself is its own (a socket's
   * `writableLength`).
   */
  get bufferedAmount (): number {
    // streamx counts queued bytes but does not type its state.
    return (this as unknown as { _writableState: { buffered: number } })._writableState.buffered
  }

  // ---- streamx hooks -------------------------------------------------------

  override _open (cb: (err: Error | null) => void): void {
    if (this.phase === OPEN) return cb(null)
    this.openCallback = cb
    if (!this.isInitiator) return
    // PROTOCOL.md 3: the initiator's clock starts when it sends msg1.
    this.startHandshakeTimer(this.handshakeTimeoutMs)
    this.sendHandshakeMessage(this.handshake!.writeMessage1())
  }

  override _read (cb: (err: Error | null) => void): void {
    this.pausedForReader = false
    this.updateRawFlow()
    cb(null)
  }

  override _writev (batch: unknown[], cb: (err: Error | null) => void): void {
    if (this.failure !== null) return this.holdUntilDestroy(cb)
    let flushed: boolean
    try {
      flushed = this.sendData(batch as Buffer[])
    } catch (err) {
      return cb(err as Error)
    }
    if (flushed) return cb(null)
    this.drainCallback = cb
    this.rawStream.once('drain', this.onRawDrain)
  }

  override _final (cb: (err: Error | null) => void): void {
    // A failed stream must not finish cleanly in the turn before its destroy.
    if (this.failure !== null) return this.holdUntilDestroy(cb)
    try {
      this.sendFrame(FRAME_END, EMPTY)
    } catch (err) {
      return cb(err as Error)
    }
    this.endSent = true
    this.finishRawIfBothEnded()
    cb(null)
  }

  /**
   * A write or end reached a stream that failed this turn: its callback
   * fails with the destroy that `fail` scheduled. Failing it now would
   * destroy the stream at once and drop the authentic data the reader has
   * not been handed yet (PROTOCOL.md 7.5). streamx runs one of _writev and
   * _final at a time, so the drain callback's slot is free.
   */
  private holdUntilDestroy (cb: (err: Error | null) => void): void {
    this.drainCallback = cb
  }

  override _predestroy (): void {
    const err = streamError(this)
    this.stopTimers()
    if (this.openOutcome === null) this.openOutcome = err
    this.rejectOpened(err)
    this.callBack('openCallback', err)
    this.callBack('drainCallback', err)
    this.closeRaw(err)
  }

  override _destroy (cb: (err: Error | null) => void): void {
    // After END both ways streamx destroys without _predestroy: the timers
    // must stop here too, or the keep-alive interval holds the stream for good.
    this.stopTimers()
    this.sender?.wipe()
    this.receiver?.wipe()
    this.handshake = null
    cb(null)
  }

  // ---- receiving -----------------------------------------------------------

  private readonly onRawData = (chunk: Buffer | Uint8Array | string): void => {
    if (this.destroying || this.failure !== null) return
    try {
      this.decoder.push(toBuffer(chunk), this.onFrame)
    } catch (err) {
      this.fail(err as Error)
    }
  }

  /** One complete frame body; returns false to hold back the frames after it. */
  private readonly onFrame = (pieces: Buffer[], length: number): boolean => {
    if (this.destroying || this.failure !== null) return false
    if (this.phase === OPEN) return this.onTransportFrame(pieces, length)
    return this.onHandshakeFrame(joinPieces(pieces, length))
  }

  private readonly checkMessage1Length = (length: number): void => {
    this.decoder.checkLength = null
    checkHandshakeMessageLength(1, { byteLength: length } as Uint8Array)
  }

  private onHandshakeFrame (body: Buffer): boolean {
    const hs = this.handshake!
    if (this.isInitiator) {
      checkHandshakeMessageLength(2, body)
      const remoteKey = hs.readMessage2(body)
      this.verify(remoteKey, () => {
        this.sendHandshakeMessage(hs.writeMessage3())
        this.becomeOpen(hs.result())
      })
      return false
    }
    if (!this.sentMessage2) {
      checkHandshakeMessageLength(1, body)
      hs.readMessage1(body)
      this.sentMessage2 = true
      this.sendHandshakeMessage(hs.writeMessage2())
      return true
    }
    checkHandshakeMessageLength(3, body)
    const remoteKey = hs.readMessage3(body)
    const result = hs.result()
    // Keys first: a rejection is reported in an ABORT under c2 (PROTOCOL.md 3).
    this.installCiphers(result)
    this.verify(remoteKey, () => this.becomeOpen(result))
    return false
  }

  private onTransportFrame (pieces: Buffer[], length: number): boolean {
    this.idleTimer?.refresh()
    if (this.endReceived) throw secureStreamError('ERR_UNEXPECTED_FRAME', "received a frame after the peer's END")
    const first = !this.receivedTransportFrame
    this.receivedTransportFrame = true
    const { type, body, bodyLength } = openTransportFrame(this.receiver!, pieces, length)
    if (type === FRAME_DATA) return this.onData(body)
    if (type === FRAME_END) return this.onEnd()
    if (type === FRAME_ABORT) return this.onAbort(joinPieces(body, bodyLength), first)
    return true // PING: keep-alive only, never surfaces
  }

  private onData (body: Buffer[]): boolean {
    let more = true
    for (const piece of body) more = this.push(piece)
    if (!more) {
      this.pausedForReader = true
      this.updateRawFlow()
    }
    return true
  }

  private onEnd (): boolean {
    this.endReceived = true
    this.push(null)
    this.finishRawIfBothEnded()
    return true
  }

  private onAbort (body: Buffer, first: boolean): boolean {
    this.abortReceived = true
    // Invalid UTF-8 becomes U+FFFD; control characters could paint a terminal.
    const reason = printable(body.toString('utf8'))
    // PROTOCOL.md 3: a responder that refuses our key says so in its first frame.
    const err = this.isInitiator && first
      ? secureStreamError('ERR_LOCAL_KEY_REJECTED', `the peer refused our key: ${reason}`)
      : secureStreamError('ERR_PEER_ABORTED', `the peer aborted the stream: ${reason}`)
    ;(err as SecureStreamError & { reason: string }).reason = reason
    this.fail(err)
    return false
  }

  /** 'end' and 'close' of the raw stream: either means nothing more will arrive. */
  private readonly onRawEnd = (): void => this.onRawGone(null)
  private readonly onRawError = (err: Error): void => this.onRawGone(err)

  private onRawGone (cause: Error | null): void {
    if (this.rawGone) return
    this.rawGone = true
    if (this.destroying || this.rawClosing) return
    if (this.phase === HANDSHAKING) {
      return this.fail(secureStreamError('ERR_HANDSHAKE_INCOMPLETE', 'the connection closed during the handshake', cause ?? undefined))
    }
    if (!this.endReceived) {
      const where = this.decoder.midFrame ? ' in the middle of a frame' : ''
      return this.fail(secureStreamError('ERR_TRUNCATED', `the connection closed${where} before the peer's END: the stream was truncated`, cause ?? undefined))
    }
    if (!this.endSent) {
      return this.fail(secureStreamError('ERR_TRUNCATED', 'the peer closed the connection before our END was sent', cause ?? undefined))
    }
  }

  private readonly onRawDrain = (): void => {
    this.callBack('drainCallback', null)
  }

  // ---- the handshake -------------------------------------------------------

  /** Ask the verify callback; hold all input meanwhile; run `accept` on an explicit true. */
  private verify (remoteKey: Buffer, accept: () => void): void {
    this.remotePublicKey = this.keep(remoteKey, KEY_BYTES)
    this.pausedForVerify = true
    this.updateRawFlow()
    const info = { isInitiator: this.isInitiator, handshakeHash: this.handshake!.hash }
    let decision: unknown
    try {
      decision = this.verifyRemoteKey(Buffer.from(remoteKey), info)
    } catch (err) {
      return this.rejectRemoteKey(err)
    }
    Promise.resolve(decision).then((ok) => {
      if (this.destroying || this.failure !== null) return
      if (ok !== true) return this.rejectRemoteKey(null)
      this.afterVerify(accept)
    }, (err: unknown) => this.rejectRemoteKey(err))
  }

  private afterVerify (accept: () => void): void {
    try {
      accept()
      this.pausedForVerify = false
      this.updateRawFlow()
      this.decoder.resume(this.onFrame)
    } catch (err) {
      this.fail(err as Error)
    }
  }

  private rejectRemoteKey (cause: unknown): void {
    if (this.destroying || this.failure !== null) return
    const fp = fingerprint(this.remotePublicKey!)
    const reason = cause instanceof Error ? cause.message : `key ${fp} is not accepted`
    this.abortReason = reason
    const message = cause instanceof Error ? cause.message : `rejected the peer's key ${fp}`
    this.fail(secureStreamError('ERR_REMOTE_KEY_REJECTED', message, cause ?? undefined))
  }

  /** Copy `bytes` into this stream's facts buffer at `offset`; returns the view. */
  private keep (bytes: Buffer, offset: number): Buffer {
    const view = this.facts.subarray(offset, offset + bytes.byteLength)
    view.set(bytes)
    return view
  }

  private installCiphers (result: HandshakeResult): void {
    // One small allocation holds both directions' key and nonce.
    const size = TransportCipher.STATE_BYTES
    const state = Buffer.allocUnsafeSlow(2 * size)
    this.sender = new TransportCipher(result.sendKey, state.subarray(0, size))
    this.receiver = new TransportCipher(result.receiveKey, state.subarray(size))
    result.sendKey.fill(0)
    result.receiveKey.fill(0)
  }

  private becomeOpen (result: HandshakeResult): void {
    if (this.sender === null) this.installCiphers(result)
    this.handshakeHash = this.keep(result.handshakeHash, 2 * KEY_BYTES)
    this.handshake = null
    this.phase = OPEN
    this.clearHandshakeTimer()
    this.startTransportTimers()
    this.callBack('openCallback', null)
    this.openOutcome = true
    this.resolveOpened()
    this.emit('connect')
  }

  // ---- sending -------------------------------------------------------------

  private sendHandshakeMessage (body: Buffer): void {
    this.rawStream.write(encodeFrame(body))
  }

  /**
   * Seal a batch of application writes into as few full DATA frames as
   * possible and send them in as few socket writes as possible. Returns
   * false when the raw stream asked us to wait for 'drain'.
   */
  private sendData (batch: Buffer[]): boolean {
    let total = 0
    for (const chunk of batch) total += chunk.byteLength
    const cursor = { index: 0, offset: 0 }
    let flushed = true
    const raw = this.rawStream
    while (total > 0) {
      const segment = Math.min(total, MAX_WRITE_BATCH_BYTES)
      const wire = sealDataFrames(this.sender!, batch, cursor, segment)
      raw.cork?.()
      for (const piece of wire) flushed = raw.write(piece)
      raw.uncork?.()
      total -= segment
    }
    this.sentSinceKeepAlive = true
    return flushed
  }

  /** Send one control frame (END, PING, ABORT). */
  private sendFrame (type: number, body: Uint8Array): void {
    const wire = sealTransportFrame(this.sender!, type, body)
    this.sentSinceKeepAlive = true
    this.rawStream.write(wire)
  }

  // ---- closing -------------------------------------------------------------

  /**
   * Fail the stream. Input stops at once (nothing after a bad frame is ever
   * delivered), but the destroy waits one turn of the event loop: the
   * frames before the failure were authentic, and a flowing reader gets
   * them before the error.
   */
  private fail (err: Error): void {
    if (this.destroying || this.failure !== null) return
    this.failure = err
    this.stopTimers()
    setImmediate(() => this.destroy(err))
  }

  private finishRawIfBothEnded (): void {
    if (!this.endSent || !this.endReceived || this.rawClosing) return
    // PROTOCOL.md 6: when both sides sent END, either may close.
    this.rawClosing = true
    this.lingerThenClose()
  }

  /** Close the raw stream after a failure or destroy: ABORT first when we still can. */
  private closeRaw (err: Error): void {
    if (this.rawClosing) return
    this.rawClosing = true
    if (this.rawGone) return void this.rawStream.destroy()
    if (this.canSendAbort()) {
      try {
        this.markNotAKeyRefusal()
        this.sendFrame(FRAME_ABORT, abortReasonBytes(this.abortReason ?? abortReasonOf(err)))
        this.abortSent = true
        return this.lingerThenClose()
      } catch {
        // The nonce is used up: nothing more can be sealed. Just close.
      }
    }
    this.rawStream.destroy()
  }

  /**
   * An initiator reads an ABORT that is the responder's very first frame as
   * "my key was refused" (PROTOCOL.md 3 leaves no other signal). So when a
   * responder aborts for any other reason before it has sent anything, it
   * first sends an empty DATA frame (legal, delivers nothing): then only a
   * real key refusal is ever a first-frame ABORT.
   */
  private markNotAKeyRefusal (): void {
    if (this.isInitiator || this.abortReason !== null) return
    if (this.sender!.nonce.value !== 0n) return
    this.sendFrame(FRAME_DATA, EMPTY)
  }

  private canSendAbort (): boolean {
    // PROTOCOL.md 4 and 6: after our END we send nothing more, not even ABORT
    // (a peer reads any frame after END as a protocol error, and loses the reason).
    return this.sender !== null && !this.abortSent && !this.abortReceived && !this.endSent
  }

  /**
   * End our side, then read and discard what still arrives until the peer
   * closes or a grace period passes: closing with unread data would reset
   * the connection and could lose our last frame (PROTOCOL.md 3).
   */
  private lingerThenClose (): void {
    const raw = this.rawStream
    const timer = setTimeout(() => raw.destroy(), ABORT_GRACE_MS)
    timer.unref()
    raw.on('close', () => clearTimeout(timer))
    raw.on('end', () => raw.destroy())
    raw.end()
    this.pausedForVerify = false
    this.pausedForReader = false
    raw.resume()
  }

  // ---- flow and timers -----------------------------------------------------

  private updateRawFlow (): void {
    if (this.pausedForVerify || this.pausedForReader) this.rawStream.pause()
    else this.rawStream.resume()
  }

  private startHandshakeTimer (ms: number | undefined): void {
    const timeout = ms ?? HANDSHAKE_TIMEOUT_MS
    if (timeout <= 0) return
    this.handshakeTimer = setTimeout(() => {
      this.fail(secureStreamError('ERR_HANDSHAKE_TIMEOUT', `the handshake did not complete within ${timeout} ms`))
    }, timeout)
    this.handshakeTimer.unref()
  }

  private clearHandshakeTimer (): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer)
    this.handshakeTimer = null
  }

  private startTransportTimers (): void {
    if (this.keepAliveMs > 0) {
      this.keepAliveTimer = setInterval(() => this.onKeepAlive(), this.keepAliveMs)
      this.keepAliveTimer.unref()
    }
    if (this.idleTimeoutMs > 0) {
      this.idleTimer = setTimeout(() => this.onIdle(), this.idleTimeoutMs)
      this.idleTimer.unref()
    }
  }

  private onKeepAlive (): void {
    if (this.endSent || this.destroying) return
    if (!this.sentSinceKeepAlive) this.sendPing()
    this.sentSinceKeepAlive = false
  }

  private sendPing (): void {
    try {
      this.sendFrame(FRAME_PING, EMPTY)
    } catch (err) {
      this.fail(err as Error)
    }
  }

  private onIdle (): void {
    this.fail(secureStreamError('ERR_IDLE_TIMEOUT', `no frame from the peer for ${this.idleTimeoutMs} ms`))
  }

  private stopTimers (): void {
    this.clearHandshakeTimer()
    if (this.keepAliveTimer !== null) clearInterval(this.keepAliveTimer)
    if (this.idleTimer !== null) clearTimeout(this.idleTimer)
    this.keepAliveTimer = null
    this.idleTimer = null
  }

  private watchSignal (signal: AbortSignal): void {
    const cancel = (): void => this.fail(secureStreamError('ERR_CANCELLED', 'the stream was cancelled by its abort signal', signal.reason))
    if (signal.aborted) {
      queueMicrotask(cancel)
      return
    }
    signal.addEventListener('abort', cancel, { once: true })
    this.on('close', () => signal.removeEventListener('abort', cancel))
  }

  private callBack (name: 'openCallback' | 'drainCallback', err: Error | null): void {
    const cb = this[name]
    if (cb === null) return
    this[name] = null
    cb(err)
  }

  // ---- test hooks and printing ---------------------------------------------

  /** Internal: set a direction's next nonce, to test counting across 2^32 and exhaustion. */
  _setNonceForTesting (direction: 'send' | 'receive', value: bigint): void {
    const cipher = direction === 'send' ? this.sender : this.receiver
    if (cipher === null) throw new Error('the handshake has not completed')
    cipher.nonce.set(value)
  }

  /** Public facts only: never key material. */
  toJSON (): Record<string, unknown> {
    return {
      isInitiator: this.isInitiator,
      state: this.destroyed ? 'closed' : this.phase === OPEN ? 'open' : 'handshaking',
      publicKey: this.publicKey.toString('base64'),
      remotePublicKey: this.remotePublicKey?.toString('base64') ?? null,
      remoteFingerprint: this.remotePublicKey === null ? null : fingerprint(this.remotePublicKey)
    }
  }

  [inspect.custom] (): string {
    return `SecureStream ${inspect(this.toJSON())}`
  }
}

// ---- helpers -----------------------------------------------------------------

/** Every chunk is a Buffer here (mapWritable and push see to it): skip streamx's type test per write. */
function byteLength (data: unknown): number {
  return (data as Buffer).byteLength
}

function toBuffer (data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (typeof data === 'string') return Buffer.from(data)
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  throw new TypeError('a SecureStream carries bytes: write a Buffer, a Uint8Array or a string')
}

/** The stream's error, or ERR_CANCELLED for a destroy() without one. */
function streamError (stream: SecureStream): Error {
  const err = getStreamError(stream, { all: true })
  if (err === null || getStreamError(stream) === null) {
    return secureStreamError('ERR_CANCELLED', 'the stream was destroyed', err ?? undefined)
  }
  return err
}
