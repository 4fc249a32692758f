import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { createCipheriv } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { AEAD_BACKEND_ENV, FRAME_DATA, MAX_DATA_BYTES, NATIVE_MIN_OPEN_BYTES, NATIVE_MIN_SEAL_BYTES, OPENSSL_MIN_OPEN_BYTES, TAG_BYTES, TYPE_BYTES } from '../lib/constants.js'
import { defaultAeadBackend, libsodiumBackend, nativeAeadUnavailable, opensslBackend, type AeadBackend } from '../lib/secure/aead-backend.js'
import { loadNativeAead } from '../lib/secure/native-aead.js'
import { TransportCipher } from '../lib/secure/transport-cipher.js'
import { openTransportFrame, sealTransportFrame } from '../lib/secure/transport-frame.js'
import { MSG1, MSG2, MSG3, outcome, vectorResponder, vectorSender } from './helpers/scripted.js'

/*
 * Two backends compute the transport cipher: the package's native OpenSSL
 * addon, and without it libsodium (which hands received frames of
 * OPENSSL_MIN_OPEN_BYTES and up to node:crypto). These known-answer tests
 * run every backend on frames on both sides of that limit, in each layout
 * the frame decoder hands over, against an independent OpenSSL seal.
 */

test('the native OpenSSL addon is built and is what streams use', (t) => {
  t.is(nativeAeadUnavailable, null, `npm install builds native/aead.c; without it the streams fall back to libsodium (${nativeAeadUnavailable ?? ''})`)
  t.is(defaultAeadBackend.name, 'openssl')
  t.is(loadNativeAead({ [AEAD_BACKEND_ENV]: 'libsodium' }).aead, null, `${AEAD_BACKEND_ENV}=libsodium turns it off`)
})

const native = loadNativeAead({}).aead
const BACKENDS: AeadBackend[] = native === null ? [libsodiumBackend] : [opensslBackend(native), libsodiumBackend]

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

for (const backend of BACKENDS) {
  test(`${backend.name}: frames at the fallback's limit and the largest frame match an independent OpenSSL seal and open in every layout`, (t) => {
    t.is(SIZES[3], 65535)
    t.is(dataBytesFor(65535), MAX_DATA_BYTES)
    for (const frameBody of SIZES) {
      const body = bodyOf(dataBytesFor(frameBody))
      const wire = sealTransportFrame(new TransportCipher(KEY, undefined, backend), FRAME_DATA, body)
      t.ok(wire.subarray(2).equals(referenceSeal(FRAME_DATA, body)), `${frameBody}: sealed bytes match OpenSSL's`)
      for (const [name, cut] of Object.entries(LAYOUTS)) {
        const receiver = new TransportCipher(KEY, undefined, backend)
        const frame = openTransportFrame(receiver, cut(wire.subarray(2)), frameBody)
        t.is(frame.type, FRAME_DATA)
        t.is(frame.bodyLength, body.byteLength)
        t.ok(Buffer.concat(frame.body).equals(body), `${frameBody}, ${name}: decrypts to the body`)
        t.is(receiver.nonce.value, 1n, `${frameBody}, ${name}: nonce advanced once`)
      }
    }
  })

  test(`${backend.name}: a bad tag or a flipped ciphertext byte is ERR_DECRYPT_FAILED in every layout`, (t) => {
    for (const frameBody of SIZES) {
      const wire = sealTransportFrame(new TransportCipher(KEY, undefined, backend), FRAME_DATA, bodyOf(dataBytesFor(frameBody)))
      for (const at of [frameBody - 1, 0, 1500]) {
        const bad = Buffer.from(wire.subarray(2))
        bad[at]! ^= 0x01
        for (const [name, cut] of Object.entries(LAYOUTS)) {
          const receiver = new TransportCipher(KEY, undefined, backend)
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
}


/** DATA sizes on both sides of the native backend's limits: sealed plaintext is type + data, an opened body type + data + tag. */
const SMALL_SIZES = [0, 1, 100, NATIVE_MIN_SEAL_BYTES - 2, NATIVE_MIN_SEAL_BYTES - 1, NATIVE_MIN_SEAL_BYTES, NATIVE_MIN_OPEN_BYTES - 18, NATIVE_MIN_OPEN_BYTES - 17, NATIVE_MIN_OPEN_BYTES - 16, 4096]

test('small frames (empty, 1 and 100 bytes of DATA, both sides of the native limits, 4 KiB) match the reference on every backend, whole and split', (t) => {
  for (const backend of BACKENDS) {
    for (const dataBytes of SMALL_SIZES) {
      const body = bodyOf(dataBytes)
      const wire = sealTransportFrame(new TransportCipher(KEY, undefined, backend), FRAME_DATA, body)
      t.ok(wire.subarray(2).equals(referenceSeal(FRAME_DATA, body)), `${backend.name}, ${dataBytes} bytes: sealed bytes match OpenSSL's`)
      const frameBody = wire.byteLength - 2
      const cuts = [[wire.subarray(2)], [wire.subarray(2, 3), wire.subarray(3)], [wire.subarray(2, wire.byteLength - 5), wire.subarray(wire.byteLength - 5)]]
      for (const pieces of cuts) {
        const frame = openTransportFrame(new TransportCipher(KEY, undefined, backend), pieces, frameBody)
        t.ok(Buffer.concat(frame.body).equals(body), `${backend.name}, ${dataBytes} bytes in ${pieces.length} piece(s)`)
      }
    }
  }
})

/** Lengths on and beside the 128-byte marks at which the addon cuts its OpenSSL calls (native/aead.c, ALIGN_BYTES), and the spec's largest plaintext. */
const MARK_LENGTHS = [1, 63, 64, 65, 127, 128, 129, 191, 192, 255, 256, 257, 1087, 1088, 1089, 65408, 65472, 65519]
/** Where a frame is cut into two or three pieces, relative to the same marks. */
const MARK_CUTS = [[1], [63], [64], [127], [128], [129], [64, 128], [100, 101], [127, 129], [128, 256], [1000, 1088]]

test('the native addon cuts its OpenSSL calls at 128-byte marks without changing a byte: every length and piece cut on and beside the marks matches the reference', (t) => {
  if (native === null) return t.fail(`no native addon: ${nativeAeadUnavailable ?? ''}`)
  const nonce = Buffer.alloc(12)
  let checked = 0
  for (const length of MARK_LENGTHS) {
    const plaintext = bodyOf(length)
    const c = createCipheriv('chacha20-poly1305', KEY, nonce, { authTagLength: TAG_BYTES })
    const reference = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
    const sealed = Buffer.concat([plaintext, Buffer.alloc(TAG_BYTES)])
    native.seal(KEY, nonce, sealed, 0, length)
    t.ok(sealed.equals(reference), `${length} bytes: sealed in place as OpenSSL seals in one call`)
    for (const cuts of [[], ...MARK_CUTS]) {
      if (cuts.some((at) => at >= length)) continue
      const pieces = [0, ...cuts].map((from, i) => reference.subarray(from, i < cuts.length ? cuts[i] : length))
      const out = Buffer.alloc(length)
      t.ok(native.open(KEY, nonce, pieces, reference.subarray(length), out) && out.equals(plaintext), `${length} bytes cut at [${cuts.join(', ')}]: opens to the plaintext`)
      const forged = Buffer.from(reference)
      forged[length - 1]! ^= 1
      const forgedPieces = [0, ...cuts].map((from, i) => forged.subarray(from, i < cuts.length ? cuts[i] : length))
      t.absent(native.open(KEY, nonce, forgedPieces, forged.subarray(length), out), `${length} bytes cut at [${cuts.join(', ')}]: its last byte flipped does not verify`)
      checked++
    }
  }
  t.ok(checked > 100, `${checked} layouts checked`)
})

/** An assertion that `fn` throws the addon's ERR_INVALID_ARGUMENT. */
function refusedBy (t: { fail: (m: string) => void, is: (a: unknown, b: unknown, m: string) => void }): (fn: () => unknown, what: string) => void {
  return (fn, what) => {
    try {
      fn()
      t.fail(`${what}: accepted`)
    } catch (err: any) {
      t.is(err.code, 'ERR_INVALID_ARGUMENT', what)
    }
  }
}

test('the native addon refuses a wrong key, nonce or tag size, a frame that does not fit, and overlapping buffers', (t) => {
  if (native === null) return t.fail(`no native addon: ${nativeAeadUnavailable ?? ''}`)
  const key = Buffer.alloc(32, 1)
  const nonce = Buffer.alloc(12)
  const buf = Buffer.alloc(64)
  const refused = refusedBy(t)
  refused(() => native.seal(key.subarray(1), nonce, buf, 0, 10), 'a 31-byte key')
  refused(() => native.seal(key, Buffer.alloc(8), buf, 0, 10), 'an 8-byte nonce')
  refused(() => native.seal(key, nonce, buf, 0, 49), 'no room for the tag')
  refused(() => native.seal(key, nonce, buf, 60, 0), 'a tag past the end')
  refused(() => native.seal(key, nonce, buf, -1, 10), 'a negative offset')
  refused(() => native.seal(key, nonce, 'text' as any, 0, 0), 'not bytes')
  refused(() => native.open(key, nonce, [buf.subarray(0, 10)], Buffer.alloc(15), Buffer.alloc(10)), 'a 15-byte tag')
  refused(() => native.open(key, nonce, [buf.subarray(0, 10)], Buffer.alloc(16), Buffer.alloc(11)), 'an output longer than the pieces')
  refused(() => native.open(key, nonce, [buf.subarray(0, 10), buf.subarray(10, 20)], Buffer.alloc(16), buf.subarray(5, 25)), 'an output overlapping two pieces')
  native.seal(key, nonce, buf, 0, 48)
  t.ok(native.open(key, nonce, [buf.subarray(0, 48)], buf.subarray(48), buf.subarray(0, 48)), 'one piece may be opened in place')
  t.ok(buf.subarray(0, 48).equals(Buffer.alloc(48)), 'in place, the plaintext is back')
})

test('the stream tests pass on the libsodium fallback too (a real process with the addon turned off)', (t) => {
  for (const file of ['secure-vectors.test.js', 'secure-bulk.test.js']) {
    const path = fileURLToPath(new URL(file, import.meta.url))
    const run = spawnSync(process.execPath, [path], { env: { ...process.env, [AEAD_BACKEND_ENV]: 'libsodium' }, encoding: 'utf8', timeout: 120_000 })
    t.is(run.status, 0, `${file} with ${AEAD_BACKEND_ENV}=libsodium:\n${run.stdout.split('\n').filter((l) => l.startsWith('not ok')).join('\n')}`)
    t.ok(/^# ok|^ok /m.test(run.stdout), `${file}: brittle reported`)
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

test('the native addon opens in place: every piece becomes its plaintext, a forged frame zeroes every piece, and overlaps are refused', (t) => {
  if (native === null) return t.fail(`no native addon: ${nativeAeadUnavailable ?? ''}`)
  const nonce = Buffer.alloc(12)
  const plaintext = bodyOf(70000)
  const c = createCipheriv('chacha20-poly1305', KEY, nonce, { authTagLength: TAG_BYTES })
  const sealed = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()])
  const tag = sealed.subarray(70000)
  for (const cuts of [[], [1], [64], [1000, 1088], [30000, 30001, 65536]]) {
    const copy = Buffer.from(sealed)
    const pieces = [0, ...cuts].map((from, i) => copy.subarray(from, i < cuts.length ? cuts[i] : 70000))
    t.ok(native.openInPlace(KEY, nonce, pieces, copy.subarray(70000)), `cut at [${cuts.join(', ')}]: verified`)
    t.ok(Buffer.concat(pieces).equals(plaintext), `cut at [${cuts.join(', ')}]: the pieces hold the plaintext`)
  }
  const forged = Buffer.from(sealed)
  forged[5]! ^= 1
  const pieces = [forged.subarray(0, 40000), forged.subarray(40000, 70000)]
  t.absent(native.openInPlace(KEY, nonce, pieces, tag), 'a flipped byte does not verify')
  t.ok(pieces.every((p) => p.every((b) => b === 0)), 'every piece is zeroed: no unauthenticated plaintext is left')
  const refused = refusedBy(t)
  const buf = Buffer.from(sealed)
  refused(() => native.openInPlace(KEY, nonce, [buf.subarray(0, 100), buf.subarray(50, 150)], tag), 'two overlapping pieces')
  refused(() => native.openInPlace(KEY, nonce, [buf.subarray(0, 100)], buf.subarray(90, 106)), 'a piece overlapping the tag')
  refused(() => native.openInPlace(KEY, nonce, Array.from({ length: 65 }, (_, i) => buf.subarray(i, i + 1)), tag), '65 pieces')
  refused(() => native.openInPlace(KEY, nonce, [buf.subarray(0, 100)], Buffer.alloc(15)), 'a 15-byte tag')
  refused(() => native.openInPlace(KEY, nonce, 'pieces' as any, tag), 'not an array')
  t.ok(buf.equals(sealed), 'a refused call wrote nothing')
})

test('every backend opens a frame in place as it opens it into new buffers, in every layout', (t) => {
  for (const backend of BACKENDS) {
    for (const frameBody of [...SIZES, 200, NATIVE_MIN_OPEN_BYTES + 1]) {
      const body = bodyOf(dataBytesFor(frameBody))
      const wire = sealTransportFrame(new TransportCipher(KEY, undefined, backend), FRAME_DATA, body)
      for (const [name, cut] of Object.entries(LAYOUTS)) {
        if (cut(wire.subarray(2)).some((p) => p.byteLength === 0)) continue
        const frame = openTransportFrame(new TransportCipher(KEY, undefined, backend), cut(Buffer.from(wire.subarray(2))), frameBody, true)
        t.ok(Buffer.concat(frame.body).equals(body), `${backend.name}, ${frameBody}, ${name}: in place, decrypts to the body`)
      }
      // More pieces than the addon opens in place in one call: the copying open takes them.
      const copy = Buffer.from(wire.subarray(2))
      const step = Math.ceil(frameBody / 70)
      const many = Array.from({ length: Math.ceil(frameBody / step) }, (_, i) => copy.subarray(i * step, (i + 1) * step))
      const frame = openTransportFrame(new TransportCipher(KEY, undefined, backend), many, frameBody, true)
      t.ok(Buffer.concat(frame.body).equals(body), `${backend.name}, ${frameBody}, ${many.length} pieces: in place, decrypts to the body`)
    }
  }
})
