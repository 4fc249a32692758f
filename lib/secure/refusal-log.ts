/**
 * Rate-limits a log of refusals: per key (a code), the first entry of an
 * interval goes out at once and in full; the others of that interval are
 * only counted, and go out as one summary (the last entry, with how many
 * it stands for) when the interval ends. A flood of a thousand refusals a
 * second becomes one line per code per interval; a rare refusal is still
 * logged the moment it happens.
 */
export class RefusalLog<E> {
  private readonly intervalMs: number
  private readonly write: (entry: E, count: number) => void
  private readonly windows = new Map<string, { timer: NodeJS.Timeout, suppressed: number, last: E | undefined }>()

  /** `write(entry, count)`: count is 1 for an entry logged at once, N for a summary of N entries held back. */
  constructor (intervalMs: number, write: (entry: E, count: number) => void) {
    this.intervalMs = intervalMs
    this.write = write
  }

  /** Log `entry` under `key`, or count it when an entry of that key went out less than an interval ago. */
  add (key: string, entry: E): void {
    const window = this.windows.get(key)
    if (window !== undefined) {
      window.suppressed++
      window.last = entry
      return
    }
    this.write(entry, 1)
    this.open(key)
  }

  /** Write every pending summary now and stop the timers (on shutdown). */
  flush (): void {
    for (const [key, window] of this.windows) {
      clearTimeout(window.timer)
      this.windows.delete(key)
      if (window.suppressed > 0) this.write(window.last!, window.suppressed)
    }
  }

  private open (key: string): void {
    const timer = setTimeout(() => this.close(key), this.intervalMs)
    timer.unref()
    this.windows.set(key, { timer, suppressed: 0, last: undefined })
  }

  /** The interval ended: summarise it, and keep counting for another interval only if there was something to summarise. */
  private close (key: string): void {
    const window = this.windows.get(key)
    if (window === undefined) return
    this.windows.delete(key)
    if (window.suppressed === 0) return
    this.write(window.last!, window.suppressed)
    this.open(key)
  }
}
