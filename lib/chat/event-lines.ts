import { SERVER_EVENT_LINES_INTERVAL_MS, SERVER_EVENT_LINES_PER_INTERVAL } from '../constants.js'
import type { ChatServerLogEvent } from './server.js'

/**
 * The chat server's events as one line each for a person watching its
 * terminal (the JSON of --log is for programs): who joined and left,
 * nick changes, kicks and bans, refused keys, failed handshakes. What
 * members say is never printed. Returns undefined for events not shown
 * ('connect' is followed by its 'join'; messages stay private).
 */
export function describeServerEvent (event: ChatServerLogEvent): string | undefined {
  const key = event.fingerprint === undefined ? '' : ` (${event.fingerprint})`
  const detail = event.detail ?? ''
  switch (event.event) {
    case 'join': return `${event.nick ?? '?'} joined${key}`
    case 'leave': return `${event.nick ?? '?'} left: ${detail}${key}`
    case 'nick': return `nick ${detail}${key}`
    case 'kick': case 'ban': case 'unban': case 'mute': case 'unmute':
      return `${event.event} ${event.nick === undefined || event.nick === '' ? 'a key' : event.nick}${key}: ${detail}`
    case 'refused': return isKeyRefusal(detail)
      ? `refused the key of ${event.remote ?? '?'}${key}: ${detail}`
      : `failed handshake from ${event.remote ?? '?'}${key}: ${detail}`
    case 'disconnect': return `connection of ${event.remote ?? '?'}${key} broke: ${detail}`
    case 'error': return `error: ${detail}`
    default: return undefined
  }
}

/** A refusal by our verifier (allowlist, ban, full) rather than a handshake that went wrong. */
function isKeyRefusal (detail: string): boolean {
  return /\((ERR_REMOTE_KEY_REJECTED|ERR_CLIENT_KEY_UNAUTHORIZED|ERR_BANNED|ERR_SERVER_FULL)\)$/.test(detail)
}

/** Options of an EventLineLimiter. */
export interface EventLineLimiterOptions {
  /** Lines printed per interval. */
  linesPerInterval?: number
  intervalMs?: number
  /** Milliseconds from any clock (default Date.now). */
  now?: () => number
}

/**
 * At most N lines per interval, so that an attack cannot flood the
 * terminal: past the limit lines are counted, not printed, and once the
 * interval is over (or at close) one line says how many were left out.
 */
export class EventLineLimiter {
  private readonly write: (line: string) => void
  private readonly max: number
  private readonly intervalMs: number
  private readonly now: () => number
  private windowStart = -Infinity
  private printed = 0
  private suppressed = 0
  private timer: NodeJS.Timeout | undefined

  constructor (write: (line: string) => void, options: EventLineLimiterOptions = {}) {
    this.write = write
    this.max = options.linesPerInterval ?? SERVER_EVENT_LINES_PER_INTERVAL
    this.intervalMs = options.intervalMs ?? SERVER_EVENT_LINES_INTERVAL_MS
    this.now = options.now ?? Date.now
  }

  /** Print `line`, or count it when the interval has had its share. */
  line (line: string): void {
    const now = this.now()
    if (now - this.windowStart >= this.intervalMs) {
      this.report()
      this.windowStart = now
      this.printed = 0
    }
    if (this.printed < this.max) {
      this.printed++
      return this.write(line)
    }
    this.suppressed++
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.report(), Math.max(0, this.windowStart + this.intervalMs - now))
      this.timer.unref()
    }
  }

  /** Say how many lines were left out, if any (call it at shutdown). */
  close (): void {
    this.report()
  }

  private report (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.suppressed === 0) return
    const n = this.suppressed
    this.suppressed = 0
    this.write(`${n} more event${n === 1 ? '' : 's'} in ${this.intervalMs / 1000} s not shown (at most ${this.max} lines per ${this.intervalMs / 1000} s; --log FILE keeps every one)`)
  }
}
