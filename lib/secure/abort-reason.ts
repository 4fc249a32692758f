import { DEFAULT_ABORT_REASON, MAX_ABORT_REASON_BYTES } from '../constants.js'
import { sanitizeText } from '../text-sanitize.js'

/**
 * ABORT reasons (PROTOCOL.md 4): what we send (at most 1024 bytes of UTF-8)
 * and how we show what a peer sent (never raw control characters).
 */

/** The reason to send for a failure: the error's message, or the default for a plain destroy(). */
export function abortReasonOf (err: Error): string {
  if ((err as { code?: unknown }).code === 'ERR_CANCELLED') return DEFAULT_ABORT_REASON
  return err.message
}

/** The reason as bytes: at most 1024 bytes of UTF-8, cut on a character boundary. */
export function abortReasonBytes (reason: string): Buffer {
  const bytes = Buffer.from(reason)
  if (bytes.byteLength <= MAX_ABORT_REASON_BYTES) return bytes
  let end = MAX_ABORT_REASON_BYTES
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return bytes.subarray(0, end)
}

/** A peer's reason cleaned as chat text is (escapes, controls, bidi, invisibles), so it cannot drive or reorder a terminal. */
export function printable (text: string): string {
  return sanitizeText(text)
}
