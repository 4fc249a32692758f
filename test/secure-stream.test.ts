import test from 'brittle'
import { spawn } from 'node:child_process'
import { pipeline, PassThrough, Duplex as NodeDuplex } from 'node:stream'
import { inspect } from 'node:util'
import { fileURLToPath } from 'node:url'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { acceptAnyKey } from '../lib/secure/options.js'
import { generateKeyPair, samePublicKey } from '../lib/secure/keypair.js'
import { collect, closed, errorOf, memoryPair, quiet, secureTcpPair, tcpPair } from './helpers/streams.js'

test('round trip over TCP: both learn each other\'s key and the same handshake hash', async (t) => {
  const a = generateKeyPair()
  const b = generateKeyPair()
  const { initiator, responder } = await secureTcpPair({ keyPair: a }, { keyPair: b })
  const bothClosed = Promise.all([closed(initiator), closed(responder)])
  let connects = 0
  initiator.on('connect', () => connects++)
  responder.on('connect', () => connects++)
  responder.on('data', (d: unknown) => responder.write(d))
  responder.on('end', () => responder.end())
  initiator.end(Buffer.from('hello over tcp'))
  const echoed = await collect(initiator)
  t.is(echoed.toString(), 'hello over tcp')
  t.is(connects, 2)
  t.ok(samePublicKey(initiator.remotePublicKey!, b.publicKey), 'initiator knows the responder')
  t.ok(samePublicKey(responder.remotePublicKey!, a.publicKey), 'responder knows the initiator')
  t.ok(initiator.handshakeHash!.equals(responder.handshakeHash!), 'same handshake hash')
  t.is(initiator.handshakeHash!.byteLength, 64)
  await bothClosed
  t.pass('both closed')
})

test('round trip over an in-memory streamx pair', async (t) => {
  const [x, y] = memoryPair()
  const initiator = new SecureStream(true, x, { verify: acceptAnyKey })
  const responder = new SecureStream(false, y, { verify: acceptAnyKey })
  responder.on('data', (d: unknown) => responder.write(d))
  responder.on('end', () => responder.end())
  initiator.write('one ')
  initiator.end('two')
  t.is((await collect(initiator)).toString(), 'one two')
})

test('round trip over a child process\'s stdio, with the child\'s key pinned', async (t) => {
  const script = fileURLToPath(new URL('./helpers/echo-child.js', import.meta.url))
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] })
  const keyLine = await new Promise<string>((resolve) => child.stderr.once('data', (d) => resolve(d.toString().split('\n')[0]!)))
  const raw = NodeDuplex.from({ readable: child.stdout, writable: child.stdin })
  const pinned = Buffer.from(keyLine, 'base64')
  const stream = new SecureStream(true, raw, { verify: (key) => key.equals(pinned) })
  stream.end('shout this')
  t.is((await collect(stream)).toString(), 'SHOUT THIS')
  const code = await new Promise((resolve) => child.on('exit', resolve))
  t.is(code, 0, 'the child saw a clean end')
})

test('sits in Node\'s stream.pipeline', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  responder.on('data', (d: unknown) => responder.write(d))
  responder.on('end', () => responder.end())
  const source = new PassThrough()
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (d) => chunks.push(d))
  const done = new Promise<Error | null | undefined>((resolve) => pipeline(source, initiator as any, sink, (err) => resolve(err)))
  source.write('through ')
  source.end('pipeline')
  t.absent(await done, 'pipeline finished without error')
  t.is(Buffer.concat(chunks).toString(), 'through pipeline')
})

test('writes made before the handshake completes are buffered and delivered in order', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  for (let i = 0; i < 100; i++) initiator.write(`${i},`)
  initiator.end()
  responder.on('end', () => responder.end())
  const got = await collect(responder)
  t.is(got.toString(), Array.from({ length: 100 }, (_, i) => `${i},`).join(''))
})

test('half-close: after one side ends, the other can still send', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  initiator.end('question')
  const question = await collect(responder)
  t.is(question.toString(), 'question')
  t.ok(responder.writable !== false, 'responder still writable after reading END')
  const answer = collect(initiator)
  responder.write('answer, ')
  setTimeout(() => responder.end('later'), 20)
  t.is((await answer).toString(), 'answer, later')
})

test('a raw close after the handshake without END is ERR_TRUNCATED, never a clean end', async (t) => {
  const { initiator, responder, rawInitiator } = await secureTcpPair()
  await Promise.all([initiator.opened, responder.opened])
  let ended = false
  responder.on('end', () => { ended = true })
  responder.on('data', () => {})
  initiator.write('partial')
  await new Promise((resolve) => setTimeout(resolve, 20))
  const own = errorOf(initiator)
  rawInitiator.destroy()
  const err = await errorOf(responder)
  t.is(err.code, 'ERR_TRUNCATED')
  t.absent(ended, 'no end event')
  t.is((await own).code, 'ERR_TRUNCATED', 'the side whose socket vanished also reports truncation')
})

test('END both ways is a clean end: no error on either side', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  const bothClosed = Promise.all([closed(initiator), closed(responder)])
  const errors: Error[] = []
  initiator.on('error', (e: Error) => errors.push(e))
  responder.on('error', (e: Error) => errors.push(e))
  responder.on('end', () => responder.end('bye'))
  const reply = collect(initiator)
  const request = collect(responder)
  initiator.end('hi')
  t.is((await request).toString(), 'hi')
  t.is((await reply).toString(), 'bye')
  await bothClosed
  t.is(errors.length, 0)
})

test('destroy(err) sends ABORT: the peer fails with ERR_PEER_ABORTED and the reason', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  await Promise.all([initiator.opened, responder.opened])
  responder.write('x')
  await new Promise((resolve) => initiator.once('data', resolve))
  quiet(responder)
  responder.destroy(new Error('shutting down for maintenance'))
  const err = await errorOf(initiator)
  t.is(err.code, 'ERR_PEER_ABORTED')
  t.ok(err.message.includes('shutting down for maintenance'), err.message)
})

test('destroy() without an error still tells the peer (ABORT "stream destroyed")', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  await Promise.all([initiator.opened, responder.opened])
  initiator.destroy()
  const err = await errorOf(responder)
  t.is(err.code, 'ERR_PEER_ABORTED')
  t.ok(err.message.includes('stream destroyed'))
})

test('one 16 MiB write arrives intact', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  const big = Buffer.alloc(16 * 1024 * 1024)
  for (let i = 0; i < big.byteLength; i += 4) big.writeUInt32LE(i, i)
  responder.on('end', () => responder.end())
  const got = collect(responder)
  initiator.end(big)
  const received = await got
  t.is(received.byteLength, big.byteLength)
  t.ok(received.equals(big), 'same bytes')
})

test('a reader that does not read pushes back on the writer (backpressure both ways)', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  await responder.opened
  responder.pause()
  const chunk = Buffer.alloc(64 * 1024)
  let written = 0
  // Write until write() says wait and no 'drain' comes for 300 ms: the
  // sleeping reader has filled every buffer on the way.
  for (;;) {
    while (initiator.write(chunk)) written += chunk.byteLength
    written += chunk.byteLength
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 300)
      initiator.once('drain', () => { clearTimeout(timer); resolve(true) })
    })
    if (!drained) break
    if (written > 512 * 1024 * 1024) break
  }
  t.ok(written < 256 * 1024 * 1024, `the writer stopped after ${(written / 1048576).toFixed(1)} MiB while the reader slept`)
  let received = 0
  responder.on('data', (d: unknown) => { received += (d as Buffer).byteLength })
  responder.resume()
  const end = new Promise<void>((resolve) => responder.once('end', () => resolve()))
  initiator.end()
  await end
  t.is(received, written, 'everything written arrived once the reader resumed')
  responder.end()
})

test('PING frames keep the connection alive and never reach the application', async (t) => {
  const { initiator, responder, rawResponder } = await secureTcpPair({ keepAlive: 20 }, { idleTimeout: 150 })
  quiet(initiator, responder)
  await Promise.all([initiator.opened, responder.opened])
  let data = 0
  responder.on('data', () => { data++ })
  const before = rawResponder.bytesRead
  await new Promise((resolve) => setTimeout(resolve, 400))
  const pings = (rawResponder.bytesRead - before) / 19
  t.ok(pings >= 3, `about ${pings} PING frames arrived`)
  t.is(data, 0, 'no data event')
  t.absent(responder.destroyed, 'the idle timeout did not fire while PINGs arrived')
  initiator.destroy()
  responder.destroy()
})

test('idle timeout: no frame from the peer fails with ERR_IDLE_TIMEOUT', async (t) => {
  const { initiator, responder } = await secureTcpPair({}, { idleTimeout: 100 })
  const err = await errorOf(responder)
  t.is(err.code, 'ERR_IDLE_TIMEOUT')
  const peerErr = await errorOf(initiator)
  t.is(peerErr.code, 'ERR_PEER_ABORTED', 'the peer is told why')
})

test('idle timeout with keep-alive on the same stream: our own PINGs do not count as the peer speaking', async (t) => {
  // The responder's one timer serves both: its keep-alive checks come due
  // (and send PINGs) several times before its idle deadline, which only the
  // peer's frames move. The initiator sends nothing (keep-alive off).
  const { initiator, responder, rawInitiator } = await secureTcpPair({ keepAlive: 0 }, { keepAlive: 20, idleTimeout: 200 })
  initiator.on('data', () => {})
  const failed = errorOf(responder)
  const peerFailed = errorOf(initiator)
  await initiator.opened
  const before = rawInitiator.bytesRead
  const err = await failed
  t.is(err.code, 'ERR_IDLE_TIMEOUT')
  t.ok((rawInitiator.bytesRead - before) / 19 >= 3, 'the responder sent PINGs meanwhile')
  t.is((await peerFailed).code, 'ERR_PEER_ABORTED', 'the peer is told why')
})

test('handshake timeout on the responder when the initiator never speaks', async (t) => {
  const { server, client } = await tcpPair()
  const responder = new SecureStream(false, server, { verify: acceptAnyKey, handshakeTimeout: 100 })
  const err = await errorOf(responder)
  t.is(err.code, 'ERR_HANDSHAKE_TIMEOUT')
  await new Promise((resolve) => client.once('close', resolve))
  t.pass('the connection was closed')
})

test('handshake timeout on the initiator when the responder never answers', async (t) => {
  const { client } = await tcpPair()
  const initiator = new SecureStream(true, client, { verify: acceptAnyKey, handshakeTimeout: 100 })
  const err = await errorOf(initiator)
  t.is(err.code, 'ERR_HANDSHAKE_TIMEOUT')
  await t.exception(initiator.opened, /did not complete/)
})

test('closing during the handshake is ERR_HANDSHAKE_INCOMPLETE', async (t) => {
  const { client, server } = await tcpPair()
  const responder = new SecureStream(false, server, { verify: acceptAnyKey })
  client.end()
  const err = await errorOf(responder)
  t.is(err.code, 'ERR_HANDSHAKE_INCOMPLETE')
})

test('different prologues: the initiator cannot decrypt msg2, the responder sees an incomplete handshake', async (t) => {
  const { initiator, responder } = await secureTcpPair({ prologue: 'noise-chat/1' }, { prologue: 'other-app/1' })
  const [ie, re] = await Promise.all([errorOf(initiator), errorOf(responder)])
  t.is(ie.code, 'ERR_HANDSHAKE_FAILED')
  t.is(re.code, 'ERR_HANDSHAKE_INCOMPLETE')
})

test('an abort signal cancels the stream with ERR_CANCELLED', async (t) => {
  const controller = new AbortController()
  const { initiator, responder } = await secureTcpPair({ signal: controller.signal })
  await initiator.opened
  controller.abort()
  const err = await errorOf(initiator)
  t.is(err.code, 'ERR_CANCELLED')
  const peer = await errorOf(responder)
  t.is(peer.code, 'ERR_PEER_ABORTED')
})

test('an asynchronous verify holds early data until it accepts', async (t) => {
  const { initiator, responder } = await secureTcpPair({}, {
    verify: () => new Promise((resolve) => setTimeout(() => resolve(true), 100))
  })
  initiator.end('sent before the responder decided')
  responder.on('end', () => responder.end())
  t.is((await collect(responder)).toString(), 'sent before the responder decided')
})

test('a responder that aborts before sending anything is not mistaken for a key refusal', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  await Promise.all([initiator.opened, responder.opened])
  quiet(responder)
  responder.destroy(new Error('server full'))
  const err = await errorOf(initiator)
  t.is(err.code, 'ERR_PEER_ABORTED')
  t.ok(err.message.includes('server full'), 'the reason is shown')
})

test('an unauthorized initiator gets ABORT: ERR_LOCAL_KEY_REJECTED carrying the reason', async (t) => {
  const { initiator, responder } = await secureTcpPair({}, {
    verify: () => { throw new Error('your key is not on the list') }
  })
  const [ie, re] = await Promise.all([errorOf(initiator), errorOf(responder)])
  t.is(re.code, 'ERR_REMOTE_KEY_REJECTED')
  t.is((re.cause as Error).message, 'your key is not on the list', 'the cause is what verify threw')
  t.is(ie.code, 'ERR_LOCAL_KEY_REJECTED')
  t.ok(ie.message.includes('your key is not on the list'), ie.message)
  t.is((ie as any).reason, 'your key is not on the list')
})

test('a verify function that returns nothing rejects the key', async (t) => {
  const { initiator, responder } = await secureTcpPair({}, { verify: () => undefined })
  const [ie, re] = await Promise.all([errorOf(initiator), errorOf(responder)])
  t.is(re.code, 'ERR_REMOTE_KEY_REJECTED')
  t.is(ie.code, 'ERR_LOCAL_KEY_REJECTED')
})

test('options are checked: a missing verify is ERR_INVALID_OPTION', async (t) => {
  const [x] = memoryPair()
  try {
    // eslint-disable-next-line no-new
    new SecureStream(true, x, {} as any)
    t.fail('constructed without verify')
  } catch (err: any) {
    t.is(err.code, 'ERR_INVALID_OPTION')
  }
  try {
    // eslint-disable-next-line no-new
    new SecureStream(true, x, { verify: acceptAnyKey, idleTimeout: -1 })
    t.fail('constructed with a negative timeout')
  } catch (err: any) {
    t.is(err.code, 'ERR_INVALID_OPTION')
  }
})

test('no secret key material in inspect, JSON or errors', async (t) => {
  const keyPair = generateKeyPair()
  const secretHex = keyPair.secretKey.toString('hex')
  const secretB64 = keyPair.secretKey.toString('base64')
  const { initiator, responder } = await secureTcpPair({ keyPair }, { verify: () => { throw new Error('nope') } })
  quiet(responder)
  const err = await errorOf(initiator)
  for (const text of [inspect(initiator, { depth: 10 }), JSON.stringify(initiator), inspect(keyPair), JSON.stringify(keyPair), String(keyPair), err.message, inspect(err)]) {
    t.absent(text.includes(secretHex) || text.includes(secretB64), 'no secret in: ' + text.slice(0, 60))
  }
  responder.destroy()
})
