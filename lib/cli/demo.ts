import { EXIT_FAILURE, EXIT_OK } from '../constants.js'
import { runDemo } from '../tools/demo.js'
import { parseOptions } from './parse-options.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat demo

A self-contained, narrated demonstration, on 127.0.0.1 with ephemeral
ports and keys made for the run and thrown away. Five scenes:

  1. the chat over plain TCP, as the original program ran, with an
     eavesdropper (the tap) on the path: it reads every message and nick;
  2. the same chat over secure streams and the same tap: only ephemeral
     public keys and ciphertext; no message, nick or identity key appears
     anywhere in the captured bytes;
  3. a man in the middle with keys of his own: the client refuses the key
     it did not expect and never sends its identity (no msg3);
  4. a client key the server does not authorize: refused, and told why;
  5. one bit flipped in transit: detected (ERR_DECRYPT_FAILED), the
     connection dropped, nothing forged delivered.

Each scene ends in claims the demo checks on what it captured. Exits 0
when every claim holds, 1 otherwise (the failed claims say why).
`

async function run (args: string[], io: CliIO): Promise<number> {
  parseOptions(args, {}, { names: [], min: 0 })
  const claims = await runDemo({ output: io.stdout })
  return claims.every((c) => c.ok) ? EXIT_OK : EXIT_FAILURE
}

/** `noise-chat demo`: the security claims, shown and checked. */
export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'show and check what an eavesdropper, an impostor and a tamperer get',
  usage: USAGE,
  run
}
