/**
 * `noise-chat/tools`: the building blocks of the command line's tools,
 * for programs that want a pipe, a tunnel or the tap without spawning the
 * CLI. Documented in the README ("Subpath exports").
 */
export { connectSecure, pipeStreams, type SecureEndOptions, type ConnectSecureOptions, type PipeTotals } from './pipe.js'
export { serveOnePipe, serveKeepOpen } from './listen.js'
export { TunnelClient, TunnelServer, type TunnelOptions, type TunnelConnectionEnd } from './tunnel.js'
export { splice, type SpliceTotals } from './splice.js'
export { Tap, TAP_ARROWS, type TapOptions, type TapChunk, type TapDirection, type TapEndpoint, type TapTamper, type TapConnectionRecord } from './tap.js'
export { hexdump, hexdumpLines, type HexdumpOptions } from './hexdump.js'
export { runDemo, type DemoClaim, type DemoOptions } from './demo.js'
export { runOriginalDemo, type OriginalDemoOptions, type OriginalDemoResult } from './demo-original.js'
export { textBanner } from '../net/text-peer.js'
export { formatHostPort, parseHostPort, parseTarget, parseListen, type HostPort, type HostMaybePort } from '../net/host-port.js'
