import { UsageError } from '../errors.js'
import { EXIT_OK, EXIT_USAGE } from '../constants.js'
import { exitCodeFor, reportedCode } from './exit-code.js'
import { COMMANDS } from './commands.js'
import { plainSystemMessage } from './system-error.js'
import type { CliCommand, CliIO } from './command.js'

const PROGRAM = 'noise-chat'

/**
 * The whole CLI: picks the subcommand, runs it, turns any error into one
 * line on stderr and an exit code. Returns the exit code; never throws.
 */
export async function main (argv: string[], io: CliIO = processIO()): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const helpFor = name === 'help' ? rest[0] : undefined
    if (helpFor !== undefined) return printCommandHelp(helpFor, io)
    io.stdout.write(globalHelp())
    return name === undefined ? EXIT_USAGE : EXIT_OK
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${PROGRAM} ${await version()}\n`)
    return EXIT_OK
  }
  const command = findCommand(name)
  if (command === undefined) {
    io.stderr.write(`${PROGRAM}: unknown command '${name}'. Run '${PROGRAM} --help' to see the commands.\n`)
    return EXIT_USAGE
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.usage.endsWith('\n') ? command.usage : command.usage + '\n')
    return EXIT_OK
  }
  try {
    return await command.run(rest, io)
  } catch (err) {
    return reportFailure(command, err, io)
  }
}

function reportFailure (command: CliCommand, err: unknown, io: CliIO): number {
  const message = plainSystemMessage(err) ?? (err instanceof Error ? err.message : String(err))
  if (err instanceof UsageError) {
    // One line: what is wrong and the fix, then where the options are listed.
    io.stderr.write(`${PROGRAM} ${command.name}: ${message} (see '${PROGRAM} ${command.name} --help')\n`)
    return EXIT_USAGE
  }
  const code = reportedCode(err)
  const suffix = code === '' ? '' : ` (${code})`
  io.stderr.write(`${PROGRAM} ${command.name}: ${message}${suffix}\n`)
  return exitCodeFor(err)
}

function printCommandHelp (name: string, io: CliIO): number {
  const command = findCommand(name)
  if (command === undefined) {
    io.stderr.write(`${PROGRAM}: unknown command '${name}'. Run '${PROGRAM} --help' to see the commands.\n`)
    return EXIT_USAGE
  }
  io.stdout.write(command.usage.endsWith('\n') ? command.usage : command.usage + '\n')
  return EXIT_OK
}

function findCommand (name: string): CliCommand | undefined {
  return COMMANDS.find((c) => c.name === name)
}

function globalHelp (): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4)
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Noise XX secure streams: encrypted chat, pipes and tunnels with keys you can verify.',
    '',
    'Commands:',
    ...lines,
    '',
    `Run '${PROGRAM} <command> --help' for a command's options and examples.`,
    `Keys and trust files live in $XDG_CONFIG_HOME/noise-chat (default ~/.config/noise-chat).`,
    ''
  ].join('\n')
}

async function version (): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  const url = new URL('../../../package.json', import.meta.url)
  const pkg = JSON.parse(await readFile(url, 'utf8')) as { version: string }
  return pkg.version
}

function processIO (): CliIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }
}
