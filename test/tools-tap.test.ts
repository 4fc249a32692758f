import test from 'brittle'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import net from 'node:net'
import { PassThrough } from 'node:stream'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Tap, type TapChunk } from '../lib/tools/tap.js'

const BIN = fileURLToPath(new URL('../bin/noise-chat.js', import.meta.url))

/** A server that reads until the client half-closes, then answers and ends. */
async function halfCloseServer (t: { teardown: (fn: () => unknown) => void }, reply: Buffer) {
  const received: Buffer[] = []
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', (d: Buffer) => received.push(d))
    socket.on('end', () => socket.end(reply))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { port: (server.address() as net.AddressInfo).port, received: () => Buffer.concat(received) }
}

async function startTap (t: { teardown: (fn: () => unknown) => void }, targetPort: number, extra: Partial<ConstructorParameters<typeof Tap>[0]> = {}) {
  const tap = new Tap({ listen: { host: '127.0.0.1', port: 0 }, to: { host: '127.0.0.1', port: targetPort }, ...extra })
  const address = await tap.listen()
  t.teardown(() => tap.close())
  return { tap, port: address.port }
}

/** Send `data`, half-close, and read everything until the peer's end. */
async function exchange (port: number, data: Buffer): Promise<Buffer> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  const chunks: Buffer[] = []
  socket.on('data', (d: Buffer) => chunks.push(d))
  socket.end(data)
  await once(socket, 'end')
  socket.destroy()
  return Buffer.concat(chunks)
}

test('tap relays bytes unchanged in both directions and passes the half-close on', async (t) => {
  const up = randomBytes(3 * 1024 * 1024 + 7)
  const down = randomBytes(2 * 1024 * 1024 + 3)
  const target = await halfCloseServer(t, down)
  const { tap, port } = await startTap(t, target.port, { dump: false, capture: true })
  const halfCloses: string[] = []
  tap.on('half-close', (_id: number, direction: string) => halfCloses.push(direction))

  const got = await exchange(port, up)

  t.ok(target.received().equals(up), 'server got exactly what the client sent')
  t.ok(got.equals(down), 'client got exactly what the server sent, after its own half-close')
  t.ok(tap.captured('client-to-server').equals(up), 'captured client bytes')
  t.ok(tap.captured('server-to-client').equals(down), 'captured server bytes')
  t.alike(halfCloses, ['client-to-server', 'server-to-client'])
})

test('tap dump shows the plaintext written through it, with offsets and arrows', async (t) => {
  const target = await halfCloseServer(t, Buffer.from('pong from server\n'))
  const output = new PassThrough()
  let report = ''
  output.on('data', (d: Buffer) => { report += d.toString() })
  const { tap, port } = await startTap(t, target.port, { output })
  const closed = once(tap, 'close')

  await exchange(port, Buffer.from('alice: meet at noon\n'))
  await closed

  t.ok(report.includes('[#1] open 127.0.0.1:'), 'connection line')
  t.ok(report.includes('[#1 ->] 20 bytes'), 'client-to-server chunk header')
  t.ok(report.includes('0x0000:  616c 6963 653a 206d 6565 7420 6174 206e  alice: meet at n'), 'hex and ASCII of the message')
  t.ok(report.includes('0x0010:  6f6f 6e0a'), 'second line continues the offset')
  t.ok(report.includes('[#1 <-] 17 bytes'), 'server-to-client chunk header')
  t.ok(report.includes('pong from server'), 'the reply is readable too')
  t.ok(report.includes('[#1] closed (20 bytes ->, 17 bytes <-)'), 'close line with totals')
})

test('tap writes the same report to a file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-tap-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'tap.log')
  const target = await halfCloseServer(t, Buffer.from('ok'))
  const tap = new Tap({ listen: { host: '127.0.0.1', port: 0 }, to: { host: '127.0.0.1', port: target.port }, outFile: file })
  const { port } = await tap.listen()
  const closed = once(tap, 'close')
  await exchange(port, Buffer.from('secret plans'))
  await closed
  await tap.close()
  const log = readFileSync(file, 'utf8')
  t.ok(log.includes('secret plans'))
  t.ok(log.includes('7365 6372 6574 2070 6c61 6e73'))
})

test('tap emits chunks with offsets counted per direction', async (t) => {
  const target = await halfCloseServer(t, Buffer.from('xyz'))
  const { tap, port } = await startTap(t, target.port, { dump: false })
  const chunks: TapChunk[] = []
  tap.on('chunk', (c: TapChunk) => chunks.push(c))
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  socket.resume()
  socket.write('abc')
  await once(tap, 'chunk')
  socket.end('defg')
  await once(socket, 'end')
  socket.destroy()
  const up = chunks.filter((c) => c.direction === 'client-to-server')
  t.is(up[0]!.offset, 0)
  t.is(up[up.length - 1]!.offset + up[up.length - 1]!.bytes.length, 7)
  t.is(Buffer.concat(up.map((c) => c.bytes)).toString(), 'abcdefg')
  t.ok(chunks.every((c) => c.connection === 1))
})

test('tap can tamper with bytes in transit when a caller asks (active attacker)', async (t) => {
  const target = await halfCloseServer(t, Buffer.alloc(0))
  const { port } = await startTap(t, target.port, {
    dump: false,
    tamper: (chunk) => {
      const copy = Buffer.from(chunk.bytes)
      if (chunk.direction === 'client-to-server' && chunk.offset === 0) copy[0]! ^= 0x01
      return copy
    }
  })
  await exchange(port, Buffer.from('a'))
  t.is(target.received().toString(), '`', 'one bit flipped')
})

test('tap cuts the client when the target refuses', async (t) => {
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const deadPort = (probe.address() as net.AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))

  const output = new PassThrough()
  let report = ''
  output.on('data', (d: Buffer) => { report += d.toString() })
  const { tap, port } = await startTap(t, deadPort, { output })
  const closed = once(tap, 'close')
  const socket = net.connect({ host: '127.0.0.1', port })
  let reset = ''
  socket.on('error', (err: Error & { code?: string }) => { reset = err.code ?? '' })
  await new Promise((resolve) => socket.once('close', resolve))
  await closed
  t.ok(report.includes('server error: ECONNREFUSED'))
  t.ok(reset === '' || reset === 'ECONNRESET', 'the client saw a close or a reset, nothing else')
})

test('noise-chat tap CLI relays and prints the dump, and stops on SIGTERM', async (t) => {
  const target = await halfCloseServer(t, Buffer.from('bye'))
  const probe = net.createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const tapPort = (probe.address() as net.AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))

  const child = spawn(process.execPath, [BIN, 'tap', '--listen', String(tapPort), '--to', `127.0.0.1:${target.port}`])
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  while (!stderr.includes('listening on')) await once(child.stderr, 'data')

  const got = await exchange(tapPort, Buffer.from('hello through the tap'))
  t.is(got.toString(), 'bye')
  while (!stdout.includes('closed')) await once(child.stdout, 'data')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.is(code, 0)
  t.ok(stdout.includes('hello through '), 'the dump shows the plaintext')
  t.ok(stdout.includes('[#1 <-] 3 bytes'))
})

test('noise-chat tap without --to is a usage error, exit 2, no stack trace', async (t) => {
  const child = spawn(process.execPath, [BIN, 'tap', '--listen', '7001'])
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const [code] = await once(child, 'exit')
  t.is(code, 2)
  t.ok(stderr.includes('--to HOST:PORT is required'))
  t.absent(stderr.includes('    at '), 'no stack trace')
})
