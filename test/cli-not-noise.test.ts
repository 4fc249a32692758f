import test from 'brittle'
import http from 'node:http'
import net from 'node:net'
import { textBanner } from '../lib/net/text-peer.js'
import { cli, tempHome } from './helpers/tool-procs.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/** A TCP server on 127.0.0.1 that greets each connection with `banner`, as SSH, SMTP and IRC servers do. */
async function bannerServer (t: Teardown, banner: string): Promise<number> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.write(banner)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.close(() => resolve())
    for (const s of sockets) s.destroy()
  }))
  return (server.address() as net.AddressInfo).port
}

/** A real HTTP server on 127.0.0.1: it answers our first handshake message with a 400 in text. */
async function httpServer (t: Teardown): Promise<number> {
  const server = http.createServer((_req, res) => res.end('hello\n'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections() }))
  return (server.address() as net.AddressInfo).port
}

test('a peer whose first bytes are text (SSH, SMTP, IRC, HTTP) is "not a noise-chat server", quoted, in connect and pipe', async (t) => {
  const { env } = tempHome(t)
  const peers = [
    { what: 'ssh', port: await bannerServer(t, 'SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n'), quote: 'SSH-2.0-OpenSSH_9.6p1 Debian-4' },
    { what: 'smtp', port: await bannerServer(t, '220 mail.example.org ESMTP Postfix\r\n'), quote: '220 mail.example.org ESMTP Postfix' },
    { what: 'irc', port: await bannerServer(t, ':irc.example.org NOTICE * :*** Looking up your hostname...\r\n'), quote: ':irc.example.org NOTICE * :*** Looking up your hostname...' },
    { what: 'http', port: await httpServer(t), quote: 'HTTP/1.1 400 Bad Request' }
  ]
  for (const peer of peers) {
    for (const command of ['connect', 'pipe']) {
      // A handshake timeout far above the test's: only the text can end it.
      const run = cli(t, [command, `127.0.0.1:${peer.port}`, '--accept-new', '--handshake-timeout', '600'], { env })
      run.child.stdin!.end('hello\n')
      const code = await run.exited
      const failure = run.stderr().split('\n').filter((l) => l.startsWith(`noise-chat ${command}:`))
      t.alike(failure, [`noise-chat ${command}: this is not a noise-chat server: it sent '${peer.quote}' (ERR_NOT_NOISE_PEER)`], `${peer.what}, ${command}`)
      t.is(code, 6, `${peer.what}, ${command}: the handshake's exit code`)
    }
  }
})

test('what counts as a text banner: printable first bytes, the first line quoted; a noise msg2 never is', (t) => {
  t.is(textBanner(Buffer.from('SSH-2.0-x\r\nmore')), 'SSH-2.0-x')
  t.is(textBanner(Buffer.from('x'.repeat(100))), 'x'.repeat(60) + '...', 'long lines are shortened')
  t.is(textBanner(Buffer.from([0x00, 0x60, 0x41, 0x42])), undefined, 'a msg2 length prefix starts with 0')
  t.is(textBanner(Buffer.from('HTTP/1.1 200 OK\r\n\x00\x01')), undefined, 'binary within the first bytes is not text')
  t.is(textBanner(Buffer.from('\r\n')), undefined, 'nothing to quote')
})
