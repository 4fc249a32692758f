import { PACE_JITTER_ALLOWANCE_MS, PACE_RATE_FRACTION } from '../constants.js'
import type { StatedRate } from './rate-limit.js'

/**
 * The client's half of the rate limit: a token bucket a little inside the
 * server's (docs/CHAT.md, 5), so that lines sent as fast as it allows are
 * all accepted. It refills at PACE_RATE_FRACTION of the server's rate, and
 * its burst leaves PACE_JITTER_ALLOWANCE_MS worth of the server's rate
 * unused, for lines that the network delays and then delivers together.
 * Time is passed in, so the pacer is a pure state machine.
 */
export class SendPacer {
  readonly linesPerSecond: number
  readonly burst: number
  private tokens: number
  private lastMs: number

  /** `alreadySent`: lines that went out before the rate was known (the server's bucket counted them). */
  constructor (rate: StatedRate, alreadySent: number, nowMs: number) {
    this.linesPerSecond = rate.linesPerSecond * PACE_RATE_FRACTION
    const slack = Math.ceil(rate.linesPerSecond * PACE_JITTER_ALLOWANCE_MS / 1000)
    this.burst = Math.max(1, Math.min(rate.burst - slack, rate.burst - 1))
    this.tokens = this.burst - alreadySent
    this.lastMs = nowMs
  }

  /** Milliseconds until one more line may be sent (0: now). */
  delayMs (nowMs: number): number {
    if (this.linesPerSecond <= 0) return 0
    this.refill(nowMs)
    if (this.tokens >= 1) return 0
    return Math.ceil((1 - this.tokens) * 1000 / this.linesPerSecond)
  }

  /** Count one line sent at `nowMs`. */
  take (nowMs: number): void {
    if (this.linesPerSecond <= 0) return
    this.refill(nowMs)
    this.tokens -= 1
  }

  private refill (nowMs: number): void {
    if (nowMs <= this.lastMs) return
    this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.lastMs) * this.linesPerSecond / 1000)
    this.lastMs = nowMs
  }
}
