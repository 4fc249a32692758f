import type { Readable, Writable } from 'node:stream'

/** What a command may touch: passed in so tests and embedders can swap it. */
export interface CliIO {
  stdin: Readable & { isTTY?: boolean }
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable & { isTTY?: boolean }
  env: NodeJS.ProcessEnv
}

/** One subcommand: its name, a one-line summary for `--help`, its usage text and its entry point. */
export interface CliCommand {
  name: string
  summary: string
  /** Full usage with options and examples, printed by `noise-chat NAME --help`. */
  usage: string
  /** Runs the command; resolves to the process exit code. */
  run (args: string[], io: CliIO): Promise<number>
}
