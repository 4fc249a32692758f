import test from 'brittle'
import { createHash } from 'node:crypto'
import { secureTcpPair } from './helpers/streams.js'

const GIB = 1024 * 1024 * 1024

test('1 GiB through a TCP secure stream arrives intact with bounded memory', { timeout: 120_000 }, async (t) => {
  const { initiator, responder } = await secureTcpPair()
  const chunk = Buffer.alloc(64 * 1024)
  for (let i = 0; i < chunk.byteLength; i++) chunk[i] = (i * 31) & 0xff
  const sent = createHash('sha256')
  const got = createHash('sha256')
  const baseline = process.memoryUsage().rss
  let peakRss = baseline
  let received = 0
  responder.on('data', (d: unknown) => {
    const b = d as Buffer
    received += b.byteLength
    got.update(b)
  })
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }, 50)
  const ended = new Promise<void>((resolve) => responder.once('end', () => resolve()))
  let written = 0
  let counter = 0
  while (written < GIB) {
    chunk.writeUInt32LE(counter++, 0) // vary the data so reordering would show
    sent.update(chunk)
    written += chunk.byteLength
    if (!initiator.write(Buffer.from(chunk))) await new Promise<void>((resolve) => initiator.once('drain', () => resolve()))
  }
  initiator.end()
  await ended
  clearInterval(sampler)
  responder.end()
  t.is(received, GIB, 'every byte arrived')
  t.is(got.digest('hex'), sent.digest('hex'), 'same SHA-256')
  const growthMiB = (peakRss - baseline) / 1048576
  t.comment(`peak RSS growth ${growthMiB.toFixed(1)} MiB`)
  t.ok(growthMiB < 256, `memory stayed bounded (+${growthMiB.toFixed(1)} MiB for 1024 MiB sent)`)
})
