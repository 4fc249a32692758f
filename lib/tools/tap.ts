import { EventEmitter, once } from 'node:events'
import { createWriteStream } from 'node:fs'
import net from 'node:net'
import type { Writable } from 'node:stream'
import { formatHostPort, type HostPort } from '../net/host-port.js'
import { hexdump } from './hexdump.js'

/** Which way bytes went through the tap. */
export type TapDirection = 'client-to-server' | 'server-to-client'

/** The arrow each direction is shown with. */
export const TAP_ARROWS: Record<TapDirection, string> = {
  'client-to-server': '->',
  'server-to-client': '<-'
}

/** What the tap saw: one chunk as it arrived from one side. */
export interface TapChunk {
  connection: number
  direction: TapDirection
  /** Offset of the chunk's first byte in its direction of its connection. */
  offset: number
  bytes: Buffer
}

/** One end of a TCP connection. */
export type TapEndpoint = HostPort

/**
 * A changer of bytes in transit. The tap itself never changes anything;
 * this hook exists only so a demonstration or a test can play an active
 * attacker (flip one bit) with the same relay. The CLI never sets it.
 */
export type TapTamper = (chunk: TapChunk) => Buffer

export interface TapOptions {
  /** Where the tap accepts connections; port 0 picks a free one. */
  listen: TapEndpoint
  /** Where each accepted connection is relayed to. */
  to: TapEndpoint
  /** Receives the report: connection lines and, unless `dump` is false, the hexdump of every chunk. */
  output?: Writable
  /** A file that receives the same report as `output` (created or truncated). */
  outFile?: string
  /** Include the hexdump of every chunk in the report. Default true. */
  dump?: boolean
  /** Keep every relayed byte, per connection and direction, for `captured()`. Default false. */
  capture?: boolean
  /** See TapTamper. */
  tamper?: TapTamper
}

/** What the tap kept of one connection (with `capture: true`). */
export interface TapConnectionRecord {
  id: number
  client: TapEndpoint
  chunks: Record<TapDirection, Buffer[]>
  bytes: Record<TapDirection, number>
}

/**
 * The eavesdropper: a TCP forwarding proxy that relays both directions
 * byte for byte (with backpressure, and with a half-close passed through
 * as a half-close) and reports everything it sees as a hexdump.
 *
 * Events: 'connection' (id, client endpoint), 'chunk' (TapChunk),
 * 'half-close' (id, direction), 'close' (id), 'error' (Error; only for the
 * report file: a relay failure only closes that connection).
 */
export class Tap extends EventEmitter {
  readonly options: TapOptions
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private readonly records: TapConnectionRecord[] = []
  private file: Writable | undefined
  private nextId = 1

  constructor (options: TapOptions) {
    super()
    this.options = options
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket))
  }

  /** Start listening; resolves to the address actually bound. */
  async listen (): Promise<TapEndpoint> {
    if (this.options.outFile !== undefined) {
      this.file = createWriteStream(this.options.outFile)
      this.file.on('error', (err) => this.emit('error', err))
    }
    this.server.listen(this.options.listen.port, this.options.listen.host)
    await once(this.server, 'listening')
    return this.address()
  }

  /** The bound address (after listen()). */
  address (): TapEndpoint {
    const address = this.server.address() as net.AddressInfo
    return { host: address.address, port: address.port }
  }

  /** Connections seen so far, with their bytes if `capture` is on. */
  connections (): readonly TapConnectionRecord[] {
    return this.records
  }

  /** Every byte captured in one direction (or both), connection after connection. */
  captured (direction?: TapDirection): Buffer {
    const parts: Buffer[] = []
    for (const record of this.records) {
      if (direction !== 'server-to-client') parts.push(...record.chunks['client-to-server'])
      if (direction !== 'client-to-server') parts.push(...record.chunks['server-to-client'])
    }
    return Buffer.concat(parts)
  }

  /** Stop accepting, cut the connections still open, and close the report file. */
  async close (): Promise<void> {
    const closed = once(this.server, 'close')
    this.server.close()
    for (const socket of this.sockets) socket.destroy()
    await closed
    if (this.file !== undefined) {
      const file = this.file
      this.file = undefined
      await new Promise<void>((resolve) => file.end(resolve))
    }
  }

  private accept (client: net.Socket): void {
    const id = this.nextId++
    const endpoint = { host: client.remoteAddress ?? '?', port: client.remotePort ?? 0 }
    const record: TapConnectionRecord = {
      id,
      client: endpoint,
      chunks: { 'client-to-server': [], 'server-to-client': [] },
      bytes: { 'client-to-server': 0, 'server-to-client': 0 }
    }
    this.records.push(record)
    const target = this.options.to
    const server = net.connect({ host: target.host, port: target.port, allowHalfOpen: true })
    this.track(client)
    this.track(server)
    this.report(`[#${id}] open ${formatHostPort(endpoint)} -> ${formatHostPort(target)}\n`)
    this.emit('connection', id, endpoint)

    server.once('connect', () => {
      this.relay(record, client, server, 'client-to-server')
      this.relay(record, server, client, 'server-to-client')
      client.resume()
    })
    const fail = (side: string) => (err: Error & { code?: string }) => {
      this.report(`[#${id}] ${side} error: ${err.code ?? err.message}\n`)
      // Pass a reset on as a reset, so each end sees what it would without us.
      cut(client)
      cut(server)
    }
    client.on('error', fail('client'))
    server.on('error', fail('server'))
    let open = 2
    const closed = (): void => {
      if (--open > 0) return
      const up = record.bytes['client-to-server']
      const down = record.bytes['server-to-client']
      this.report(`[#${id}] closed (${up} bytes ->, ${down} bytes <-)\n`)
      this.emit('close', id)
    }
    client.once('close', closed)
    server.once('close', closed)
  }

  private relay (record: TapConnectionRecord, from: net.Socket, to: net.Socket, direction: TapDirection): void {
    const arrow = TAP_ARROWS[direction]
    from.on('data', (data: Buffer) => {
      const chunk: TapChunk = { connection: record.id, direction, offset: record.bytes[direction], bytes: data }
      record.bytes[direction] += data.byteLength
      if (this.options.capture === true) record.chunks[direction].push(data)
      this.emit('chunk', chunk)
      if (this.options.dump !== false) {
        this.report(`[#${record.id} ${arrow}] ${data.byteLength} bytes\n` + hexdump(data, { offset: chunk.offset, indent: '  ' }))
      }
      const out = this.options.tamper === undefined ? data : this.options.tamper(chunk)
      if (!to.write(out)) from.pause()
    })
    to.on('drain', () => from.resume())
    from.on('end', () => {
      this.report(`[#${record.id} ${arrow}] end (half-close passed on)\n`)
      this.emit('half-close', record.id, direction)
      to.end()
    })
  }

  private track (socket: net.Socket): void {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  private report (text: string): void {
    this.options.output?.write(text)
    this.file?.write(text)
  }
}

/** Reset a connected socket (RST, as the failing side did); just drop one that is not. */
function cut (socket: net.Socket): void {
  if (socket.destroyed) return
  if (socket.connecting) socket.destroy()
  else socket.resetAndDestroy()
}

