import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join as joinPath } from 'node:path'
import { connectChat, type ChatClientOptions } from '../../lib/chat/client.js'
import { ChatServer, type ChatServerOptions } from '../../lib/chat/server.js'
import { generateKeyPair, samePublicKey, type KeyPair } from '../../lib/secure/keypair.js'
import { Member } from '../../harness/member.js'
import { isLine } from '../../harness/server-line.js'

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

/** A member for tests: the shared harness's member that records lines (the reliability scripts use it too). */
export { Member as TestMember } from '../../harness/member.js'

/** Connect a member that trusts exactly the server's key; waits until it joined when a nick is given. */
export async function join (port: number, serverKey: KeyPair, nick?: string, keyPair: KeyPair = generateKeyPair(), extra: Partial<ChatClientOptions> = {}): Promise<Member> {
  const connection = await connectChat({
    host: '127.0.0.1',
    port,
    keyPair,
    nick,
    verify: (key) => samePublicKey(key, serverKey.publicKey),
    ...extra
  })
  const member = new Member(connection)
  await member.waitFor(isLine('self-nick'))
  return member
}
