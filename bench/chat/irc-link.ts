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
export const IRC_SIGNS: ProtocolSigns = { join: ' JOIN ', problem: ':bench.irc 4' }

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
    const text = blocks.push(data)
    if (text === undefined) return
    if (!welcomed && text.includes(' 001 ')) {
      welcomed = true
      socket.write(`JOIN ${IRC_CHANNEL}\r\n`)
    }
    if (text.startsWith('PING ') || text.includes('\nPING ')) answerPings(text, socket)
    handlers.lines(text)
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
