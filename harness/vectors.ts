import { readFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { keyPairFromSecretKey } from '../lib/secure/keypair.js'

/** The project's copy of ../shared/vectors (shipped in test/fixtures so a fresh clone can test). */
export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url))
/** The normative originals, when the checkout sits beside shared/. */
export const SHARED_VECTORS = fileURLToPath(new URL('../../../shared/vectors/', import.meta.url))

export function loadFixture (name: string): any {
  return JSON.parse(readFileSync(FIXTURES + name, 'utf8'))
}

export function sharedVectorsPresent (): boolean {
  return existsSync(SHARED_VECTORS + 'secure-stream-v1.json')
}

export const hex = (s: string): Buffer => Buffer.from(s, 'hex')

export const V = loadFixture('secure-stream-v1.json')

/** The four fixed key pairs of secure-stream-v1.json. */
export function vectorKeys () {
  const k = V.keys
  return {
    initiatorStatic: keyPairFromSecretKey(hex(k.initiator_static.private)),
    initiatorEphemeral: keyPairFromSecretKey(hex(k.initiator_ephemeral.private)),
    responderStatic: keyPairFromSecretKey(hex(k.responder_static.private)),
    responderEphemeral: keyPairFromSecretKey(hex(k.responder_ephemeral.private))
  }
}
