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
export { Tap, TAP_ARROWS, type TapOptions, type TapChunk, type TapDirection, type TapEndpoint, type TapTamper, type TapConnectionRecord } from './tools/tap.js'
export { hexdump, hexdumpLines, type HexdumpOptions } from './tools/hexdump.js'
export { connectSecure, pipeStreams, type SecureEndOptions, type ConnectSecureOptions, type PipeTotals } from './tools/pipe.js'
export { SecureAcceptor, type SecureAcceptorOptions, type AcceptFailure } from './tools/secure-acceptor.js'
export { TunnelClient, TunnelServer, type TunnelOptions, type TunnelConnectionEnd } from './tools/tunnel.js'
export { splice, type SpliceTotals } from './tools/splice.js'
export { runDemo, type DemoClaim, type DemoOptions } from './tools/demo.js'
