import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join as joinPath } from 'node:path'
import { connectChat, type ChatClientOptions, type ChatConnection } from '../../lib/chat/client.js'
import { ChatServer, type ChatServerOptions } from '../../lib/chat/server.js'
import { generateKeyPair, samePublicKey, type KeyPair } from '../../lib/secure/keypair.js'

/** A chat server on 127.0.0.1 with an ephemeral port; the teardown closes it. */
export async function startServer (t: { teardown: (fn: () => unknown) => void }, options: Partial<ChatServerOptions> = {}): Promise<{ server: ChatServer, port: number, keyPair: KeyPair }> {
  const keyPair = options.keyPair ?? generateKeyPair()
  const server = await ChatServer.create({ keyPair, rate: { linesPerSecond: 0 }, joinWait: 100, ...options })
  const { port } = await server.listen(0, '127.0.0.1')
  t.teardown(() => server.close())
  return { server, port, keyPair }
}

/** A temporary folder, removed at teardown. */
export async function tempDir (t: { teardown: (fn: () => unknown, opts?: { order?: number }) => void }, prefix = 'nc-chat-'): Promise<string> {
  const dir = await mkdtemp(joinPath(tmpdir(), prefix))
  // After the servers' teardowns (order 0, run first): a closing server still writes its state files here.
  t.teardown(() => rm(dir, { recursive: true, force: true }), { order: 1 })
  return dir
}

/** A member for tests: its connection and every line it received, with waits on them. */
export class TestMember {
  readonly lines: string[] = []
  readonly connection: ChatConnection
  private waiters: Array<() => void> = []

  constructor (connection: ChatConnection) {
    this.connection = connection
    connection.on('line', (line: string) => {
      this.lines.push(line)
      for (const w of this.waiters.splice(0)) w()
    })
    connection.stream.on('close', () => { for (const w of this.waiters.splice(0)) w() })
  }

  send (...lines: string[]): void {
    for (const line of lines) this.connection.sendLine(line)
  }

  /** Resolves with the first received line matching `pattern` (waiting for it if needed); rejects after `ms`. */
  async waitFor (pattern: RegExp | string, ms = 5000): Promise<string> {
    const test = (l: string): boolean => typeof pattern === 'string' ? l === pattern : pattern.test(l)
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.lines.find(test)
      if (found !== undefined) return found
      if (Date.now() > deadline || this.connection.stream.destroyed) {
        throw new Error(`no line matching ${String(pattern)}; got:\n${this.lines.join('\n')}`)
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()))
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }
}

/** Connect a member that trusts exactly the server's key; waits until it joined when a nick is given. */
export async function join (port: number, serverKey: KeyPair, nick?: string, keyPair: KeyPair = generateKeyPair(), extra: Partial<ChatClientOptions> = {}): Promise<TestMember> {
  const connection = await connectChat({
    host: '127.0.0.1',
    port,
    keyPair,
    nick,
    verify: (key) => samePublicKey(key, serverKey.publicKey),
    ...extra
  })
  const member = new TestMember(connection)
  await member.waitFor(/^-- your nick is /)
  return member
}
