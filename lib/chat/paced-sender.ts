import { EventEmitter } from 'node:events'
import { RATE_LIMIT_BURST_LINES, RATE_LIMIT_LINES_PER_SEC } from '../constants.js'
import { SendPacer } from './pacer.js'
import { parseRateNotice, type StatedRate } from './rate-limit.js'

/** What a server that states no rate is assumed to allow: the defaults of our own server. */
const ASSUMED_RATE: StatedRate = { linesPerSecond: RATE_LIMIT_LINES_PER_SEC, burst: RATE_LIMIT_BURST_LINES }

/** A server line that ends the welcome: the rate, if stated, came before it. */
const SELF_NICK_PREFIX = '-- your nick is '

/**
 * Lines out at the pace the server allows, so that a script piping a file
 * into a room has every line delivered instead of being disconnected for
 * flooding. Until the welcome is over only the first line goes (it joins
 * us: a `/nick` or the first message); then the rate the server stated
 * (`-- rate limit: ...`, the last one before `-- your nick is`), or our
 * defaults when it stated none, paces the rest through a SendPacer.
 *
 * Events: 'sent' after each line written; 'drain' when the queue is empty.
 */
export class PacedSender extends EventEmitter {
  private readonly write: (line: string) => void
  private readonly queue: string[] = []
  private pacer: SendPacer | undefined
  private stated: StatedRate | undefined
  private sentEarly = 0
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor (write: (line: string) => void) {
    super()
    this.write = write
  }

  /** Lines waiting to be sent. */
  get queued (): number {
    return this.queue.length
  }

  /** Queue one line (without its newline). */
  send (line: string): void {
    if (this.stopped) return
    this.queue.push(line)
    this.pump()
  }

  /** Every line from the server goes by here: the welcome states the rate. */
  serverLine (line: string): void {
    if (this.pacer !== undefined) return
    const rate = parseRateNotice(line)
    if (rate !== undefined) this.stated = rate
    if (!line.startsWith(SELF_NICK_PREFIX)) return
    this.pacer = new SendPacer(this.stated ?? ASSUMED_RATE, this.sentEarly, Date.now())
    this.pump()
  }

  /** Drop what is queued and stop (the connection is gone). */
  stop (): void {
    this.stopped = true
    this.queue.length = 0
    clearTimeout(this.timer)
  }

  private pump (): void {
    if (this.stopped || this.timer !== undefined) return
    if (this.pacer === undefined) {
      // The server joins us on our first line: send it, and wait for the welcome before the rest.
      if (this.sentEarly === 0 && this.queue.length > 0) {
        this.sentEarly++
        this.emitSent(this.queue.shift()!)
      }
      return
    }
    while (this.queue.length > 0) {
      const wait = this.pacer.delayMs(Date.now())
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined
          this.pump()
        }, wait)
        return
      }
      this.pacer.take(Date.now())
      this.emitSent(this.queue.shift()!)
    }
  }

  private emitSent (line: string): void {
    this.write(line)
    this.emit('sent')
    if (this.queue.length === 0) this.emit('drain')
  }
}
