import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findReadyLine } from '../../harness/ready-line.js'

/** The built CLI. */
export const BIN = fileURLToPath(new URL('../../bin/noise-chat.js', import.meta.url))

interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** Temp dirs not yet removed: a test that times out skips its teardowns, and the 100 MiB files must not stay behind. */
const leftovers = new Set<string>()
process.on('exit', () => { for (const dir of leftovers) rmSync(dir, { recursive: true, force: true }) })

/** A temporary folder used as $XDG_CONFIG_HOME and $XDG_STATE_HOME (and for files), removed after the test. */
export function tempHome (t: Teardown, prefix = 'noise-chat-tools-'): { dir: string, env: NodeJS.ProcessEnv } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true })
    leftovers.delete(dir)
  })
  leftovers.add(dir)
  return { dir, env: { ...process.env, XDG_CONFIG_HOME: dir, XDG_STATE_HOME: dir, NO_COLOR: '1' } }
}

/** A running CLI process whose stderr (and stdout, when piped) is collected. */
export interface Proc {
  child: ChildProcess
  stderr: () => string
  stdout: () => string
  /** Resolves with the exit code (or 128 + signal number style string for a signal). */
  exited: Promise<number | string>
  /** Wait until stderr contains `text`; rejects if the process exits first. */
  waitStderr: (text: string | RegExp) => Promise<string>
  /** Wait until stdout contains `text`; rejects if the process exits first. */
  waitStdout: (text: string | RegExp) => Promise<string>
}

/** Children still running: killed when the test process exits, even after a timeout that skipped the teardowns. */
const running = new Set<ChildProcess>()
process.on('exit', () => { for (const child of running) child.kill('SIGKILL') })

/** Spawn `noise-chat ARGS`, killed at teardown (or when this process exits) if still running. */
export function cli (t: Teardown, args: string[], options: { env: NodeJS.ProcessEnv, stdio?: StdioOptions, cwd?: string }): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: options.env, stdio: options.stdio ?? ['pipe', 'pipe', 'pipe'], cwd: options.cwd })
  let stderr = ''
  let stdout = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  running.add(child)
  const exited = once(child, 'exit').then(([code, signal]) => {
    running.delete(child)
    return (code ?? signal) as number | string
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const waitFor = async (which: 'stdout' | 'stderr', text: string | RegExp): Promise<string> => {
    const current = (): string => which === 'stdout' ? stdout : stderr
    const found = (): boolean => typeof text === 'string' ? current().includes(text) : text.test(current())
    const stream = which === 'stdout' ? child.stdout : child.stderr
    let done = false
    exited.then(() => { done = true }, () => {})
    while (!found()) {
      if (done || stream === null) throw new Error(`process exited before ${which} showed ${String(text)}; stderr:\n${stderr}`)
      await Promise.race([once(stream, 'data'), exited])
    }
    return current()
  }
  const waitStderr = (text: string | RegExp): Promise<string> => waitFor('stderr', text)
  const waitStdout = (text: string | RegExp): Promise<string> => waitFor('stdout', text)
  return { child, stderr: () => stderr, stdout: () => stdout, exited, waitStderr, waitStdout }
}

/**
 * Where a listening command started with --ready-json listens, and its
 * key: from its ready line, on stderr (tunnel, listen) or stdout (server).
 */
export async function bannerOf (proc: Proc, which: 'stdout' | 'stderr' = 'stderr'): Promise<{ target: string, port: number, key: string, fingerprint: string }> {
  const pattern = /^\{"event":"ready".*\n/m
  const text = await (which === 'stdout' ? proc.waitStdout(pattern) : proc.waitStderr(pattern))
  const ready = findReadyLine(text)
  if (ready === undefined) throw new Error(`no ready line in:\n${text}`)
  return { target: `127.0.0.1:${ready.port}`, port: ready.port, key: ready.publicKey, fingerprint: ready.fingerprint }
}
