/**
 * A TCP proxy on 127.0.0.1 that misbehaves on command: it passes bytes
 * both ways until told to stall (stop passing anything, keep both sockets
 * open), drop (swallow the next chunk from the client, then pass again),
 * or reset (close both sockets with RST). The network faults a chat
 * connection meets, made on purpose.
 */
import net from 'node:net'

/** What the proxy does with the bytes of its connections. */
export type ProxyMode = 'pass' | 'stall'

/** One client connection and its upstream. */
interface Pair {
  client: net.Socket
  upstream: net.Socket
}

export class FaultProxy {
  readonly server: net.Server
  port = 0
  private readonly pairs = new Set<Pair>()
  private mode: ProxyMode = 'pass'
  private dropNext = false
  /** Connections accepted so far. */
  accepted = 0
  /** Chunks swallowed by drop. */
  dropped = 0

  constructor (private readonly targetPort: number) {
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => this.accept(client))
  }

  async listen (): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as net.AddressInfo).port
    return this.port
  }

  /** Connections open now. */
  get size (): number {
    return this.pairs.size
  }

  /** Stop passing bytes either way (new connections too); sockets stay open. */
  stall (): void {
    this.mode = 'stall'
    for (const p of this.pairs) {
      p.client.pause()
      p.upstream.pause()
    }
  }

  /** Pass bytes again (what the sockets held is passed on). */
  resume (): void {
    this.mode = 'pass'
    for (const p of this.pairs) {
      p.client.resume()
      p.upstream.resume()
    }
  }

  /** Swallow the next chunk a client sends (one frame or more lost in transit), then pass again. */
  dropNextClientChunk (): void {
    this.dropNext = true
  }

  /** Reset every connection: RST to the client and to the server. */
  reset (): void {
    for (const p of this.pairs) {
      p.client.resetAndDestroy()
      p.upstream.resetAndDestroy()
    }
    this.pairs.clear()
  }

  async close (): Promise<void> {
    this.reset()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept (client: net.Socket): void {
    this.accepted++
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort, allowHalfOpen: true })
    const pair: Pair = { client, upstream }
    this.pairs.add(pair)
    const forget = (): void => {
      this.pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', forget)
    upstream.on('error', forget)
    client.on('close', forget)
    upstream.on('close', forget)
    client.on('data', (chunk: Buffer) => {
      if (this.dropNext) {
        this.dropNext = false
        this.dropped++
        return
      }
      if (!upstream.write(chunk)) client.pause()
    })
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause()
    })
    upstream.on('drain', () => { if (this.mode === 'pass') client.resume() })
    client.on('drain', () => { if (this.mode === 'pass') upstream.resume() })
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
    upstream.once('connect', () => {
      if (this.mode === 'pass') client.resume()
      else upstream.pause()
    })
  }
}
