import { HISTORY_SAVE_INTERVAL_MS, MAX_HISTORY_LINES } from '../constants.js'
import { chatError } from '../errors.js'
import { JsonStateFile } from './state-file.js'

const FORMAT_VERSION = 1

/** One line of the room's history: the line as members received it, and when it was said. */
export interface HistoryEntry {
  atMs: number
  line: string
}

/**
 * The room's history in the state directory (`history.json`, mode 0600:
 * it holds what members said), so that a restart does not lose it. It
 * keeps at most `maxLines` entries (the --history setting, itself at most
 * MAX_HISTORY_LINES) and is written at most once per
 * HISTORY_SAVE_INTERVAL_MS, atomically.
 */
export class HistoryFile {
  readonly maxLines: number
  private readonly file: JsonStateFile

  private constructor (path: string, maxLines: number, onError?: (err: unknown) => void) {
    this.file = new JsonStateFile(path, onError, HISTORY_SAVE_INTERVAL_MS)
    this.maxLines = Math.min(maxLines, MAX_HISTORY_LINES)
  }

  /** Open `path`; resolves with the file and the entries it holds (the last `maxLines`). */
  static async open (path: string, maxLines: number, onError?: (err: unknown) => void): Promise<{ file: HistoryFile, entries: HistoryEntry[] }> {
    const file = new HistoryFile(path, maxLines, onError)
    const data = await file.file.load()
    return { file, entries: data === undefined ? [] : parseEntries(data, path).slice(-file.maxLines) }
  }

  /** Write `entries` (soon; a burst of saves is one write). */
  save (entries: readonly HistoryEntry[]): void {
    this.file.save(() => ({ version: FORMAT_VERSION, lines: entries.slice(-this.maxLines) }))
  }

  /** Resolves once the last save is on disk. */
  flush (): Promise<void> {
    return this.file.flush()
  }
}

function parseEntries (data: unknown, path: string): HistoryEntry[] {
  const lines = (data as { version?: unknown, lines?: unknown } | null)?.lines
  if ((data as { version?: unknown } | null)?.version !== FORMAT_VERSION || !Array.isArray(lines)) {
    throw chatError('ERR_STATE_FILE_INVALID', `${path} is not a noise-chat history file (version ${FORMAT_VERSION})`)
  }
  const entries: HistoryEntry[] = []
  for (const entry of lines as unknown[]) {
    const { atMs, line } = (entry ?? {}) as { atMs?: unknown, line?: unknown }
    // A line is kept only as the server wrote it: one line, no controls (it is replayed to terminals).
    // eslint-disable-next-line no-control-regex
    if (typeof atMs === 'number' && Number.isFinite(atMs) && typeof line === 'string' && !/[\u0000-\u001f\u007f-\u009f]/.test(line)) entries.push({ atMs, line })
  }
  return entries
}
