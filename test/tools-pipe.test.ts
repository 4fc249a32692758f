import test from 'brittle'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, createReadStream, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { findReadyLine } from '../harness/ready-line.js'
import { bannerOf, cli, tempHome } from './helpers/tool-procs.js'

const MIB = 1024 * 1024

async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** A file of `size` random bytes, written in 1 MiB pieces; returns its SHA-256. */
function randomFile (path: string, size: number): string {
  const hash = createHash('sha256')
  const fd = openSync(path, 'w')
  for (let left = size; left > 0; left -= MIB) {
    const piece = randomBytes(Math.min(MIB, left))
    hash.update(piece)
    writeSync(fd, piece)
  }
  closeSync(fd)
  return hash.digest('hex')
}

test('100 MiB of random bytes go through listen and pipe both ways with the same SHA-256, exit 0', { timeout: 120_000 }, async (t) => {
  const { dir, env } = tempHome(t)
  const big = join(dir, 'big.bin')
  const small = join(dir, 'small.bin')
  const bigHash = randomFile(big, 100 * MIB)
  const smallHash = randomFile(small, 3 * MIB + 17)
  const received = join(dir, 'received.bin')
  const returned = join(dir, 'returned.bin')

  const listen = cli(t, ['listen', '127.0.0.1:0', '--ready-json'], { env, stdio: [openSync(small, 'r'), openSync(received, 'w'), 'pipe'] })
  const { target, key } = await bannerOf(listen)
  const pipe = cli(t, ['pipe', target, '--server-key', key], { env, stdio: [openSync(big, 'r'), openSync(returned, 'w'), 'pipe'] })

  t.is(await pipe.exited, 0, 'pipe exits 0')
  t.is(await listen.exited, 0, 'listen exits 0')
  t.is(await sha256File(received), bigHash, 'the listener wrote exactly what pipe read')
  t.is(await sha256File(returned), smallHash, 'pipe wrote exactly what the listener read')
  t.is(pipe.stderr().replace(/^Created a new key pair.*\n/, ''), '', 'nothing on stderr but the first-use key line')
})

test('killing the listener mid-transfer makes pipe exit 7 (truncated), never 0', async (t) => {
  const { env } = tempHome(t)
  const listen = cli(t, ['listen', '127.0.0.1:0', '--ready-json'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  const { target, key } = await bannerOf(listen)
  const pipe = cli(t, ['pipe', target, '--server-key', key], { env })
  pipe.child.stdin!.on('error', () => {})
  pipe.child.stdin!.write(randomBytes(256 * 1024))
  await listen.waitStderr('connection from')
  listen.child.kill('SIGKILL')
  await listen.exited
  const code = await pipe.exited
  t.is(code, 7)
  t.ok(/truncated|ERR_TRUNCATED/.test(pipe.stderr()), 'says the stream was truncated')
})

test('killing pipe mid-transfer makes listen exit 7, and what it wrote is not called complete', async (t) => {
  const { env } = tempHome(t)
  const listen = cli(t, ['listen', '127.0.0.1:0', '--ready-json'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { target, key } = await bannerOf(listen)
  const pipe = cli(t, ['pipe', target, '--server-key', key], { env })
  pipe.child.stdin!.on('error', () => {})
  pipe.child.stdin!.write('first half of the message, ')
  await once(listen.child.stdout!, 'data')
  pipe.child.kill('SIGKILL')
  t.is(await listen.exited, 7)
  t.ok(listen.stderr().includes('ERR_TRUNCATED'))
  t.is(listen.stdout(), 'first half of the message, ', 'what arrived was delivered, and only that')
})

test('an interrupted pipe aborts the stream: the listener learns why and exits 7', async (t) => {
  const { env } = tempHome(t)
  const listen = cli(t, ['listen', '127.0.0.1:0', '--ready-json'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { target, key } = await bannerOf(listen)
  const pipe = cli(t, ['pipe', target, '--server-key', key], { env })
  pipe.child.stdin!.write('partial')
  await once(listen.child.stdout!, 'data')
  pipe.child.kill('SIGTERM')
  t.is(await pipe.exited, 143, 'pipe exits 128 + SIGTERM')
  t.is(await listen.exited, 7)
  t.ok(listen.stderr().includes('interrupted by SIGTERM'), 'the abort reason reached the listener')
  t.ok(listen.stderr().includes('ERR_PEER_ABORTED'))
})

test('a client key missing from authorized keys is refused with the reason (exit 5); the listener waits on for a key it accepts', async (t) => {
  const { dir, env } = tempHome(t)
  const friendKey = join(dir, 'friend.key')
  const keygen = cli(t, ['keygen', '-f', friendKey, '-C', 'friend'], { env })
  t.is(await keygen.exited, 0)
  const authorized = join(dir, 'authorized_keys')
  writeFileSync(authorized, readFileSync(friendKey + '.pub'))

  const listen = cli(t, ['listen', '127.0.0.1:0', '--ready-json', '--authorized-keys', authorized], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { target, key } = await bannerOf(listen)

  const stranger = cli(t, ['pipe', target, '--server-key', key], { env })
  stranger.child.stdin!.end('let me in')
  t.is(await stranger.exited, 5, 'refused key: exit 5')
  t.ok(stranger.stderr().includes('is not authorized on this server'), 'the client is told why')
  t.ok(stranger.stderr().includes('ERR_LOCAL_KEY_REJECTED'))
  await listen.waitStderr('ERR_CLIENT_KEY_UNAUTHORIZED')

  const friend = cli(t, ['pipe', target, '--server-key', key, '--key', friendKey], { env })
  friend.child.stdin!.end('hello from a friend')
  t.is(await friend.exited, 0)
  t.is(await listen.exited, 0)
  t.is(listen.stdout(), 'hello from a friend', 'only the authorized client was heard')
})

test('a server key that is not the pinned one: pipe exits 4 and sends nothing', async (t) => {
  const { env } = tempHome(t)
  const listen = cli(t, ['listen', '127.0.0.1:0', '--ready-json'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { target } = await bannerOf(listen)
  const wrongPin = 'SHA256:' + 'A'.repeat(43)
  const pipe = cli(t, ['pipe', target, '--server-key', wrongPin], { env })
  pipe.child.stdin!.end('secret')
  t.is(await pipe.exited, 4)
  t.ok(pipe.stderr().includes('is not the pinned one'))
  await listen.waitStderr('ERR_HANDSHAKE_INCOMPLETE')
  t.is(listen.stdout(), '', 'the listener received nothing')
  listen.child.kill('SIGTERM')
})

test('accept-new records the server key; --strict then accepts it', async (t) => {
  const { env } = tempHome(t)
  const listen = cli(t, ['listen', '127.0.0.1:0', '--ready-json', '--keep-open'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { target } = await bannerOf(listen)
  const strictFirst = cli(t, ['pipe', target, '--strict'], { env })
  strictFirst.child.stdin!.end('x')
  t.is(await strictFirst.exited, 4, `unknown server refused under --strict (${strictFirst.stderr().split('\n')[0]!})`)
  const first = cli(t, ['pipe', target, '--accept-new'], { env })
  first.child.stdin!.end('one ')
  t.is(await first.exited, 0, first.stderr())
  t.ok(first.stderr().includes('Recorded the key of'))
  const second = cli(t, ['pipe', target, '--strict'], { env })
  second.child.stdin!.end('two')
  t.is(await second.exited, 0)
  listen.child.kill('SIGTERM')
  t.is(await listen.exited, 0, 'keep-open listener exits 0 on SIGTERM')
  t.is(listen.stdout(), 'one two')
})

test('pipe to a closed port exits 3', async (t) => {
  const { env } = tempHome(t)
  const pipe = cli(t, ['pipe', '127.0.0.1:1', '--server-key', 'SHA256:' + 'A'.repeat(43)], { env })
  pipe.child.stdin!.end()
  t.is(await pipe.exited, 3)
  t.ok(pipe.stderr().includes('ECONNREFUSED'))
})

test('listen --keep-open sends its stdin to every open connection and hears them all', async (t) => {
  const { env } = tempHome(t)
  const listen = cli(t, ['listen', '127.0.0.1:0', '--ready-json', '--keep-open'], { env })
  const { target, key } = await bannerOf(listen)
  const a = cli(t, ['pipe', target, '--server-key', key], { env })
  await listen.waitStderr(/connection from[^\n]*\n[\s\S]*$/)
  const b = cli(t, ['pipe', target, '--server-key', key], { env })
  await listen.waitStderr(/connection from[\s\S]*connection from/)
  a.child.stdin!.write('from a\n')
  b.child.stdin!.write('from b\n')
  listen.child.stdin!.end('to everyone\n')
  a.child.stdin!.end()
  b.child.stdin!.end()
  t.is(await a.exited, 0)
  t.is(await b.exited, 0)
  t.is(a.stdout(), 'to everyone\n')
  t.is(b.stdout(), 'to everyone\n')
  await listen.waitStderr(/finished[\s\S]*finished/)
  listen.child.kill('SIGTERM')
  t.is(await listen.exited, 0)
  t.alike(listen.stdout().split('\n').filter(Boolean).sort(), ['from a', 'from b'])
})

test('pipe is a bare client of the chat server: lines in, the room\'s lines out, exit 0 after both ENDs', async (t) => {
  const { env } = tempHome(t)
  const server = cli(t, ['server', '--host', '127.0.0.1', '--port', '0', '--ready-json'], { env })
  const ready = findReadyLine(await server.waitStdout(/^\{"event":"ready".*\n/m))
  t.ok(ready !== undefined, 'the server printed its address and key')
  const pipe = cli(t, ['pipe', `127.0.0.1:${ready!.port}`, '--server-key', ready!.publicKey], { env })
  pipe.child.stdin!.end('/nick piper\nhello from a pipe\n')
  t.is(await pipe.exited, 0, pipe.stderr().trim().split('\n').pop())
  t.ok(pipe.stdout().includes('<piper> hello from a pipe'), 'the room relayed the line, stamped with the nick')
  server.child.kill('SIGTERM')
  t.is(await server.exited, 0)
})
