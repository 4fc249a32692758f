/**
 * noise-chat's SecureStream (lib/secure): Noise XX over X25519, then
 * ChaCha20-Poly1305 frames per docs/PROTOCOL.md. One static key pair per
 * process; every key accepted (the bench measures the channel, not trust).
 */
import type { Socket } from 'node:net'
import { defaultAeadBackend, nativeAeadUnavailable } from '../../lib/secure/aead-backend.js'
import { generateKeyPair, type KeyPair } from '../../lib/secure/keypair.js'
import { acceptAnyKey } from '../../lib/secure/options.js'
import { SecureStream } from '../../lib/secure/secure-stream.js'
import { session, type Impl, type Session } from './impl.js'

let keyPair: KeyPair | null = null

function open (isInitiator: boolean, raw: Socket): Session {
  const s = new SecureStream(isInitiator, raw, { keyPair: keyPair ?? undefined, verify: acceptAnyKey })
  return session(s, s.opened)
}

export const ours: Impl = {
  name: 'ours',
  label: 'noise-chat',
  prepare () { keyPair = generateKeyPair() },
  accept (raw) { return open(false, raw) },
  connect (raw) { return open(true, raw) },
  describe () {
    const cipher = nativeAeadUnavailable === null ? `cipher: ${defaultAeadBackend.name} (native/aead.c)` : `cipher: ${defaultAeadBackend.name}, since ${nativeAeadUnavailable}`
    return `lib/secure/secure-stream.ts: Noise_XX_25519_ChaChaPoly_BLAKE2b, then ChaCha20-Poly1305 frames (docs/PROTOCOL.md), ${cipher}, verify: acceptAnyKey`
  }
}
