import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import { readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ORIGINAL_OUTPUT_MAX_CHARS, ORIGINAL_POLL_MS, PYTHON_COMMAND } from '../constants.js'
import { toolError } from '../errors.js'

/*
 * The original chat room (TomPrograms/Python-Internet-Chat-Room, MIT) run
 * as it is, for `noise-chat demo --original DIR`. We neither ship nor
 * change its code: the user names the folder that holds its server.py and
 * client.py, and python3 runs those files.
 *
 * Its server binds to whatever address its host name resolves to
 * (socket.gethostbyname(socket.gethostname())) and reads its port from
 * stdin. To keep it on 127.0.0.1 without editing it, it starts through
 * LAUNCHER, a few lines of our own that answer every name lookup with
 * 127.0.0.1, report the port the kernel chose for port 0, and then run
 * server.py with runpy as if it had been started directly.
 */

/** Python run with `-c` before server.py: argv[1] is the path of server.py. */
const LAUNCHER = `
import runpy, socket, sys

# Every host name resolves to the loopback address, so the server binds 127.0.0.1 only.
socket.gethostbyname = lambda name: '127.0.0.1'

# The server is given port 0 and prints "Running on port: 0": say which port the kernel picked.
_listen = socket.socket.listen
def _listen_and_report(self, *args):
    _listen(self, *args)
    host, port = self.getsockname()[:2]
    sys.stderr.write('noise-chat launcher: listening on %s:%d\\n' % (host, port))
    sys.stderr.flush()
socket.socket.listen = _listen_and_report

script = sys.argv[1]
sys.argv = [script]
runpy.run_path(script, run_name='__main__')
`

const LISTENING = /noise-chat launcher: listening on 127\.0\.0\.1:(\d+)\n/

/** The two files of the original that must be in its folder. */
export const ORIGINAL_FILES = ['server.py', 'client.py'] as const

/** Check that `dir` holds the original's server.py and client.py; throws ERR_ORIGINAL_NOT_FOUND naming what is missing. */
export async function checkOriginalDir (dir: string): Promise<void> {
  const missing: string[] = []
  for (const file of ORIGINAL_FILES) {
    const info = await stat(join(dir, file)).catch(() => undefined)
    if (info?.isFile() !== true) missing.push(file)
  }
  if (missing.length === 0) return
  throw toolError('ERR_ORIGINAL_NOT_FOUND',
    `'${dir}' has no ${missing.join(' and no ')}: give the folder that holds server.py and client.py ` +
    'of the original chat room (TomPrograms/Python-Internet-Chat-Room)')
}

/**
 * One process of the original (its server or a client), driven through
 * its stdin and watched through its stdout, as a user at its terminal
 * would. Output kept is bounded (ORIGINAL_OUTPUT_MAX_CHARS per stream).
 * Emits 'change' whenever it printed something or ended.
 */
export class OriginalProcess extends EventEmitter {
  readonly name: string
  private readonly child: ChildProcess
  private out = ''
  private err = ''
  private exitStatus: string | undefined
  private failure: Error | undefined

  constructor (name: string, python: string, args: string[]) {
    super()
    this.name = name
    this.child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => { this.out = bounded(this.out + text); this.emit('change') })
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => { this.err = bounded(this.err + text); this.emit('change') })
    // A process killed while we type is not an error of ours.
    this.child.stdin!.on('error', () => {})
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      this.failure = err.code === 'ENOENT'
        ? toolError('ERR_PYTHON_NOT_FOUND', `${python} was not found on PATH: the original chat room is a Python 3 program; install python3 to run it`)
        : err
      this.exitStatus ??= 'failed to start'
      this.emit('change')
    })
    this.child.on('exit', (code, signal) => {
      this.exitStatus = signal === null ? `exit status ${code ?? '?'}` : `killed by ${signal}`
      this.emit('change')
    })
  }

  /** Everything it printed on stdout so far. */
  stdout (): string { return this.out }
  /** Everything it printed on stderr so far. */
  stderr (): string { return this.err }
  /** Whether it has exited (or never started). */
  exited (): boolean { return this.exitStatus !== undefined }

  /** Type one line at its prompt. */
  type (line: string): void {
    this.child.stdin!.write(line + '\n')
  }

  /** Wait until its stdout matches; fails if it exits first or after `timeoutMs`. */
  async waitStdout (pattern: string | RegExp, timeoutMs: number): Promise<RegExpExecArray | string> {
    return this.waitFor(() => match(this.out, pattern), `${this.name} to print ${String(pattern)}`, timeoutMs)
  }

  /** Wait until its stderr matches (the launcher's port line). */
  async waitStderr (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return this.waitFor(() => pattern.exec(this.err) ?? undefined, `${this.name} to report its port`, timeoutMs)
  }

  /**
   * Wait until it runs at least `count` threads (Threads: in
   * /proc/PID/status), checking every ORIGINAL_POLL_MS since a thread's
   * start gives no event. Where /proc is missing it returns at once.
   */
  async waitThreads (count: number, timeoutMs: number): Promise<void> {
    await this.waitFor(() => {
      const threads = threadCount(this.child.pid)
      return threads === undefined || threads >= count ? true : undefined
    }, `${this.name} to run ${count} threads`, timeoutMs, ORIGINAL_POLL_MS)
  }

  /** Close it as a user closing its terminal would (SIGTERM), and wait until it is gone. */
  async stop (): Promise<void> {
    if (this.exited()) return
    const gone = once(this.child, 'exit')
    this.child.kill('SIGTERM')
    await gone
  }

  /** Last resort in cleanup: SIGKILL if still running. */
  kill (): void {
    if (!this.exited()) this.child.kill('SIGKILL')
  }

  /** Wait until `check` gives a value, re-checking on every 'change', and every `pollMs` if given. */
  private async waitFor<R> (check: () => R | undefined, what: string, timeoutMs: number, pollMs?: number): Promise<R> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = check()
      if (found !== undefined) return found
      if (this.failure !== undefined) throw this.failure
      if (this.exited()) throw this.died(`while waiting for ${what}`)
      const left = deadline - Date.now()
      if (left <= 0) throw toolError('ERR_DEMO_CLAIM_FAILED', `timed out waiting for ${what}`)
      await Promise.race([once(this, 'change'), new Promise((resolve) => setTimeout(resolve, Math.min(left, pollMs ?? left)).unref())])
    }
  }

  private died (when: string): Error {
    const tail = this.err.trim().split('\n').slice(-3).join('\n  ')
    return toolError('ERR_ORIGINAL_FAILED', `the original's ${this.name} ended (${this.exitStatus ?? '?'}) ${when}${tail === '' ? '' : `:\n  ${tail}`}`)
  }
}

/** Start the original's server on 127.0.0.1 at a port the kernel picks; resolves with the process and that port. */
export async function startOriginalServer (dir: string, timeoutMs: number, python = PYTHON_COMMAND): Promise<{ server: OriginalProcess, port: number }> {
  // -u: unbuffered, so its lines reach us as it prints them.
  const server = new OriginalProcess('server', python, ['-u', '-c', LAUNCHER, join(dir, 'server.py')])
  try {
    server.type('0') // "Enter port to run the server on -->"
    const found = await server.waitStderr(LISTENING, timeoutMs)
    return { server, port: Number(found[1]) }
  } catch (err) {
    server.kill()
    throw err
  }
}

/** Start one of the original's clients and answer its three prompts: host, port, username. */
export function startOriginalClient (dir: string, port: number, username: string, python = PYTHON_COMMAND): OriginalProcess {
  const client = new OriginalProcess(username, python, ['-u', join(dir, 'client.py')])
  client.type('127.0.0.1')
  client.type(String(port))
  client.type(username)
  return client
}

/** Its number of threads, from /proc (Linux); undefined where that cannot be read. */
function threadCount (pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const found = /^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return found === null ? undefined : Number(found[1])
  } catch {
    return undefined
  }
}

function match (text: string, pattern: string | RegExp): RegExpExecArray | string | undefined {
  if (typeof pattern === 'string') return text.includes(pattern) ? pattern : undefined
  return pattern.exec(text) ?? undefined
}

/** Keep the first ORIGINAL_OUTPUT_MAX_CHARS characters: a client of the original that loses its server prints empty lines without end. */
function bounded (text: string): string {
  return text.length <= ORIGINAL_OUTPUT_MAX_CHARS ? text : text.slice(0, ORIGINAL_OUTPUT_MAX_CHARS)
}
