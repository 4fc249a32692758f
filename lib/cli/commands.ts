import type { CliCommand } from './command.js'
import { tapCommand } from './tap.js'
import { serverCommand } from './server.js'
import { connectCommand } from './connect.js'
import { pipeCommand } from './pipe.js'
import { listenCommand } from './listen.js'
import { tunnelCommand } from './tunnel.js'
import { demoCommand } from './demo.js'
import { keygenCommand } from './keygen.js'
import { fingerprintCommand } from './fingerprint.js'
import { forgetCommand } from './forget.js'

/**
 * Every subcommand, in the order `--help` lists them. Each lives in its own
 * file in this folder, with its usage beside its code.
 */
export const COMMANDS: CliCommand[] = [
  serverCommand,
  connectCommand,
  tapCommand,
  pipeCommand,
  listenCommand,
  tunnelCommand,
  demoCommand,
  keygenCommand,
  fingerprintCommand,
  forgetCommand
]
