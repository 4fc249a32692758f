import { sanitizeText } from '../text-sanitize.js'
import { VERIFIED_MARK } from './messages.js'

/**
 * Cleaning what members send, so that no member can paint another's
 * terminal or pass for another member: every line a member sends passes
 * through `sanitizeMemberText` before the room sees it, and the client
 * passes what the server sends through `sanitizeText` (lib/text-sanitize.ts,
 * shared with the ABORT reasons) again before printing.
 */
export { sanitizeText }

/** The verified mark and the check marks that look like it: a member's text never carries one. */
const MARK_LOOKALIKES = new RegExp(`[${VERIFIED_MARK}\\u2714\\u{1f5f8}]`, 'gu')

/** Runs of white space of any kind (and the blank letters that render as space): padding that could push text onto a row of its own. */
const BLANK_RUNS = /[\s\u2800\u3164\uffa0\u115f\u1160]+/g

/**
 * A member's text as the room will show it: sanitizeText, then every run
 * of blanks collapsed to one space, and no verified mark (so no text can
 * show `alice✓`; the server alone adds the mark, after nicks).
 */
export function sanitizeMemberText (text: string): string {
  return sanitizeText(text).replace(MARK_LOOKALIKES, '').replace(BLANK_RUNS, ' ')
}

/** True when a line has nothing to show: empty or only white space. */
export function isBlank (text: string): boolean {
  return text.trim().length === 0
}
