import test from 'brittle'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { acceptAnyKey } from '../lib/secure/options.js'
import { closed, memoryPair, secureTcpPair } from './helpers/streams.js'

test('bufferedAmount: writes made before the handshake count until they are sealed and sent', async (t) => {
  const [x, y] = memoryPair()
  const initiator = new SecureStream(true, x, { verify: acceptAnyKey })
  t.is(initiator.bufferedAmount, 0, 'nothing written yet')
  initiator.write(Buffer.from('hello'))
  initiator.write(Buffer.from(' you'))
  t.is(initiator.bufferedAmount, 9, 'both writes wait for the handshake')
  const responder = new SecureStream(false, y, { verify: acceptAnyKey })
  const first = new Promise<Buffer>((resolve) => responder.once('data', (d: unknown) => resolve(d as Buffer)))
  t.is((await first).toString(), 'hello you')
  t.is(initiator.bufferedAmount, 0, 'handed to the raw stream once the peer had them')
  initiator.destroy()
  responder.destroy()
})

test('bufferedAmount grows while the peer stops reading, and drains when it reads again', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  responder.pause()
  const chunk = Buffer.alloc(65536, 0x61)
  let written = 0
  // TCP buffers fill first; then the stream keeps what it cannot hand on.
  for (let i = 0; i < 4096 && initiator.bufferedAmount === 0; i++) {
    initiator.write(chunk)
    written += chunk.byteLength
    await nextTurn()
  }
  const held = initiator.bufferedAmount
  t.ok(held > 0 && held <= written, `the stream holds ${held} of ${written} bytes written`)
  let received = 0
  const all = new Promise<void>((resolve) => responder.on('data', (d: unknown) => {
    received += (d as Buffer).byteLength
    if (received === written) resolve()
  }))
  responder.resume()
  await all
  t.is(initiator.bufferedAmount, 0, 'everything was handed on once the peer read')
  const both = Promise.all([closed(initiator), closed(responder)])
  initiator.destroy()
  responder.destroy()
  await both
})
