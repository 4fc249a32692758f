/**
 * Bytes as a packet sniffer shows them (`tcpdump -X`, `xxd`): one line per
 * 16 bytes with the offset, the hex in groups of two bytes, and the
 * printable ASCII with everything else shown as '.'. Pure: no I/O.
 *
 *     0x0000:  6865 6c6c 6f20 776f 726c 640a            hello.world.
 */

/** Bytes shown on one line. */
export const HEXDUMP_BYTES_PER_LINE = 16

/** Bytes per hex group, as tcpdump and xxd group them. */
const GROUP_BYTES = 2

/** Width of the hex column of a full line: 8 groups of 4 digits and 7 spaces. */
const HEX_COLUMN_CHARS = (HEXDUMP_BYTES_PER_LINE / GROUP_BYTES) * (GROUP_BYTES * 2 + 1) - 1

export interface HexdumpOptions {
  /** Offset printed for the first byte: lets a long stream be dumped chunk by chunk. Default 0. */
  offset?: number
  /** Put in front of every line (e.g. a tab, as tcpdump does). Default ''. */
  indent?: string
}

/**
 * The dump of `bytes`, one string per line, with no line endings. An empty
 * input gives no lines.
 */
export function hexdumpLines (bytes: Uint8Array, options: HexdumpOptions = {}): string[] {
  const start = options.offset ?? 0
  const indent = options.indent ?? ''
  const lines: string[] = []
  for (let i = 0; i < bytes.byteLength; i += HEXDUMP_BYTES_PER_LINE) {
    const row = bytes.subarray(i, i + HEXDUMP_BYTES_PER_LINE)
    lines.push(`${indent}${formatOffset(start + i)}:  ${hexColumn(row).padEnd(HEX_COLUMN_CHARS)}  ${asciiColumn(row)}`)
  }
  return lines
}

/** The dump of `bytes` as one string, every line ending in '\n' ('' for no bytes). */
export function hexdump (bytes: Uint8Array, options: HexdumpOptions = {}): string {
  return hexdumpLines(bytes, options).map((line) => line + '\n').join('')
}

/** True for the bytes shown as themselves: ASCII space through '~'. */
export function isPrintableByte (byte: number): boolean {
  return byte >= 0x20 && byte <= 0x7e
}

function formatOffset (offset: number): string {
  return '0x' + offset.toString(16).padStart(4, '0')
}

function hexColumn (row: Uint8Array): string {
  const groups: string[] = []
  for (let i = 0; i < row.byteLength; i += GROUP_BYTES) {
    let group = ''
    for (const byte of row.subarray(i, i + GROUP_BYTES)) group += byte.toString(16).padStart(2, '0')
    groups.push(group)
  }
  return groups.join(' ')
}

function asciiColumn (row: Uint8Array): string {
  let text = ''
  for (const byte of row) text += isPrintableByte(byte) ? String.fromCharCode(byte) : '.'
  return text
}
