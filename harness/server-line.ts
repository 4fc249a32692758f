/**
 * Tests over the lines a chat server sends, read through parseServerLine
 * (lib/chat/messages.ts, the one grammar), so that no test helper, fuzz
 * target or reliability script keeps its own regex of the line forms.
 */
import { parseServerLine, type ServerLine } from '../lib/chat/messages.js'

/** The parsed line of one kind. */
export type LineOf<K extends ServerLine['kind']> = Extract<ServerLine, { kind: K }>

/** The message `line` stands for when it is of `kind`; undefined otherwise. */
export function lineOf<K extends ServerLine['kind']> (kind: K, line: string): LineOf<K> | undefined {
  const parsed = parseServerLine(line)
  return parsed?.kind === kind ? parsed as LineOf<K> : undefined
}

/** A line test (for Member.waitFor, filter): a line of `kind` that `match` accepts. */
export function isLine<K extends ServerLine['kind']> (kind: K, match: (message: LineOf<K>) => boolean = () => true): (line: string) => boolean {
  return (line) => {
    const message = lineOf(kind, line)
    return message !== undefined && match(message)
  }
}
