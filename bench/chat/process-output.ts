/**
 * Helpers for the server processes the bench starts: keep the tail of what
 * they print, wait for a line, stop them within a bound.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'

/** Lines of a process's output kept for failure reports. */
const TAIL_LINES = 40

/** Collects a child's stdout and stderr lines (the last few) and lets callers wait for a pattern. */
export class OutputWatch {
  private readonly lines: string[] = []
  private partial = ''
  private readonly waiters: Array<{ pattern: RegExp, resolve: (m: RegExpExecArray) => void }> = []
  private text = ''

  constructor (child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8')
      stream?.on('data', (chunk: string) => this.push(chunk))
    }
  }

  /** Resolve with the first match of `pattern` in everything printed so far or later; reject after `timeoutMs`. */
  async waitFor (pattern: RegExp, timeoutMs: number, child: ChildProcess): Promise<RegExpExecArray> {
    const seen = pattern.exec(this.text)
    if (seen !== null) return seen
    let timer: NodeJS.Timeout | undefined
    const matched = new Promise<RegExpExecArray>((resolve) => this.waiters.push({ pattern, resolve }))
    const failed = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no ${pattern} from the server within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs)
      child.once('exit', (code, signal) => reject(new Error(`the server exited (${signal ?? code}) before printing ${pattern}:\n${this.tail()}`)))
    })
    try {
      return await Promise.race([matched, failed])
    } finally {
      clearTimeout(timer)
    }
  }

  /** The last lines printed. */
  tail (): string {
    return [...this.lines, this.partial].filter((l) => l !== '').join('\n')
  }

  private push (chunk: string): void {
    // Only the start of the output is searched by waitFor (banners); keep it bounded.
    if (this.text.length < 64 * 1024) this.text += chunk
    const parts = (this.partial + chunk).split('\n')
    this.partial = parts.pop() ?? ''
    this.lines.push(...parts)
    if (this.lines.length > TAIL_LINES) this.lines.splice(0, this.lines.length - TAIL_LINES)
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const m = this.waiters[i].pattern.exec(this.text)
      if (m !== null) {
        this.waiters[i].resolve(m)
        this.waiters.splice(i, 1)
      }
    }
  }
}

/** SIGTERM, wait up to `graceMs` for the exit, then SIGKILL and wait again. */
export async function stopProcess (child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  try {
    await exited
  } finally {
    clearTimeout(timer)
  }
}
