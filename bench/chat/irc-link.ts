/**
 * A member of an IRC channel, over plain TCP or TLS (the server's
 * certificate the only one trusted): NICK and USER, JOIN once welcomed
 * (001), PRIVMSG to the channel, PONG to every PING.
 */
import net from 'node:net'
import tls from 'node:tls'
import { LineReader, type LinkHandlers, type MemberLink, type ProtocolSigns } from './link.js'
import type { Endpoint } from './target.js'

/** The channel every member joins. */
export const IRC_CHANNEL = '#room'

/** Lines of IRC: `:NICK!USER@HOST JOIN :#room`, `:bench.irc 4xx ...` (a refused command). */
export const IRC_SIGNS: ProtocolSigns = { join: Buffer.from(' JOIN '), problem: Buffer.from(':bench.irc 4') }

const WELCOME = Buffer.from(' 001 ')
const PING = Buffer.from('PING ')
const LINE_PING = Buffer.from('\nPING ')
/** Bytes one read may hand over: a TLS record's most (16 KiB) and plenty of plain TCP's lines. */
const READ_BUFFER_BYTES = 64 * 1024
/**
 * One read buffer for every member of this worker: Node reads into it
 * (plain or decrypted) and calls back at once, so no Buffer is made per
 * read and no stream machinery runs; a read's bytes are looked at only
 * during the call, one member at a time.
 */
const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES)

/** Connect member `nick`; lines (including the server's chores) and the close reach `handlers`. */
export function connectIrc (endpoint: Endpoint, nick: string, handlers: LinkHandlers): MemberLink {
  let welcomed = false
  const other = (lines: Buffer): void => {
    if (!welcomed && lines.includes(WELCOME)) {
      welcomed = true
      socket.write(`JOIN ${IRC_CHANNEL}\r\n`)
    }
    if (startsWith(lines, PING) || lines.includes(LINE_PING)) answerPings(lines.toString('latin1'), socket)
    handlers.other(lines)
  }
  const reader = new LineReader(handlers.payload, other)
  const onread: net.OnReadOpts = { buffer: readBuffer, callback: (length: number, buffer: Uint8Array) => { reader.push(buffer.subarray(0, length)); return true } }
  const socket = endpoint.protocol === 'irc-tls'
    // tls.connect takes onread as net.connect does (Node >= 14.17); @types/node leaves it out of ConnectionOptions.
    ? tls.connect({ host: endpoint.host, port: endpoint.port, ca: endpoint.caPem === undefined ? [] : [endpoint.caPem], onread } as tls.ConnectionOptions)
    : net.connect({ host: endpoint.host, port: endpoint.port, onread })
  socket.setNoDelay(true)
  let reason = 'closed'
  const ready = endpoint.protocol === 'irc-tls' ? 'secureConnect' : 'connect'
  socket.once(ready, () => socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :bench\r\n`))
  socket.on('end', () => {
    reason = 'the server ended the connection'
    socket.end()
  })
  socket.on('error', (err: Error & { code?: string }) => { reason = `${err.code ?? 'error'}: ${err.message}` })
  socket.on('close', () => handlers.closed(reason))
  return {
    say: (text) => { if (!socket.destroyed) socket.write(`PRIVMSG ${IRC_CHANNEL} :${text}\r\n`) },
    close: () => { if (!socket.destroyed) socket.end('QUIT :bench done\r\n') }
  }
}

function answerPings (text: string, socket: net.Socket): void {
  for (const line of text.split('\n')) {
    if (line.startsWith('PING ')) socket.write(`PONG ${line.slice(5).trimEnd()}\r\n`)
  }
}

/** True when `bytes` begins with `prefix`. */
export function startsWith (bytes: Buffer, prefix: Buffer): boolean {
  return bytes.byteLength >= prefix.byteLength && bytes.compare(prefix, 0, prefix.byteLength, 0, prefix.byteLength) === 0
}
