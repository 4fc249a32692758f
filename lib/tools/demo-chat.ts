import { randomBytes } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import net from 'node:net'
import { MAX_LINE_BYTES } from '../constants.js'
import { LineSplitter } from '../chat/line-splitter.js'
import { Room } from '../chat/room.js'
import { Session } from '../chat/session.js'
import type { MemberConnection } from '../chat/fan-out.js'
import type { KeyPair } from '../secure/keypair.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { SecureStream } from '../secure/secure-stream.js'
import { toolError } from '../errors.js'

/*
 * The chat handler of lib/chat (Room and Session, the line codec) served
 * over either transport, for the demo: over plain TCP, as the original
 * program ran, and over secure streams. Everything above the transport is
 * the same code, so the difference an eavesdropper sees is the transport's
 * alone. (The real server, lib/chat/server.ts, adds what a production
 * server needs: state files, bans, operators, timers; the demo needs none.)
 */

/** What the chat handler needs of a connection: a plain socket and a SecureStream both fit. */
interface LineTransport {
  write (chunk: Buffer): unknown
  end (): unknown
  destroy (err?: Error): unknown
  destroyed: boolean
  on (event: string, listener: (...args: any[]) => void): unknown
}

/** A connection the demo server failed (a decrypt failure, a refused key, ...). */
export interface DemoServerFailure {
  code: string
  message: string
}

/**
 * The chat room on a TCP port, plain or secure. Events: 'failure'
 * (DemoServerFailure) for each connection that failed.
 */
export class DemoChatServer extends EventEmitter {
  readonly room = new Room({ historyLines: 0 })
  readonly failures: DemoServerFailure[] = []
  private readonly tcp: net.Server
  private readonly open = new Set<LineTransport>()

  /** `secure` absent: plain TCP, members without keys (the original chat); present: every connection is a responder SecureStream. */
  constructor (secure?: { keyPair: KeyPair, verify: VerifyRemoteKey }) {
    super()
    this.tcp = net.createServer({ allowHalfOpen: true }, (socket) => {
      if (secure === undefined) return this.attach(socket, randomBytes(32))
      const stream = new SecureStream(false, socket, { keyPair: secure.keyPair, verify: secure.verify })
      stream.on('error', (err: Error) => this.fail(err))
      stream.opened.then(() => this.attach(stream, stream.remotePublicKey!), () => {})
    })
  }

  async listen (): Promise<number> {
    this.tcp.listen(0, '127.0.0.1')
    await once(this.tcp, 'listening')
    return (this.tcp.address() as net.AddressInfo).port
  }

  async close (): Promise<void> {
    const closed = once(this.tcp, 'close')
    this.tcp.close()
    for (const connection of this.open) connection.destroy()
    await closed
  }

  private fail (err: Error): void {
    const failure = { code: (err as { code?: string }).code ?? '', message: err.message }
    this.failures.push(failure)
    this.emit('failure', failure)
  }

  /** One member: its lines go to a Session of the room; the room's lines come back on the same connection. */
  private attach (transport: LineTransport, identity: Buffer): void {
    this.open.add(transport)
    const connection: MemberConnection = {
      send: (bytes) => { if (!transport.destroyed) transport.write(bytes) },
      bufferedBytes: () => 0,
      close: (error) => { if (error === undefined) transport.end(); else transport.destroy(error) }
    }
    const session = new Session(this.room, identity, connection)
    const splitter = new LineSplitter(MAX_LINE_BYTES)
    transport.on('data', (data: Buffer) => {
      for (const event of splitter.push(data)) {
        if (event.type === 'line') session.receiveLine(event.text)
      }
    })
    transport.on('end', () => {
      session.end('quit')
      transport.end()
    })
    transport.on('error', () => session.end('connection lost'))
    transport.on('close', () => {
      this.open.delete(transport)
      session.end('connection lost')
    })
  }
}

/** A chat member as the demo drives it: sends lines, keeps every line it receives. */
export class DemoChatClient {
  readonly lines: string[] = []
  readonly transport: LineTransport
  /** Set when the connection failed. */
  error: Error | undefined
  private readonly events = new EventEmitter()
  private pending = ''
  private closed = false

  constructor (transport: LineTransport) {
    this.transport = transport
    transport.on('data', (data: Buffer) => {
      this.pending += data.toString('utf8')
      let nl: number
      while ((nl = this.pending.indexOf('\n')) !== -1) {
        this.lines.push(this.pending.slice(0, nl))
        this.pending = this.pending.slice(nl + 1)
      }
      this.events.emit('change')
    })
    transport.on('error', (err: Error) => { this.error ??= err; this.events.emit('change') })
    transport.on('close', () => { this.closed = true; this.events.emit('change') })
  }

  send (line: string): void {
    this.transport.write(Buffer.from(line + '\n'))
  }

  /** Wait until a received line contains `text`; fails after `timeoutMs` or if the connection closes first. */
  async waitForLine (text: string, timeoutMs: number): Promise<string> {
    return this.waitFor(() => this.lines.find((l) => l.includes(text)), `a line containing '${text}'`, timeoutMs)
  }

  /** Wait until the connection has closed (cleanly or not). */
  async waitClosed (timeoutMs: number): Promise<void> {
    await this.waitFor(() => this.closed ? true : undefined, 'the connection to close', timeoutMs)
  }

  private async waitFor<R> (check: () => R | undefined, what: string, timeoutMs: number): Promise<R> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = check()
      if (found !== undefined) return found
      if (this.closed && what !== 'the connection to close') {
        throw toolError('ERR_DEMO_CLAIM_FAILED', `the connection closed while waiting for ${what}${this.error === undefined ? '' : ` (${this.error.message})`}`)
      }
      const left = deadline - Date.now()
      if (left <= 0) throw toolError('ERR_DEMO_CLAIM_FAILED', `timed out waiting for ${what}`)
      await Promise.race([once(this.events, 'change'), new Promise((resolve) => setTimeout(resolve, left).unref())])
    }
  }
}
