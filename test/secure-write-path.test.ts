import test from 'brittle'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { acceptAnyKey } from '../lib/secure/options.js'
import { closed, collect, quiet, secureTcpPair, tcpPair } from './helpers/streams.js'

test('bufferedAmount counts what waits for the handshake, and is 0 once it is handed to the socket', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  quiet(initiator, responder)
  initiator.write(Buffer.alloc(1000, 1))
  initiator.write('twelve bytes')
  t.is(initiator.bufferedAmount, 1012, 'both writes wait for the handshake')
  const got = collect(responder)
  await initiator.opened
  await new Promise<void>((resolve) => {
    const check = (): void => { if (initiator.bufferedAmount === 0) resolve(); else setImmediate(check) }
    check()
  })
  t.is(initiator.bufferedAmount, 0, 'everything was handed to the socket')
  initiator.end()
  responder.on('end', () => responder.end())
  t.is((await got).byteLength, 1012, 'and arrived')
})

test('writes queued behind a pending socket write merge into full frames', async (t) => {
  const { client, server } = await tcpPair()
  const initiator = new SecureStream(true, client, { verify: acceptAnyKey })
  const responder = new SecureStream(false, server, { verify: acceptAnyKey })
  quiet(initiator, responder)
  await Promise.all([initiator.opened, responder.opened])
  const writes: number[] = []
  const write = client.write.bind(client)
  client.write = ((chunk: Buffer, ...rest: any[]) => { writes.push(chunk.byteLength); return (write as any)(chunk, ...rest) }) as typeof client.write
  const got = collect(responder)
  for (let i = 0; i < 5000; i++) initiator.write(Buffer.alloc(100, i & 0xff))
  initiator.end()
  responder.on('end', () => responder.end())
  const data = await got
  t.is(data.byteLength, 500_000, 'every byte arrived')
  t.ok(data.subarray(0, 100).every((b) => b === 0) && data.subarray(499_900).every((b) => b === (4999 & 0xff)), 'in order')
  // 5000 writes of 100 B: a handful of socket writes, not thousands (frames of up to 65518 B).
  t.ok(writes.length <= 20, `${writes.length} socket writes for 5000 application writes`)
  await Promise.all([closed(initiator), closed(responder)])
})

test('small writes to a peer that stops reading: backpressure still holds, and everything arrives in order once it reads', async (t) => {
  const { client, server } = await tcpPair()
  const initiator = new SecureStream(true, client, { verify: acceptAnyKey })
  const responder = new SecureStream(false, server, { verify: acceptAnyKey })
  quiet(initiator, responder)
  await Promise.all([initiator.opened, responder.opened])
  responder.pause()
  // 50 lines of 80 bytes a turn: each batch (4000 bytes) is sealed into a buffer of its own, not the kept one; until write() says stop.
  let sent = 0
  let accepted = true
  while (accepted && sent < 500_000) {
    accepted = initiator.write(Buffer.from(`line ${sent} `.padEnd(79, '.') + '\n'))
    sent++
    if (sent % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  t.absent(accepted, `write() returned false after ${sent} small writes to a peer that does not read`)
  t.ok(initiator.bufferedAmount + client.writableLength > 0, 'bytes are held back, not dropped')
  const drained = new Promise<void>((resolve) => initiator.once('drain', () => resolve()))
  const got = collect(responder)
  responder.resume()
  await drained
  initiator.end()
  responder.on('end', () => responder.end())
  const lines = (await got).toString().split('\n').filter((l) => l !== '')
  t.is(lines.length, sent, 'every line arrived')
  t.ok(lines.every((l, i) => l.startsWith(`line ${i} `)), 'in order')
  await Promise.all([closed(initiator), closed(responder)])
})
