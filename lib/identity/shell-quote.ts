/**
 * Quote one word for a POSIX shell, so a command we print (the chmod that
 * fixes a key file, the forget that removes a changed host) can be pasted
 * as is, whatever spaces, quotes or brackets the path or host holds.
 * Always single-quoted: inside single quotes only `'` itself is special,
 * and it is written as `'\''`.
 */
export function shellQuote (word: string): string {
  return "'" + word.replace(/'/g, "'\\''") + "'"
}
