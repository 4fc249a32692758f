import { EventEmitter, once } from 'node:events'
import net from 'node:net'
import type { HostPort } from './host-port.js'

export interface TcpListenerOptions {
  /** Most connections open at once; one more is closed at once and reported as 'full'. */
  maxConnections: number
}

/**
 * A TCP server that counts its connections, refuses those over a cap, and
 * can stop accepting while the open ones finish (a graceful drain).
 *
 * Events: 'connection' (socket) for each accepted one; 'full' (remote
 * endpoint) for each refused over the cap; 'idle' when the last open
 * connection closes.
 */
export class TcpListener extends EventEmitter {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private readonly maxConnections: number

  constructor (options: TcpListenerOptions) {
    super()
    this.maxConnections = options.maxConnections
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket))
  }

  /** Start listening; resolves to the address bound (port 0 picks a free port). */
  async listen (at: HostPort): Promise<HostPort> {
    const failed = once(this.server, 'error').then(([err]) => { throw err as Error })
    this.server.listen(at.port, at.host)
    await Promise.race([once(this.server, 'listening'), failed])
    failed.catch(() => {})
    const address = this.server.address() as net.AddressInfo
    return { host: address.address, port: address.port }
  }

  /** Connections open now. */
  get size (): number {
    return this.sockets.size
  }

  /** True while the server accepts connections. */
  get listening (): boolean {
    return this.server.listening
  }

  /** Stop accepting; the open connections go on. */
  stopAccepting (): void {
    if (this.server.listening) this.server.close()
  }

  /**
   * Stop accepting and wait until every open connection has closed, or
   * until `timeoutMs` passes; then destroy what is left. Resolves to the
   * number of connections that had to be cut.
   */
  async drain (timeoutMs: number): Promise<number> {
    this.stopAccepting()
    if (this.sockets.size === 0) return 0
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs) })
    const idle = once(this, 'idle').then(() => false)
    const late = await Promise.race([idle, timedOut])
    clearTimeout(timer)
    return late ? this.destroyAll() : 0
  }

  /** Stop accepting and destroy every open connection; returns how many there were. */
  destroyAll (): number {
    this.stopAccepting()
    const count = this.sockets.size
    for (const socket of this.sockets) socket.destroy()
    return count
  }

  private accept (socket: net.Socket): void {
    if (this.sockets.size >= this.maxConnections) {
      this.emit('full', { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 })
      socket.destroy()
      return
    }
    this.sockets.add(socket)
    // on(), not once(): 'close' comes once, and a once() wrapper is two more objects kept per connection.
    socket.on('close', () => {
      this.sockets.delete(socket)
      if (this.sockets.size === 0) this.emit('idle')
    })
    this.emit('connection', socket)
  }
}
