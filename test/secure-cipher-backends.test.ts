import test from 'brittle'
import { createCipheriv } from 'node:crypto'
import { FRAME_DATA, MAX_DATA_BYTES, OPENSSL_MIN_OPEN_BYTES, TAG_BYTES, TYPE_BYTES } from '../lib/constants.js'
import { TransportCipher } from '../lib/secure/transport-cipher.js'
import { openTransportFrame, sealTransportFrame } from '../lib/secure/transport-frame.js'
import { MSG1, MSG2, MSG3, outcome, vectorResponder, vectorSender } from './helpers/scripted.js'

/*
 * Received frames are decrypted by libsodium below OPENSSL_MIN_OPEN_BYTES and
 * by OpenSSL from it up, from one piece or several. These known-answer tests
 * put frames on both sides of that limit, in each layout the frame decoder
 * hands over, and check them against an independent OpenSSL seal.
 */

const KEY = Buffer.alloc(32, 0x42)

/** Body bytes of a DATA frame whose whole frame body (type + data + tag) is `frameBody` bytes. */
function dataBytesFor (frameBody: number): number {
  return frameBody - TYPE_BYTES - TAG_BYTES
}

/** A deterministic body: byte i is i * 7 mod 251. */
function bodyOf (n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * 7) % 251
  return b
}

/** The frame body sealed by node:crypto's OpenSSL directly, nonce 0: an independent reference. */
function referenceSeal (type: number, body: Buffer): Buffer {
  const c = createCipheriv('chacha20-poly1305', KEY, Buffer.alloc(12), { authTagLength: TAG_BYTES })
  return Buffer.concat([c.update(Buffer.of(type)), c.update(body), c.final(), c.getAuthTag()])
}

/** `body` cut into pieces as a decoder could hand them over. */
const LAYOUTS: Record<string, (body: Buffer) => Buffer[]> = {
  'one piece': (b) => [b],
  'two pieces': (b) => [b.subarray(0, 1000), b.subarray(1000)],
  'tag split over pieces': (b) => [b.subarray(0, b.byteLength - 9), b.subarray(b.byteLength - 9)],
  'tag alone': (b) => [b.subarray(0, b.byteLength - TAG_BYTES), b.subarray(b.byteLength - TAG_BYTES)],
  'many pieces': (b) => [b.subarray(0, 1), b.subarray(1, 5000), b.subarray(5000, 5001), b.subarray(5001)]
}

const SIZES = [OPENSSL_MIN_OPEN_BYTES - 1, OPENSSL_MIN_OPEN_BYTES, OPENSSL_MIN_OPEN_BYTES + 1, dataBytesFor(65535) + TYPE_BYTES + TAG_BYTES]

test('frames at the backend limit and the largest frame match an independent OpenSSL seal and open in every layout', (t) => {
  t.is(SIZES[3], 65535)
  t.is(dataBytesFor(65535), MAX_DATA_BYTES)
  for (const frameBody of SIZES) {
    const body = bodyOf(dataBytesFor(frameBody))
    const wire = sealTransportFrame(new TransportCipher(KEY), FRAME_DATA, body)
    t.ok(wire.subarray(2).equals(referenceSeal(FRAME_DATA, body)), `${frameBody}: sealed bytes match OpenSSL's`)
    for (const [name, cut] of Object.entries(LAYOUTS)) {
      const receiver = new TransportCipher(KEY)
      const frame = openTransportFrame(receiver, cut(wire.subarray(2)), frameBody)
      t.is(frame.type, FRAME_DATA)
      t.is(frame.bodyLength, body.byteLength)
      t.ok(Buffer.concat(frame.body).equals(body), `${frameBody}, ${name}: decrypts to the body`)
      t.is(receiver.nonce.value, 1n, `${frameBody}, ${name}: nonce advanced once`)
    }
  }
})

test('a bad tag or a flipped ciphertext byte is ERR_DECRYPT_FAILED on both backends, in every layout', (t) => {
  for (const frameBody of SIZES) {
    const wire = sealTransportFrame(new TransportCipher(KEY), FRAME_DATA, bodyOf(dataBytesFor(frameBody)))
    for (const at of [frameBody - 1, 0, 1500]) {
      const bad = Buffer.from(wire.subarray(2))
      bad[at]! ^= 0x01
      for (const [name, cut] of Object.entries(LAYOUTS)) {
        const receiver = new TransportCipher(KEY)
        try {
          openTransportFrame(receiver, cut(bad), frameBody)
          t.fail(`${frameBody}, byte ${at}, ${name}: opened a forged frame`)
        } catch (err: any) {
          t.is(err.code, 'ERR_DECRYPT_FAILED', `${frameBody}, byte ${at}, ${name}`)
        }
        t.is(receiver.nonce.value, 0n, 'the nonce does not move past a forged frame')
      }
    }
  }
})

/** Drive a vector responder through the recorded handshake, then feed `chunks` (and end the input). */
async function responderFed (chunks: Buffer[], endInput = true) {
  const { stream, peer } = vectorResponder()
  const done = outcome(stream)
  peer.deliver(MSG1)
  await peer.waitForBytes(MSG2.byteLength)
  peer.deliver(MSG3)
  for (const c of chunks) peer.deliver(c)
  if (endInput) peer.push(null)
  return await done
}

test('over a stream: a forged frame on either backend delivers nothing of itself or what follows', async (t) => {
  for (const frameBody of [OPENSSL_MIN_OPEN_BYTES - 1, OPENSSL_MIN_OPEN_BYTES, 65535]) {
    for (const split of [false, true]) {
      const sender = vectorSender('c1')
      const wire = Buffer.from(sender.frame(FRAME_DATA, bodyOf(dataBytesFor(frameBody))))
      wire[wire.byteLength - 1]! ^= 0x80
      const after = sender.data('must not arrive')
      const chunks = split ? [wire.subarray(0, 7000), wire.subarray(7000), after] : [wire, after]
      const result = await responderFed(chunks)
      const label = `${frameBody} bytes, ${split ? 'split over two chunks' : 'in one chunk'}`
      t.is(result.error?.code, 'ERR_DECRYPT_FAILED', label)
      t.is(result.data, '', `${label}: nothing delivered`)
      t.absent(result.ended, `${label}: no clean end`)
    }
  }
})

test('over a stream: the same frames, unforged, arrive whole on either backend', async (t) => {
  for (const frameBody of [OPENSSL_MIN_OPEN_BYTES - 1, OPENSSL_MIN_OPEN_BYTES, 65535]) {
    for (const split of [false, true]) {
      const sender = vectorSender('c1')
      const body = bodyOf(dataBytesFor(frameBody))
      const wire = sender.frame(FRAME_DATA, body)
      const chunks = split ? [wire.subarray(0, 7000), wire.subarray(7000), sender.end()] : [wire, sender.end()]
      const result = await responderFed(chunks, false)
      const label = `${frameBody} bytes, ${split ? 'split over two chunks' : 'in one chunk'}`
      t.is(result.error, null, label)
      t.is(result.data, body.toString('latin1'), `${label}: delivered intact`)
      t.ok(result.ended, `${label}: clean end`)
    }
  }
})
