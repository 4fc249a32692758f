import test from 'brittle'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { generateKeyPair, samePublicKey, type KeyPair } from '../lib/secure/keypair.js'
import { hostKeyVerifier } from '../lib/identity/host-key-verifier.js'
import { authorizedKeysVerifier } from '../lib/identity/authorized-keys.js'
import { acceptAnyKey, type VerifyRemoteKey } from '../lib/secure/options.js'
import { TunnelClient, TunnelServer, type TunnelConnectionEnd } from '../lib/tools/tunnel.js'
import { responderTrust } from '../lib/cli/tool-identity.js'
import { bannerOf, cli, tempHome } from './helpers/tool-procs.js'

type T = { teardown: (fn: () => unknown) => void }
const LOCAL = '127.0.0.1'

interface Ends {
  client: TunnelClient
  server: TunnelServer
  clientPort: number
  serverKeys: KeyPair
  clientKeys: KeyPair
}

/** Both tunnel ends in this process, in front of `targetPort`. */
async function tunnel (t: T, targetPort: number, opts: { serverVerify?: VerifyRemoteKey, pin?: Buffer, maxConnections?: number, clientKeys?: KeyPair, serverPort?: number, handshakeTimeout?: number } = {}): Promise<Ends> {
  const serverKeys = generateKeyPair()
  const clientKeys = opts.clientKeys ?? generateKeyPair()
  const server = new TunnelServer({
    keyPair: serverKeys,
    verify: opts.serverVerify ?? acceptAnyKey,
    listen: { host: LOCAL, port: 0 },
    to: { host: LOCAL, port: targetPort },
    maxConnections: 100,
    connectTimeout: 5000
  })
  const serverAt = await server.listen()
  const client = new TunnelClient({
    keyPair: clientKeys,
    verify: hostKeyVerifier({ host: LOCAL, port: serverAt.port, policy: { mode: 'pinned', pin: opts.pin ?? serverKeys.publicKey }, knownHostsFile: '/nonexistent/known_hosts' }),
    listen: { host: LOCAL, port: 0 },
    to: opts.serverPort === undefined ? serverAt : { host: LOCAL, port: opts.serverPort },
    maxConnections: opts.maxConnections ?? 100,
    connectTimeout: 5000,
    ...(opts.handshakeTimeout === undefined ? {} : { handshakeTimeout: opts.handshakeTimeout })
  })
  const clientAt = await client.listen()
  t.teardown(async () => {
    await client.drain(0)
    await server.drain(0)
  })
  return { client, server, clientPort: clientAt.port, serverKeys, clientKeys }
}

async function listenOn (t: T, server: net.Server | http.Server): Promise<number> {
  server.listen(0, LOCAL)
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => { server.close(resolve); (server as http.Server).closeAllConnections?.() }))
  return (server.address() as net.AddressInfo).port
}

/** A service that reads until the client half-closes, then answers with the SHA-256 of what it read and ends. */
function hashingService (): net.Server {
  return net.createServer({ allowHalfOpen: true }, (socket) => {
    const hash = createHash('sha256')
    socket.on('data', (d: Buffer) => hash.update(d))
    socket.on('end', () => socket.end(hash.digest('hex')))
  })
}

/** Write `data`, half-close, read until the far end's FIN. */
async function halfCloseExchange (port: number, data: Buffer): Promise<string> {
  const socket = net.connect({ host: LOCAL, port, allowHalfOpen: true })
  let reply = ''
  socket.on('data', (d: Buffer) => { reply += d.toString() })
  socket.end(data)
  await once(socket, 'end')
  socket.destroy()
  return reply
}

/** Connect and wait until the far end closes (or resets); resolves to the bytes received and the error code. */
async function untilClosed (port: number, send?: string): Promise<{ data: string, code: string }> {
  const socket = net.connect({ host: LOCAL, port })
  let data = ''
  let code = ''
  socket.on('data', (d: Buffer) => { data += d.toString() })
  socket.on('error', (err: Error & { code?: string }) => { code = err.code ?? 'error' })
  if (send !== undefined) socket.write(send)
  await new Promise((resolve) => socket.once('close', resolve))
  return { data, code }
}

test('an HTTP request and its response go through the tunnel', async (t) => {
  const service = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => res.end(`${req.method} ${req.url} ${body}`))
  })
  const { clientPort, server } = await tunnel(t, await listenOn(t, service))
  const opened: Buffer[] = []
  server.on('open', (o: { remotePublicKey: Buffer }) => opened.push(o.remotePublicKey))

  const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => new Promise<string>((resolve, reject) => {
    const req = http.request({ host: LOCAL, port: clientPort, method: 'POST', path: `/item/${i}`, agent: false }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => { text += d.toString() })
      res.on('end', () => resolve(`${res.statusCode} ${text}`))
    })
    req.on('error', reject)
    req.end(`payload ${i}`)
  })))
  for (let i = 0; i < 10; i++) t.is(replies[i], `200 POST /item/${i} payload ${i}`)
  t.is(opened.length, 10, 'one secure session per TCP connection')
})

test('a protocol that half-closes works through the tunnel: bytes out, FIN, then the answer', async (t) => {
  const { clientPort, client } = await tunnel(t, await listenOn(t, hashingService()))
  const data = randomBytes(5 * 1024 * 1024 + 3)
  const closed = once(client, 'close')
  const reply = await halfCloseExchange(clientPort, data)
  t.is(reply, createHash('sha256').update(data).digest('hex'), 'the service saw every byte, then our FIN, and its answer came back')
  const [end] = await closed as [TunnelConnectionEnd]
  t.is(end.error, null, 'the connection ended cleanly')
  t.is(end.totals.sealed, data.length)
})

test('the client end refuses a server key it did not pin; the application connection is cut, nothing reaches the service', async (t) => {
  let reached = 0
  const service = net.createServer((s) => { reached++; s.destroy() })
  const { clientPort, client } = await tunnel(t, await listenOn(t, service), { pin: generateKeyPair().publicKey })
  const closed = once(client, 'close')
  const result = await untilClosed(clientPort, 'GET / HTTP/1.0\r\n\r\n')
  const [end] = await closed as [TunnelConnectionEnd]
  t.is(result.data, '')
  t.is((end.error as Error & { code?: string }).code, 'ERR_REMOTE_KEY_REJECTED')
  t.is(((end.error as Error & { cause?: { code?: string } }).cause)?.code, 'ERR_HOST_KEY_MISMATCH')
  t.is(reached, 0)
})

test('the server end refuses a client key not in authorized keys, and the client end is told why', async (t) => {
  let reached = 0
  const service = net.createServer((s) => { reached++; s.destroy() })
  const allowed = generateKeyPair()
  const { clientPort, client, server } = await tunnel(t, await listenOn(t, service), {
    serverVerify: authorizedKeysVerifier({ has: (k) => samePublicKey(k, allowed.publicKey) })
  })
  const refused = once(server, 'refused')
  const closed = once(client, 'close')
  const result = await untilClosed(clientPort, 'hello')
  const [end] = await closed as [TunnelConnectionEnd]
  const [failure] = await refused as [{ error: Error & { cause?: { code?: string } } }]
  t.is(result.data, '')
  t.is((end.error as Error & { code?: string }).code, 'ERR_LOCAL_KEY_REJECTED')
  t.ok(end.error!.message.includes('not authorized'), 'the reason reached the client end')
  t.is(failure.error.cause?.code, 'ERR_CLIENT_KEY_UNAUTHORIZED')
  t.is(reached, 0)
})

test('a client presenting the server key is refused: a client key can never be the server', async (t) => {
  const serverKeys = generateKeyPair()
  const trust = await responderTrust(undefined, serverKeys)
  const info = { isInitiator: false, handshakeHash: Buffer.alloc(64) }
  t.exception(() => trust.verify(serverKeys.publicKey, info), /own key/)
  t.is(await trust.verify(generateKeyPair().publicKey, info), true, 'other keys pass when no authorized keys are set')
})

test('an unreachable service: the client end hears why and resets the application connection', async (t) => {
  const probe = net.createServer()
  const deadPort = await listenOn(t, probe)
  await new Promise((resolve) => probe.close(resolve))
  const { clientPort, client } = await tunnel(t, deadPort)
  const closed = once(client, 'close')
  const result = await untilClosed(clientPort, 'anyone there?')
  const [end] = await closed as [TunnelConnectionEnd]
  t.is((end.error as Error & { code?: string }).code, 'ERR_PEER_ABORTED')
  t.ok(end.error!.message.includes('could not reach its target'))
  t.is(result.code, 'ECONNRESET', 'the application sees a reset, not a clean end')
})

test('connections over the cap are closed at once and reported', async (t) => {
  const held: net.Socket[] = []
  const service = net.createServer((s) => { held.push(s) })
  const { clientPort, client } = await tunnel(t, await listenOn(t, service), { maxConnections: 2 })
  t.teardown(() => { for (const s of held) s.destroy() })
  const fulls: unknown[] = []
  client.on('full', (r: unknown) => fulls.push(r))
  const a = net.connect({ host: LOCAL, port: clientPort })
  const b = net.connect({ host: LOCAL, port: clientPort })
  // The tunnel's own teardown may reset these two before ours destroys them.
  a.on('error', () => {})
  b.on('error', () => {})
  t.teardown(() => { a.destroy(); b.destroy() })
  await Promise.all([once(client, 'open'), once(a, 'connect'), once(b, 'connect')])
  while (client.tcp.size < 2) await once(client, 'open')
  const third = await untilClosed(clientPort)
  t.is(third.data, '')
  t.is(fulls.length, 1)
  t.is(client.tcp.size, 2, 'the two others are still open')
})

test('drain stops accepting, lets the open connection finish, then resolves', async (t) => {
  const { clientPort, client } = await tunnel(t, await listenOn(t, hashingService()))
  const socket = net.connect({ host: LOCAL, port: clientPort, allowHalfOpen: true })
  let reply = ''
  socket.on('data', (d: Buffer) => { reply += d.toString() })
  socket.write('before the drain ')
  await once(client, 'open')
  const drained = client.drain(60_000)
  const refused = await new Promise<string>((resolve) => {
    const late = net.connect({ host: LOCAL, port: clientPort })
    late.on('error', (err: Error & { code?: string }) => resolve(err.code ?? ''))
    late.on('connect', () => { late.destroy(); resolve('connected') })
  })
  t.is(refused, 'ECONNREFUSED', 'no new connections while draining')
  socket.end('and after it')
  await once(socket, 'end')
  t.is(await drained, 0, 'nothing had to be cut')
  t.is(reply, createHash('sha256').update('before the drain and after it').digest('hex'))
})

test('noise-chat tunnel server and client carry HTTP and exit 0 on SIGTERM after draining', async (t) => {
  const { env } = tempHome(t)
  const service = http.createServer((req, res) => res.end(`hello ${req.url}`))
  const servicePort = await listenOn(t, service)
  const server = cli(t, ['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${servicePort}`, '--ready-json'], { env })
  const { target, key } = await bannerOf(server)
  const probe = net.createServer()
  const clientPort = await listenOn(t, probe)
  await new Promise((resolve) => probe.close(resolve))
  const client = cli(t, ['tunnel', 'client', '--listen', String(clientPort), '--to', target, '--server-key', key], { env })
  await client.waitStderr('plaintext on')

  const body = await new Promise<string>((resolve, reject) => {
    http.get({ host: LOCAL, port: clientPort, path: '/through', agent: false }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => { text += d.toString() })
      res.on('end', () => resolve(text))
    }).on('error', reject)
  })
  t.is(body, 'hello /through')
  await client.waitStderr('closed cleanly')
  client.child.kill('SIGTERM')
  server.child.kill('SIGTERM')
  t.is(await client.exited, 0)
  t.is(await server.exited, 0)
  t.ok(client.stderr().includes('all connections finished'))
})

test('a tunnel server that never answers the handshake: the client end gives up (ERR_HANDSHAKE_TIMEOUT) and resets the application', async (t) => {
  const silent: net.Socket[] = []
  const blackHole = net.createServer((s) => { silent.push(s); s.resume() })
  const blackHolePort = await listenOn(t, blackHole)
  t.teardown(() => { for (const s of silent) s.destroy() })
  const { clientPort, client } = await tunnel(t, 1, { serverPort: blackHolePort, handshakeTimeout: 200 })
  const closed = once(client, 'close')
  const result = await untilClosed(clientPort, 'hello?')
  const [end] = await closed as [TunnelConnectionEnd]
  t.is((end.error as Error & { code?: string }).code, 'ERR_HANDSHAKE_TIMEOUT')
  t.is(result.data, '')
  t.is(result.code, 'ECONNRESET', 'the application sees a reset')
})
