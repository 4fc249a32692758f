import test from 'brittle'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { acceptAnyKey } from '../lib/secure/options.js'
import { isNoiseChatError } from '../lib/errors.js'
import { ScriptedPeer, tcpPair, errorOf, quiet } from './helpers/streams.js'
import { MSG1, MSG2, MSG3, outcome, vectorInitiator, vectorResponder, vectorSender } from './helpers/scripted.js'
import { V, hex } from './helpers/vectors.js'

/** A small deterministic PRNG (xorshift32): reproducible "random" input. */
function prng (seed: number): (n: number) => Buffer {
  let x = seed >>> 0 || 1
  return (n) => {
    const out = Buffer.alloc(n)
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0
      x ^= x >>> 17
      x ^= x << 5; x >>>= 0
      out[i] = x & 0xff
    }
    return out
  }
}

/** Drive a vector responder through the recorded handshake, then feed `after`. */
async function responderFed (after: Buffer[], endInput = true) {
  const { stream, peer } = vectorResponder()
  const done = outcome(stream)
  peer.deliver(MSG1)
  const sent = await peer.waitForBytes(MSG2.byteLength)
  peer.deliver(MSG3)
  for (const b of after) peer.deliver(b)
  if (endInput) peer.push(null)
  return { result: await done, sent }
}

test('the responder answers the recorded msg1 with the recorded msg2, byte for byte', async (t) => {
  const { result, sent } = await responderFed([vectorSender('c1').end()], false)
  t.is(sent.subarray(0, MSG2.byteLength).toString('hex'), MSG2.toString('hex'))
  t.is(result.error, null)
  t.ok(result.ended, 'an END after the handshake ends the readable side')
})

test('every invalid frame of the vectors fails the stream and delivers nothing', async (t) => {
  const expected = ['ERR_BAD_FRAME', 'ERR_BAD_FRAME', 'ERR_BAD_FRAME', 'ERR_BAD_FRAME', 'ERR_BAD_FRAME', 'ERR_BAD_FRAME', 'ERR_DECRYPT_FAILED', 'ERR_DECRYPT_FAILED', 'ERR_DECRYPT_FAILED']
  t.is(V.invalid_frames.frames.length, expected.length)
  for (const [i, f] of V.invalid_frames.frames.entries()) {
    const { result } = await responderFed([hex(f.frame_hex), vectorSender('c1').data('must not arrive')])
    t.is(result.error?.code, expected[i], f.description)
    t.is(result.data, '', `${f.description}: nothing delivered`)
    t.absent(result.ended, `${f.description}: no clean end`)
  }
})

test('an edge-case empty DATA delivers nothing and the longest ABORT reason arrives whole', async (t) => {
  const [empty, abort] = V.edge_frames.frames.map((f: any) => hex(f.frame_hex))
  const { result } = await responderFed([empty, abort])
  t.is(result.data, '')
  t.is(result.error?.code, 'ERR_PEER_ABORTED')
  t.ok(result.error?.message.includes('r'.repeat(1024)), 'the 1024-byte reason')
})

test('replayed, reordered and dropped frames are refused', async (t) => {
  const make = () => {
    const s = vectorSender('c1')
    return [s.data('zero'), s.data('one'), s.data('two')]
  }
  const [f0, f1, f2] = make()
  const replay = await responderFed([f0!, f0!])
  t.is(replay.result.data, 'zero', 'replay: the original is delivered once')
  t.is(replay.result.error?.code, 'ERR_DECRYPT_FAILED', 'replay refused')
  const reorder = await responderFed([f1!, f0!])
  t.is(reorder.result.data, '', 'reorder: nothing delivered')
  t.is(reorder.result.error?.code, 'ERR_DECRYPT_FAILED')
  const dropped = await responderFed([f0!, f2!])
  t.is(dropped.result.data, 'zero', 'drop: only the frame before the gap')
  t.is(dropped.result.error?.code, 'ERR_DECRYPT_FAILED')
})

test('a frame after the peer\'s END is ERR_UNEXPECTED_FRAME', async (t) => {
  const s = vectorSender('c1')
  const { result } = await responderFed([s.data('a'), s.end(), s.data('b')])
  // 'a' was authentic; whether it was read before the failure discarded the
  // unread buffer is up to timing. What comes after END never is.
  t.ok(result.data === '' || result.data === 'a', JSON.stringify(result.data))
  t.is(result.error?.code, 'ERR_UNEXPECTED_FRAME')
})

test('a length header that lies ends as a truncation, with nothing buffered beyond one frame', async (t) => {
  const { result } = await responderFed([Buffer.from([0xff, 0xff]), Buffer.alloc(100)])
  t.is(result.error?.code, 'ERR_TRUNCATED')
  t.ok(result.error?.message.includes('middle of a frame'))
})

test('garbage before the handshake: a coded error every time, never a crash', async (t) => {
  const random = prng(0xc0ffee)
  const codes = new Set<string>()
  for (let i = 0; i < 200; i++) {
    const peer = new ScriptedPeer()
    const stream = new SecureStream(false, peer, { verify: acceptAnyKey })
    const done = outcome(stream)
    peer.deliver(random(1 + (i * 37) % 300))
    peer.push(null)
    const r = await done
    if (!isNoiseChatError(r.error)) t.fail(`input ${i}: not a coded error: ${String(r.error)}`)
    codes.add(r.error!.code!)
    if (r.data !== '') t.fail(`input ${i}: delivered data`)
  }
  t.comment('codes seen: ' + [...codes].join(', '))
  t.ok([...codes].every((c) => ['ERR_HANDSHAKE_FAILED', 'ERR_BAD_FRAME', 'ERR_HANDSHAKE_INCOMPLETE'].includes(c)), 'only handshake-phase codes')
  t.ok(codes.has('ERR_HANDSHAKE_FAILED'), 'a wrong msg1 length is refused from its header alone')
})

test('garbage after the handshake: a coded error, nothing delivered', async (t) => {
  const random = prng(42)
  for (let i = 0; i < 100; i++) {
    const { result } = await responderFed([random(1 + (i * 53) % 500)])
    if (!isNoiseChatError(result.error)) t.fail(`input ${i}: not a coded error`)
    if (result.data !== '') t.fail(`input ${i}: delivered ${result.data.length} bytes`)
  }
  t.pass('100 garbage inputs refused')
})

test('garbage before the handshake over real TCP closes the connection with a coded error', async (t) => {
  const { client, server } = await tcpPair()
  const responder = new SecureStream(false, server, { verify: acceptAnyKey })
  const closedByServer = new Promise((resolve) => client.on('close', resolve))
  client.on('error', () => {})
  client.write('GET / HTTP/1.1\r\nHost: example\r\n\r\n')
  const err = await errorOf(responder)
  t.is(err.code, 'ERR_HANDSHAKE_FAILED')
  await closedByServer
  t.pass('the server closed the connection')
})

test('one flipped bit anywhere in a recorded initiator->responder session is detected', async (t) => {
  const s = vectorSender('c1')
  const frames = [s.data('hello'), s.data('world!'), s.end()]
  const session = Buffer.concat([MSG1, MSG3, ...frames])
  const allowed = ['', 'hello', 'helloworld!']
  let checked = 0
  for (let bit = 0; bit < session.byteLength * 8; bit++) {
    const flipped = Buffer.from(session)
    flipped[bit >> 3]! ^= 1 << (bit & 7)
    const { stream, peer } = vectorResponder()
    const done = outcome(stream)
    peer.deliver(flipped)
    peer.push(null)
    const r = await done
    if (r.ended || r.error === null) t.fail(`bit ${bit}: ended cleanly`)
    if (!allowed.includes(r.data)) t.fail(`bit ${bit}: delivered forged data ${JSON.stringify(r.data)}`)
    if (!isNoiseChatError(r.error)) t.fail(`bit ${bit}: not a coded error`)
    checked++
  }
  t.is(checked, session.byteLength * 8, `all ${checked} bit positions detected`)
})

test('one flipped bit anywhere in a recorded responder->initiator session is detected', async (t) => {
  const s = vectorSender('c2')
  const frames = [s.data('hi'), s.end()]
  const session = Buffer.concat([MSG2, ...frames])
  let checked = 0
  for (let bit = 0; bit < session.byteLength * 8; bit++) {
    const flipped = Buffer.from(session)
    flipped[bit >> 3]! ^= 1 << (bit & 7)
    const { stream, peer } = vectorInitiator()
    const done = outcome(stream)
    await peer.waitForBytes(MSG1.byteLength)
    peer.deliver(flipped)
    peer.push(null)
    const r = await done
    if (r.ended || r.error === null) t.fail(`bit ${bit}: ended cleanly`)
    if (!['', 'hi'].includes(r.data)) t.fail(`bit ${bit}: delivered forged data`)
    checked++
  }
  t.is(checked, session.byteLength * 8)
})

test('the unflipped recorded session is delivered in full and ends cleanly', async (t) => {
  const s = vectorSender('c1')
  const { stream, peer } = vectorResponder()
  const done = outcome(stream)
  peer.deliver(Buffer.concat([MSG1, MSG3, s.data('hello'), s.data('world!'), s.end()]))
  const r = await done.catch(() => null) ?? await done
  t.is(r.data, 'helloworld!')
  t.ok(r.ended)
  t.is(r.error, null)
  quiet(stream)
})

test('an initiator that hears the responder speak first fails cleanly', async (t) => {
  const peer = new ScriptedPeer()
  const stream = new SecureStream(true, peer, { verify: acceptAnyKey })
  const done = outcome(stream)
  peer.deliver(MSG2)
  peer.push(null)
  const r = await done
  t.ok(isNoiseChatError(r.error), String(r.error?.code))
})
