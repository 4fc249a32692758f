/**
 * Cleaning text from a peer before a terminal shows it, one function for
 * every layer: chat lines (lib/chat) and ABORT reasons (lib/secure) alike.
 * It sits at the top of lib/ because both layers import it and neither may
 * import the other's files.
 *
 * Removed, whole: ECMA-48 escape sequences in their 7-bit and 8-bit forms:
 * CSI (`ESC [` / U+009B ... final byte: colours, cursor moves, erasing),
 * the string sequences OSC, DCS, SOS, PM and APC (`ESC ]`, `ESC P`, `ESC X`,
 * `ESC ^`, `ESC _` and U+009D, U+0090, U+0098, U+009E, U+009F, up to BEL or
 * ST: window titles, hyperlinks, clipboard writes) and the short `ESC x`
 * sequences (reset, charset switches). An unterminated sequence runs to the
 * end of the line. Then every remaining C0 and C1 control character and
 * DEL, the Unicode controls that reorder or break displayed text
 * (bidirectional marks, embeddings, overrides and isolates, the line and
 * paragraph separators), and the invisible characters that take no room
 * but can pad or disguise text (zero-width space, word joiner, invisible
 * operators, BOM, soft hyphen, Mongolian vowel separator). A tab becomes a
 * space. The zero-width joiner and non-joiner stay between two visible
 * characters (emoji sequences and Persian need them) and go elsewhere.
 */
const ESCAPE_SEQUENCES = new RegExp([
  // String sequences: OSC, DCS, SOS, PM, APC, up to BEL, ST (ESC \ or U+009C) or the end.
  '(?:\\x1b[\\]PX^_]|[\\u0090\\u0098\\u009d-\\u009f])[\\s\\S]*?(?:\\x07|\\x1b\\\\|\\u009c|$)',
  // CSI: parameter bytes, intermediate bytes, one final byte.
  '(?:\\x1b\\[|\\u009b)[\\x30-\\x3f]*[\\x20-\\x2f]*(?:[\\x40-\\x7e]|$)',
  // Any other escape: intermediates and one final byte.
  '\\x1b[\\x20-\\x2f]*(?:[\\x30-\\x7e]|$)'
].join('|'), 'g')

/** C0 (but tab), DEL, C1, the bidi and separator controls of Unicode, and the invisible characters listed above. */
const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g

/** A zero-width joiner or non-joiner not between two visible characters. */
const STRAY_JOINERS = /(?:^|(?<=\s))[\u200c\u200d]+|[\u200c\u200d]+(?=\s|$)/g

const TAB = /\t/g

/** `text` without escape sequences, control and invisible characters (see the module comment). Pure. */
export function sanitizeText (text: string): string {
  return text
    .replace(ESCAPE_SEQUENCES, '')
    .replace(CONTROL_CHARACTERS, '')
    .replace(TAB, ' ')
    .replace(STRAY_JOINERS, '')
}
