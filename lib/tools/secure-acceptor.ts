import { EventEmitter } from 'node:events'
import type net from 'node:net'
import { SecureStream } from '../secure/secure-stream.js'
import type { Endpoint } from '../net/connect.js'
import { streamOptions, type SecureEndOptions } from './pipe.js'
import { TcpListener } from './tcp-listener.js'

export interface SecureAcceptorOptions extends SecureEndOptions {
  /** Most connections (handshaking or open) at once. */
  maxConnections: number
}

/** A connection whose handshake failed or whose key was refused. */
export interface AcceptFailure {
  remote: Endpoint
  /** The secure stream's error; for a refused client key, ERR_REMOTE_KEY_REJECTED with the verifier's error as cause. */
  error: Error
  /** The client's static key, when the handshake got as far as msg3. */
  remotePublicKey: Buffer | null
}

/**
 * Accepts TCP connections and runs the responder's handshake on each.
 *
 * Events: 'stream' (SecureStream, net.Socket) once a handshake completed
 * and the client's key was accepted; 'failure' (AcceptFailure) when it did
 * not; 'full' (Endpoint) for a connection refused over the cap.
 */
export class SecureAcceptor extends EventEmitter {
  readonly tcp: TcpListener
  private readonly options: SecureAcceptorOptions
  private readonly handshaking = new Set<SecureStream>()

  constructor (options: SecureAcceptorOptions) {
    super()
    this.options = options
    this.tcp = new TcpListener({ maxConnections: options.maxConnections })
    this.tcp.on('connection', (socket: net.Socket) => this.accept(socket))
    this.tcp.on('full', (remote: Endpoint) => this.emit('full', remote))
  }

  /** Start listening; resolves to the address bound. */
  listen (at: Endpoint): Promise<Endpoint> {
    return this.tcp.listen(at)
  }

  /** Stop accepting and cut the handshakes still in progress; open streams go on. */
  stopAccepting (): void {
    this.tcp.stopAccepting()
    for (const stream of this.handshaking) stream.destroy()
  }

  private accept (socket: net.Socket): void {
    const remote = { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 }
    const secure = new SecureStream(false, socket, streamOptions(this.options))
    this.handshaking.add(secure)
    secure.on('error', noop)
    secure.opened.then(() => {
      this.handshaking.delete(secure)
      this.emit('stream', secure, socket)
    }, (error: Error) => {
      this.handshaking.delete(secure)
      // A handshake we cut ourselves (stopAccepting) is no one's failure.
      if ((error as { code?: string }).code === 'ERR_CANCELLED') return
      this.emit('failure', { remote, error, remotePublicKey: secure.remotePublicKey } satisfies AcceptFailure)
    })
    socket.resume()
  }
}

function noop (): void {}
