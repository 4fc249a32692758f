import { KEY_BYTES } from '../constants.js'
import { secureStreamError } from '../errors.js'
import type { StaticKeyPair } from './handshake.js'
import type { SecureStreamOptions } from './options.js'

/** Options after checking: the key pair, if any, has the right shape. */
export type CheckedOptions = SecureStreamOptions & { keyPair?: StaticKeyPair }

/**
 * Check a SecureStream's options up front, so a mistake is an
 * ERR_INVALID_OPTION at construction, not a confusing failure mid-handshake.
 */
export function checkOptions (options: SecureStreamOptions): CheckedOptions {
  if (options === null || typeof options !== 'object') {
    throw secureStreamError('ERR_INVALID_OPTION', 'options are required: at least { verify }')
  }
  if (typeof options.verify !== 'function') {
    throw secureStreamError('ERR_INVALID_OPTION', 'options.verify must be a function deciding whether to trust the peer\'s key (use acceptAnyKey to trust every key explicitly)')
  }
  const kp = options.keyPair
  if (kp !== undefined && (!isKey(kp.publicKey) || !isKey(kp.secretKey))) {
    throw secureStreamError('ERR_INVALID_OPTION', `options.keyPair needs a ${KEY_BYTES}-byte publicKey and secretKey`)
  }
  for (const name of ['handshakeTimeout', 'keepAlive', 'idleTimeout'] as const) {
    const value = options[name]
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw secureStreamError('ERR_INVALID_OPTION', `options.${name} must be a number of milliseconds >= 0, got ${String(value)}`)
    }
  }
  const p = options.prologue
  if (p !== undefined && typeof p !== 'string' && !(p instanceof Uint8Array)) {
    throw secureStreamError('ERR_INVALID_OPTION', 'options.prologue must be a string or bytes')
  }
  return options as CheckedOptions
}

function isKey (key: unknown): key is Buffer {
  return key instanceof Uint8Array && key.byteLength === KEY_BYTES
}

