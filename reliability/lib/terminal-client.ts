/**
 * The real `noise-chat connect` on a terminal: the interactive client,
 * which reconnects with backoff after a lost connection. It is run under
 * util-linux `script`, which gives it a pseudo-terminal; what it draws is
 * read back with the escape sequences removed.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { BIN, type Sandbox } from './server-process.js'

/** A terminal client and what it has drawn so far (escapes removed). */
export interface TerminalClient {
  child: ChildProcess
  screen: () => string
  /** Type a line and press Enter. */
  type: (line: string) => void
  exited: Promise<number | null>
}

/** True when `script` (util-linux) can give a child a terminal here. */
export async function canRunOnTerminal (): Promise<boolean> {
  return await new Promise((resolve) => {
    const child = spawn('script', ['-qfec', 'true', '/dev/null'], { stdio: 'ignore' })
    child.once('error', () => resolve(false))
    child.once('exit', (code) => resolve(code === 0))
  })
}

/** Start `noise-chat connect ARGS` on a pseudo-terminal. */
export function terminalClient (box: Sandbox, args: string[]): TerminalClient {
  const command = [process.execPath, BIN, 'connect', ...args].map(shellQuote).join(' ')
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...box.env, TERM: 'xterm', COLUMNS: '120', LINES: '40' }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stdin!.on('error', () => {})
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    // eslint-disable-next-line no-control-regex
    screen: () => out.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r/g, ''),
    type: (line) => { child.stdin!.write(line + '\r') },
    exited
  }
}

function shellQuote (word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
}
