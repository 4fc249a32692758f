import type { Readable, Writable } from 'node:stream'
import { SecureStream } from '../secure/secure-stream.js'
import type { KeyPair } from '../secure/keypair.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { connectTcp, type Endpoint } from '../net/connect.js'
import { watchTextPeer } from '../net/text-peer.js'
import { forward } from './relay.js'

/** What both ends of a pipe or tunnel need to run a secure stream. */
export interface SecureEndOptions {
  keyPair: KeyPair
  /** Decides about the peer's key: a host key verifier on the connecting side, authorized keys on the listening side. */
  verify: VerifyRemoteKey
  /** Handshake deadline in ms (the secure stream's default when absent). */
  handshakeTimeout?: number
  prologue?: string
}

export interface ConnectSecureOptions extends SecureEndOptions {
  /** TCP connect deadline in ms; 0 waits as long as the OS does. */
  connectTimeout: number
}

/** Bytes carried by a pipe, per direction. */
export interface PipeTotals {
  sent: number
  received: number
}

/**
 * Connect to `target` and run the handshake as initiator. Resolves with
 * the open stream once the server's key was accepted (and our key by the
 * server, as far as the handshake tells: a refusal arrives as the stream's
 * first frame, an ERR_LOCAL_KEY_REJECTED error). Rejects with the
 * connection's or the handshake's error.
 */
export async function connectSecure (target: Endpoint, options: ConnectSecureOptions): Promise<SecureStream> {
  const socket = await connectTcp(target, options.connectTimeout)
  // An HTTP or SSH server (say) answers in text: say so at once rather than time out.
  const textPeer = watchTextPeer(socket, (err) => secure.destroy(err))
  const secure = new SecureStream(true, socket, streamOptions(options))
  // The failure is reported through `opened`; without a listener the 'error' event would crash the process.
  secure.on('error', noop)
  try {
    await secure.opened
  } catch (err) {
    throw textPeer.error ?? err
  }
  return secure
}

/** SecureStream options from a SecureEndOptions, leaving out what is unset. */
export function streamOptions (options: SecureEndOptions): ConstructorParameters<typeof SecureStream>[2] {
  return {
    keyPair: options.keyPair,
    verify: options.verify,
    ...(options.handshakeTimeout !== undefined ? { handshakeTimeout: options.handshakeTimeout } : {}),
    ...(options.prologue !== undefined ? { prologue: options.prologue } : {})
  }
}

/**
 * Carry `input` to the peer and the peer's bytes to `output`, as ncat does
 * with stdin and stdout. The end of `input` sends END; the promise
 * resolves only when our END was sent AND the peer's END arrived, so a
 * transfer that resolves is complete. It rejects with the stream's error
 * (ERR_TRUNCATED, ERR_PEER_ABORTED, ERR_DECRYPT_FAILED, ...) or with an
 * error of `input` or `output`, in which case the stream is aborted with
 * that reason. `output` is written, never ended (it may be stdout).
 */
export async function pipeStreams (secure: SecureStream, input: Readable, output: Writable): Promise<PipeTotals> {
  const totals: PipeTotals = { sent: 0, received: 0 }
  secure.on('error', noop)
  try {
    await Promise.all([
      forward(input, secure, { onChunk: (c) => { totals.sent += c.byteLength }, names: { from: 'the input', to: 'the secure stream' } }),
      forward(secure, output, { end: false, onChunk: (c) => { totals.received += c.byteLength }, names: { from: 'the secure stream', to: 'the output' } })
    ])
    await flushed(output)
  } catch (err) {
    input.pause()
    if (!secure.destroyed) secure.destroy(err as Error)
    throw err
  }
  return totals
}

/** Resolves once `output` has handed everything written so far to the OS. */
function flushed (output: Writable): Promise<void> {
  if (output.writableLength === 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    output.write(Buffer.alloc(0), (err) => err == null ? resolve() : reject(err))
  })
}

function noop (): void {}
