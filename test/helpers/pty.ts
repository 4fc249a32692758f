import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { BIN } from './tool-procs.js'

/** The pty runner (Python's standard library); it sits beside this file's source, one folder above dist. */
const RUNNER = fileURLToPath(new URL('../../../test/helpers/pty-run.py', import.meta.url))

interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** `noise-chat ARGS` on a real terminal (a pty of `columns` x 24). */
export interface PtyProc {
  /** Type into the terminal. */
  type: (text: string) => void
  /** Everything the terminal showed so far (\r\n as the terminal got it). */
  output: () => string
  /** Wait until the output contains `text` (after `from`, a length of output); rejects if the process exits first. */
  waitFor: (text: string | RegExp, from?: number) => Promise<string>
  /** Resolves with the exit code. */
  exited: Promise<number>
  kill: () => void
}

/** Start the built CLI in a pty, killed at teardown if still running. */
export function ptyCli (t: Teardown, args: string[], options: { env: NodeJS.ProcessEnv, columns?: number }): PtyProc {
  const child = spawn('python3', [RUNNER, String(options.columns ?? 80), '24', process.execPath, BIN, ...args], {
    env: options.env,
    stdio: ['pipe', 'pipe', 'inherit']
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => { output += d.toString() })
  let done = false
  const exited = once(child, 'close').then(([code]) => {
    done = true
    return code as number
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const waitFor = async (text: string | RegExp, from = 0): Promise<string> => {
    const found = (): boolean => {
      const seen = output.slice(from)
      return typeof text === 'string' ? seen.includes(text) : text.test(seen)
    }
    while (!found()) {
      if (done) throw new Error(`the process exited before its terminal showed ${String(text)}; it showed:\n${output}`)
      await Promise.race([once(child.stdout!, 'data'), exited])
    }
    return output
  }
  return {
    type: (text) => { child.stdin!.write(text) },
    output: () => output,
    waitFor,
    exited,
    kill: () => child.kill('SIGKILL')
  }
}
