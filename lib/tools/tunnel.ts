import { EventEmitter } from 'node:events'
import type net from 'node:net'
import { SecureStream } from '../secure/secure-stream.js'
import { connectTcp, type Endpoint } from '../net/connect.js'
import { watchTextPeer } from '../net/text-peer.js'
import { streamOptions, type SecureEndOptions } from './pipe.js'
import { SecureAcceptor, type AcceptFailure } from './secure-acceptor.js'
import { splice, reset, type SpliceTotals } from './splice.js'
import { TcpListener } from './tcp-listener.js'

/*
 * A tunnel in spiped's manner, with two ends:
 *
 *   app --TCP--> tunnel client ==secure stream==> tunnel server --TCP--> service
 *
 * Each TCP connection accepted by the client gets its own secure stream
 * and its own connection to the service: one session per connection, no
 * multiplexing, so one slow connection never holds up another and a
 * half-close of one is just that connection's END.
 *
 * Unlike spiped, whose two ends share one symmetric key (so anyone who can
 * use the tunnel could also pose as its server), the ends here have
 * distinct key pairs: the client checks the server's static key (pinned or
 * known hosts) and the server checks the client's (authorized keys). A
 * client's key proves only the client; to pose as the server one needs the
 * server's secret key.
 */

export interface TunnelOptions extends SecureEndOptions {
  /** Where this end accepts connections. */
  listen: Endpoint
  /** Where this end forwards each connection: the tunnel server (client end) or the service (server end). */
  to: Endpoint
  /** Most connections at once; more are closed at once. */
  maxConnections: number
  /** TCP connect deadline in ms for the onward connection. */
  connectTimeout: number
}

/** How one tunnelled connection ended. */
export interface TunnelConnectionEnd {
  id: number
  remote: Endpoint
  /** null for a clean end (both directions ended). */
  error: Error | null
  /** Bytes carried each way (zeros when the connection failed). */
  totals: SpliceTotals
}

/**
 * Events of both ends: 'open' ({ id, remote }) when a connection is
 * accepted (the server end: once its handshake passed); 'close'
 * (TunnelConnectionEnd); 'full' (Endpoint) for a connection over the cap;
 * the server end also 'refused' (AcceptFailure) for a failed handshake or
 * a refused client key.
 */
abstract class TunnelEnd extends EventEmitter {
  protected readonly options: TunnelOptions
  private nextId = 1

  constructor (options: TunnelOptions) {
    super()
    this.options = options
  }

  abstract listen (): Promise<Endpoint>

  /** Stop accepting, wait for open connections to finish (at most `timeoutMs`), cut the rest; resolves to how many were cut. */
  abstract drain (timeoutMs: number): Promise<number>

  protected newId (): number {
    return this.nextId++
  }

  /** Report how a connection ended, once it has. */
  protected track (id: number, remote: Endpoint, done: Promise<SpliceTotals>): void {
    done.then((totals) => this.emit('close', { id, remote, error: null, totals } satisfies TunnelConnectionEnd),
      (error: Error) => this.emit('close', { id, remote, error, totals: { sealed: 0, opened: 0 } } satisfies TunnelConnectionEnd))
  }
}

/** The plaintext-facing end: accepts TCP, forwards each connection through its own secure stream to the tunnel server. */
export class TunnelClient extends TunnelEnd {
  readonly tcp: TcpListener

  constructor (options: TunnelOptions) {
    super(options)
    this.tcp = new TcpListener({ maxConnections: options.maxConnections })
    this.tcp.on('connection', (socket: net.Socket) => this.accept(socket))
    this.tcp.on('full', (remote: Endpoint) => this.emit('full', remote))
  }

  listen (): Promise<Endpoint> {
    return this.tcp.listen(this.options.listen)
  }

  drain (timeoutMs: number): Promise<number> {
    return this.tcp.drain(timeoutMs)
  }

  private accept (plain: net.Socket): void {
    const id = this.newId()
    const remote = { host: plain.remoteAddress ?? '?', port: plain.remotePort ?? 0 }
    plain.on('error', noop)
    this.emit('open', { id, remote })
    this.track(id, remote, this.forward(plain))
  }

  private async forward (plain: net.Socket): Promise<SpliceTotals> {
    let raw: net.Socket
    try {
      raw = await connectTcp(this.options.to, this.options.connectTimeout)
    } catch (err) {
      reset(plain)
      throw err
    }
    // The plaintext side closed while we connected: nothing to carry.
    if (plain.destroyed) {
      raw.destroy()
      throw new Error('the plaintext connection closed before the tunnel was up')
    }
    // A tunnel pointed at an HTTP or SSH server (say) fails at once, quoting its text.
    watchTextPeer(raw, (err) => secure.destroy(err))
    const secure = new SecureStream(true, raw, streamOptions(this.options))
    // Bytes the application sends before the handshake completes wait in the stream's buffer (with backpressure).
    return splice(plain, secure)
  }
}

/** The service-facing end: accepts secure streams, forwards each as plaintext TCP to the service. */
export class TunnelServer extends TunnelEnd {
  readonly acceptor: SecureAcceptor

  constructor (options: TunnelOptions) {
    super(options)
    this.acceptor = new SecureAcceptor(options)
    this.acceptor.on('stream', (secure: SecureStream, socket: net.Socket) => this.accept(secure, socket))
    this.acceptor.on('failure', (failure: AcceptFailure) => this.emit('refused', failure))
    this.acceptor.on('full', (remote: Endpoint) => this.emit('full', remote))
  }

  listen (): Promise<Endpoint> {
    return this.acceptor.listen(this.options.listen)
  }

  async drain (timeoutMs: number): Promise<number> {
    this.acceptor.stopAccepting()
    return this.acceptor.tcp.drain(timeoutMs)
  }

  private accept (secure: SecureStream, socket: net.Socket): void {
    const id = this.newId()
    const remote = { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 }
    this.emit('open', { id, remote, remotePublicKey: secure.remotePublicKey })
    this.track(id, remote, this.forward(secure))
  }

  private async forward (secure: SecureStream): Promise<SpliceTotals> {
    let plain: net.Socket
    try {
      plain = await connectTcp(this.options.to, this.options.connectTimeout)
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      // The client is told why in the ABORT reason; its application sees a reset.
      secure.destroy(new Error(`the tunnel server could not reach its target (${code || (err as Error).message})`))
      throw err
    }
    if (secure.destroyed) {
      plain.destroy()
      throw new Error('the secure stream closed before the target connection was up')
    }
    return splice(plain, secure)
  }
}

function noop (): void {}
