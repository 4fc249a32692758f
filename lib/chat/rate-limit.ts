import { FLOOD_DISCONNECT_LINES, RATE_LIMIT_BURST_LINES, RATE_LIMIT_LINES_PER_SEC } from '../constants.js'

/** Settings of a member's rate limit. */
export interface RateLimitOptions {
  /** Tokens added per second; 0 turns the limit off. */
  linesPerSecond?: number
  /** Bucket size: lines that may arrive at once after a quiet spell. */
  burst?: number
  /** Refused lines in a row (no line accepted in between) before the verdict becomes 'disconnect'. */
  floodLines?: number
}

/**
 * What to do with one line:
 * - 'accept': deliver it;
 * - 'refuse-notify': drop it and tell the member (the first refusal of a run);
 * - 'refuse': drop it quietly (the member was told already);
 * - 'disconnect': the member went on flooding; drop it and disconnect.
 */
export type RateVerdict = 'accept' | 'refuse-notify' | 'refuse' | 'disconnect'

/**
 * A token bucket per member. Each line costs one token; tokens refill at
 * `linesPerSecond` up to `burst`. Time is passed in (milliseconds from any
 * monotonic clock), so the bucket is a pure state machine.
 */
export class RateLimiter {
  readonly linesPerSecond: number
  readonly burst: number
  readonly floodLines: number
  private tokens: number
  private lastMs: number | undefined
  private refusedInARow = 0

  constructor (options: RateLimitOptions = {}) {
    this.linesPerSecond = options.linesPerSecond ?? RATE_LIMIT_LINES_PER_SEC
    this.burst = Math.max(1, options.burst ?? RATE_LIMIT_BURST_LINES)
    this.floodLines = Math.max(1, options.floodLines ?? FLOOD_DISCONNECT_LINES)
    this.tokens = this.burst
  }

  /** Decide about one line arriving at `nowMs`. */
  take (nowMs: number): RateVerdict {
    if (this.linesPerSecond <= 0) return 'accept'
    this.refill(nowMs)
    if (this.tokens >= 1) {
      this.tokens -= 1
      this.refusedInARow = 0
      return 'accept'
    }
    this.refusedInARow++
    if (this.refusedInARow > this.floodLines) return 'disconnect'
    return this.refusedInARow === 1 ? 'refuse-notify' : 'refuse'
  }

  private refill (nowMs: number): void {
    if (this.lastMs !== undefined && nowMs > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.lastMs) * this.linesPerSecond / 1000)
    }
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs
  }
}

/**
 * Parse the `--rate` option: `LINES_PER_SEC` or `LINES_PER_SEC:BURST`
 * (`0` turns the limit off). Returns undefined when the text is malformed.
 */
export function parseRateOption (text: string): { linesPerSecond: number, burst?: number } | undefined {
  const match = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(text.trim())
  if (match === null) return undefined
  const linesPerSecond = Number(match[1])
  if (match[2] === undefined) return { linesPerSecond }
  const burst = Number(match[2])
  if (burst < 1) return undefined
  return { linesPerSecond, burst }
}

/** A member's rate as stated to it: lines a second and the burst; 0 lines a second = no limit. */
export interface StatedRate {
  linesPerSecond: number
  burst: number
}

/**
 * The notice a joining member gets about its rate limit, so that a
 * scripted client can pace itself instead of being disconnected for
 * flooding (docs/CHAT.md: `-- rate limit: N lines per second, bursts of B`
 * or `-- rate limit: none`). Without `-- ` (the room's notice prefix).
 */
export function rateNoticeText (limiter: Pick<RateLimiter, 'linesPerSecond' | 'burst'>): string {
  if (limiter.linesPerSecond <= 0) return 'rate limit: none'
  return `rate limit: ${limiter.linesPerSecond} line${limiter.linesPerSecond === 1 ? '' : 's'} per second, bursts of ${limiter.burst}`
}

/** The rate stated by a server line `-- rate limit: ...`; undefined when the line is not one. */
export function parseRateNotice (line: string): StatedRate | undefined {
  if (line === '-- rate limit: none') return { linesPerSecond: 0, burst: 0 }
  const match = /^-- rate limit: (\d+(?:\.\d+)?) lines? per second, bursts of (\d+)$/.exec(line)
  if (match === null) return undefined
  return { linesPerSecond: Number(match[1]), burst: Math.max(1, Number(match[2])) }
}
