/**
 * A member of noise-chat's room, the way the real client connects: TCP,
 * a SecureStream (initiator) pinning the server's key, then the chat's
 * lines (docs/CHAT.md). The first line, `/nick NICK`, joins the room at
 * once under that nick.
 */
import net from 'node:net'
import { CHAT_KEEP_ALIVE_MS, FRAME_ABORT, FRAME_DATA, FRAME_END } from '../../lib/constants.js'
import { FrameDecoder } from '../../lib/secure/frame-codec.js'
import { generateKeyPair, parsePublicKey } from '../../lib/secure/keypair.js'
import { SecureStream } from '../../lib/secure/secure-stream.js'
import { INTERNALS } from '../../lib/secure/testing.js'
import { openTransportFrame } from '../../lib/secure/transport-frame.js'
import { LineReader, type LinkHandlers, type MemberLink, type ProtocolSigns } from './link.js'
import type { Endpoint } from './target.js'

/** Lines of ours: `-- NICK joined (N connected)`, `! TEXT (CODE)`. */
export const OURS_SIGNS: ProtocolSigns = { join: Buffer.from(' joined ('), problem: Buffer.from('! ') }

/** Generous: thousands of members connect while the server is busy announcing joins. */
const HANDSHAKE_TIMEOUT_MS = 60_000

/**
 * Connect member `nick`; lines and the close reach `handlers`.
 *
 * The handshake and everything the member sends go through a real
 * SecureStream. Once it is open, the member reads the server's frames
 * itself, straight from the socket: the same frame decoder and cipher the
 * stream uses (lib/secure), without the stream's readable side (a push, a
 * turn and a 'data' event per chunk). That makes the generator's receive
 * path for us as lean as its IRC path, where Node's TLS hands decrypted
 * bytes to a callback (issue 8: the generator must not be what a step
 * measures). Every frame is still authenticated, in order; PINGs are
 * skipped, END and ABORT close the member.
 */
export function connectOurs (endpoint: Endpoint, nick: string, handlers: LinkHandlers): MemberLink {
  const serverKey = parsePublicKey(endpoint.serverKey ?? '')
  const socket = net.connect({ host: endpoint.host, port: endpoint.port })
  socket.setNoDelay(true)
  const stream = new SecureStream(true, socket, {
    keyPair: generateKeyPair(),
    verify: (key) => key.equals(serverKey),
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    keepAlive: CHAT_KEEP_ALIVE_MS
    // No idleTimeout: after the switch below the stream no longer sees the server's frames.
  })
  const reader = new LineReader(handlers.payload, handlers.other)
  let reason = 'closed'
  let finished = false
  const finish = (why: string): void => {
    if (finished) return
    finished = true
    reason = why
    stream.end()
  }
  stream.once('connect', () => readFramesDirectly(socket, stream, reader, finish))
  stream.on('error', (err: Error & { code?: string }) => { if (!finished) reason = `${err.code ?? 'error'}: ${err.message}` })
  stream.on('close', () => handlers.closed(reason))
  stream.write(Buffer.from(`/nick ${nick}\n`))
  return {
    say: (text) => { if (!stream.destroying) stream.write(Buffer.from(text + '\n')) },
    close: () => { if (!stream.destroying) stream.end() }
  }
}

/**
 * Take the socket's input over from `stream` the moment it opens. Nothing
 * can be lost in between: the server sends its first transport frame only
 * after our msg3, which the stream writes as it opens.
 */
function readFramesDirectly (socket: net.Socket, stream: SecureStream, reader: LineReader, finish: (why: string) => void): void {
  const receiver = stream[INTERNALS]().receiver!
  const decoder = new FrameDecoder()
  const onFrame = (pieces: Buffer[], length: number): boolean => {
    const { type, body } = openTransportFrame(receiver, pieces, length)
    if (type === FRAME_DATA) for (const piece of body) reader.push(piece)
    else if (type === FRAME_END) finish('the server ended the connection')
    else if (type === FRAME_ABORT) finish(`the server aborted: ${Buffer.concat(body).toString()}`)
    return true // PING: keep-alive only
  }
  socket.removeAllListeners('data')
  socket.on('data', (chunk: Buffer) => {
    try {
      decoder.push(chunk, onFrame)
    } catch (err) {
      stream.destroy(err as Error)
    }
  })
  socket.resume() // in case the stream had paused it for its reader
}
