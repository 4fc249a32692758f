import net from 'node:net'
import { Duplex } from 'streamx'
import { SecureStream, type RawStream } from '../lib/secure/secure-stream.js'
import { acceptAnyKey, type SecureStreamOptions } from '../lib/secure/options.js'

/** A connected pair of real TCP sockets on 127.0.0.1; the server closes once connected. */
export async function tcpPair (): Promise<{ client: net.Socket, server: net.Socket }> {
  const listener = net.createServer()
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const port = (listener.address() as net.AddressInfo).port
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve))
  const client = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => { client.once('connect', resolve); client.once('error', reject) })
  const server = await accepted
  listener.close()
  return { client, server }
}

/** Two in-memory streamx duplexes wired back to back: what one writes, the other reads. */
export function memoryPair (): [Duplex, Duplex] {
  let a: Duplex
  let b: Duplex
  const make = (peer: () => Duplex): Duplex => new Duplex({
    write (data, cb) { peer().push(data); cb(null) },
    final (cb) { peer().push(null); cb(null) }
  })
  a = make(() => b)
  b = make(() => a)
  return [a, b]
}

export interface SecurePair {
  initiator: SecureStream
  responder: SecureStream
  rawInitiator: net.Socket
  rawResponder: net.Socket
}

/** Two SecureStreams over a real TCP connection. */
export async function secureTcpPair (initiatorOptions: Partial<SecureStreamOptions> = {}, responderOptions: Partial<SecureStreamOptions> = {}): Promise<SecurePair> {
  const { client, server } = await tcpPair()
  const initiator = new SecureStream(true, client, { verify: acceptAnyKey, ...initiatorOptions })
  const responder = new SecureStream(false, server, { verify: acceptAnyKey, ...responderOptions })
  return { initiator, responder, rawInitiator: client, rawResponder: server }
}

/** All data until 'end', or the stream's error. */
export function collect (stream: SecureStream | Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (d: unknown) => { chunks.push(d as Buffer) })
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}

/** The error a stream fails with (rejects if it closes without one). */
export function errorOf (stream: { on (e: string, f: (...a: any[]) => void): unknown }): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    stream.on('error', resolve)
    stream.on('close', () => setImmediate(() => reject(new Error('closed without an error'))))
  })
}

/** Resolves on the 'close' event. */
export function closed (stream: { once (e: string, f: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => stream.once('close', resolve))
}

/** A raw stream double whose input the test scripts by hand: records what the SecureStream wrote. */
export class ScriptedPeer extends Duplex {
  readonly written: Buffer[] = []
  constructor () {
    super({
      write: (data: unknown, cb: (err: Error | null) => void) => {
        this.written.push(data as Buffer)
        this.emit('wrote', data)
        cb(null)
      }
    })
  }

  /** Bytes the SecureStream sent so far. */
  get sent (): Buffer {
    return Buffer.concat(this.written)
  }

  /** Deliver bytes to the SecureStream, as if from the network. */
  deliver (bytes: Buffer): void {
    this.push(bytes)
  }

  /** Wait until the SecureStream has written at least `n` bytes in total. */
  async waitForBytes (n: number): Promise<Buffer> {
    while (this.sent.byteLength < n) await new Promise((resolve) => this.once('wrote', resolve))
    return this.sent
  }
}

export type { RawStream }

/** Ignore errors of streams a test tears down on purpose (so an 'error' is not unhandled). */
export function quiet (...streams: Array<{ on (e: string, f: (...a: any[]) => void): unknown }>): void {
  for (const s of streams) s.on('error', () => {})
}
