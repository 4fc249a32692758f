import { constants } from 'node:os'
import { EXIT_FAILURE, EXIT_OK } from '../constants.js'
import { runDemo } from '../tools/demo.js'
import { runOriginalDemo } from '../tools/demo-original.js'
import { UsageError } from '../errors.js'
import { parseOptions } from './parse-options.js'
import { waitForSignal } from './signals.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat demo [--original DIR]

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

Options:
  --original DIR   instead, run the original Python chat room this project
                   grew from (TomPrograms/Python-Internet-Chat-Room), as it
                   is, from DIR (which holds its server.py and client.py):
                   its server on 127.0.0.1, two of its clients talking
                   through the tap, and print what the tap read. Needs
                   python3. Checks that the usernames, the messages and
                   the join notice crossed in plaintext, unframed (it
                   announces no departure: docs/SECURITY.md, 1.3).

Examples:
  noise-chat demo
  noise-chat demo --original ~/src/Python-Internet-Chat-Room
`

async function run (args: string[], io: CliIO): Promise<number> {
  const { values } = parseOptions(args, { original: { type: 'string' } }, { names: [], min: 0 })
  if (values.original === '') throw new UsageError('--original needs the folder that holds server.py and client.py')
  if (values.original !== undefined) return await original(values.original, io)
  const claims = await runDemo({ output: io.stdout })
  return claims.every((c) => c.ok) ? EXIT_OK : EXIT_FAILURE
}

/** `--original DIR`; on SIGINT or SIGTERM the original's processes are killed before we exit, since nothing else would end its server. */
async function original (dir: string, io: CliIO): Promise<number> {
  const controller = new AbortController()
  const signals = waitForSignal(['SIGINT', 'SIGTERM'])
  let interrupted: NodeJS.Signals | undefined
  signals.promise.then((signal) => { interrupted = signal; controller.abort() }, () => {})
  try {
    const { claims } = await runOriginalDemo({ dir, output: io.stdout, signal: controller.signal })
    if (interrupted !== undefined) {
      io.stderr.write(`interrupted by ${interrupted}\n`)
      return 128 + constants.signals[interrupted]
    }
    return claims.every((c) => c.ok) ? EXIT_OK : EXIT_FAILURE
  } finally {
    signals.cancel()
  }
}

/** `noise-chat demo`: the security claims, shown and checked. */
export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'show and check what an eavesdropper, an impostor and a tamperer get',
  usage: USAGE,
  run
}
