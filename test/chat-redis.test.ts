import test from 'brittle'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join as joinPath } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { BatchWriter, readBatch } from '../lib/chat/redis-batch.js'
import { encodeMessage } from '../lib/chat/messages.js'
import { connectChat, ReconnectingChat } from '../lib/chat/client.js'
import { writeKeyFile } from '../lib/identity/key-file.js'
import { encodePublicKey, generateKeyPair, samePublicKey, type KeyPair } from '../lib/secure/keypair.js'
import { join, tempDir, type TestMember } from './helpers/chat-net.js'
import { TestRedis } from './helpers/redis-server.js'
import { findReadyLine, type ReadyLine } from '../harness/ready-line.js'

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
    '--redis', room.redis.url, '--room', 'test', '--heartbeat', '0.2', '--node-timeout', '1.5', '--ready-json', ...extra]
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
  // The ready line comes once the node is listening and shared through Redis.
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      const line = findReadyLine(out)
      if (line !== undefined) resolve(line)
    })
    child.once('exit', (code) => reject(new Error(`node exited ${String(code)}: ${err}`)))
  })
  const port = ready.port
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

/** A plain client of the test's Redis, to look at the stream as the nodes wrote it; disconnected at teardown. */
function redisClient (t: Teardown, room: Room): Redis {
  const redis = new Redis(room.redis.url, { protocol: 2, maxRetriesPerRequest: 1 })
  t.teardown(() => redis.disconnect())
  return redis
}

/** The room `test`'s stream entries, oldest first: id, field names, and the public lines of its batch decoded. */
async function streamEntries (redis: Redis): Promise<Array<{ id: string, fields: string[], lines: string[] }>> {
  const raw = await redis.xrangeBuffer('noise-chat:room:test:stream', '-', '+') as unknown as Array<[Buffer, Buffer[]]>
  return raw.map(([id, flat]) => {
    const fields = flat.filter((_, i) => i % 2 === 0).map((f) => f.toString())
    const body = flat[flat.findIndex((f, i) => i % 2 === 0 && f.toString() === 'b') + 1] ?? Buffer.alloc(0)
    const lines: string[] = []
    readBatch(body, { line: (l) => lines.push(l.toString().replace(/\n$/, '')), event: () => {}, unicast: () => {} })
    return { id: id.toString(), fields, lines }
  })
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
  await until(() => members.every((m) => m.lines.some((l) => l.startsWith('-- m21 joined'))), 'every join everywhere')
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
  // What Redis holds: entries of n, s, b only, whose batches decode to the very sequence the members saw.
  const entries = await streamEntries(redisClient(t, room))
  t.ok(entries.every((e) => e.fields.join(',') === 'n,s,b'), 'every entry is a batch: n, s, b')
  const inStream = entries.flatMap((e) => e.lines).filter((l) => l.startsWith('<'))
  t.alike(inStream, first, 'the stream, decoded, is the order every member saw')
  t.comment(`${inStream.length} lines in ${entries.filter((e) => e.lines.length > 0).length} entries`)
})

test('redis: an entry appended twice (the client resends what was in flight when Redis went away) is delivered once', async (t) => {
  const room = await sharedRoom(t)
  const nodes = [await startNode(t, room), await startNode(t, room)]
  const a = await member(t, room, nodes[0]!, 'a')
  const b = await member(t, room, nodes[1]!, 'b')
  await a.waitFor(/^-- b joined/)
  a.send('only once')
  await b.waitFor('<a> only once')
  // Append the entry that carried the line again, as it was: same node id, same sequence number.
  const redis = redisClient(t, room)
  const raw = await redis.xrevrangeBuffer('noise-chat:room:test:stream', '+', '-', 'COUNT', 1) as unknown as Array<[Buffer, Buffer[]]>
  await redis.xadd('noise-chat:room:test:stream', '*', ...raw[0]![1])
  a.send('after the copy')
  await a.waitFor('<a> after the copy')
  await b.waitFor('<a> after the copy')
  for (const m of [a, b]) t.is(said(m).filter((l) => l === '<a> only once').length, 1, 'the copy was dropped')
})

test('redis: entries a node never read (a jump in another node\'s numbering: trimmed, or lost by Redis) are announced as a gap, not passed over in silence', async (t) => {
  const room = await sharedRoom(t)
  const node = await startNode(t, room)
  const a = await member(t, room, node, 'a')
  const redis = redisClient(t, room)
  // Entries as another node writes them: its id, its numbering, a batch of one line each.
  const append = async (seq: number, text: string): Promise<void> => {
    const batch = new BatchWriter()
    batch.line(Buffer.from(encodeMessage({ kind: 'announce', text })))
    await redis.xadd('noise-chat:room:test:stream', '*', 'n', 'ghost', 's', String(seq), 'b', batch.bytes())
  }
  await append(1, 'ghost one')
  await append(2, 'ghost two')
  await a.waitFor(/ghost two/)
  t.absent(a.lines.some((l) => /missed part of the room/.test(l)), 'entries in unbroken order raise nothing')
  await append(5, 'ghost five')
  await a.waitFor(/ghost five/)
  const gap = a.lines.findIndex((l) => /missed part of the room's conversation \(2 batches/.test(l))
  t.ok(gap >= 0, 'the gap of two entries is announced')
  t.ok(gap < a.lines.findIndex((l) => /ghost five/.test(l)), 'before the line after it')
  await until(() => /missed 2 stream entries of node ghost/.test(node.stderr()), 'the log line')
})

test('redis: history on join, presence (/names, /whois, join and leave) and /msg, /reply across nodes', async (t) => {
  const room = await sharedRoom(t)
  const a = await startNode(t, room)
  const b = await startNode(t, room)
  const alice = await member(t, room, a, 'alice')
  alice.send('before bob came')
  await alice.waitFor('<alice> before bob came')
  const bob = await member(t, room, b, 'bob')
  // Node b may read alice's entry up to a linger (REDIS_LINGER_MS) after she saw it: then bob gets it live, a moment after his history.
  await bob.waitFor(/^\[\d\d:\d\dZ\] <alice> before bob came$/)
  t.is(bob.lines.filter((l) => /<alice> before bob came$/.test(l)).length, 1, 'the line from the stream on another node reaches bob once, as history or live')
  await alice.waitFor(/^-- bob joined/)
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
  await alice.waitFor(/^-- bobby left: quit/)
  alice.send('/names')
  await alice.waitFor('-- 1 connected:')
  // A node started now finds the history in the stream's batches.
  const c = await startNode(t, room)
  const carol = await member(t, room, c, 'carol')
  t.ok(carol.lines.some((l) => /^\[\d\d:\d\dZ\] <alice> before bob came$/.test(l)), 'history read back from the stream at start')
})

test('redis: a nick taken on one node is refused on another; a mute, a kick and a ban on one node hold on the others', async (t) => {
  const room = await sharedRoom(t)
  const opKey = generateKeyPair()
  const admins = joinPath(room.dir, 'admins')
  await writeFile(admins, `${encodePublicKey(opKey.publicKey)} op\n`)
  const a = await startNode(t, room, '--admins', admins)
  const b = await startNode(t, room, '--admins', admins)
  const op = await member(t, room, a, 'op', opKey)
  const carolKey = generateKeyPair()
  const carol = await member(t, room, b, 'carol', carolKey)
  await op.waitFor(/^-- carol joined/)
  const thief = await join(b.port, room.serverKey, undefined)
  t.teardown(() => thief.connection.abort('test over'))
  thief.send('/nick carol')
  await thief.waitFor(/^! the nick carol is in use by another member \(ERR_NICK_IN_USE\)$/)
  const other = await join(a.port, room.serverKey, undefined)
  t.teardown(() => other.connection.abort('test over'))
  other.send('/nick op')
  await other.waitFor(/\(ERR_NICK_(IN_USE|RESERVED)\)$/)
  op.send('/mute carol')
  await carol.waitFor('-- carol was muted by op')
  carol.send('can you hear me')
  await carol.waitFor(/\(ERR_MUTED\)$/)
  op.send('/mute carol')
  await carol.waitFor('-- carol was unmuted by op')
  carol.send('back again')
  await op.waitFor('<carol> back again')
  const dan = await member(t, room, b, 'dan')
  await op.waitFor(/^-- dan joined/)
  op.send('/kick dan enough')
  await dan.connection.done.then(() => t.fail('clean end'), (err: Error) => t.ok(/kicked by op/.test(err.message), `kicked across nodes: ${err.message}`))
  await carol.waitFor(/^-- dan left: kicked by op: enough/)
  op.send('/ban carol spamming')
  await carol.connection.done.then(() => t.fail('clean end'), (err: Error) => t.ok(/banned/.test(err.message), err.message))
  await op.waitFor(/^-- carol left: banned by op/)
  const back = await connectChat({ host: '127.0.0.1', port: b.port, keyPair: carolKey, nick: 'carol', verify: (key) => samePublicKey(key, room.serverKey.publicKey) })
  const refusal = await back.done.then(() => 'joined', (err: Error) => err.message)
  t.ok(/banned/.test(refusal), `refused on the other node too: ${refusal}`)
})

test('redis: one nick asked for on two nodes at the same moment ends with one holder, the same on both nodes', async (t) => {
  const room = await sharedRoom(t)
  const a = await startNode(t, room)
  const b = await startNode(t, room)
  let yielded = 0
  const own = (m: TestMember): string => /^-- your nick is (\S+)$/.exec(m.lines.filter((l) => l.startsWith('-- your nick is ')).at(-1)!)![1]!
  for (let k = 0; k < 4; k++) {
    const nick = `dup${k}`
    const [x, y] = await Promise.all([member(t, room, a, nick), member(t, room, b, nick)])
    await until(() => own(x) !== own(y), `${nick}: one holder`)
    if ([x, y].some((m) => m.lines.some((l) => l.includes('was taken on another server of the room at the same moment')))) yielded++
    // Whichever claim came second in the stream yields to a GuestN nick; both nodes then list the same nicks.
    await until(() => own(x) !== own(y), `${nick}: one holder`)
    t.ok([own(x), own(y)].includes(nick), `${nick} is held by one of them: ${own(x)}, ${own(y)}`)
    for (const m of [x, y]) m.send('/names')
    await until(() => [x, y].every((m) => m.lines.filter((l) => l.startsWith('-- ') && l.includes(' connected:')).length > 0), 'names')
  }
  const names = async (m: TestMember): Promise<string[]> => {
    const before = m.lines.length
    m.send('/names')
    await until(() => m.lines.slice(before).some((l) => / connected:$/.test(l)), 'names')
    await new Promise((resolve) => setTimeout(resolve, 200))
    return m.lines.slice(before + 1).filter((l) => l.startsWith('--   ')).map((l) => l.split(/\s+/)[1]!).sort()
  }
  t.comment(`races where one side yielded: ${yielded}`)
  const probeA = await member(t, room, a, 'probeA')
  const probeB = await member(t, room, b, 'probeB')
  await until(() => probeA.lines.some((l) => l.startsWith('-- probeB joined')), 'probes in')
  const fromA = await names(probeA)
  const fromB = await names(probeB)
  t.alike(fromA, fromB, 'both nodes list the same members under the same nicks')
  t.is(new Set(fromA).size, fromA.length, 'no nick twice')
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

/** A ReconnectingChat member that knows every node, starting with `first`; its lines kept. */
async function roaming (t: Teardown, room: Room, nodes: Node[], first: number, nick: string): Promise<{ chat: ReconnectingChat, lines: string[] }> {
  const ports = [...nodes.slice(first), ...nodes.slice(0, first)].map((n) => n.port)
  const chat = new ReconnectingChat({
    host: '127.0.0.1',
    port: ports[0]!,
    addresses: ports.map((port) => ({ host: '127.0.0.1', port })),
    keyPair: generateKeyPair(),
    nick,
    verify: (key) => samePublicKey(key, room.serverKey.publicKey),
    reconnectInitialMs: 100,
    reconnectMaxMs: 400,
    nickReclaimMs: 200
  })
  const lines: string[] = []
  chat.on('line', (l: string) => lines.push(l))
  t.teardown(() => chat.end())
  await chat.start()
  await until(() => lines.includes(`-- your nick is ${nick}`), `${nick} joined`)
  return { chat, lines }
}

test('redis: SIGKILL one node mid-load: its members move to another node under their nicks; the others lose nothing and see them leave', async (t) => {
  const room = await sharedRoom(t)
  const nodes = [await startNode(t, room), await startNode(t, room), await startNode(t, room)]
  const ghosts = [await roaming(t, room, nodes, 0, 'ghost1'), await roaming(t, room, nodes, 0, 'ghost2')]
  const senders = [await member(t, room, nodes[1]!, 'b1'), await member(t, room, nodes[1]!, 'b2'), await member(t, room, nodes[2]!, 'c1'), await member(t, room, nodes[2]!, 'c2')]
  await until(() => senders.every((m) => m.lines.some((l) => l.startsWith('-- c2 joined'))), 'everyone in')
  const perSender = 60
  let killed = false
  for (let k = 0; k < perSender; k++) {
    for (const [i, m] of senders.entries()) m.send(`load ${i}.${k}`)
    if (k === 20) {
      nodes[0]!.child.kill('SIGKILL')
      killed = true
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.ok(killed)
  const total = perSender * senders.length
  await until(() => senders.every((m) => said(m).length >= total), 'every line at every surviving member', 20_000)
  const sequence = said(senders[0]!)
  t.is(sequence.length, total, 'nothing lost or repeated')
  for (const [i, m] of senders.entries()) t.alike(said(m), sequence, `survivor ${i}: the same order`)
  for (const m of senders) {
    await m.waitFor(/^-- ghost1 left: connection lost \(their server stopped responding\)/, 15_000)
    await m.waitFor(/^-- ghost2 left: connection lost \(their server stopped responding\)/, 15_000)
  }
  for (const [i, ghost] of ghosts.entries()) {
    await until(() => ghost.chat.connected && ghost.chat.address.port !== nodes[0]!.port, 'moved to another node')
    await until(() => ghost.lines.filter((l) => l === `-- your nick is ghost${i + 1}`).length >= 2, `ghost${i + 1} has its nick back`, 15_000)
    // What it heard live on its new node is one stretch of the room's sequence.
    const back = ghost.lines.lastIndexOf(`-- your nick is ghost${i + 1}`)
    const heard = ghost.lines.slice(back).filter((l) => l.startsWith('<'))
    const start = heard.length === 0 ? 0 : sequence.indexOf(heard[0]!)
    t.alike(heard, sequence.slice(start, start + heard.length), `ghost${i + 1}: a contiguous stretch of the same order`)
  }
  senders[0]!.send('after the move')
  for (const ghost of ghosts) await until(() => ghost.lines.includes('<b1> after the move'), 'the moved members hear the room')
})

test('redis: restart Redis mid-load: members told once, refused lines said so, nothing lost, one order', async (t) => {
  const room = await sharedRoom(t)
  const nodes = [await startNode(t, room), await startNode(t, room)]
  const members = [await member(t, room, nodes[0]!, 'x1'), await member(t, room, nodes[1]!, 'y1'), await member(t, room, nodes[1]!, 'y2')]
  await until(() => members.every((m) => m.lines.some((l) => l.startsWith('-- y2 joined'))), 'everyone in')
  const perSender = 30
  let refusals = 0
  // Each sender sends its next line once the last came back, or again after a refusal.
  const send = async (m: TestMember, i: number): Promise<void> => {
    for (let k = 0; k < perSender; k++) {
      const text = `r ${i}.${k}`
      for (;;) {
        const before = m.lines.length
        m.send(text)
        await until(() => m.lines.slice(before).some((l) => l.endsWith(`> ${text}`) || l.includes('(ERR_ROOM_UNAVAILABLE)')), `${text} or its refusal`, 20_000)
        if (m.lines.slice(before).some((l) => l.endsWith(`> ${text}`))) break
        refusals++
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  }
  const sending = Promise.all(members.map((m, i) => send(m, i)))
  await until(() => said(members[0]!).length >= 20, 'some load')
  await room.redis.stop()
  await until(() => members.every((m) => m.lines.some((l) => l.startsWith('-- this server lost contact with the rest of the room'))), 'members told')
  await new Promise((resolve) => setTimeout(resolve, 300))
  await room.redis.restart()
  await sending
  const total = perSender * members.length
  await until(() => members.every((m) => said(m).length >= total), 'every line everywhere', 20_000)
  const sequence = said(members[0]!)
  t.is(sequence.length, total, 'every line once')
  t.is(new Set(sequence).size, total, 'no line twice')
  for (const [i, m] of members.entries()) {
    t.alike(said(m), sequence, `member ${i}: the same order`)
    t.is(m.lines.filter((l) => l.startsWith('-- this server lost contact with the rest of the room')).length, 1, `member ${i} told once`)
    t.is(m.lines.filter((l) => l.startsWith('-- this server is back in contact')).length, 1, `member ${i} told it is back`)
  }
  t.comment(`${refusals} lines refused while Redis was away`)
})
