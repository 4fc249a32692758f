/**
 * Per-sender sequence numbers checked at one receiver: every message a
 * sender sent must arrive exactly once, in the order sent. A pure state
 * machine: `receive` each (sender, seq) as it arrives, `finish` with what
 * each sender says it sent.
 */

/** What one receiver (or a sum of receivers) saw. */
export interface SequenceTally {
  /** Messages that arrived (duplicates included). */
  delivered: number
  /** Sent but never arrived. */
  lost: number
  /** Arrived more than once (each extra copy counts). */
  duplicated: number
  /** Arrived after a later message of the same sender. */
  reordered: number
}

interface SenderState {
  /** The sequence number expected next. */
  next: number
  /** Numbers skipped over: each is lost unless it still turns up (then reordered). */
  missing: Set<number>
}

export class SequenceChecker {
  private readonly senders = new Map<string, SenderState>()
  private delivered = 0
  private duplicated = 0
  private reordered = 0

  /** One message from `sender` numbered `seq` (0, 1, 2, ... per sender). */
  receive (sender: string, seq: number): void {
    this.delivered++
    let state = this.senders.get(sender)
    if (state === undefined) {
      state = { next: 0, missing: new Set() }
      this.senders.set(sender, state)
    }
    if (seq === state.next) {
      state.next++
    } else if (seq > state.next) {
      for (let n = state.next; n < seq; n++) state.missing.add(n)
      state.next = seq + 1
    } else if (state.missing.delete(seq)) {
      this.reordered++
    } else {
      this.duplicated++
    }
  }

  /** True once everything `sent` says was sent has arrived (nothing missing, nothing still to come). */
  complete (sent: Record<string, number>): boolean {
    for (const [sender, count] of Object.entries(sent)) {
      const state = this.senders.get(sender)
      if (count === 0) continue
      if (state === undefined || state.next < count || state.missing.size > 0) return false
    }
    return true
  }

  /** The tally, given how many messages each sender sent (senders not listed sent nothing this receiver must see). */
  finish (sent: Record<string, number>): SequenceTally {
    let lost = 0
    for (const [sender, count] of Object.entries(sent)) {
      const state = this.senders.get(sender)
      if (state === undefined) {
        lost += count
        continue
      }
      lost += state.missing.size + Math.max(0, count - state.next)
    }
    return { delivered: this.delivered, lost, duplicated: this.duplicated, reordered: this.reordered }
  }
}

/** The sum of several tallies. */
export function addTallies (tallies: SequenceTally[]): SequenceTally {
  return tallies.reduce((a, b) => ({
    delivered: a.delivered + b.delivered,
    lost: a.lost + b.lost,
    duplicated: a.duplicated + b.duplicated,
    reordered: a.reordered + b.reordered
  }), { delivered: 0, lost: 0, duplicated: 0, reordered: 0 })
}
