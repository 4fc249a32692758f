import { identityError } from '../errors.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { fingerprint, samePublicKey } from '../secure/keypair.js'
import { askableQuestion, hostKeyCheck, hostKeyDeclinedError, recordHostKey } from './host-key-verifier.js'
import type { HostKeyQuestion, HostKeyVerifierOptions } from './host-key-verifier.js'

/*
 * Why asking takes two connections. Both ends of a handshake run a deadline
 * (10 s by default, the server's from accept): a person comparing a
 * fingerprint takes longer than that, and a question asked inside the
 * handshake would lose the connection mid-prompt (or, worse, record a key
 * for a stream that never opened). So an unknown key under `ask` ends this
 * handshake at once, before msg3 (the server never learns who we are); the
 * question is asked with no machine deadline; a yes opens a second
 * connection that accepts exactly the key the person saw, and the key is
 * written to known_hosts only once that connection opened. A server that
 * presents another key the second time is refused (ERR_HOST_KEY_MISMATCH).
 * `accept-new` likewise records only after the stream opened.
 *
 * The record is written while the caller already uses the stream, not
 * before handing it over: a stream's first data (and even its END) may
 * arrive at once, and nobody would be listening during the write. The
 * pending write keeps Node running until it is done; onRecord hears when
 * it is, onRecordError if it failed (the stream is not affected).
 */

/**
 * Dials and runs one handshake with `verify` as the server key check,
 * resolving once the stream opened (e.g. `(verify) => connectChat({ ...o,
 * verify })`) and rejecting with the stream's error otherwise.
 */
export type OpenWithVerifier<T> = (verify: VerifyRemoteKey) => Promise<T>

export interface OpenWithHostKeyOptions extends HostKeyVerifierOptions {
  /**
   * Wraps the check before the stream gets it (the CLI adds "the server
   * must not use our own key"); it must call the check it is given.
   */
  wrap?: (verify: VerifyRemoteKey) => VerifyRemoteKey
  /** Told when recording a key that was accepted failed (a full disk, a file made read-only); the stream goes on. */
  onRecordError?: (err: Error) => void
}

/**
 * Open an initiator connection to host:port under `policy`: `open` is
 * called once, or (after a yes to `ask`) twice; see the comment above.
 * Resolves with what `open` resolved to. Rejects with the stream's error
 * (ERR_REMOTE_KEY_REJECTED with the decision as its cause), or, when the
 * person declined, ERR_HOST_KEY_DECLINED (its cause the first stream's
 * error), or whatever the ask function threw.
 */
export async function openWithHostKeyPolicy<T> (options: OpenWithHostKeyOptions, open: OpenWithVerifier<T>): Promise<T> {
  const wrap = options.wrap ?? ((v: VerifyRemoteKey) => v)
  const first = acceptedKey(wrap(hostKeyCheck(options)))
  let result: T
  try {
    result = await open(first.verify)
  } catch (err) {
    const question = options.policy.mode === 'ask' ? askableQuestion(err) : undefined
    if (question === undefined || options.policy.mode !== 'ask') throw err
    if ((await options.policy.ask(question)) !== true) throw hostKeyDeclinedError(question, err)
    return await openAccepted(options, question, wrap, open)
  }
  if (first.key !== undefined) recordInBackground(options, first.key)
  return result
}

/** The second connection after a yes: exactly the key that was shown, recorded once the stream opened. */
async function openAccepted<T> (options: OpenWithHostKeyOptions, question: HostKeyQuestion, wrap: (v: VerifyRemoteKey) => VerifyRemoteKey, open: OpenWithVerifier<T>): Promise<T> {
  const second = acceptedKey(wrap((key) => {
    if (samePublicKey(key, question.publicKey)) return true
    throw identityError('ERR_HOST_KEY_MISMATCH', [
      `${question.address} presented another key when we connected again, after you accepted its key; the connection was refused and nothing was recorded.`,
      `  accepted:  ${question.fingerprint}`,
      `  presented: ${fingerprint(key)}`,
      "Someone may be intercepting this connection: check the fingerprint with the server's operator."
    ].join('\n'))
  }))
  const result = await open(second.verify)
  if (second.key !== undefined) recordInBackground(options, second.key)
  return result
}

/** Record `key` without holding up the caller (see the comment at the top). */
function recordInBackground (options: OpenWithHostKeyOptions, key: Buffer): void {
  recordHostKey(options, key).catch((err: Error) => options.onRecordError?.(err))
}

/** A verify function that remembers the key it accepted (one handshake per function). */
function acceptedKey (verify: VerifyRemoteKey): { verify: VerifyRemoteKey, key: Buffer | undefined } {
  const state: { verify: VerifyRemoteKey, key: Buffer | undefined } = {
    key: undefined,
    verify: async (remoteKey, info) => {
      const ok = await verify(remoteKey, info)
      if (ok === true) state.key = Buffer.from(remoteKey)
      return ok
    }
  }
  return state
}
