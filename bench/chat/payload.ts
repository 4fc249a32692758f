/**
 * What every bench message says, and how receivers find it again in the
 * lines a server relays (`<m3> TEXT` from ours, `:m3!~m3@127.0.0.1
 * PRIVMSG #room :TEXT` from IRC): a marker, the step, the sender's id, its
 * sequence number and the send time, padded to a chat-sized line.
 *
 *     ~b STEP : SENDER : SEQ : SENT_US ~ xxxx...
 *
 * Times are microseconds of the monotonic clock (process.hrtime), which
 * every process on the machine shares, so a receiver in another process
 * subtracts the sender's stamp from its own clock.
 */

/** The marker that starts a payload; nothing else a server sends contains it. */
export const PAYLOAD_MARKER = '~b'
/** Length of a message's text: a typical chat line. */
export const PAYLOAD_TEXT_BYTES = 64

const COLON = 0x3a
const TILDE = 0x7e
const ZERO = 0x30
const NINE = 0x39
const PADDING = 'x'.repeat(PAYLOAD_TEXT_BYTES)

/** Microseconds on the machine-wide monotonic clock. */
export function nowUs (): number {
  const [s, ns] = process.hrtime()
  return s * 1e6 + Math.floor(ns / 1000)
}

/** The text of message `seq` of sender `sender` in step `step`, stamped `sentUs`. */
export function encodePayload (step: number, sender: number, seq: number, sentUs: number): string {
  const head = `${PAYLOAD_MARKER}${step}:${sender}:${seq}:${sentUs}~ `
  return head.length >= PAYLOAD_TEXT_BYTES ? head : head + PADDING.slice(head.length)
}

/** Called for each payload found. */
export type PayloadVisitor = (step: number, sender: number, seq: number, sentUs: number) => void
/** Called with whole lines (one or more, in a row) that carry no payload: joins, problems, protocol chores. */
export type OtherLines = (lines: Buffer) => void

const NEWLINE = 0x0a
/** The marker's second byte: `~` then `b`. */
const MARKER_SECOND = PAYLOAD_MARKER.charCodeAt(1)

/**
 * Find every payload in `bytes` (whole lines, as received) and call
 * `visit` with its fields; hand each run of lines that carry none to
 * `other`. A marker not followed by four well-formed numbers is skipped.
 * Returns how many payloads were found. It reads the bytes where they
 * are, line by line, with native searches for single bytes (a newline,
 * the marker's `~`), which cost a few nanoseconds each where a search for
 * a multi-byte needle costs a hundred: no text is decoded, nothing is
 * allocated for a line with a payload, so counting costs the same
 * whatever the server's wire looks like.
 */
export function scanPayloads (bytes: Uint8Array, visit: PayloadVisitor, other?: OtherLines): number {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = buf.byteLength
  let found = 0
  let start = 0
  /** Start of the run of payload-less lines not yet handed to `other`. */
  let otherFrom = -1
  let tilde = buf.indexOf(TILDE)
  while (start < n) {
    const nl = buf.indexOf(NEWLINE, start)
    const end = nl === -1 ? n : nl + 1
    let inLine = 0
    while (tilde !== -1 && tilde < end) {
      const fieldsEnd = buf[tilde + 1] === MARKER_SECOND ? readFields(buf, tilde + 2) : -1
      if (fieldsEnd === -1) {
        tilde = buf.indexOf(TILDE, tilde + 1)
        continue
      }
      visit(fields[0], fields[1], fields[2], fields[3])
      inLine++
      tilde = buf.indexOf(TILDE, fieldsEnd)
    }
    if (inLine === 0) {
      if (otherFrom === -1) otherFrom = start
    } else {
      found += inLine
      if (otherFrom !== -1 && other !== undefined) other(buf.subarray(otherFrom, start))
      otherFrom = -1
    }
    start = end
  }
  if (otherFrom !== -1 && other !== undefined) other(buf.subarray(otherFrom, n))
  return found
}

/** Scratch space of readFields: four numbers, no allocation per message. */
const fields = [0, 0, 0, 0]

/** Parse `N:N:N:N~` at `i` into `fields`; the index after it, or -1. */
function readFields (buf: Buffer, i: number): number {
  const n = buf.byteLength
  for (let f = 0; f < 4; f++) {
    let value = 0
    const start = i
    let c = i < n ? buf[i]! : -1
    while (c >= ZERO && c <= NINE) {
      value = value * 10 + (c - ZERO)
      c = ++i < n ? buf[i]! : -1
    }
    if (i === start || c !== (f === 3 ? TILDE : COLON)) return -1
    fields[f] = value
    i++
  }
  return i
}

/** Count occurrences of `needle` in `bytes` (join announcements, for instance). */
export function countOccurrences (bytes: Buffer, needle: Buffer): number {
  let n = 0
  let at = bytes.indexOf(needle)
  while (at !== -1) {
    n++
    at = bytes.indexOf(needle, at + needle.byteLength)
  }
  return n
}
