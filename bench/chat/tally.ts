/**
 * What one worker's members received during a step: deliveries from
 * other members, echoes of their own messages (ours sends them, IRC does
 * not), anything out of order, anything from another step, and the
 * latency of each. Pure: the worker feeds it payloads and clock readings.
 */
import { LatencyHistogram } from './histogram.js'

/** A tally's figures, as sent to the controller. */
export interface TallyReport {
  step: number
  /** Payloads from another member, in order, of this step. */
  received: number
  /** Payloads a member got of its own messages. */
  echoes: number
  /** Payloads whose sequence number was not above the last one seen from that sender by that member. */
  reordered: number
  /** Payloads of an earlier step (arrived after it was judged) or naming no known sender. */
  stale: number
  /** Latency histogram counts and the largest latency, in microseconds. */
  latency: number[]
  maxLatencyUs: number
}

/** Counts deliveries to the members one worker holds. */
export class ReceiveTally {
  private step = -1
  private senderMembers: readonly number[] = []
  private lastSeq = new Int32Array(0)
  private received = 0
  private echoes = 0
  private reordered = 0
  private stale = 0
  private readonly histogram = new LatencyHistogram()

  /**
   * Start counting step `step`: `senderMembers[sid]` is the member index
   * of sender `sid`; `receivers` is how many members this worker holds.
   */
  startStep (step: number, senderMembers: readonly number[], receivers: number): void {
    this.step = step
    this.senderMembers = senderMembers
    this.lastSeq = new Int32Array(receivers * senderMembers.length).fill(-1)
    this.received = 0
    this.echoes = 0
    this.reordered = 0
    this.stale = 0
    this.histogram.reset()
  }

  /** Receiver `slot` (member index `member`) got payload (step, sid, seq, sentUs) at `atUs`. */
  deliver (slot: number, member: number, step: number, sid: number, seq: number, sentUs: number, atUs: number): void {
    if (step !== this.step || sid >= this.senderMembers.length) {
      this.stale++
      return
    }
    if (this.senderMembers[sid] === member) {
      this.echoes++
      return
    }
    const k = slot * this.senderMembers.length + sid
    if (seq <= this.lastSeq[k]) this.reordered++
    else this.lastSeq[k] = seq
    this.received++
    this.histogram.record(atUs - sentUs)
  }

  /** Deliveries from others so far in this step. */
  get receivedCount (): number {
    return this.received
  }

  /** Every payload seen in this step, counted or not: it stops changing once nothing is in flight. */
  get seenCount (): number {
    return this.received + this.echoes + this.stale
  }

  report (): TallyReport {
    return {
      step: this.step,
      received: this.received,
      echoes: this.echoes,
      reordered: this.reordered,
      stale: this.stale,
      latency: Array.from(this.histogram.counts),
      maxLatencyUs: this.histogram.maxUs
    }
  }
}
