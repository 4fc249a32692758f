import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { MAX_STATE_FILE_BYTES, STATE_DIR_MODE, STATE_FILE_MODE } from '../constants.js'
import { chatError } from '../errors.js'

/**
 * One JSON file in the server's state directory, written atomically: the
 * new content goes to a temporary file beside it, which is then renamed
 * over the old one, so a crash leaves either the old file or the new one,
 * never half of one. Saves are serialised and coalesced: while one write
 * runs (or, with `minIntervalMs`, until that long after the last one
 * began), further saves only remember the latest data, which is turned
 * into JSON only when it is written.
 */
export class JsonStateFile {
  readonly path: string
  private pending: unknown = undefined
  private hasPending = false
  private writing: Promise<void> | undefined
  private lastError: unknown
  private readonly onError: ((err: unknown) => void) | undefined
  private readonly minIntervalMs: number
  private lastWriteMs = -Infinity
  /** Ends the wait before the next write (flush wants it now). */
  private hurry: (() => void) | undefined
  /** A flush is waiting: write without spacing. */
  private urgent = 0

  /** `onError` hears about each failed write as it happens (flush() reports the last one too). */
  constructor (path: string, onError?: (err: unknown) => void, minIntervalMs = 0) {
    this.path = path
    this.onError = onError
    this.minIntervalMs = minIntervalMs
  }

  /** The parsed file, or undefined when it does not exist. A malformed file is an ERR_STATE_FILE_INVALID. */
  async load (): Promise<unknown> {
    let text: string
    try {
      const bytes = await readFile(this.path)
      if (bytes.byteLength > MAX_STATE_FILE_BYTES) throw chatError('ERR_STATE_FILE_INVALID', `${this.path} is larger than ${MAX_STATE_FILE_BYTES} bytes`)
      text = bytes.toString('utf8')
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined
      throw err
    }
    try {
      return JSON.parse(text)
    } catch (err) {
      throw chatError('ERR_STATE_FILE_INVALID', `${this.path} is not valid JSON: ${(err as Error).message}`, err)
    }
  }

  /**
   * Schedule writing `data`, or what `data()` returns when the write
   * happens (so that a burst of saves costs one serialisation). Failures
   * surface in flush().
   */
  save (data: unknown): void {
    this.pending = data
    this.hasPending = true
    if (this.writing === undefined) this.writing = this.drain()
  }

  /** Resolves once everything saved so far is on disk (written now, without waiting out the interval); rejects with the last write error, if any. */
  async flush (): Promise<void> {
    this.urgent++
    this.hurry?.()
    try {
      while (this.writing !== undefined) await this.writing
    } finally {
      this.urgent--
    }
    const err = this.lastError
    this.lastError = undefined
    if (err !== undefined) throw err
  }

  private async drain (): Promise<void> {
    while (this.hasPending) {
      const wait = this.lastWriteMs + this.minIntervalMs - Date.now()
      if (wait > 0 && this.urgent === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait)
          timer.unref()
          this.hurry = () => { clearTimeout(timer); resolve() }
        })
        this.hurry = undefined
      }
      const data = this.pending
      this.pending = undefined
      this.hasPending = false
      this.lastWriteMs = Date.now()
      try {
        const text = JSON.stringify(typeof data === 'function' ? (data as () => unknown)() : data, null, 2) + '\n'
        await writeAtomically(this.path, text)
      } catch (err) {
        this.lastError = err
        this.onError?.(err)
      }
    }
    this.writing = undefined
  }
}

async function writeAtomically (path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: STATE_DIR_MODE })
  const temp = `${path}.${process.pid}.tmp`
  try {
    await writeFile(temp, text, { mode: STATE_FILE_MODE })
    await rename(temp, path)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw err
  }
}
