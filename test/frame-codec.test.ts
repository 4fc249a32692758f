import test from 'brittle'
import { encodeFrame, FrameDecoder, writeFrameHeader } from '../lib/secure/frame-codec.js'

function decodeAll (chunks: Buffer[]): Buffer[] {
  const d = new FrameDecoder()
  const out: Buffer[] = []
  for (const c of chunks) d.push(c, (pieces, length) => { out.push(Buffer.concat(pieces, length)); return true })
  return out
}

test('encodes a big-endian uint16 length then the body', (t) => {
  t.is(encodeFrame(Buffer.from('abc')).toString('hex'), '0003616263')
  const big = encodeFrame(Buffer.alloc(65535))
  t.is(big.readUInt16BE(0), 65535)
})

test('refuses to encode an empty or oversized body', (t) => {
  t.exception.all(() => writeFrameHeader(Buffer.alloc(2), 0, 0), /1..65535/)
  t.exception.all(() => writeFrameHeader(Buffer.alloc(2), 0, 65536), /1..65535/)
})

test('decodes several frames from one chunk, and one frame from 1-byte chunks', (t) => {
  const wire = Buffer.concat([encodeFrame(Buffer.from('one')), encodeFrame(Buffer.from('two')), encodeFrame(Buffer.alloc(300, 7))])
  const whole = decodeAll([wire])
  t.alike(whole.map((b) => b.byteLength), [3, 3, 300])
  const bytes = [...wire].map((b) => Buffer.from([b]))
  const split = decodeAll(bytes)
  t.alike(split.map((b) => b.toString('hex')), whole.map((b) => b.toString('hex')), 'same frames from 1-byte chunks')
})

test('a zero length is ERR_BAD_FRAME, thrown the moment the header is complete', (t) => {
  const d = new FrameDecoder()
  d.push(Buffer.from([0]), () => true)
  try {
    d.push(Buffer.from([0]), () => true)
    t.fail('accepted a zero length')
  } catch (err: any) {
    t.is(err.code, 'ERR_BAD_FRAME')
  }
})

test('checkLength refuses a length before any body byte is buffered', (t) => {
  const d = new FrameDecoder()
  const seen: number[] = []
  d.checkLength = (n) => { seen.push(n); if (n !== 32) throw new Error('want 32') }
  t.exception(() => d.push(Buffer.from([0xff, 0xff]), () => true), /want 32/)
  t.alike(seen, [65535])
})

test('a handler returning false holds the rest until resume, including later chunks', (t) => {
  const d = new FrameDecoder()
  const out: string[] = []
  let hold = true
  const handler = (pieces: Buffer[]): boolean => { out.push(Buffer.concat(pieces).toString()); const go = !hold; hold = false; return go }
  d.push(Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('b'))]), handler)
  t.alike(out, ['a'])
  t.ok(d.paused)
  d.push(encodeFrame(Buffer.from('c')), handler)
  t.alike(out, ['a'], 'held while paused')
  d.resume(handler)
  t.alike(out, ['a', 'b', 'c'])
  t.absent(d.paused)
})

test('a body dribbled in many tiny chunks is gathered into one buffer, not held as thousands of views', (t) => {
  const d = new FrameDecoder()
  const body = Buffer.alloc(1000)
  for (let i = 0; i < body.byteLength; i++) body[i] = i & 0xff
  const wire = encodeFrame(body)
  let got: Buffer[] = []
  for (const b of wire) d.push(Buffer.from([b]), (pieces) => { got = pieces; return true })
  t.is(got.length, 1, 'one buffer')
  t.ok(got[0]!.equals(body), 'the same bytes')
})

test('a body spanning a few chunks comes as views of them, not a copy', (t) => {
  const d = new FrameDecoder()
  const wire = encodeFrame(Buffer.alloc(300, 9))
  const a = wire.subarray(0, 100)
  const b = wire.subarray(100)
  let got: Buffer[] = []
  d.push(a, () => true)
  d.push(b, (pieces) => { got = pieces; return true })
  t.is(got.length, 2)
  t.is(got[0]!.buffer, wire.buffer, 'a view of the chunk')
  t.is(Buffer.concat(got).byteLength, 300)
})

test('midFrame tells a partial frame from a frame boundary', (t) => {
  const d = new FrameDecoder()
  t.absent(d.midFrame)
  d.push(Buffer.from([0, 5, 1, 2]), () => true)
  t.ok(d.midFrame)
  d.push(Buffer.from([3, 4, 5]), () => true)
  t.absent(d.midFrame)
})
