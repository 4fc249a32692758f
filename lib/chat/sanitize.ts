/**
 * Cleaning what members send, so that no member can paint another's
 * terminal: every line a member sends passes through `sanitizeText` before
 * the room sees it, and the client passes what the server sends through it
 * again before printing.
 *
 * Removed, whole: ECMA-48 escape sequences in their 7-bit and 8-bit forms:
 * CSI (`ESC [` / U+009B ... final byte: colours, cursor moves, erasing),
 * the string sequences OSC, DCS, SOS, PM and APC (`ESC ]`, `ESC P`, `ESC X`,
 * `ESC ^`, `ESC _` and U+009D, U+0090, U+0098, U+009E, U+009F, up to BEL or
 * ST: window titles, hyperlinks, clipboard writes) and the short `ESC x`
 * sequences (reset, charset switches). An unterminated sequence runs to the
 * end of the line. Then every remaining C0 and C1 control character and
 * DEL, and the Unicode controls that reorder or break displayed text
 * (bidirectional embeddings, overrides and isolates, the line and paragraph
 * separators). A tab becomes a space.
 */
const ESCAPE_SEQUENCES = new RegExp([
  // String sequences: OSC, DCS, SOS, PM, APC, up to BEL, ST (ESC \ or U+009C) or the end.
  '(?:\\x1b[\\]PX^_]|[\\u0090\\u0098\\u009d-\\u009f])[\\s\\S]*?(?:\\x07|\\x1b\\\\|\\u009c|$)',
  // CSI: parameter bytes, intermediate bytes, one final byte.
  '(?:\\x1b\\[|\\u009b)[\\x30-\\x3f]*[\\x20-\\x2f]*(?:[\\x40-\\x7e]|$)',
  // Any other escape: intermediates and one final byte.
  '\\x1b[\\x20-\\x2f]*(?:[\\x30-\\x7e]|$)'
].join('|'), 'g')

/** C0 (but tab), DEL, C1, and the bidi and separator controls of Unicode. */
const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const TAB = /\t/g

/** `text` without escape sequences and control characters (see the module comment). */
export function sanitizeText (text: string): string {
  return text
    .replace(ESCAPE_SEQUENCES, '')
    .replace(CONTROL_CHARACTERS, '')
    .replace(TAB, ' ')
}

/** True when a line has nothing to show: empty or only white space. */
export function isBlank (text: string): boolean {
  return text.trim().length === 0
}
