import test from 'brittle'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join as joinPath } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connectChat, ReconnectingChat } from '../lib/chat/client.js'
import { writeKeyFile } from '../lib/identity/key-file.js'
import { encodePublicKey, generateKeyPair, samePublicKey, type KeyPair } from '../lib/secure/keypair.js'
import { join, tempDir, type TestMember } from './helpers/chat-net.js'
import { TestRedis } from './helpers/redis-server.js'

const BIN = fileURLToPath(new URL('../bin/noise-chat.js', import.meta.url))

type Teardown = { teardown: (fn: () => unknown) => void }

interface Room {
  redis: TestRedis
  dir: string
  serverKey: KeyPair
  keyFile: string
  env: NodeJS.ProcessEnv
}

interface Node {
  child: ChildProcess
  port: number
  stderr: () => string
}

/** A Redis and what every node of one room shares: the server key (so clients pin one), a temp HOME. */
async function sharedRoom (t: Teardown): Promise<Room> {
  const redis = await TestRedis.start(t)
  const dir = await tempDir(t, 'nc-redis-room-')
  const serverKey = generateKeyPair()
  const keyFile = joinPath(dir, 'server.key')
  await writeKeyFile(keyFile, serverKey)
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_CONFIG_HOME: joinPath(dir, 'config'), XDG_STATE_HOME: joinPath(dir, 'state') }
  return { redis, dir, serverKey, keyFile, env }
}

/** `noise-chat server --redis` as a real process on 127.0.0.1, port 0, short heartbeats; killed at teardown. */
async function startNode (t: Teardown, room: Room, ...extra: string[]): Promise<Node> {
  const args = [BIN, 'server', '--host', '127.0.0.1', '--port', '0', '--key', room.keyFile, '--rate', '0',
    '--redis', room.redis.url, '--room', 'test', '--heartbeat', '0.2', '--node-timeout', '1.5', ...extra]
  const child = spawn(process.execPath, args, { env: room.env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d) => { err += d })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      if (out.includes('shared through Redis')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`node exited ${String(code)}: ${err}`)))
  })
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1])
  return { child, port, stderr: () => err }
}

async function member (t: Teardown, room: Room, node: Node, nick: string, keyPair?: KeyPair): Promise<TestMember> {
  const m = await join(node.port, room.serverKey, nick, keyPair)
  t.teardown(() => m.connection.abort('test over'))
  return m
}

/** The lines of `m` that are room messages (`<nick> text`), in order. */
function said (m: TestMember): string[] {
  return m.lines.filter((l) => l.startsWith('<'))
}

async function until (check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('redis: three nodes, members on each, every member sees the identical sequence', async (t) => {
  const room = await sharedRoom(t)
  const nodes = [await startNode(t, room), await startNode(t, room), await startNode(t, room)]
  const members: TestMember[] = []
  for (const [i, node] of nodes.entries()) {
    for (const n of [0, 1]) members.push(await member(t, room, node, `m${i}${n}`))
  }
  await until(() => members.every((m) => m.lines.includes('-- m21 joined (6 connected)')), 'every join everywhere')
  const perSender = 25
  for (let k = 0; k < perSender; k++) {
    for (const [i, m] of members.entries()) m.send(`line ${i}.${k}`)
  }
  const total = perSender * members.length
  await until(() => members.every((m) => said(m).length >= total), 'every line everywhere')
  const first = said(members[0]!)
  t.is(first.length, total, 'nothing lost, nothing repeated')
  for (const [i, m] of members.entries()) t.alike(said(m), first, `member ${i} saw the same order`)
  for (const [i] of members.entries()) {
    const own = first.filter((l) => l.includes(`line ${i}.`)).map((l) => Number(l.split('.').at(-1)))
    t.alike(own, [...Array(perSender).keys()], `sender ${i}'s lines in the order sent`)
  }
})

test('redis: history on join, presence (/names, /whois, join and leave) and /msg, /reply across nodes', async (t) => {
  const room = await sharedRoom(t)
  const a = await startNode(t, room)
  const b = await startNode(t, room)
  const alice = await member(t, room, a, 'alice')
  alice.send('before bob came')
  await alice.waitFor('<alice> before bob came')
  const bob = await member(t, room, b, 'bob')
  t.ok(bob.lines.some((l) => /^\[\d\d:\d\dZ\] <alice> before bob came$/.test(l)), 'history from the stream on another node')
  await alice.waitFor('-- bob joined (2 connected)')
  bob.send('/names')
  await bob.waitFor('-- 2 connected:')
  await bob.waitFor(/^-- {3}alice\b/)
  bob.send('/whois alice')
  await bob.waitFor(`--   key: ${encodePublicKey(alice.connection.stream.publicKey)}`)
  bob.send('/msg alice psst')
  await alice.waitFor('[pm from bob] psst')
  await bob.waitFor('[pm to alice] psst')
  alice.send('/reply got it')
  await bob.waitFor('[pm from alice] got it')
  bob.send('/nick bobby')
  await alice.waitFor('-- bob is now known as bobby')
  alice.send('/msg bobby again')
  await bob.waitFor('[pm from alice] again')
  bob.connection.end()
  await alice.waitFor('-- bobby left: quit (1 connected)')
  alice.send('/names')
  await alice.waitFor('-- 1 connected:')
})

test('redis: a nick taken on one node is refused on another; a ban on one node holds on the others', async (t) => {
  const room = await sharedRoom(t)
  const opKey = generateKeyPair()
  const admins = joinPath(room.dir, 'admins')
  await writeFile(admins, `${encodePublicKey(opKey.publicKey)} op\n`)
  const a = await startNode(t, room, '--admins', admins)
  const b = await startNode(t, room, '--admins', admins)
  const op = await member(t, room, a, 'op', opKey)
  const carolKey = generateKeyPair()
  const carol = await member(t, room, b, 'carol', carolKey)
  await op.waitFor('-- carol joined (2 connected)')
  const thief = await join(b.port, room.serverKey, undefined)
  t.teardown(() => thief.connection.abort('test over'))
  thief.send('/nick carol')
  await thief.waitFor(/^! the nick carol is in use by another member \(ERR_NICK_IN_USE\)$/)
  const other = await join(a.port, room.serverKey, undefined)
  t.teardown(() => other.connection.abort('test over'))
  other.send('/nick op')
  await other.waitFor(/\(ERR_NICK_(IN_USE|RESERVED)\)$/)
  op.send('/ban carol spamming')
  await carol.connection.done.then(() => t.fail('clean end'), (err: Error) => t.ok(/banned/.test(err.message), err.message))
  await op.waitFor(/^-- carol left: banned by op/)
  const back = await connectChat({ host: '127.0.0.1', port: b.port, keyPair: carolKey, nick: 'carol', verify: (key) => samePublicKey(key, room.serverKey.publicKey) })
  const refusal = await back.done.then(() => 'joined', (err: Error) => err.message)
  t.ok(/banned/.test(refusal), `refused on the other node too: ${refusal}`)
})

test('redis: Redis down at start is a clear error naming the URL', async (t) => {
  const room = await sharedRoom(t)
  await room.redis.stop()
  const child = spawn(process.execPath, [BIN, 'server', '--host', '127.0.0.1', '--port', '0', '--key', room.keyFile, '--redis', room.redis.url], { env: room.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d) => { err += d })
  const [code] = await once(child, 'exit') as [number]
  t.not(code, 0, 'exits with a failure')
  t.ok(err.includes(`cannot reach Redis at ${room.redis.url}`), err)
})

export { ReconnectingChat }
