import type { KeyPair } from './keypair.js'

/**
 * Decides whether to trust the peer's static public key. Resolve to `true`
 * to accept. Returning anything else, or throwing, rejects the key: a
 * thrown Error's message becomes the reason (sent to the initiator in the
 * responder's ABORT) and the Error becomes the `cause` of the stream's
 * ERR_REMOTE_KEY_REJECTED. Only an explicit `true` accepts, so a verify
 * function that forgets to return cannot quietly trust everyone.
 *
 * The initiator calls it after msg2 and before sending msg3 (so a server we
 * do not trust never learns our identity); the responder after msg3.
 */
export type VerifyRemoteKey = (remotePublicKey: Buffer, info: VerifyInfo) => boolean | undefined | void | Promise<boolean | undefined | void>

export interface VerifyInfo {
  /** True on the side that opened the connection. */
  isInitiator: boolean
  /** The handshake hash so far (64 bytes); unique to this session. */
  handshakeHash: Buffer
}

/** Options of a SecureStream. */
export interface SecureStreamOptions {
  /** Our long-term static key pair; a new random one when absent. */
  keyPair?: KeyPair | { publicKey: Buffer, secretKey: Buffer }
  /** Prologue bound into the handshake; both sides must agree. Default 'noise-chat/1'. */
  prologue?: string | Uint8Array
  /** Required: decides whether to trust the peer's key. Pass `acceptAnyKey` to trust every key, explicitly. */
  verify: VerifyRemoteKey
  /** Handshake deadline in ms, counted from the start of the handshake; 0 disables. Default 10000. */
  handshakeTimeout?: number
  /** Send a PING after this many ms without sending anything; 0 disables (default). */
  keepAlive?: number
  /** Fail with ERR_IDLE_TIMEOUT after this many ms without receiving a frame; 0 disables (default). */
  idleTimeout?: number
  /** Aborting the signal destroys the stream with ERR_CANCELLED. */
  signal?: AbortSignal
}

/** A verify function that trusts every key: for tests, demos and opportunistic encryption. */
export const acceptAnyKey: VerifyRemoteKey = () => true
