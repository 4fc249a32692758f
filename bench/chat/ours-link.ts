/**
 * A member of noise-chat's room, the way the real client connects: TCP,
 * a SecureStream (initiator) pinning the server's key, then the chat's
 * lines (docs/CHAT.md). The first line, `/nick NICK`, joins the room at
 * once under that nick.
 */
import net from 'node:net'
import { CHAT_IDLE_TIMEOUT_MS, CHAT_KEEP_ALIVE_MS } from '../../lib/constants.js'
import { generateKeyPair, parsePublicKey } from '../../lib/secure/keypair.js'
import { SecureStream } from '../../lib/secure/secure-stream.js'
import { LineReader, type LinkHandlers, type MemberLink, type ProtocolSigns } from './link.js'
import type { Endpoint } from './target.js'

/** Lines of ours: `-- NICK joined (N connected)`, `! TEXT (CODE)`. */
export const OURS_SIGNS: ProtocolSigns = { join: Buffer.from(' joined ('), problem: Buffer.from('! ') }

/** Generous: thousands of members connect while the server is busy announcing joins. */
const HANDSHAKE_TIMEOUT_MS = 60_000

/** Connect member `nick`; lines and the close reach `handlers`. */
export function connectOurs (endpoint: Endpoint, nick: string, handlers: LinkHandlers): MemberLink {
  const serverKey = parsePublicKey(endpoint.serverKey ?? '')
  const socket = net.connect({ host: endpoint.host, port: endpoint.port })
  socket.setNoDelay(true)
  const stream = new SecureStream(true, socket, {
    keyPair: generateKeyPair(),
    verify: (key) => key.equals(serverKey),
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    keepAlive: CHAT_KEEP_ALIVE_MS,
    idleTimeout: CHAT_IDLE_TIMEOUT_MS
  })
  const reader = new LineReader(handlers.payload, handlers.other)
  let reason = 'closed'
  stream.on('data', (data: unknown) => reader.push(data as Buffer))
  stream.on('end', () => {
    reason = 'the server ended the connection'
    stream.end()
  })
  stream.on('error', (err: Error & { code?: string }) => { reason = `${err.code ?? 'error'}: ${err.message}` })
  stream.on('close', () => handlers.closed(reason))
  stream.write(Buffer.from(`/nick ${nick}\n`))
  return {
    say: (text) => { if (!stream.destroying) stream.write(Buffer.from(text + '\n')) },
    close: () => { if (!stream.destroying) stream.end() }
  }
}
