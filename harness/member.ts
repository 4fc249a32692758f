/**
 * The one "member that records lines" of the tests and the reliability
 * scripts: a library chat connection (from a chosen source address,
 * 127.0.0.x, when connectMember opens it) with the lines it received kept
 * and waitable.
 */
import net from 'node:net'
import { ChatConnection } from '../lib/chat/client.js'
import { generateKeyPair, type KeyPair } from '../lib/secure/keypair.js'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { isLine } from './server-line.js'

/** How to reach the server and as whom. */
export interface MemberOptions {
  port: number
  serverKey: Buffer
  nick?: string
  keyPair?: KeyPair
  localAddress?: string
  handshakeTimeout?: number
  /** Send a PING after this many quiet ms (for servers run with a short --idle-timeout). */
  keepAlive?: number
}

/** A connected member and what it received. */
export class Member {
  readonly connection: ChatConnection
  /** The TCP socket under the stream, when connectMember opened it (raw-byte attacks write to it). */
  readonly socket: net.Socket | undefined
  /** The nick it asked for when it joined. */
  nick: string | undefined
  /** Lines received so far (while `keepLines`); `received` counts them all. */
  lines: string[] = []
  keepLines = true
  received = 0
  /** How the connection ended: undefined while open; '' after a clean END; else "CODE: message". */
  ended: string | undefined
  private waiters: Array<() => void> = []

  constructor (connection: ChatConnection, socket?: net.Socket) {
    this.connection = connection
    this.socket = socket
    connection.on('line', (line: string) => {
      this.received++
      if (this.keepLines) this.lines.push(line)
      this.wake()
    })
    connection.done.then(() => { this.ended = '' }, (err: Error & { code?: string }) => { this.ended = `${err.code ?? 'error'}: ${err.message}` })
      .finally(() => this.wake())
  }

  /** Send lines as typed (each cleaned and newline-terminated by the connection). */
  send (...lines: string[]): void {
    for (const line of lines) this.connection.sendLine(line)
  }

  /** Resolves with the first line equal to `pattern`, matching it or (a function) accepted by it; rejects after `ms` or when the connection ends without it. */
  async waitFor (pattern: RegExp | string | ((line: string) => boolean), ms = 10_000): Promise<string> {
    const test = (l: string): boolean => typeof pattern === 'string' ? l === pattern : typeof pattern === 'function' ? pattern(l) : pattern.test(l)
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.lines.find(test)
      if (found !== undefined) return found
      if (Date.now() > deadline || this.ended !== undefined) {
        throw new Error(`no line matching ${String(pattern)} (ended: ${this.ended ?? 'no'}); last lines:\n${this.lines.slice(-5).join('\n')}`)
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()))
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  /** Resolves once the connection has closed (however), or after `ms`. */
  async closed (ms = 10_000): Promise<boolean> {
    const deadline = Date.now() + ms
    while (this.ended === undefined && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(200, deadline - Date.now())))
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
    return this.ended !== undefined
  }

  /** Write raw bytes into the secure stream (no cleaning, no added newline). */
  writeRaw (bytes: Buffer | string): boolean {
    if (this.connection.stream.destroying) return false
    return this.connection.stream.write(typeof bytes === 'string' ? Buffer.from(bytes) : bytes)
  }

  private wake (): void {
    for (const w of this.waiters.splice(0)) w()
  }
}

/**
 * Connect to 127.0.0.1 from `localAddress`, run the handshake (the
 * server's key pinned) and, with a nick, wait until the member joined.
 */
export async function connectMember (options: MemberOptions, keepLines = true): Promise<Member> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: options.port, localAddress: options.localAddress, allowHalfOpen: true })
    s.once('error', reject)
    s.once('connect', () => { s.removeListener('error', reject); resolve(s) })
  })
  const stream = new SecureStream(true, socket, {
    keyPair: options.keyPair ?? generateKeyPair(),
    verify: (key) => key.equals(options.serverKey),
    handshakeTimeout: options.handshakeTimeout ?? 10_000,
    keepAlive: options.keepAlive ?? 0
  })
  const connection = new ChatConnection(stream)
  const member = new Member(connection, socket)
  member.nick = options.nick
  if (options.nick !== undefined) connection.sendLine(`/nick ${options.nick}`)
  await stream.opened
  if (options.nick !== undefined) {
    try {
      await member.waitFor(isLine('self-nick'))
    } catch (err) {
      // Refused after the handshake (full, banned): the stream's error says why.
      connection.abort('gave up joining')
      throw await connection.done.then(() => err, (failure: unknown) => failure)
    }
  }
  if (!keepLines) {
    member.keepLines = false
    member.lines = []
  }
  return member
}
