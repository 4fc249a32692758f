import test from 'brittle'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Handshake } from '../lib/secure/handshake.js'
import { encodeFrame } from '../lib/secure/frame-codec.js'
import { TransportCipher } from '../lib/secure/transport-cipher.js'
import { openTransportFrame, sealTransportFrame } from '../lib/secure/transport-frame.js'
import { TransportCipher as Cipher } from '../lib/secure/transport-cipher.js'

/** Open one contiguous frame body; the body joined. */
function openOne (c: Cipher, body: Buffer): { type: number, body: Buffer } {
  const f = openTransportFrame(c, [body], body.byteLength)
  return { type: f.type, body: Buffer.concat(f.body) }
}
import { keyPairFromSecretKey } from '../lib/secure/keypair.js'
import { FIXTURES, SHARED_VECTORS, V, hex, loadFixture, sharedVectorsPresent, vectorKeys } from './helpers/vectors.js'

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

function runFixedHandshake (prologue: string) {
  const k = vectorKeys()
  const initiator = new Handshake(true, k.initiatorStatic, Buffer.from(prologue), k.initiatorEphemeral)
  const responder = new Handshake(false, k.responderStatic, Buffer.from(prologue), k.responderEphemeral)
  const msg1 = initiator.writeMessage1()
  responder.readMessage1(msg1)
  const msg2 = responder.writeMessage2()
  const responderKey = initiator.readMessage2(msg2)
  const msg3 = initiator.writeMessage3()
  const initiatorKey = responder.readMessage3(msg3)
  return { initiator, responder, frames: [msg1, msg2, msg3].map((m) => encodeFrame(m)), responderKey, initiatorKey }
}

test('the vector key pairs derive the listed public keys', (t) => {
  const k = vectorKeys()
  t.is(k.initiatorStatic.publicKey.toString('hex'), V.keys.initiator_static.public)
  t.is(k.initiatorEphemeral.publicKey.toString('hex'), V.keys.initiator_ephemeral.public)
  t.is(k.responderStatic.publicKey.toString('hex'), V.keys.responder_static.public)
  t.is(k.responderEphemeral.publicKey.toString('hex'), V.keys.responder_ephemeral.public)
})

test('handshake with the fixed keys reproduces msg1, msg2, msg3 byte for byte', (t) => {
  const run = runFixedHandshake(V.handshake.prologue)
  V.handshake.messages.forEach((m: any, i: number) => {
    t.is(run.frames[i]!.toString('hex'), m.frame_hex, `${m.name} frame`)
    t.is(run.frames[i]!.byteLength - 2, m.body_length, `${m.name} body length`)
  })
  t.is(run.responderKey.toString('hex'), V.keys.responder_static.public, 'initiator learns the responder static key')
  t.is(run.initiatorKey.toString('hex'), V.keys.initiator_static.public, 'responder learns the initiator static key')
})

test('handshake hash and split keys match the vectors on both sides', (t) => {
  const run = runFixedHandshake(V.handshake.prologue)
  const i = run.initiator.result()
  const r = run.responder.result()
  t.is(i.handshakeHash.toString('hex'), V.handshake.handshake_hash)
  t.is(r.handshakeHash.toString('hex'), V.handshake.handshake_hash)
  t.is(i.sendKey.toString('hex'), V.handshake.split.c1_key, 'initiator sends with c1')
  t.is(i.receiveKey.toString('hex'), V.handshake.split.c2_key, 'initiator receives with c2')
  t.is(r.sendKey.toString('hex'), V.handshake.split.c2_key, 'responder sends with c2')
  t.is(r.receiveKey.toString('hex'), V.handshake.split.c1_key, 'responder receives with c1')
})

test('a different prologue changes only the tags of msg2 and msg3', (t) => {
  const other = V.other_prologue_handshake
  const run = runFixedHandshake(other.prologue)
  other.messages.forEach((m: any, i: number) => t.is(run.frames[i]!.toString('hex'), m.frame_hex, m.name))
  t.is(run.initiator.result().handshakeHash.toString('hex'), other.handshake_hash)
  t.not(other.messages[1].frame_hex, V.handshake.messages[1].frame_hex, 'whole msg2 differs from the default')
})

test('a noise-chat/1 initiator cannot read msg2 made under another prologue', (t) => {
  const k = vectorKeys()
  const initiator = new Handshake(true, k.initiatorStatic, Buffer.from(V.handshake.prologue), k.initiatorEphemeral)
  initiator.writeMessage1()
  const otherMsg2 = hex(V.other_prologue_handshake.messages[1].frame_hex).subarray(2)
  try {
    initiator.readMessage2(otherMsg2)
    t.fail('msg2 under another prologue was accepted')
  } catch (err: any) {
    t.is(err.code, 'ERR_HANDSHAKE_FAILED')
  }
})

function ciphers () {
  return {
    c1: new TransportCipher(hex(V.handshake.split.c1_key)),
    c2: new TransportCipher(hex(V.handshake.split.c2_key)),
    c1in: new TransportCipher(hex(V.handshake.split.c1_key)),
    c2in: new TransportCipher(hex(V.handshake.split.c2_key))
  }
}

function vectorBody (f: any): Buffer {
  if (f.body_hex !== undefined) return hex(f.body_hex)
  const body = Buffer.alloc(f.body_length)
  for (let i = 0; i < body.byteLength; i++) body[i] = i % 256
  return body
}

test('transport frames in both directions match byte for byte and decrypt back', (t) => {
  const c = ciphers()
  for (const f of V.transport.frames) {
    const send = f.key === 'c1' ? c.c1 : c.c2
    const receive = f.key === 'c1' ? c.c1in : c.c2in
    t.is(send.nonce.value, BigInt(f.nonce), `${f.description}: nonce`)
    t.is(send.nonce.bytes.toString('hex'), f.nonce_bytes_hex)
    const body = vectorBody(f)
    if (f.body_sha256 !== undefined) t.is(sha256(body), f.body_sha256, `${f.description}: body fill`)
    const wire = sealTransportFrame(send, f.type, body)
    t.is(wire.byteLength, f.wire_length, `${f.description}: wire length`)
    t.is(wire.readUInt16BE(0), f.length_prefix)
    if (f.frame_hex !== undefined) t.is(wire.toString('hex'), f.frame_hex, f.description)
    else {
      t.is(sha256(wire), f.frame_sha256, `${f.description}: frame sha256`)
      t.is(wire.subarray(0, 32).toString('hex'), f.frame_head_hex)
      t.is(wire.subarray(-16).toString('hex'), f.frame_tag_hex)
    }
    const opened = openOne(receive, wire.subarray(2))
    t.is(opened.type, f.type)
    t.ok(opened.body.equals(body), `${f.description}: decrypts to the body`)
  }
})

test('rekey: keys after one and two rekeys and the frames at 65535, 65536, 131072', (t) => {
  const r = V.rekey
  const send = new TransportCipher(hex(r.key_initial))
  const receive = new TransportCipher(hex(r.key_initial))
  const byNonce = new Map<number, any>(r.frames.map((f: any) => [f.nonce, f]))
  const payload = Buffer.from('x')
  // Push every frame through, as the vector generator did: 0 .. 131072.
  for (let n = 0; n <= 131072; n++) {
    const f = byNonce.get(n)
    const wire = sealTransportFrame(send, 0, f === undefined ? payload : hex(f.body_hex))
    const opened = openOne(receive, wire.subarray(2))
    if (f === undefined) continue
    t.is(wire.toString('hex'), f.frame_hex, f.description)
    t.is(opened.body.toString('hex'), f.body_hex)
    if (n === 65535) t.is(send.keyForTesting.toString('hex'), r.key_initial, 'still the first key at 65535')
    if (n === 65536) t.is(send.keyForTesting.toString('hex'), r.key_after_1_rekey, 'first rekey before 65536')
    if (n === 131072) t.is(send.keyForTesting.toString('hex'), r.key_after_2_rekeys, 'second rekey before 131072')
  }
  t.is(receive.keyForTesting.toString('hex'), r.key_after_2_rekeys, 'the receiver rekeys in step')
})

test('edge frames: empty DATA and the longest ABORT reason', (t) => {
  const send = new TransportCipher(hex(V.handshake.split.c1_key))
  const receive = new TransportCipher(hex(V.handshake.split.c1_key))
  for (const f of V.edge_frames.frames) {
    const wire = sealTransportFrame(send, f.type, hex(f.body_hex))
    t.is(wire.toString('hex'), f.frame_hex, f.description)
    const opened = openOne(receive, wire.subarray(2))
    t.is(opened.body.byteLength, hex(f.body_hex).byteLength)
  }
})

test('cacophony Noise_XX_25519_ChaChaPoly_BLAKE2b vectors run through our handshake and cipher', (t) => {
  const file = loadFixture('cacophony-XX-BLAKE2b.json')
  t.ok(file.vectors.length >= 1)
  for (const v of file.vectors) {
    const initiator = new Handshake(true, keyPairFromSecretKey(hex(v.init_static)), hex(v.init_prologue), keyPairFromSecretKey(hex(v.init_ephemeral)))
    const responder = new Handshake(false, keyPairFromSecretKey(hex(v.resp_static)), hex(v.resp_prologue), keyPairFromSecretKey(hex(v.resp_ephemeral)))
    const m = v.messages
    const msg1 = initiator.writeMessage1(hex(m[0].payload))
    t.is(msg1.toString('hex'), m[0].ciphertext, 'message 0')
    t.is(responder.readMessage1(msg1).toString('hex'), m[0].payload)
    const msg2 = responder.writeMessage2(hex(m[1].payload))
    t.is(msg2.toString('hex'), m[1].ciphertext, 'message 1')
    initiator.readMessage2(msg2)
    t.is(initiator.receivedPayload.toString('hex'), m[1].payload)
    const msg3 = initiator.writeMessage3(hex(m[2].payload))
    t.is(msg3.toString('hex'), m[2].ciphertext, 'message 2')
    responder.readMessage3(msg3)
    t.is(responder.receivedPayload.toString('hex'), m[2].payload)
    if (v.handshake_hash !== undefined) t.is(initiator.result().handshakeHash.toString('hex'), v.handshake_hash, 'handshake hash')
    const i = initiator.result()
    const r = responder.result()
    const ciphers = { i: new TransportCipher(i.sendKey), r: new TransportCipher(r.sendKey) }
    for (let n = 3; n < m.length; n++) {
      const payload = hex(m[n].payload)
      const buf = Buffer.alloc(payload.byteLength + 16)
      payload.copy(buf)
      ;(n % 2 === 0 ? ciphers.i : ciphers.r).sealInPlace(buf, 0, payload.byteLength)
      t.is(buf.toString('hex'), m[n].ciphertext, `transport message ${n}`)
    }
  }
})

test('the fixtures are byte-identical to ../shared/vectors when that folder is present', (t) => {
  const names = ['secure-stream-v1.json', 'cacophony-XX-BLAKE2b.json']
  if (!sharedVectorsPresent()) {
    t.comment('../shared/vectors not beside this checkout: compared the fixtures with themselves only')
    for (const n of names) t.ok(readFileSync(FIXTURES + n).byteLength > 0)
    return
  }
  for (const n of names) t.ok(readFileSync(FIXTURES + n).equals(readFileSync(SHARED_VECTORS + n)), n)
})
