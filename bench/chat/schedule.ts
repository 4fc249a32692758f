/**
 * When each sender of a step sends: R x d messages in all, shared as
 * evenly as whole numbers allow, each sender's spread over the step and
 * sender i shifted i/S of its period ahead, so the room hears an even
 * stream at the total rate (not S messages at once). Pure.
 */

/** How many messages each of `senders` sends in `durationMs` at `rate` msg/s in all (the counts sum to round(rate x duration)). */
export function messagesPerSender (rate: number, senders: number, durationMs: number): number[] {
  const total = Math.round(rate * durationMs / 1000)
  const base = Math.floor(total / senders)
  return Array.from({ length: senders }, (_, sid) => base + (sid < total % senders ? 1 : 0))
}

/** The phase of sender `sid` of `senders`: how far (in periods) its schedule runs ahead. */
export function senderPhase (sid: number, senders: number): number {
  return sid / senders
}

/** How many of its `count` messages a sender should have sent `elapsedUs` into a step of `durationUs`. */
export function dueBy (count: number, durationUs: number, phase: number, elapsedUs: number): number {
  if (elapsedUs <= 0 || count === 0) return 0
  return Math.min(count, Math.floor(elapsedUs * count / durationUs + phase))
}

/** When (microseconds into the step) message `seq` (0-based) of a sender is due. */
export function dueAtUs (seq: number, count: number, durationUs: number, phase: number): number {
  return (seq + 1 - phase) * durationUs / count
}
