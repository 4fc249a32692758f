/**
 * noise-chat: the public API. Everything a user may import is exported here
 * and nowhere else.
 */
export * from './errors.js'
export * as constants from './constants.js'
export * from './secure/options.js'
export { SecureStream, type RawStream } from './secure/secure-stream.js'
export * from './identity/keypair.js'
export * from './identity/paths.js'
export * from './identity/key-file.js'
export * from './identity/known-hosts.js'
export * from './identity/host-key-verifier.js'
export * from './identity/host-key-prompt.js'
export * from './identity/trust-policy.js'
export * from './identity/authorized-keys.js'
