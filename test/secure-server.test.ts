import test from 'brittle'
import { once } from 'node:events'
import net from 'node:net'
import { HandshakeGate } from '../lib/secure/handshake-gate.js'
import { RefusalLog } from '../lib/secure/refusal-log.js'
import { SecureServer, type AcceptFailure, type SecureServerLogEvent } from '../lib/secure/server.js'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { acceptAnyKey } from '../lib/secure/options.js'
import { generateKeyPair } from '../lib/secure/keypair.js'

type T = { teardown: (fn: () => unknown) => void }

async function server (t: T, options: Partial<ConstructorParameters<typeof SecureServer>[0]> = {}): Promise<{ server: SecureServer, port: number }> {
  const s = new SecureServer({ keyPair: generateKeyPair(), verify: acceptAnyKey, ...options })
  s.on('stream', (stream: SecureStream) => stream.resume())
  const { port } = await s.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => s.drain(0))
  return { server: s, port }
}

/** A TCP connection that sends nothing; resolves once connected, with a promise of its close. */
async function silent (t: T, port: number): Promise<{ socket: net.Socket, closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.on('error', () => {})
  t.teardown(() => socket.destroy())
  const closed = once(socket, 'close').then(() => {})
  await once(socket, 'connect')
  return { socket, closed }
}

/** A client that completes the handshake; resolves with its open stream. */
async function client (t: T, port: number): Promise<SecureStream> {
  const stream = new SecureStream(true, net.connect({ host: '127.0.0.1', port }), { verify: acceptAnyKey })
  stream.on('error', () => {})
  t.teardown(() => stream.destroy())
  await stream.opened
  return stream
}

test('a source past its share of connections is refused with ERR_TOO_MANY_CONNECTIONS', async (t) => {
  const { server: s, port } = await server(t, { maxConnectionsPerSource: 2 })
  const refused = once(s, 'refused')
  await client(t, port)
  await silent(t, port)
  const third = await silent(t, port)
  await third.closed
  const [failure] = await refused as [AcceptFailure]
  t.is((failure.error as Error & { code?: string }).code, 'ERR_TOO_MANY_CONNECTIONS')
  t.is(failure.source, '127.0.0.1')
  t.is(s.size, 2, 'the first two are still held')
})

test('at the connection limit the oldest handshake makes room; a server full of open streams refuses', async (t) => {
  const { server: s, port } = await server(t, { maxConnections: 2, maxHandshakesPerSource: 10 })
  const oldest = await silent(t, port)
  await silent(t, port)
  // (The client's handshake ends when it sends msg3; the server's, when it has read it: wait for the server's.)
  const [stream] = await Promise.all([client(t, port), once(s, 'stream')])
  t.ok(stream.remotePublicKey !== null, 'the newcomer finished its handshake')
  await oldest.closed
  t.pass('the oldest stalled handshake was dropped for it')
  await Promise.all([client(t, port), once(s, 'stream')])
  t.is(s.size, 2)
  t.is(s.handshaking, 0, 'both held connections are open streams')
  const refused = once(s, 'refused')
  const extra = await silent(t, port)
  await extra.closed
  const [failure] = await refused as [AcceptFailure]
  t.is((failure.error as Error & { code?: string }).code, 'ERR_TOO_MANY_CONNECTIONS', 'nothing to drop: refused')
})

test('the verify function learns where the client comes from, and its refusal is a logged failure', async (t) => {
  const seen: string[] = []
  const { server: s, port } = await server(t, {
    verify: (_key, _info, peer) => {
      seen.push(`${peer.source} ${peer.remote.host}`)
      throw new Error('not today')
    }
  })
  const logged = once(s, 'log')
  const stream = new SecureStream(true, net.connect({ host: '127.0.0.1', port }), { verify: acceptAnyKey })
  stream.resume()
  // The refusal comes after our msg3, as the server's first frame.
  const [err] = await once(stream, 'error') as [Error & { code?: string }]
  t.is(err.code, 'ERR_LOCAL_KEY_REJECTED')
  t.ok(err.message.includes('not today'), 'with the reason')
  t.alike(seen, ['127.0.0.1 127.0.0.1'])
  const [event] = await logged as [SecureServerLogEvent]
  t.is(event.code, 'ERR_REMOTE_KEY_REJECTED')
  t.is(event.detail, 'not today', "the verifier's reason, not the wrapper's")
  t.ok(event.fingerprint?.startsWith('SHA256:'))
  t.is(event.count, 1)
})

test('refusals are logged once per interval per code; the rest come as one counted summary', async (t) => {
  const lines: Array<{ entry: string, count: number }> = []
  const log = new RefusalLog<string>(60_000, (entry, count) => lines.push({ entry, count }))
  log.add('A', 'a1')
  log.add('A', 'a2')
  log.add('B', 'b1')
  log.add('A', 'a3')
  t.alike(lines, [{ entry: 'a1', count: 1 }, { entry: 'b1', count: 1 }], 'the first of each code at once')
  log.flush()
  t.alike(lines.slice(2), [{ entry: 'a3', count: 2 }], 'the held-back ones as one summary with the last entry')
  log.add('A', 'a4')
  t.alike(lines.at(-1), { entry: 'a4', count: 1 }, 'after a flush the next one goes out at once')
  log.flush()
})

test('a summary is written when the interval ends, and a quiet interval ends the counting', async (t) => {
  const lines: Array<{ entry: string, count: number }> = []
  let wake: () => void = () => {}
  const log = new RefusalLog<string>(50, (entry, count) => { lines.push({ entry, count }); wake() })
  // The log's timers are unref'd (they must not keep a server alive): this one keeps the test running.
  const alive = setTimeout(() => {}, 10_000)
  t.teardown(() => clearTimeout(alive))
  log.add('A', 'a1')
  log.add('A', 'a2')
  await new Promise<void>((resolve) => { wake = resolve })
  t.alike(lines, [{ entry: 'a1', count: 1 }, { entry: 'a2', count: 1 }], 'a summary of one held-back entry')
  await new Promise((resolve) => setTimeout(resolve, 120))
  log.add('A', 'a3')
  t.alike(lines.at(-1), { entry: 'a3', count: 1 }, 'after a quiet interval the next one goes out at once')
  log.flush()
})

test('the gate drops from the busiest source first, so a lone newcomer outlives a crowd renewed around it', (t) => {
  const gate = new HandshakeGate<string>(4, 10)
  gate.add('legit', 'L')
  gate.add('a1', 'A')
  gate.add('a2', 'A')
  gate.add('b1', 'B')
  t.is(gate.add('a3', 'A'), 'a1', 'the oldest of the source with the most, not the oldest overall')
  t.is(gate.add('b2', 'B'), 'a2')
  t.is(gate.add('c1', 'C'), 'b1', 'B now holds the most')
  t.ok(gate.handshakes().includes('legit'), 'the lone handshake is still there')
  t.is(gate.add('d1', 'D'), 'legit', 'once every source holds one, the oldest goes')
})
