import type { Duplex } from 'node:stream'
import { toolError, type ToolError } from '../errors.js'

/** Bytes of the peer's first chunk looked at, and the most of its first line quoted back. */
const SNIFF_BYTES = 64
const QUOTE_CHARS = 60

/**
 * Watches the first bytes a server sends. A noise-chat server's first
 * bytes are msg2's length prefix, whose high byte is 0 (msg2 is under 256
 * bytes); an HTTP, SSH, SMTP or IRC server's are printable text (a
 * banner, or its answer to our msg1). Without this, an SSH banner ends in
 * ERR_HANDSHAKE_INCOMPLETE and an HTTP server in a 10 s timeout, neither
 * saying what is wrong. It only listens to the socket's first 'data'
 * event: the secure stream reads the same bytes as before.
 */
export class TextPeerWatch {
  /** Set once the peer's first bytes were text. */
  error: ToolError | undefined

  constructor (socket: Duplex, onText: (err: ToolError) => void) {
    socket.once('data', (chunk: Buffer) => {
      const quoted = textBanner(chunk)
      if (quoted === undefined) return
      this.error = toolError('ERR_NOT_NOISE_PEER', `this is not a noise-chat server: it sent '${quoted}'`)
      onText(this.error)
    })
  }
}

/**
 * The first line of `chunk`, shortened, when its first bytes are printable
 * ASCII text (CR, LF and tab allowed); undefined for anything else.
 */
export function textBanner (chunk: Uint8Array): string | undefined {
  const head = chunk.subarray(0, SNIFF_BYTES)
  if (head.byteLength < 2) return undefined
  for (const byte of head) {
    const printable = (byte >= 0x20 && byte < 0x7f) || byte === 0x0d || byte === 0x0a || byte === 0x09
    if (!printable) return undefined
  }
  const line = Buffer.from(head).toString('latin1').split(/\r?\n|\r/)[0]!.trim()
  if (line === '') return undefined
  return line.length > QUOTE_CHARS ? line.slice(0, QUOTE_CHARS) + '...' : line
}

/** Start a TextPeerWatch on `socket` (before the secure stream is made on it): `onText` gets the error when the peer's first bytes are text. */
export function watchTextPeer (socket: Duplex, onText: (err: ToolError) => void): TextPeerWatch {
  return new TextPeerWatch(socket, onText)
}
