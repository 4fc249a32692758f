import test from 'brittle'
import net from 'node:net'
import { once } from 'node:events'
import { connectChat, ReconnectingChat } from '../lib/chat/client.js'
import { ChatServer } from '../lib/chat/server.js'
import { authorizedKeysVerifier } from '../lib/identity/authorized-keys.js'
import { generateKeyPair, samePublicKey } from '../lib/secure/keypair.js'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { join, startServer, tempDir } from './helpers/chat-net.js'

test('three members chat over real sockets; the server stamps each line', async (t) => {
  const { port, keyPair } = await startServer(t)
  const alice = await join(port, keyPair, 'alice')
  const bob = await join(port, keyPair, 'bob')
  const carol = await join(port, keyPair, 'carol')
  alice.send('hello, room')
  bob.send('/me waves')
  carol.send('/msg alice just you')
  t.is(await carol.waitFor(/^<alice>/), '<alice> hello, room')
  t.is(await alice.waitFor(/^\* bob/), '* bob waves')
  t.is(await alice.waitFor(/^\[pm from/), '[pm from carol] just you')
  t.is(await carol.waitFor(/^\[pm to/), '[pm to alice] just you')
  await bob.waitFor(/^\* bob waves$/)
  t.absent(bob.lines.some((l) => l.includes('just you')), 'bob did not see the private message')
})

test('a joining member gets the history, then everyone hears of the join', async (t) => {
  const { port, keyPair } = await startServer(t, { historyLines: 2, motd: ['welcome \x1b[31mhere'] })
  const alice = await join(port, keyPair, 'alice')
  alice.send('one', 'two', 'three')
  await alice.waitFor('<alice> three')
  const bob = await join(port, keyPair, 'bob')
  await bob.waitFor(/in the room/)
  t.is(bob.lines[0], '-- welcome here', 'the MOTD first, cleaned')
  t.is(bob.lines[1], '-- history: the last 2 messages said here', 'then the history, marked as such')
  t.ok(/^\[\d\d:\d\dZ\] <alice> two$/.test(bob.lines[2]!), 'the last two messages')
  t.ok(/^\[\d\d:\d\dZ\] <alice> three$/.test(bob.lines[3]!))
  t.is(bob.lines[4], '-- end of history')
  t.is(bob.lines[5], '-- rate limit: none', 'the rate this member may send at')
  t.is(bob.lines[6], '-- your nick is bob')
  t.is(bob.lines[7], '-- bob joined (2 connected)')
  t.is(await alice.waitFor(/bob joined/), '-- bob joined (2 connected)')
})

test('everyone sees the same order, whoever speaks at once', async (t) => {
  const { port, keyPair } = await startServer(t)
  const members = []
  for (const nick of ['m1', 'm2', 'm3', 'm4']) members.push(await join(port, keyPair, nick))
  await Promise.all(members.map((m) => m.waitFor('-- m4 joined (4 connected)')))
  for (let i = 0; i < 25; i++) for (const [j, m] of members.entries()) m.send(`line ${i} from ${j}`)
  await Promise.all(members.map(async (m) => {
    for (let j = 0; j < members.length; j++) await m.waitFor(new RegExp(`> line 24 from ${j}$`))
  }))
  const said = members.map((m) => m.lines.filter((l) => /^<m\d> line/.test(l)))
  t.is(said[0]!.length, 100)
  for (const s of said.slice(1)) t.alike(s, said[0], 'same sequence')
})

test('control characters and escape sequences never reach another member', async (t) => {
  const { port, keyPair } = await startServer(t)
  const alice = await join(port, keyPair, 'alice')
  const bob = await join(port, keyPair, 'bob')
  alice.connection.stream.write(Buffer.from('\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m \x07bell\x08 and \u202eevil\r\n'))
  t.is(await bob.waitFor(/^<alice>/), '<alice> red bell and evil')
})

test('an over-long line is refused with a notice, and the next line works', async (t) => {
  const { port, keyPair } = await startServer(t)
  const alice = await join(port, keyPair, 'alice')
  const bob = await join(port, keyPair, 'bob')
  alice.connection.stream.write(Buffer.from('x'.repeat(5000) + '\nafter\n'))
  t.is(await alice.waitFor(/^!/), '! line refused: longer than 1024 bytes (ERR_LINE_TOO_LONG)')
  t.is(await bob.waitFor(/^<alice>/), '<alice> after')
  t.absent(bob.lines.some((l) => l.includes('xxxx')))
  alice.send('y'.repeat(1024 - 0))
  t.is((await bob.waitFor(/^<alice> y/)).length, '<alice> '.length + 1024, 'exactly 1024 bytes pass')
})

test('rate limit: a notice when exceeded, disconnection when flooding goes on', async (t) => {
  const { port, keyPair } = await startServer(t, { rate: { linesPerSecond: 1, burst: 5, floodLines: 10 } })
  const bob = await join(port, keyPair, 'bob')
  const flood = await join(port, keyPair, 'flood')
  const failed = flood.connection.done.then(() => null, (err: Error & { code?: string }) => err)
  for (let i = 0; i < 40; i++) flood.send(`spam ${i}`)
  t.ok((await flood.waitFor(/ERR_RATE_LIMITED/)).startsWith('! you are sending too fast'))
  const err = await failed
  t.is(err?.code, 'ERR_PEER_ABORTED', 'the server aborted the flooder')
  t.ok(err?.message.includes('flooding'), 'with the reason')
  t.is(await bob.waitFor(/flood left/), '-- flood left: flooding (1 connected)')
  t.ok(bob.lines.filter((l) => l.startsWith('<flood>')).length <= 6, 'the flood did not get through')
})

test('the allowlist refuses an unknown key with a reason the client sees', async (t) => {
  const member = generateKeyPair()
  const { port, keyPair } = await startServer(t, { verify: authorizedKeysVerifier({ has: (k) => samePublicKey(k, member.publicKey) }) })
  const ok = await join(port, keyPair, 'member', member)
  t.ok(ok.lines.includes('-- member joined (1 connected)'))
  const stranger = await connectChat({ host: '127.0.0.1', port, keyPair: generateKeyPair(), verify: () => true })
  const err = await stranger.done.then(() => null, (e: Error & { code?: string }) => e)
  t.is(err?.code, 'ERR_LOCAL_KEY_REJECTED')
  t.ok(err?.message.includes('is not authorized on this server'), err?.message)
})

test('a banned key is refused at the handshake with the reason; the ban survives a restart', async (t) => {
  const dir = await tempDir(t)
  const opKey = generateKeyPair()
  const trollKey = generateKeyPair()
  const first = await startServer(t, { stateDir: dir, isOperator: (k) => samePublicKey(k, opKey.publicKey) })
  const op = await join(first.port, first.keyPair, 'op', opKey)
  const troll = await join(first.port, first.keyPair, 'troll', trollKey)
  op.send('/ban troll spamming')
  const err = await troll.connection.done.then(() => null, (e: Error & { code?: string }) => e)
  t.is(err?.code, 'ERR_PEER_ABORTED')
  t.ok(err?.message.includes('you were banned by op: spamming'), err?.message)
  await first.server.close()

  const second = await startServer(t, { stateDir: dir, keyPair: first.keyPair })
  const again = await connectChat({ host: '127.0.0.1', port: second.port, keyPair: trollKey, verify: () => true })
  const refused = await again.done.then(() => null, (e: Error & { code?: string }) => e)
  t.is(refused?.code, 'ERR_LOCAL_KEY_REJECTED')
  t.ok(refused?.message.includes('your key is banned from this server: spamming'), refused?.message)
})

test('nicks: taken online gives GuestN; bound to a key survives a restart; another key is refused with the reason', async (t) => {
  const dir = await tempDir(t)
  const aliceKey = generateKeyPair()
  const first = await startServer(t, { stateDir: dir })
  const alice = await join(first.port, first.keyPair, 'alice', aliceKey)
  const other = await join(first.port, first.keyPair, 'alice')
  t.is(await other.waitFor(/^-- your nick/), '-- your nick is Guest1')
  t.ok((await other.waitFor(/^!/)).includes('(ERR_NICK_IN_USE)'))
  alice.connection.end()
  await alice.connection.done
  await first.server.close()

  const second = await startServer(t, { stateDir: dir, keyPair: first.keyPair })
  const impostor = await join(second.port, second.keyPair, 'Alice')
  const refusal = await impostor.waitFor(/^!/)
  t.ok(refusal.startsWith('! the nick alice belongs to another key'), refusal)
  t.ok(refusal.endsWith('(ERR_NICK_BOUND)'))
  t.ok(impostor.lines.includes('-- your nick is Guest1'))
  const back = await join(second.port, second.keyPair, undefined, aliceKey)
  t.is(await back.waitFor(/^-- your nick/), '-- your nick is alice', 'the owner gets it without asking')
})

test('a reserved nick is verified and cannot be taken by another key', async (t) => {
  const rootKey = generateKeyPair()
  const { port, keyPair } = await startServer(t, { reserved: [{ nick: 'root', publicKey: rootKey.publicKey }] })
  const root = await join(port, keyPair, undefined, rootKey)
  root.send('hello')
  t.is(await root.waitFor(/^<root/), '<root✓> hello')
  const fake = await join(port, keyPair, 'root')
  t.ok((await fake.waitFor(/^!/)).endsWith('(ERR_NICK_RESERVED)'))
})

test('a full server refuses the next member with the reason', async (t) => {
  const { port, keyPair } = await startServer(t, { maxClients: 1 })
  await join(port, keyPair, 'first')
  const late = await connectChat({ host: '127.0.0.1', port, keyPair: generateKeyPair(), verify: () => true })
  const err = await late.done.then(() => null, (e: Error & { code?: string }) => e)
  t.is(err?.code, 'ERR_LOCAL_KEY_REJECTED')
  t.ok(err?.message.includes('the server is full'), err?.message)
})

test('a reader that never reads is disconnected while the others go on', async (t) => {
  const { port, keyPair } = await startServer(t, { maxOutboundBytes: 64 * 1024 })
  const alice = await join(port, keyPair, 'alice')
  const bob = await join(port, keyPair, 'bob')
  // A member that completes the handshake, joins, and then never reads a byte.
  const socket = net.connect(port, '127.0.0.1')
  const stuck = new SecureStream(true, socket, { verify: () => true })
  stuck.on('error', () => {})
  stuck.write('/nick stuck\n')
  await stuck.opened
  await bob.waitFor('-- stuck joined (3 connected)')
  socket.pause()
  const line = 'z'.repeat(1000)
  let sent = 0
  while (!bob.lines.some((l) => l.startsWith('-- stuck left')) && sent < 20_000) {
    for (let i = 0; i < 200; i++) alice.send(`${sent++} ${line}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  t.is(await bob.waitFor(/^-- stuck left/), '-- stuck left: too slow (stopped reading) (2 connected)')
  const last = sent - 1
  await bob.waitFor(new RegExp(`^<alice> ${last} z`), 20_000)
  await alice.waitFor(new RegExp(`^<alice> ${last} z`), 20_000)
  t.is(bob.lines.filter((l) => l.startsWith('<alice> ')).length, sent, 'bob got every line')
  socket.destroy()
})

test('a vanished member leaves within the idle timeout', async (t) => {
  const { port, keyPair } = await startServer(t, { idleTimeout: 300, keepAlive: 100 })
  const bob = await join(port, keyPair, 'bob', generateKeyPair(), { keepAlive: 50 })
  // A client that goes silent: no keep-alives, and its socket stops reading.
  const socket = net.connect(port, '127.0.0.1')
  const ghost = new SecureStream(true, socket, { verify: () => true, keepAlive: 0 })
  ghost.on('error', () => {})
  ghost.write('/nick ghost\n')
  await ghost.opened
  await bob.waitFor('-- ghost joined (2 connected)')
  socket.pause()
  t.is(await bob.waitFor(/^-- ghost left/), '-- ghost left: timed out (1 connected)')
  socket.destroy()
})

test('a client whose connection drops leaves at once', async (t) => {
  const { port, keyPair } = await startServer(t)
  const bob = await join(port, keyPair, 'bob')
  const gone = await join(port, keyPair, 'gone')
  ;(gone.connection.stream.rawStream as net.Socket).destroy()
  t.is(await bob.waitFor(/^-- gone left/), '-- gone left: connection lost (1 connected)')
})

test('/quit leaves with the reason and ends both ways cleanly', async (t) => {
  const { port, keyPair } = await startServer(t)
  const bob = await join(port, keyPair, 'bob')
  const alice = await join(port, keyPair, 'alice')
  alice.send('/quit lunch')
  await alice.connection.done
  t.ok(alice.connection.serverEnded, 'the server sent END')
  t.is(await bob.waitFor(/^-- alice left/), '-- alice left: quit: lunch (1 connected)')
})

test('graceful shutdown: a notice to everyone, END to each, and the server closes', async (t) => {
  const { server, port, keyPair } = await startServer(t)
  const alice = await join(port, keyPair, 'alice')
  const bob = await join(port, keyPair, 'bob')
  await server.close('going down for maintenance')
  await Promise.all([alice.connection.done, bob.connection.done])
  for (const m of [alice, bob]) {
    t.is(m.lines.at(-1), '-- going down for maintenance')
    t.ok(m.connection.serverEnded, 'clean END, not an error')
  }
  t.is(server.connectionCount, 0)
})

test('the reconnecting client comes back after a restart, under its nick, checking the key again', async (t) => {
  const serverKey = generateKeyPair()
  const first = await startServer(t, { keyPair: serverKey })
  let checks = 0
  const chat = new ReconnectingChat({
    host: '127.0.0.1',
    port: first.port,
    keyPair: generateKeyPair(),
    nick: 'phoenix',
    verify: (k) => { checks++; return samePublicKey(k, serverKey.publicKey) },
    reconnectInitialMs: 50,
    reconnectMaxMs: 200
  })
  const lines: string[] = []
  const statuses: string[] = []
  chat.on('line', (l: string) => lines.push(l))
  chat.on('status', (s: string) => statuses.push(s))
  await chat.start()
  while (!lines.includes('-- your nick is phoenix')) await once(chat, 'line')
  // Kill the connection under it (not a clean END): a lost connection.
  for (const c of (first.server as unknown as { connections: Set<{ socket: net.Socket }> }).connections) c.socket.destroy()
  while (!statuses.includes('reconnected')) await once(chat, 'status')
  while (lines.filter((l) => l === '-- your nick is phoenix').length < 2) await once(chat, 'line')
  t.ok(statuses[0]!.startsWith('connection lost'), statuses[0])
  t.is(checks, 2, 'the server key was checked on each connection')
  const closed = once(chat, 'close')
  chat.end()
  t.alike(await closed, [null], 'a clean end')
})

test('the reconnecting client stops when the server comes back with another key', async (t) => {
  const serverKey = generateKeyPair()
  const first = await startServer(t, { keyPair: serverKey })
  const chat = new ReconnectingChat({
    host: '127.0.0.1',
    port: first.port,
    keyPair: generateKeyPair(),
    verify: (k) => {
      if (samePublicKey(k, serverKey.publicKey)) return true
      throw Object.assign(new Error('the server key changed'), { code: 'ERR_HOST_KEY_CHANGED' })
    },
    reconnectInitialMs: 50,
    reconnectMaxMs: 100
  })
  await chat.start()
  // The server vanishes (no END): the client starts reconnecting...
  const internals = first.server as unknown as { tcp: net.Server, connections: Set<{ socket: net.Socket }> }
  internals.tcp.close()
  for (const c of internals.connections) c.socket.destroy()
  await once(chat, 'status')
  // ...and finds another server, with another key, on the same port.
  const impostor = await ChatServer.create({ keyPair: generateKeyPair() })
  t.teardown(() => impostor.close())
  await impostor.listen(first.port, '127.0.0.1')
  const [err] = await once(chat, 'close') as [(Error & { code?: string, cause?: { code?: string } }) | null]
  t.is(err?.code, 'ERR_REMOTE_KEY_REJECTED', 'it stopped with the key error')
  t.is(err?.cause?.code, 'ERR_HOST_KEY_CHANGED')
})
