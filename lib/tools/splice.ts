import type net from 'node:net'
import type { SecureStream } from '../secure/secure-stream.js'
import { forward } from './relay.js'

/** Bytes carried by a spliced connection, per direction. */
export interface SpliceTotals {
  /** Plaintext socket -> secure stream. */
  sealed: number
  /** Secure stream -> plaintext socket. */
  opened: number
}

/**
 * Join a plaintext TCP connection and a secure stream, both ways, the way
 * a tunnel end does: bytes pass with backpressure; the socket's FIN
 * becomes the stream's END and the peer's END becomes a FIN, so protocols
 * that half-close keep working. Resolves when both directions ended
 * cleanly.
 *
 * A failure on one side is passed on as a failure, never as a clean end:
 * a broken secure stream (truncated, aborted, forged) resets the plaintext
 * connection, and a plaintext connection that fails aborts the secure
 * stream with the reason (the far end then resets its own). The promise
 * rejects with the first error.
 */
export async function splice (plain: net.Socket, secure: SecureStream): Promise<SpliceTotals> {
  const totals: SpliceTotals = { sealed: 0, opened: 0 }
  // Both keep an 'error' listener for their whole life: forward() drops its own when it settles.
  plain.on('error', noop)
  secure.on('error', noop)
  try {
    await Promise.all([
      forward(plain, secure, { onChunk: (c) => { totals.sealed += c.byteLength }, names: { from: 'the plaintext connection', to: 'the secure stream' } }),
      forward(secure, plain, { onChunk: (c) => { totals.opened += c.byteLength }, names: { from: 'the secure stream', to: 'the plaintext connection' } })
    ])
  } catch (err) {
    if (!secure.destroyed) secure.destroy(err as Error)
    reset(plain)
    throw err
  }
  return totals
}

/** Close a plaintext socket with a reset: its application learns the connection broke, not that it ended. */
export function reset (socket: net.Socket): void {
  if (socket.destroyed) return
  if (socket.connecting || typeof socket.resetAndDestroy !== 'function') socket.destroy()
  else socket.resetAndDestroy()
}

function noop (): void {}
