/**
 * @hyperswarm/secret-stream: Noise XX (Ed25519 keys) then libsodium's
 * secretstream, each write one length-prefixed message. One static key pair
 * per process, as a real server and client would have.
 */
import SecretStream from '@hyperswarm/secret-stream'
import type { Socket } from 'node:net'
import { session, type Impl, type Session } from './impl.js'

let keyPair: ReturnType<typeof SecretStream.keyPair> | null = null

function open (isInitiator: boolean, raw: Socket): Session {
  const s = new SecretStream(isInitiator, raw, { keyPair: keyPair ?? undefined })
  return session(s, s.opened.then((ok) => { if (!ok) throw new Error('secret-stream: handshake failed') }))
}

export const secretStream: Impl = {
  name: 'secret-stream',
  label: 'secret-stream',
  prepare () { keyPair = SecretStream.keyPair() },
  accept (raw) { return open(false, raw) },
  connect (raw) { return open(true, raw) },
  describe () { return '@hyperswarm/secret-stream 6: Noise XX (Ed25519), then libsodium secretstream (XChaCha20-Poly1305), one message per write' }
}
