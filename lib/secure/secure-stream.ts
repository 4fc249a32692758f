import { Duplex, getStreamError } from 'streamx'
import net from 'node:net'
import { Writable as NodeWritable } from 'node:stream'
import { inspect } from 'node:util'
import {
  ABORT_GRACE_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_MS,
  DEFAULT_PROLOGUE, FRAME_ABORT, FRAME_DATA, FRAME_END, FRAME_PING, HANDSHAKE_TIMEOUT_MS,
  HASH_BYTES, KEEP_OUTPUT_BUFFER_MIN_BYTES, KEY_BYTES, MAX_WRITE_BATCH_BYTES, STREAM_HIGH_WATER_MARK_BYTES
} from '../constants.js'
import { SecureStreamError, secureStreamError } from '../errors.js'
import { fingerprint, generateKeyPair } from './keypair.js'
import { encodeFrame, FrameDecoder, joinPieces } from './frame-codec.js'
import { dataWireBytes, openTransportFrame, sealDataFramesInto, sealTransportFrame, type ChunkCursor } from './transport-frame.js'
import { checkHandshakeMessageLength, Handshake, type HandshakeResult } from './handshake.js'
import type { SecureStreamOptions, VerifyRemoteKey } from './options.js'
import { TransportCipher } from './transport-cipher.js'
import { checkOptions } from './check-options.js'
import { abortReasonBytes, abortReasonOf, printable } from './abort-reason.js'
import { EPHEMERAL_KEY_PAIR, INTERNALS, type StreamInternals, type WithEphemeral } from './testing.js'

/**
 * What a SecureStream needs of the stream it wraps: a net.Socket, a Node
 * Duplex or a streamx Duplex all fit.
 */
export interface RawStream {
  write (chunk: Buffer, cb?: (err?: Error | null) => void): boolean
  end (): unknown
  destroy (err?: Error): unknown
  pause (): unknown
  resume (): unknown
  on (event: string, listener: (...args: any[]) => void): unknown
  once (event: string, listener: (...args: any[]) => void): unknown
}

/**
 * Where a stream is in its life (PROTOCOL.md 3 and 6):
 *
 *   opening  the handshake runs (msg1..msg3, the verify callback between)
 *   open     transport frames flow; either side may already have sent END
 *   ending   no more data either way: both ENDs were exchanged, or the
 *            stream failed (`failure` says why; one ABORT may still leave)
 *   closed   the stream was destroyed
 */
export type SecureStreamState = 'opening' | 'open' | 'ending' | 'closed'

/** The raw stream: still up, being closed by us, or gone (ended, closed or failed). */
const RAW_LIVE = 0
const RAW_CLOSING = 1
const RAW_GONE = 2

const EMPTY = Buffer.alloc(0)
const noop = (): void => {}

/**
 * A Noise XX secure channel over any byte stream (PROTOCOL.md). A streamx
 * Duplex: writes made before the handshake completes are buffered by
 * streamx until `_open` calls back; backpressure passes through in both
 * directions; `end()` sends an authenticated END; a close without END or
 * ABORT is ERR_TRUNCATED, never a clean end.
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

  private state: SecureStreamState = 'opening'
  /** Why the stream is ending, when it failed or was destroyed; null while it is healthy. */
  private failure: Error | null = null
  private rawState = RAW_LIVE
  private endSent = false
  private endReceived = false
  /** The failure came from the peer's ABORT: answering with ours would be a frame after its last. */
  private peerAborted = false
  /** The reason to send in ABORT when we fail because we rejected the peer's key. */
  private abortReason: string | null = null

  private readonly facts: Buffer
  private handshake: Handshake | null
  private sender: TransportCipher | null = null
  private receiver: TransportCipher | null = null
  private readonly decoder = new FrameDecoder()
  /** Asked once, in the handshake; dropped with it, so an open stream does not keep the caller's closure (and what it captured). */
  private verifyRemoteKey: VerifyRemoteKey | null
  private readonly keepAliveMs: number
  private readonly idleTimeoutMs: number
  private readonly handshakeTimeoutMs: number
  private sentSinceKeepAlive = false
  private pausedForVerify = false
  private pausedForReader = false
  /** A chunk of the frame being decoded (or of bytes held back) was seen by another 'data' listener too: see ownsRawChunks. */
  private rawChunkShared = false

  /** How writes reach the raw stream; see pickWriteMode. */
  private readonly writeMode: number
  /** The output buffer batches are sealed into, kept between batches when the raw stream copies what it is given. */
  private outBuffer: Buffer | null = null

  private openCallback: ((err: Error | null) => void) | null = null
  private drainCallback: ((err: Error | null) => void) | null = null
  private handshakeTimer: NodeJS.Timeout | null = null
  /**
   * One timer serves both keep-alive and the idle timeout of an open
   * stream: it wakes at whichever is due first (see onTransportTimer).
   * Two timers and their closures per connection cost more than the
   * clock read per frame that replaces the idle timer's refresh().
   */
  private transportTimer: NodeJS.Timeout | null = null
  /** performance.now() when the next keep-alive check is due; Infinity when keep-alive is off. */
  private keepAliveDueAt = Infinity
  /** performance.now() of the peer's last transport frame (idle timeout only). */
  private lastFrameAt = 0
  /** The `opened` promise, made only when someone asks for it: idle connections should not pay for one. */
  private openedPromise: Promise<void> | null = null
  private settleOpened: ((err: Error | null) => void) | null = null

  constructor (isInitiator: boolean, rawStream: RawStream, options: SecureStreamOptions) {
    super({ eagerOpen: true, highWaterMark: STREAM_HIGH_WATER_MARK_BYTES, mapWritable: toBuffer, byteLength })
    const opts = checkOptions(options)
    this.isInitiator = isInitiator
    this.rawStream = rawStream
    this.writeMode = pickWriteMode(rawStream)
    this.verifyRemoteKey = opts.verify
    this.keepAliveMs = opts.keepAlive ?? DEFAULT_KEEP_ALIVE_MS
    this.idleTimeoutMs = opts.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS

    const keyPair = opts.keyPair ?? generateKeyPair()
    // Our key, the peer's and the handshake hash share one small allocation:
    // pooled copies would each pin an 8 KiB slab for the connection's life.
    // (The cipher state stays apart: these views are public, and anyone
    // holding one can read its whole ArrayBuffer.)
    this.facts = Buffer.allocUnsafeSlow(2 * KEY_BYTES + HASH_BYTES)
    this.publicKey = this.facts.subarray(0, KEY_BYTES)
    this.publicKey.set(keyPair.publicKey)
    const prologue = typeof opts.prologue === 'string' ? Buffer.from(opts.prologue) : opts.prologue ?? DEFAULT_PROLOGUE_BYTES
    const ephemeral = (options as WithEphemeral<SecureStreamOptions>)[EPHEMERAL_KEY_PAIR]
    this.handshake = new Handshake(isInitiator, keyPair, prologue, ephemeral)

    // A responder knows msg1 is exactly 32 bytes: refuse any other length
    // from its header alone, so an HTTP request or a port scan fails at once.
    if (!isInitiator) this.decoder.checkLength = checkMessage1Length
    rawStream.on('data', this.onRawData)
    rawStream.on('end', this.onRawEnd)
    rawStream.on('close', this.onRawEnd)
    rawStream.on('error', this.onRawError)

    // PROTOCOL.md 3: the responder's clock starts when it accepts the connection.
    this.handshakeTimeoutMs = opts.handshakeTimeout ?? HANDSHAKE_TIMEOUT_MS
    if (!isInitiator) this.startHandshakeTimer()
    if (opts.signal !== undefined) this.watchSignal(opts.signal)
  }

  /** Resolves when the handshake completed and the peer's key was accepted; rejects with the stream's error otherwise. */
  get opened (): Promise<void> {
    if (this.openedPromise !== null) return this.openedPromise
    // handshakeHash is set exactly when the handshake completed and the key was accepted.
    if (this.handshakeHash !== null) this.openedPromise = Promise.resolve()
    else if (this.failure !== null) this.openedPromise = Promise.reject(this.failure)
    else {
      this.openedPromise = new Promise((resolve, reject) => {
        this.settleOpened = (err) => { if (err === null) resolve(); else reject(err) }
      })
    }
    // Awaiting `opened` is optional: an unawaited failure must not crash the process.
    this.openedPromise.catch(noop)
    return this.openedPromise
  }

  /** Where the stream is in its life: opening, open, ending or closed. */
  get secureState (): SecureStreamState {
    return this.state
  }

  /**
   * Bytes written to this stream and not yet handed to the raw stream (like
   * ws's bufferedAmount): what waits for the handshake, or queues behind a
   * socket write still in flight. A batch is sealed and handed over whole,
   * so what streamx still holds is exactly this.
   */
  get bufferedAmount (): number {
    return (this as unknown as { _writableState: { buffered: number } })._writableState.buffered
  }

  // ---- streamx hooks -------------------------------------------------------

  override _open (cb: (err: Error | null) => void): void {
    // The handshake may have completed (or failed) before streamx got here,
    // when the peer's bytes arrived at once. Completed: open. Failed: the
    // callback waits for the deferred destroy, so that authentic data
    // already pushed still reaches a flowing reader first (PROTOCOL.md 7.5).
    if (this.handshakeHash !== null) return cb(null)
    this.openCallback = cb
    if (this.state !== 'opening' || !this.isInitiator) return
    // PROTOCOL.md 3: the initiator's clock starts when it sends msg1.
    this.startHandshakeTimer()
    this.sendHandshakeMessage(this.handshake!.writeMessage1())
  }

  override _read (cb: (err: Error | null) => void): void {
    this.pausedForReader = false
    this.updateRawFlow()
    cb(null)
  }

  override _writev (batch: unknown[], cb: (err: Error | null) => void): void {
    if (this.failure !== null) return this.holdUntilDestroy(cb)
    this.drainCallback = cb
    let wait: boolean
    try {
      wait = this.sendData(batch as Buffer[])
    } catch (err) {
      this.drainCallback = null
      return cb(err as Error)
    }
    if (!wait) this.callBack('drainCallback', null)
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
    this.endIfBothEnded()
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
    this.failure ??= err
    this.state = 'ending'
    this.stopTimers()
    this.settle(err)
    this.callBack('openCallback', err)
    this.callBack('drainCallback', err)
    this.closeRaw(err)
  }

  override _destroy (cb: (err: Error | null) => void): void {
    // After END both ways streamx destroys without _predestroy: the timers
    // must stop here too, or the keep-alive interval holds the stream for good.
    this.state = 'closed'
    this.stopTimers()
    this.sender?.wipe()
    this.receiver?.wipe()
    this.endHandshake()
    this.outBuffer = null
    cb(null)
  }

  // ---- receiving -----------------------------------------------------------

  /** Input is read while the stream is healthy; after a failure nothing more is looked at. */
  private readonly onRawData = (chunk: Buffer | Uint8Array | string): void => {
    if (this.failure !== null || this.state === 'closed') return
    if (!this.readsRawAlone()) this.rawChunkShared = true
    try {
      this.decoder.push(toBuffer(chunk), this.onFrame)
    } catch (err) {
      this.fail(err as Error)
    }
    // Every frame that began in a shared chunk is done, and nothing is held back: the next frame starts afresh.
    if (!this.decoder.midFrame && !this.decoder.paused) this.rawChunkShared = false
  }

  /** One complete frame body; returns false to hold back the frames after it. */
  private readonly onFrame = (pieces: Buffer[], length: number): boolean => {
    if (this.failure !== null) return false
    if (this.state === 'opening') return this.onHandshakeFrame(joinPieces(pieces, length))
    return this.onTransportFrame(pieces, length)
  }

  private onHandshakeFrame (body: Buffer): boolean {
    const hs = this.handshake!
    if (this.isInitiator) {
      checkHandshakeMessageLength(2, body)
      const remoteKey = hs.readMessage2(body)
      return this.verify(remoteKey, this.acceptAsInitiator)
    }
    if (hs.messages === 0) {
      checkHandshakeMessageLength(1, body)
      hs.readMessage1(body)
      this.sendHandshakeMessage(hs.writeMessage2())
      return true
    }
    checkHandshakeMessageLength(3, body)
    const remoteKey = hs.readMessage3(body)
    // Keys first: a rejection is reported in an ABORT under c2 (PROTOCOL.md 3).
    this.installCiphers(hs.result())
    return this.verify(remoteKey, this.becomeOpen)
  }

  private onTransportFrame (pieces: Buffer[], length: number): boolean {
    if (this.idleTimeoutMs > 0) this.lastFrameAt = performance.now()
    if (this.endReceived) throw secureStreamError('ERR_UNEXPECTED_FRAME', "received a frame after the peer's END")
    const receiver = this.receiver!
    const first = receiver.nonce.isZero
    const { type, body, bodyLength } = openTransportFrame(receiver, pieces, length, this.ownsRawChunks())
    if (type === FRAME_DATA) return this.onData(body)
    if (type === FRAME_END) return this.onEnd()
    if (type === FRAME_ABORT) return this.onAbort(joinPieces(body, bodyLength), first)
    return true // PING: keep-alive only, never surfaces
  }

  /**
   * Whether the chunks of the frame being opened are ours alone, so it may
   * be decrypted over its ciphertext in them and the reader handed views
   * of them: they came from a plain net.Socket whose only 'data' listener,
   * when each was emitted, was ours. Node allocates each socket read anew
   * and keeps no reference once it has emitted it. Anyone else who was
   * listening (a tap, a pipe) must go on holding the ciphertext, even of a
   * frame whose first chunk alone it saw: such a frame is decrypted into a
   * buffer of its own. This spares a 64 KiB allocation per large frame.
   */
  private ownsRawChunks (): boolean {
    return this.writeMode === WRITE_REUSE && !this.rawChunkShared
  }

  /** Whether our listener is the raw stream's only 'data' listener (checked as each chunk arrives). */
  private readsRawAlone (): boolean {
    return this.writeMode === WRITE_REUSE && (this.rawStream as net.Socket).listenerCount('data') === 1
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
    this.endIfBothEnded()
    return true
  }

  private onAbort (body: Buffer, first: boolean): boolean {
    this.peerAborted = true
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
    const was = this.rawState
    if (was === RAW_GONE) return
    this.rawState = RAW_GONE
    if (was === RAW_CLOSING || this.failure !== null || this.state === 'closed') return
    const why = cause ?? undefined
    if (this.state === 'opening') {
      return this.fail(secureStreamError('ERR_HANDSHAKE_INCOMPLETE', 'the connection closed during the handshake', why))
    }
    if (!this.endReceived) {
      const where = this.decoder.midFrame ? ' in the middle of a frame' : ''
      return this.fail(secureStreamError('ERR_TRUNCATED', `the connection closed${where} before the peer's END: the stream was truncated`, why))
    }
    if (!this.endSent) {
      return this.fail(secureStreamError('ERR_TRUNCATED', 'the peer closed the connection before our END was sent', why))
    }
  }

  // ---- the handshake -------------------------------------------------------

  /**
   * Ask the verify callback and run `accept` on an explicit true. Returns
   * true when it was accepted at once, so decoding goes on with the frames
   * behind this one. A promise holds all input until it settles; a
   * synchronous answer is acted on at once, without a turn of the event
   * loop per handshake.
   */
  private verify (remoteKey: Buffer, accept: (this: SecureStream) => void): boolean {
    this.remotePublicKey = this.keep(remoteKey, KEY_BYTES)
    const info = { isInitiator: this.isInitiator, handshakeHash: this.handshake!.hash }
    let decision: unknown
    try {
      decision = this.verifyRemoteKey!(Buffer.from(remoteKey), info)
    } catch (err) {
      this.rejectRemoteKey(err)
      return false
    }
    if (!isThenable(decision)) return this.decided(decision, accept)
    this.pausedForVerify = true
    this.updateRawFlow()
    decision.then((ok) => {
      if (!this.decided(ok, accept)) return
      this.pausedForVerify = false
      this.updateRawFlow()
      try {
        this.decoder.resume(this.onFrame)
      } catch (err) {
        this.fail(err as Error)
      }
    }, (err: unknown) => this.rejectRemoteKey(err))
    return false
  }

  /** Act on the verify callback's answer; true when the key was accepted and the stream is open. */
  private decided (ok: unknown, accept: (this: SecureStream) => void): boolean {
    if (this.failure !== null || this.state !== 'opening') return false
    if (ok !== true) {
      this.rejectRemoteKey(null)
      return false
    }
    try {
      accept.call(this)
      return true
    } catch (err) {
      this.fail(err as Error)
      return false
    }
  }

  private rejectRemoteKey (cause: unknown): void {
    if (this.failure !== null || this.state !== 'opening') return
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
    // Kept now (the handshake is wiped at open); published at open.
    this.keep(result.handshakeHash, 2 * KEY_BYTES)
  }

  // Methods, not bound fields: what only the handshake needs must not stay
  // allocated for the life of every idle connection.
  private acceptAsInitiator (): void {
    const hs = this.handshake!
    this.holdWritesThisTurn()
    this.sendHandshakeMessage(hs.writeMessage3())
    this.installCiphers(hs.result())
    this.becomeOpen()
  }

  private becomeOpen (): void {
    this.endHandshake()
    this.handshakeHash = this.facts.subarray(2 * KEY_BYTES)
    this.state = 'open'
    this.startTransportTimers()
    this.callBack('openCallback', null)
    this.settle(null)
    this.emit('connect')
  }

  /** The handshake is over, either way: wipe what it holds and let it go, with its timer. */
  private endHandshake (): void {
    this.clearHandshakeTimer()
    this.handshake?.wipe()
    this.handshake = null
    this.verifyRemoteKey = null
  }

  /** Settle `opened`, if anyone asked for it, and let go of its callbacks. */
  private settle (err: Error | null): void {
    const settle = this.settleOpened
    this.settleOpened = null
    if (settle !== null) settle(err)
  }

  // ---- sending -------------------------------------------------------------

  /**
   * Let msg3 and whatever the application writes as soon as the stream is
   * open (in the same turn of the event loop: its 'connect' handler, the
   * continuation of `await opened`) leave in one TCP segment, as TLS 1.3
   * sends its Finished with the first application data. The raw stream is
   * corked until the turn ends; a raw stream that cannot cork is unchanged.
   */
  private holdWritesThisTurn (): void {
    const raw = this.rawStream as RawStream & { cork?: () => void, uncork?: () => void }
    if (typeof raw.cork !== 'function' || typeof raw.uncork !== 'function') return
    raw.cork()
    setImmediate(() => raw.uncork!())
  }

  private sendHandshakeMessage (body: Buffer): void {
    this.rawStream.write(encodeFrame(body))
  }

  /**
   * Seal a batch of application writes into as few full DATA frames as
   * possible, in one output buffer, and hand it to the raw stream in one
   * write (a batch over MAX_WRITE_BATCH_BYTES in a few). Returns true when
   * the batch's callback must wait: for the raw write to complete (a Node
   * stream), or for 'drain' (any other). Meanwhile streamx queues further
   * writes, and the next batch merges all of them, as TLS does behind a
   * pending socket write.
   */
  private sendData (batch: Buffer[]): boolean {
    let total = 0
    for (const chunk of batch) total += chunk.byteLength
    if (total === 0) return false
    const cursor: ChunkCursor = { index: 0, offset: 0 }
    let flushed = true
    let waitForCallback = false
    while (total > 0) {
      const segment = Math.min(total, MAX_WRITE_BATCH_BYTES)
      total -= segment
      // Only the last segment's write has a callback to wait for: earlier
      // ones may still be queued in the raw stream, so they get buffers of their own.
      const bytes = dataWireBytes(segment)
      const out = total > 0 ? Buffer.allocUnsafe(bytes) : this.outputBuffer(bytes)
      const wire = out.subarray(0, sealDataFramesInto(this.sender!, batch, cursor, segment, out))
      waitForCallback = total === 0 && this.mustWaitForWrite(out)
      flushed = waitForCallback ? this.rawStream.write(wire, this.onRawWritten) : this.rawStream.write(wire)
    }
    this.sentSinceKeepAlive = true
    if (waitForCallback) return true
    if (!flushed) this.rawStream.once('drain', this.onRawWritten)
    return !flushed
  }

  /**
   * Whether the batch sealed into `out` must wait for its write callback.
   * A Node stream's callback is what paces us (WRITE_CALLBACK); on a plain
   * socket only the kept output buffer must not be refilled before the
   * kernel has it. A batch in a buffer of its own (a small one: a chat
   * line) needs neither: it is done once write() accepts it, as on any
   * stream, which spares a write callback and a turn per small batch.
   */
  private mustWaitForWrite (out: Buffer): boolean {
    if (this.writeMode === WRITE_PLAIN) return false
    if (this.writeMode === WRITE_CALLBACK) return true
    return out === this.outBuffer
  }

  /**
   * A buffer to seal `bytes` of frames into. A plain net.Socket hands the
   * bytes to the kernel before its write callback fires, and the next
   * batch waits for that callback, so one buffer serves every batch. Any
   * other stream may keep the buffer it is given (a PassThrough hands it
   * to its reader): it gets a new one each time. Small batches never
   * create the kept buffer: a chat member would otherwise keep the size of
   * its welcome for the rest of its life.
   */
  private outputBuffer (bytes: number): Buffer {
    if (this.writeMode !== WRITE_REUSE) return Buffer.allocUnsafe(bytes)
    const have = this.outBuffer
    if (have !== null && have.byteLength >= bytes) return have
    if (bytes < KEEP_OUTPUT_BUFFER_MIN_BYTES) return Buffer.allocUnsafe(bytes)
    const fresh = Buffer.allocUnsafeSlow(bytes)
    this.outBuffer = fresh
    return fresh
  }

  /** The raw write of a batch completed (or drained): the next batch may go. */
  private readonly onRawWritten = (err?: Error | null): void => {
    // A failed write is the raw stream failing: its 'error'/'close' fails
    // this stream, and _predestroy releases the callback with that error.
    if (err !== undefined && err !== null) return
    this.callBack('drainCallback', null)
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
    if (this.failure !== null || this.state === 'closed' || this.destroying) return
    this.failure = err
    this.state = 'ending'
    this.stopTimers()
    setImmediate(() => this.destroy(err))
  }

  private endIfBothEnded (): void {
    if (!this.endSent || !this.endReceived || this.rawState !== RAW_LIVE) return
    // PROTOCOL.md 6: when both sides sent END, either may close.
    this.state = 'ending'
    this.rawState = RAW_CLOSING
    this.lingerThenClose()
  }

  /** Close the raw stream after a failure or destroy: ABORT first when we still can. */
  private closeRaw (err: Error): void {
    if (this.rawState === RAW_CLOSING) return
    const gone = this.rawState === RAW_GONE
    this.rawState = RAW_CLOSING
    if (!gone && this.canSendAbort()) {
      try {
        this.markNotAKeyRefusal()
        this.sendFrame(FRAME_ABORT, abortReasonBytes(this.abortReason ?? abortReasonOf(err)))
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
    if (!this.sender!.nonce.isZero) return
    this.sendFrame(FRAME_DATA, EMPTY)
  }

  private canSendAbort (): boolean {
    // PROTOCOL.md 4 and 6: after our END we send nothing more, not even ABORT
    // (a peer reads any frame after END as a protocol error, and loses the reason).
    return this.sender !== null && !this.peerAborted && !this.endSent
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

  private startHandshakeTimer (): void {
    if (this.handshakeTimeoutMs <= 0) return
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), this.handshakeTimeoutMs)
    this.handshakeTimer.unref()
  }

  private onHandshakeTimeout (): void {
    const timeout = this.handshakeTimeoutMs
    this.fail(secureStreamError('ERR_HANDSHAKE_TIMEOUT', `the handshake did not complete within ${timeout} ms`))
  }

  private clearHandshakeTimer (): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer)
    this.handshakeTimer = null
  }

  private startTransportTimers (): void {
    if (this.keepAliveMs <= 0 && this.idleTimeoutMs <= 0) return
    const now = performance.now()
    if (this.keepAliveMs > 0) this.keepAliveDueAt = now + this.keepAliveMs
    this.lastFrameAt = now
    this.scheduleTransportTimer(now)
  }

  /** Wake when the next keep-alive check or the idle deadline is due, whichever is first. */
  private scheduleTransportTimer (now: number): void {
    const idleAt = this.idleTimeoutMs > 0 ? this.lastFrameAt + this.idleTimeoutMs : Infinity
    const delay = Math.max(1, Math.ceil(Math.min(this.keepAliveDueAt, idleAt) - now))
    // A module function and an argument, not a closure: one less object per connection.
    this.transportTimer = setTimeout(onTransportTimer, delay, this)
    this.transportTimer.unref()
  }

  /**
   * The transport timer fired: the idle timeout first (no frame from the
   * peer for idleTimeoutMs fails the stream), then keep-alive (every
   * keepAliveMs, measured like setInterval from the previous check).
   * Frames that arrived since it was set only moved the idle deadline
   * later: then it just sleeps again.
   */
  private onTransportTimer (): void {
    this.transportTimer = null
    if (this.state === 'closed' || this.failure !== null) return
    const now = performance.now()
    if (this.idleTimeoutMs > 0 && now - this.lastFrameAt >= this.idleTimeoutMs) return this.onIdle()
    if (now >= this.keepAliveDueAt) {
      this.onKeepAlive()
      this.keepAliveDueAt = now + this.keepAliveMs
    }
    if (this.failure === null) this.scheduleTransportTimer(now)
  }

  private onKeepAlive (): void {
    if (this.endSent || this.state !== 'open') return
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
    if (this.transportTimer !== null) clearTimeout(this.transportTimer)
    this.transportTimer = null
    this.keepAliveDueAt = Infinity
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

  /** Internal, for lib/secure/testing.ts only: keyed by a symbol the package does not export. */
  [INTERNALS] (): StreamInternals {
    return { sender: this.sender, receiver: this.receiver, handshake: this.handshake }
  }

  /** Public facts only: never key material. */
  toJSON (): Record<string, unknown> {
    return {
      isInitiator: this.isInitiator,
      state: this.destroyed ? 'closed' : this.state,
      publicKey: this.publicKey.toString('base64'),
      remotePublicKey: this.remotePublicKey?.toString('base64') ?? null,
      remoteFingerprint: this.remotePublicKey === null ? null : fingerprint(this.remotePublicKey)
    }
  }

  [inspect.custom] (): string {
    return `SecureStream ${inspect(this.toJSON())}`
  }
}

/** How batches reach the raw stream. */
const WRITE_PLAIN = 0 // streamx and others: write() and 'drain'
const WRITE_CALLBACK = 1 // a Node stream: wait for each batch's write callback
const WRITE_REUSE = 2 // a plain net.Socket: the same, and one output buffer reused

function pickWriteMode (raw: RawStream): number {
  if (Object.getPrototypeOf(raw) === net.Socket.prototype) return WRITE_REUSE
  if (raw instanceof NodeWritable) return WRITE_CALLBACK
  return WRITE_PLAIN
}

const DEFAULT_PROLOGUE_BYTES = Buffer.from(DEFAULT_PROLOGUE)

function onTransportTimer (stream: SecureStream): void {
  stream['onTransportTimer']() // bracket access: the one caller of a private method
}

/** PROTOCOL.md 3: msg1 is exactly 32 bytes; checked from the header alone, once. */
function checkMessage1Length (this: FrameDecoder, length: number): void {
  this.checkLength = null
  checkHandshakeMessageLength(1, { byteLength: length } as Uint8Array)
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function'
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
  throw secureStreamError('ERR_INVALID_ARGUMENT', 'a SecureStream carries bytes: write a Buffer, a Uint8Array or a string')
}

/** The stream's error, or ERR_CANCELLED for a destroy() without one. */
function streamError (stream: SecureStream): Error {
  const err = getStreamError(stream, { all: true })
  if (err === null || getStreamError(stream) === null) {
    return secureStreamError('ERR_CANCELLED', 'the stream was destroyed', err ?? undefined)
  }
  return err
}
