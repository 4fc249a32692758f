import test from 'brittle'
import { Nonce } from '../lib/secure/nonce.js'
import { TransportCipher } from '../lib/secure/transport-cipher.js'
import { sealTransportFrame, openTransportFrame } from '../lib/secure/transport-frame.js'
import { setNonceForTesting } from '../lib/secure/testing.js'
import { collect, errorOf, quiet, secureTcpPair } from './helpers/streams.js'

test('the nonce renders all 64 bits little-endian after 4 zero bytes', (t) => {
  const n = new Nonce()
  n.advanceTo((1n << 32n) - 1n)
  t.is(n.bytes.toString('hex'), '00000000ffffffff00000000')
  n.increment()
  t.is(n.value, 1n << 32n, 'carries into the high half')
  t.is(n.bytes.toString('hex'), '000000000000000001000000')
  n.advanceTo((1n << 64n) - 2n)
  t.is(n.bytes.toString('hex'), '00000000feffffffffffffff')
  t.absent(n.exhausted, '2^64 - 2 is the last usable nonce')
  n.increment()
  t.ok(n.exhausted, '2^64 - 1 is reserved for REKEY')
})

test('rekey points: positive multiples of 65536 only', (t) => {
  const n = new Nonce()
  t.absent(n.atRekey, 'not at 0')
  n.advanceTo(65535n)
  t.absent(n.atRekey)
  n.increment()
  t.ok(n.atRekey, 'at 65536')
  n.advanceTo(1n << 32n)
  t.ok(n.atRekey, 'at 2^32')
})

test('a cipher refuses to seal past 2^64 - 2 with ERR_NONCE_EXHAUSTED', (t) => {
  const c = new TransportCipher(Buffer.alloc(32, 7))
  c.nonce.advanceTo((1n << 64n) - 2n)
  sealTransportFrame(c, 0, Buffer.from('last'))
  try {
    sealTransportFrame(c, 0, Buffer.from('one too many'))
    t.fail('sealed with the reserved nonce')
  } catch (err: any) {
    t.is(err.code, 'ERR_NONCE_EXHAUSTED')
  }
})

test('counting across 2^32 through a live stream: data intact on both sides of the boundary', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  await Promise.all([initiator.opened, responder.opened])
  const start = (1n << 32n) - 2n
  setNonceForTesting(initiator, 'send', start)
  setNonceForTesting(responder, 'receive', start)
  const got = collect(responder)
  for (let i = 0; i < 4; i++) {
    initiator.write(`frame ${i};`)
    await new Promise((resolve) => responder.once('data', resolve))
  }
  initiator.end()
  responder.on('end', () => responder.end())
  t.is((await got).toString(), 'frame 0;frame 1;frame 2;frame 3;')
})

test('the sender fails with ERR_NONCE_EXHAUSTED at the limit; the receiver never sees a clean end', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  await Promise.all([initiator.opened, responder.opened])
  const last = (1n << 64n) - 2n
  setNonceForTesting(initiator, 'send', last)
  setNonceForTesting(responder, 'receive', last)
  let received = ''
  responder.on('data', (d: unknown) => { received += String(d) })
  initiator.write('the last frame')
  await new Promise((resolve) => responder.once('data', resolve))
  const senderError = errorOf(initiator)
  const receiverError = errorOf(responder)
  initiator.write('one too many')
  t.is((await senderError).code, 'ERR_NONCE_EXHAUSTED')
  t.is((await receiverError).code, 'ERR_TRUNCATED')
  t.is(received, 'the last frame')
})

test('rekey across 65536 frames through a live stream', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  quiet(initiator, responder)
  await Promise.all([initiator.opened, responder.opened])
  setNonceForTesting(initiator, 'send', 65530n)
  setNonceForTesting(responder, 'receive', 65530n)
  let text = ''
  responder.on('data', (d: unknown) => { text += String(d) })
  // One write per frame: wait for each to arrive so writes are not merged.
  for (let i = 0; i < 12; i++) {
    initiator.write(`${i},`)
    await new Promise((resolve) => responder.once('data', resolve))
  }
  t.is(text, '0,1,2,3,4,5,6,7,8,9,10,11,', 'frames 65530..65541 arrive across the rekey')
  initiator.destroy()
})

test('a receiver whose rekey is out of step fails to decrypt', (t) => {
  const send = new TransportCipher(Buffer.alloc(32, 1))
  const receive = new TransportCipher(Buffer.alloc(32, 1))
  send.nonce.advanceTo(65536n)
  receive.nonce.advanceTo(65536n)
  const wire = sealTransportFrame(send, 0, Buffer.from('x'))
  t.is(Buffer.concat(openTransportFrame(receive, [wire.subarray(2)], wire.byteLength - 2).body).toString(), 'x', 'same step: fine')
  const lagging = new TransportCipher(Buffer.alloc(32, 1))
  lagging.nonce.advanceTo(65537n) // skipped the rekey at 65536
  const next = sealTransportFrame(send, 0, Buffer.from('y'))
  try {
    openTransportFrame(lagging, [next.subarray(2)], next.byteLength - 2)
    t.fail('decrypted with the old key')
  } catch (err: any) {
    t.is(err.code, 'ERR_DECRYPT_FAILED')
  }
})
