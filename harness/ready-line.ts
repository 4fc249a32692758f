/**
 * The one reader of a listening command's `--ready-json` line (see
 * lib/cli/ready-line.ts): tests, reliability scripts and benchmarks start
 * `noise-chat server|tunnel|listen ... --ready-json` and wait for it,
 * rather than parsing the English banner.
 */
import type { ChildProcess } from 'node:child_process'
import type { ReadyLine } from '../lib/cli/ready-line.js'

export type { ReadyLine }

/**
 * Resolves with the ready line once `child` prints it on `stream`; rejects
 * when the child exits first or `timeoutMs` passes, with what it printed.
 * Everything the child printed on that stream before it is in `before`.
 */
export function waitForReadyLine (child: ChildProcess, stream: 'stdout' | 'stderr', timeoutMs: number): Promise<ReadyLine & { before: string }> {
  const source = child[stream]
  if (source === null) return Promise.reject(new Error(`the child's ${stream} is not piped`))
  let text = ''
  return new Promise((resolve, reject) => {
    const finish = (fn: () => void): void => {
      clearTimeout(timer)
      source.removeListener('data', onData)
      child.removeListener('exit', onExit)
      fn()
    }
    const onData = (chunk: Buffer): void => {
      text += chunk.toString()
      const ready = findReadyLine(text)
      if (ready !== undefined) finish(() => resolve(ready))
    }
    const onExit = (code: number | null): void => finish(() => reject(new Error(`the process exited (${String(code)}) before its ready line; it printed:\n${text}`)))
    const timer = setTimeout(() => finish(() => reject(new Error(`no ready line within ${timeoutMs} ms; the process printed:\n${text}`))), timeoutMs)
    source.on('data', onData)
    child.once('exit', onExit)
  })
}

/** The first complete `{"event":"ready",...}` line of `text`, with what came before it. */
export function findReadyLine (text: string): (ReadyLine & { before: string }) | undefined {
  let start = 0
  for (;;) {
    const end = text.indexOf('\n', start)
    if (end === -1) return undefined
    const line = text.slice(start, end)
    if (line.startsWith('{"event":"ready"')) return { ...(JSON.parse(line) as ReadyLine), before: text.slice(0, start) }
    start = end + 1
  }
}
