import test from 'brittle'
import { randomBytes } from 'node:crypto'
import { secureTcpPair, type SecurePair } from './helpers/streams.js'

/*
 * On a plain TCP socket that only the secure stream reads, large frames are
 * decrypted over their ciphertext in the socket's own chunks, and the reader
 * gets views of them. Anyone else listening to the socket must go on seeing
 * the ciphertext exactly as it arrived.
 */

const BYTES = 4 * 1024 * 1024

/** Send BYTES of random data initiator -> responder; returns what arrived and the pieces it arrived as. */
async function transfer (pair: SecurePair): Promise<{ sent: Buffer, got: Buffer[] }> {
  const { initiator, responder } = pair
  const sent = randomBytes(BYTES)
  const got: Buffer[] = []
  responder.on('data', (d: unknown) => { got.push(d as Buffer) })
  const ended = new Promise<void>((resolve) => responder.once('end', () => resolve()))
  for (let at = 0; at < BYTES; at += 65536) {
    if (!initiator.write(sent.subarray(at, at + 65536))) await new Promise<void>((resolve) => initiator.once('drain', () => resolve()))
  }
  initiator.end()
  await ended
  responder.end()
  return { sent, got }
}

/** How many distinct ArrayBuffers the pieces are views of. */
function distinctBuffers (pieces: Buffer[]): number {
  return new Set(pieces.map((p) => p.buffer)).size
}

test('large frames on a socket nobody else reads are decrypted in its chunks: the data is intact, and neighbouring frames share a socket read', async (t) => {
  const pair = await secureTcpPair()
  const { sent, got } = await transfer(pair)
  t.ok(Buffer.concat(got).equals(sent), 'every byte arrived, in order')
  const large = got.filter((p) => p.byteLength >= 4096)
  t.ok(large.length > 32, `${large.length} large pieces`)
  // A buffer of its own per frame would give one ArrayBuffer per piece; in place, the end of one frame and the start of the next lie in the same read.
  t.ok(distinctBuffers(large) < large.length, `${distinctBuffers(large)} socket reads behind ${large.length} pieces`)
})

test('with a second listener on the socket (a tap), frames are decrypted into buffers of their own: the tap keeps the exact ciphertext', async (t) => {
  const pair = await secureTcpPair()
  const seen: Array<{ chunk: Buffer, copy: Buffer }> = []
  pair.rawResponder.on('data', (chunk: Buffer) => { seen.push({ chunk, copy: Buffer.from(chunk) }) })
  const { sent, got } = await transfer(pair)
  t.ok(Buffer.concat(got).equals(sent), 'every byte arrived, in order')
  t.ok(seen.length > 16, `the tap saw ${seen.length} chunks`)
  const changed = seen.filter(({ chunk, copy }) => !chunk.equals(copy)).length
  t.is(changed, 0, 'no chunk the tap holds was written to after it was emitted')
  const tapped = Buffer.concat(seen.map((s) => s.chunk))
  t.absent(tapped.includes(sent.subarray(BYTES / 2, BYTES / 2 + 64)), 'the chunks the tap holds contain no plaintext')
  const large = got.filter((p) => p.byteLength >= 4096)
  t.is(distinctBuffers(large), large.length, 'each frame was decrypted into a buffer of its own')
})

test('a tap that saw only the start of a frame keeps its chunk unchanged: the frame it began is not decrypted in place', async (t) => {
  const pair = await secureTcpPair()
  await Promise.all([pair.initiator.opened, pair.responder.opened])
  const seen: Array<{ chunk: Buffer, copy: Buffer }> = []
  // Listens for a few chunks only, then goes: the frames those chunks began end in chunks nobody else saw.
  const tap = (chunk: Buffer): void => {
    seen.push({ chunk, copy: Buffer.from(chunk) })
    if (seen.length === 3) pair.rawResponder.off('data', tap)
  }
  pair.rawResponder.on('data', tap)
  const { sent, got } = await transfer(pair)
  t.ok(Buffer.concat(got).equals(sent), 'every byte arrived, in order')
  t.is(seen.length, 3, 'the tap saw three chunks')
  t.is(seen.filter(({ chunk, copy }) => !chunk.equals(copy)).length, 0, 'none of them was written to after it was emitted')
})
