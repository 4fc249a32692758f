import test from 'brittle'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as api from '../lib/index.js'
import { Handshake } from '../lib/secure/handshake.js'
import { generateKeyPair } from '../lib/secure/keypair.js'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { acceptAnyKey } from '../lib/secure/options.js'
import { EPHEMERAL_KEY_PAIR, handshakeForTesting, setNonceForTesting } from '../lib/secure/testing.js'
import { closed, errorOf, quiet, secureTcpPair, tcpPair } from './helpers/streams.js'

const isZero = (b: Uint8Array | null | undefined): boolean => b !== null && b !== undefined && b.byteLength > 0 && b.every((x) => x === 0)

test('wipe() zeroes the split keys and the static secret copy after a completed handshake', (t) => {
  const i = new Handshake(true, generateKeyPair(), Buffer.from('p'))
  const r = new Handshake(false, generateKeyPair(), Buffer.from('p'))
  r.readMessage1(i.writeMessage1())
  i.readMessage2(r.writeMessage2())
  r.readMessage3(i.writeMessage3())
  for (const hs of [i, r]) {
    const n = hs.noiseForTesting
    const held = { tx: n.tx!, rx: n.rx!, s: n.s!.secretKey }
    t.absent(isZero(held.tx) || isZero(held.rx) || isZero(held.s), 'key material is there before the wipe')
    hs.wipe()
    t.ok(isZero(held.tx), 'tx zeroed')
    t.ok(isZero(held.rx), 'rx zeroed')
    t.ok(isZero(held.s), 'static secret copy zeroed')
  }
})

test('wipe() zeroes the ephemeral secret and chaining key of a failed handshake', (t) => {
  const i = new Handshake(true, generateKeyPair(), Buffer.from('p'))
  i.writeMessage1()
  const n = i.noiseForTesting
  const e = n.e!.secretKey
  t.absent(isZero(e), 'an ephemeral secret exists mid-handshake')
  try {
    i.readMessage2(Buffer.alloc(96, 1))
    t.fail('garbage msg2 was accepted')
  } catch (err: any) {
    t.is(err.code, 'ERR_HANDSHAKE_FAILED')
  }
  const ck = n.chainingKey!
  t.absent(isZero(ck), 'the chaining key after ee holds a secret')
  i.wipe()
  t.ok(isZero(e), 'ephemeral secret zeroed')
  t.ok(isZero(ck), 'chaining key zeroed')
  t.ok(isZero(n.s!.secretKey), 'static secret copy zeroed')
})

test('a stream wipes its handshake once open: split keys and static secret copy are zero', async (t) => {
  const { client, server } = await tcpPair()
  const initiator = new SecureStream(true, client, { verify: acceptAnyKey })
  const responder = new SecureStream(false, server, { verify: acceptAnyKey })
  quiet(initiator, responder)
  const noise = [handshakeForTesting(initiator)!.noiseForTesting, handshakeForTesting(responder)!.noiseForTesting]
  const statics = noise.map((n) => n.s!.secretKey)
  await Promise.all([initiator.opened, responder.opened])
  t.is(handshakeForTesting(initiator), null, 'the stream let go of its handshake')
  for (const n of noise) {
    t.ok(isZero(n.tx), 'tx zeroed')
    t.ok(isZero(n.rx), 'rx zeroed')
  }
  for (const s of statics) t.ok(isZero(s), 'static secret copy zeroed')
  initiator.destroy()
  await Promise.all([closed(initiator), closed(responder)])
})

test('a stream whose handshake fails wipes the ephemeral secret on both sides', async (t) => {
  const { client, server } = await tcpPair()
  let initiatorEphemeral: Buffer | null = null
  const initiator = new SecureStream(true, client, {
    verify: () => {
      initiatorEphemeral = handshakeForTesting(initiator)!.noiseForTesting.e!.secretKey
      return false
    }
  })
  const responder = new SecureStream(false, server, { verify: acceptAnyKey })
  quiet(initiator, responder)
  const hsResponder = handshakeForTesting(responder)!
  const bothClosed = Promise.all([closed(initiator), closed(responder)])
  const errors = await Promise.all([errorOf(initiator), errorOf(responder)])
  t.is(errors[0].code, 'ERR_REMOTE_KEY_REJECTED')
  t.is(errors[1].code, 'ERR_HANDSHAKE_INCOMPLETE')
  await bothClosed
  t.ok(isZero(initiatorEphemeral), "the initiator's ephemeral secret is zero")
  t.ok(isZero(hsResponder.noiseForTesting.e!.secretKey), "the responder's ephemeral secret is zero")
  t.ok(isZero(hsResponder.noiseForTesting.s!.secretKey), "the responder's static secret copy is zero")
})

test('the test hooks are not part of the public API', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  quiet(initiator, responder)
  await Promise.all([initiator.opened, responder.opened])
  t.absent('_setNonceForTesting' in initiator, 'no _setNonceForTesting on a stream')
  t.absent(Object.keys(api).some((k) => /testing/i.test(k)), 'the package exports nothing for testing')
  const dts = readFileSync(fileURLToPath(new URL('../lib/secure/secure-stream.d.ts', import.meta.url)), 'utf8')
  t.absent(/ForTesting/.test(dts), 'the published declarations name no testing hook')
  initiator.destroy()
  await Promise.all([closed(initiator), closed(responder)])
})

test('a string-keyed ephemeralKeyPairForTesting option is ignored: the ephemeral key is fresh', async (t) => {
  const fixed = generateKeyPair()
  const { client, server } = await tcpPair()
  const initiator = new SecureStream(true, client, { verify: acceptAnyKey, ephemeralKeyPairForTesting: fixed } as any)
  const responder = new SecureStream(false, server, { verify: acceptAnyKey })
  const msg1 = new Promise<Buffer>((resolve) => server.once('data', resolve))
  const first = await msg1
  t.absent(first.subarray(2, 34).equals(fixed.publicKey), 'msg1 does not carry the "fixed" ephemeral key')
  initiator.destroy()
  quiet(initiator, responder)
  await Promise.all([closed(initiator), closed(responder)])
  t.ok(typeof EPHEMERAL_KEY_PAIR === 'symbol', 'only the internal symbol sets it')
})

test('the nonce hook refuses to go backwards, and before the handshake', async (t) => {
  const { initiator, responder } = await secureTcpPair()
  quiet(initiator, responder)
  try {
    setNonceForTesting(initiator, 'send', 5n)
    t.fail('set a nonce before the handshake')
  } catch (err: any) {
    t.is(err.code, 'ERR_INVALID_STATE')
  }
  await Promise.all([initiator.opened, responder.opened])
  setNonceForTesting(initiator, 'send', 1000n)
  try {
    setNonceForTesting(initiator, 'send', 999n)
    t.fail('moved the nonce back')
  } catch (err: any) {
    t.is(err.code, 'ERR_INVALID_ARGUMENT')
  }
  initiator.destroy()
  await Promise.all([closed(initiator), closed(responder)])
})
