import type { HostPort } from '../net/host-port.js'
import { encodePublicKey, fingerprint, type KeyPair } from '../secure/keypair.js'

/*
 * `--ready-json`: one machine-readable line once a listening command is
 * up, so that scripts, tests and benchmarks never parse the English
 * banner. It goes where the banner goes (stdout for `server`, stderr for
 * `tunnel` and `listen`, whose stdout is data), after the banner.
 */

/** What the ready line says. */
export interface ReadyLine {
  event: 'ready'
  /** The command: 'server', 'tunnel server', 'tunnel client', 'listen'. */
  command: string
  /** The address bound (port 0 resolved). */
  host: string
  port: number
  /** This end's public key, base64, and its fingerprint. */
  publicKey: string
  fingerprint: string
}

/** The usage line of the flag, for each command's help. */
export const READY_JSON_USAGE = '  --ready-json           once listening, also print one JSON line {"event":"ready",\n                         "host","port","publicKey",...} for scripts'

/** The option's parseArgs entry. */
export const READY_JSON_OPTION = { 'ready-json': { type: 'boolean' } } as const

/** The ready line, newline included. */
export function readyLine (command: string, bound: HostPort, keyPair: KeyPair): string {
  const line: ReadyLine = { event: 'ready', command, host: bound.host, port: bound.port, publicKey: encodePublicKey(keyPair.publicKey), fingerprint: fingerprint(keyPair.publicKey) }
  return JSON.stringify(line) + '\n'
}
