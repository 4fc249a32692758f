/**
 * A member of an IRC channel, over plain TCP or TLS (the server's
 * certificate the only one trusted): NICK and USER, JOIN once welcomed
 * (001), PRIVMSG to the channel, PONG to every PING.
 */
import net from 'node:net'
import tls from 'node:tls'
import { LineBlocks, type LinkHandlers, type MemberLink, type ProtocolSigns } from './link.js'
import type { Endpoint } from './target.js'

/** The channel every member joins. */
export const IRC_CHANNEL = '#room'

/** Lines of IRC: `:NICK!USER@HOST JOIN :#room`, `:bench.irc 4xx ...` (a refused command). */
export const IRC_SIGNS: ProtocolSigns = { join: Buffer.from(' JOIN '), problem: Buffer.from(':bench.irc 4') }

const WELCOME = Buffer.from(' 001 ')
const PING = Buffer.from('PING ')
const LINE_PING = Buffer.from('\nPING ')

/** Connect member `nick`; lines (including the server's chores) and the close reach `handlers`. */
export function connectIrc (endpoint: Endpoint, nick: string, handlers: LinkHandlers): MemberLink {
  const socket = endpoint.protocol === 'irc-tls'
    ? tls.connect({ host: endpoint.host, port: endpoint.port, ca: endpoint.caPem === undefined ? [] : [endpoint.caPem] })
    : net.connect({ host: endpoint.host, port: endpoint.port })
  socket.setNoDelay(true)
  const blocks = new LineBlocks()
  let welcomed = false
  let reason = 'closed'
  const ready = endpoint.protocol === 'irc-tls' ? 'secureConnect' : 'connect'
  socket.once(ready, () => socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :bench\r\n`))
  socket.on('data', (data: Buffer) => {
    const bytes = blocks.push(data)
    if (bytes === undefined) return
    if (!welcomed && bytes.includes(WELCOME)) {
      welcomed = true
      socket.write(`JOIN ${IRC_CHANNEL}\r\n`)
    }
    if (startsWith(bytes, PING) || bytes.includes(LINE_PING)) answerPings(bytes.toString('latin1'), socket)
    handlers.lines(bytes)
  })
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
