import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { AEAD_BACKEND_ENV } from '../constants.js'

/**
 * The package's native ChaCha20-Poly1305 (native/aead.c): OpenSSL, the copy
 * linked into Node itself, sealing and opening in our own buffers. It is
 * built by `npm install` (scripts/build-native.mjs); where it could not be
 * built, or AEAD_BACKEND_ENV says `libsodium`, the streams use libsodium and
 * node:crypto instead, which compute the same bytes, more slowly.
 */
export interface NativeAead {
  /** Encrypt buf[start, start + length) in place and write the 16-byte tag after it. */
  seal (key: Uint8Array, nonce: Uint8Array, buf: Uint8Array, start: number, length: number): void
  /** Decrypt the pieces into `out` (exactly their total length); false when the tag does not verify (`out` is then zeroed). */
  open (key: Uint8Array, nonce: Uint8Array, pieces: Uint8Array[], tag: Uint8Array, out: Uint8Array): boolean
  /** Decrypt each piece into itself; false when the tag does not verify (every piece is then zeroed). Pieces may not overlap each other or the tag. */
  openInPlace (key: Uint8Array, nonce: Uint8Array, pieces: Uint8Array[], tag: Uint8Array): boolean
}

/** What loading the addon gave: the module, or why there is none. */
export type NativeAeadLoad = { aead: NativeAead, reason: null } | { aead: null, reason: string }

/** Where node-gyp puts the addon, from dist/lib/secure/ (built) or lib/secure/ (sources); the last is a bench snapshot's copy (bench/snapshot.ts). */
const CANDIDATES = ['../../../build/Release/noise_chat_aead.node', '../../build/Release/noise_chat_aead.node', '../build/Release/noise_chat_aead.node']

export function loadNativeAead (env: NodeJS.ProcessEnv = process.env): NativeAeadLoad {
  if (env[AEAD_BACKEND_ENV] === 'libsodium') return { aead: null, reason: `${AEAD_BACKEND_ENV}=libsodium` }
  const require = createRequire(import.meta.url)
  const path = CANDIDATES.map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(p))
  if (path === undefined) return { aead: null, reason: 'the native addon was not built (npm install builds it; it needs python3, make and a C compiler)' }
  try {
    return { aead: require(path) as NativeAead, reason: null }
  } catch (err: any) {
    return { aead: null, reason: `the native addon did not load: ${String(err?.message ?? err)}` }
  }
}
