/*
 * Wrapping a chat line into terminal rows ourselves, so that every row but
 * the first starts indented: a row that begins at the left edge is always
 * the start of a line (its time), never a continuation a member could fill
 * with a fake `HH:MM <alice✓> ...` by padding a message to the edge.
 *
 * Widths err on the wide side. If we counted a character narrower than the
 * terminal draws it, the terminal would wrap before us and put the rest at
 * the left edge, unindented; counting it wider only ends the row early. So
 * printable ASCII is one column and everything else two (CJK and emoji are
 * two; accented letters are one on most terminals, but two on terminals set
 * to draw East Asian ambiguous characters wide), and rows stop one column
 * short of the edge so no terminal's pending-wrap rule comes into play.
 */

/** SGR sequences the view itself adds (colours, inverse): they take no room. */
const SGR = /\x1b\[[0-9;]*m/y

/** Columns a code point may take on a terminal, rounded up (see above). */
function columnsOf (codePoint: number): number {
  return codePoint >= 0x20 && codePoint < 0x7f ? 1 : 2
}

/**
 * Split `text` (already sanitized: the only escapes in it are SGR
 * sequences) into rows of at most `columns - 1` columns; every row after
 * the first starts with `indent` spaces. Pure.
 */
export function wrapRows (text: string, columns: number, indent: number): string[] {
  const limit = Math.max(indent + 2, columns - 1)
  const rows: string[] = []
  let row = ''
  let width = 0
  for (let i = 0; i < text.length;) {
    SGR.lastIndex = i
    const sgr = SGR.exec(text)
    if (sgr !== null) {
      row += sgr[0]
      i += sgr[0].length
      continue
    }
    const codePoint = text.codePointAt(i)!
    const char = String.fromCodePoint(codePoint)
    const w = columnsOf(codePoint)
    if (width + w > limit) {
      rows.push(row)
      row = ' '.repeat(indent)
      width = indent
    }
    row += char
    width += w
    i += char.length
  }
  rows.push(row)
  return rows
}
