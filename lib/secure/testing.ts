/**
 * Test hooks of the secure stream. Internal: this module is not exported
 * by the package (lib/index.ts, package.json "exports"); the tests, the
 * fuzzer and the interop harness import it by path. Nothing here is
 * reachable from a SecureStream's public surface: the hooks are keyed by
 * symbols that only this module holds.
 */
import { secureStreamError } from '../errors.js'
import type { Handshake, StaticKeyPair } from './handshake.js'
import type { TransportCipher } from './transport-cipher.js'

/**
 * Option key for a fixed ephemeral key pair, which reproduces the
 * known-answer vectors. A fixed ephemeral key removes forward secrecy, so
 * it is honoured only under this symbol, never under a string key.
 */
export const EPHEMERAL_KEY_PAIR: unique symbol = Symbol('noise-chat: fixed ephemeral key pair, for tests only')

/** Method key under which a SecureStream shows its internals to this module. */
export const INTERNALS: unique symbol = Symbol('noise-chat: secure stream internals, for tests only')

/** What a SecureStream shows under INTERNALS. */
export interface StreamInternals {
  sender: TransportCipher | null
  receiver: TransportCipher | null
  handshake: Handshake | null
}

/** Anything with the INTERNALS hook: a SecureStream. */
export interface HasInternals {
  [INTERNALS] (): StreamInternals
}

/** Options with the test-only ephemeral key, for `new SecureStream(...)`. */
export type WithEphemeral<T> = T & { [EPHEMERAL_KEY_PAIR]?: StaticKeyPair }

/**
 * Move a direction's next nonce forward, to test counting across 2^32 and
 * exhaustion without sending billions of frames. It refuses to go back,
 * which would reuse a nonce (ERR_INVALID_ARGUMENT), and refuses before the
 * handshake has made keys (ERR_INVALID_STATE).
 */
export function setNonceForTesting (stream: HasInternals, direction: 'send' | 'receive', value: bigint): void {
  const internals = stream[INTERNALS]()
  const cipher = direction === 'send' ? internals.sender : internals.receiver
  if (cipher === null) throw secureStreamError('ERR_INVALID_STATE', 'the handshake has not completed: there is no nonce to set')
  cipher.nonce.advanceTo(value)
}

/** The stream's handshake while it runs (null once it ended). */
export function handshakeForTesting (stream: HasInternals): Handshake | null {
  return stream[INTERNALS]().handshake
}
