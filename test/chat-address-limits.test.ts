import test from 'brittle'
import { once } from 'node:events'
import net from 'node:net'
import { HandshakeGate, sourceOf } from '../lib/secure/handshake-gate.js'
import type { ChatServerLogEvent } from '../lib/chat/server.js'
import { generateKeyPair } from '../lib/secure/keypair.js'
import { connectMember, type Member } from '../harness/member.js'
import { join, startServer } from './helpers/chat-net.js'

test('the gate refuses a source past its share and counts it again once one ends', (t) => {
  const gate = new HandshakeGate<string>(10, 2)
  t.ok(gate.admits('a'))
  gate.add('a1', 'a')
  gate.add('a2', 'a')
  t.absent(gate.admits('a'), 'a third from the same source is refused')
  t.ok(gate.admits('b'), 'another source is not')
  gate.release('a1')
  t.ok(gate.admits('a'))
  gate.release('a1')
  t.is(gate.countFrom('a'), 1, 'releasing twice counts once')
})

test('the gate drops the oldest handshake in progress when it is full, whatever its source', (t) => {
  const gate = new HandshakeGate<string>(3, 3)
  t.is(gate.add('x1', 'x'), undefined)
  t.is(gate.add('y1', 'y'), undefined)
  t.is(gate.add('x2', 'x'), undefined)
  t.is(gate.add('z1', 'z'), 'x1', 'the oldest goes')
  t.is(gate.size, 3)
  t.is(gate.countFrom('x'), 1, 'and no longer counts against its source')
  gate.release('y1')
  t.is(gate.add('z2', 'z'), undefined, 'room again after one ended')
})

test('sources: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', (t) => {
  t.is(sourceOf('192.0.2.7'), '192.0.2.7')
  t.is(sourceOf('::ffff:192.0.2.7'), '192.0.2.7')
  t.is(sourceOf('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
  t.is(sourceOf('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64', 'any address of the /64 is the same source')
  t.is(sourceOf('2001:db8::1'), '2001:db8:0:0::/64')
  t.is(sourceOf('::1'), '0:0:0:0::/64')
  t.is(sourceOf('1::2:3:4:5:6.7.8.9'), '1:0:2:3::/64', 'a dotted tail counts as two groups')
  t.is(sourceOf(undefined), '?')
})

/** A TCP connection from `localAddress` that sends nothing; resolves once connected. */
async function silent (t: { teardown: (fn: () => unknown) => void }, port: number, localAddress: string): Promise<{ socket: net.Socket, closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress })
  socket.on('error', () => {})
  t.teardown(() => socket.destroy())
  const closed = once(socket, 'close').then(() => {})
  await once(socket, 'connect')
  return { socket, closed }
}

async function canBind (address: string): Promise<boolean> {
  const server = net.createServer()
  return await new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(0, address, () => server.close(() => resolve(true)))
  })
}

test('a server closes at once a connection past the per-address share of handshakes, and still admits others', async (t) => {
  const { server, port, keyPair } = await startServer(t, { maxPendingHandshakes: 100, maxPendingHandshakesPerAddress: 2 })
  const events: ChatServerLogEvent[] = []
  server.on('log', (e: ChatServerLogEvent) => events.push(e))
  const other = await canBind('127.0.0.2') ? '127.0.0.2' : '127.0.0.1'
  const held = [await silent(t, port, other), await silent(t, port, other)]
  const third = await silent(t, port, other)
  await third.closed
  t.pass('the third silent connection from one address was closed')
  t.ok(events.some((e) => e.event === 'refused' && /ERR_TOO_MANY_HANDSHAKES/.test(e.detail ?? '')), 'and the log says why')
  if (other !== '127.0.0.1') {
    const member = await join(port, keyPair, 'alice')
    t.ok(member.lines.includes('-- your nick is alice'), 'a client from another address joins while they are held')
  }
  let open = 0
  for (const h of held) open += h.socket.destroyed ? 0 : 1
  t.is(open, 2, 'the first two are still held (until the handshake timeout)')
})

test('a server full of stalled handshakes drops the oldest to let a newcomer in', async (t) => {
  const { port, keyPair } = await startServer(t, { maxPendingHandshakes: 3, maxPendingHandshakesPerAddress: 10 })
  const oldest = await silent(t, port, '127.0.0.1')
  await silent(t, port, '127.0.0.1')
  await silent(t, port, '127.0.0.1')
  const member = await join(port, keyPair, 'bob', generateKeyPair())
  t.ok(member.lines.includes('-- your nick is bob'), 'the newcomer joined')
  await oldest.closed
  t.pass('the oldest stalled handshake was closed to make room')
})

test('with a per-address share of members, one address cannot take every seat; a seat comes back when its member leaves', async (t) => {
  const { port, keyPair } = await startServer(t, { maxClientsPerAddress: 2 })
  const here = await canBind('127.0.0.2') ? ['127.0.0.2', '127.0.0.3'] : ['127.0.0.1', '127.0.0.1']
  const member = (nick: string, localAddress: string): Promise<Member> => connectMember({ port, serverKey: keyPair.publicKey, nick, localAddress })
  const first = await member('first', here[0]!)
  await member('second', here[0]!)
  const refused = await member('third', here[0]!).then(() => undefined, (err: Error & { code?: string }) => err)
  t.is(refused?.code, 'ERR_LOCAL_KEY_REJECTED', 'a third member from the same address is refused at the handshake')
  t.ok(/the most the server allows from one address/.test(refused?.message ?? ''), 'with the reason')
  if (here[1] !== here[0]) t.ok((await member('other', here[1]!)).nick === 'other', 'a member from another address joins')
  first.connection.end()
  await first.closed(5000)
  const again = await member('again', here[0]!)
  t.ok(again.lines.includes('-- your nick is again'), 'once one left, the address has a seat again')
})
