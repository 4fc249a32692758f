/**
 * A reference, not a product: the ~150-line stream a developer writes in an
 * afternoon over the same noise-handshake (Noise XX, X25519, ChaCha20-Poly1305,
 * BLAKE2b), to show what the handshake costs with nothing around it. It has
 * no verify callback, no timers, no options, no authenticated END, no rekey,
 * no 64-bit nonces and no limits; each write is one frame (uint16 length,
 * then libsodium's ciphertext). Only the bench uses it (--impl naive).
 */
import NoiseState from 'noise-handshake'
import type { Socket } from 'node:net'
import sodium from 'sodium-native'
import { Duplex } from 'streamx'
import { generateKeyPair } from '../../lib/secure/keypair.js'
import { eventOrError, session, type Impl, type Session } from './impl.js'

interface KeyPair { publicKey: Buffer, secretKey: Buffer }

const PROLOGUE = Buffer.from('noise-chat/1')
const TAG = 16
const MAX_PLAINTEXT = 65535 - TAG
let keyPair: KeyPair | null = null

/** One direction: a key and a 32-bit counter (enough for a benchmark). */
class Direction {
  private readonly nonce = Buffer.alloc(12)
  private n = 0
  constructor (private readonly key: Buffer) {}
  next (): Buffer {
    this.nonce.writeUInt32LE(this.n++, 4)
    return this.nonce
  }

  seal (plain: Buffer): Buffer {
    const out = Buffer.allocUnsafe(2 + plain.byteLength + TAG)
    out.writeUInt16BE(plain.byteLength + TAG, 0)
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt(out.subarray(2), plain, null, null, this.next(), this.key)
    return out
  }

  open (cipher: Buffer): Buffer {
    const out = Buffer.allocUnsafe(cipher.byteLength - TAG)
    sodium.crypto_aead_chacha20poly1305_ietf_decrypt(out, null, cipher, null, this.next(), this.key)
    return out
  }
}

class NaiveStream extends Duplex {
  private readonly noise: NoiseState
  private tx: Direction | null = null
  private rx: Direction | null = null
  private pending: Buffer = Buffer.alloc(0)
  private onOpen: ((err: Error | null) => void) | null = null

  constructor (private readonly isInitiator: boolean, private readonly raw: Socket) {
    super({ eagerOpen: true })
    this.noise = new NoiseState('XX', isInitiator, keyPair!)
    this.noise.initialise(PROLOGUE)
    raw.on('data', (data: Buffer) => this.onData(data))
    raw.on('end', () => this.push(null))
    raw.on('error', (err: Error) => this.destroy(err))
    raw.on('close', () => this.destroy())
  }

  override _open (cb: (err: Error | null) => void): void {
    this.onOpen = cb
    if (this.isInitiator) this.sendFrame(this.noise.send())
  }

  override _write (data: Buffer, cb: (err: Error | null) => void): void {
    for (let at = 0; at < data.byteLength; at += MAX_PLAINTEXT) {
      this.raw.write(this.tx!.seal(data.subarray(at, at + MAX_PLAINTEXT)))
    }
    cb(null)
  }

  override _final (cb: (err: Error | null) => void): void {
    this.raw.end()
    cb(null)
  }

  override _destroy (cb: (err: Error | null) => void): void {
    this.raw.destroy()
    cb(null)
  }

  private sendFrame (body: Buffer): void {
    const frame = Buffer.allocUnsafe(2 + body.byteLength)
    frame.writeUInt16BE(body.byteLength, 0)
    body.copy(frame, 2)
    this.raw.write(frame)
  }

  private onData (data: Buffer): void {
    let buf = this.pending.byteLength === 0 ? data : Buffer.concat([this.pending, data])
    while (buf.byteLength >= 2) {
      const length = buf.readUInt16BE(0)
      if (buf.byteLength < 2 + length) break
      const body = buf.subarray(2, 2 + length)
      buf = buf.subarray(2 + length)
      try {
        this.onFrame(body)
      } catch (err) {
        this.destroy(err as Error)
        return
      }
    }
    this.pending = buf
  }

  private onFrame (body: Buffer): void {
    if (this.rx !== null) {
      this.push(this.rx.open(body))
      return
    }
    this.noise.recv(Buffer.from(body))
    if (!this.noise.complete) this.sendFrame(this.noise.send())
    if (!this.noise.complete) return
    this.tx = new Direction(Buffer.from(this.noise.tx!))
    this.rx = new Direction(Buffer.from(this.noise.rx!))
    const cb = this.onOpen
    this.onOpen = null
    cb?.(null)
    this.emit('handshake')
  }
}

function open (isInitiator: boolean, raw: Socket): Session {
  const s = new NaiveStream(isInitiator, raw)
  return session(s, eventOrError(s, 'handshake'))
}

export const naive: Impl = {
  name: 'naive',
  label: 'naive stream',
  prepare () { keyPair = generateKeyPair() },
  accept (raw) { return open(false, raw) },
  connect (raw) { return open(true, raw) },
  describe () { return 'bench/impls/naive.ts: ~150 lines over the same noise-handshake; no verify, timers, options, END, rekey or limits (a reference for the handshake cost and idle memory; not run on bulk and small)' },
  // A reference for what the handshake costs: its data path has no limits
  // or batching worth comparing, and would add minutes to a full run.
  figures: ['handshakes', 'sequential', 'idle']
}
