import { SecureStream } from '../../lib/secure/secure-stream.js'
import { acceptAnyKey, type SecureStreamOptions } from '../../lib/secure/options.js'
import { EPHEMERAL_KEY_PAIR, type WithEphemeral } from '../../lib/secure/testing.js'
import { encodeFrame } from '../../lib/secure/frame-codec.js'
import { TransportCipher } from '../../lib/secure/transport-cipher.js'
import { sealTransportFrame } from '../../lib/secure/transport-frame.js'
import { FRAME_DATA, FRAME_END } from '../../lib/constants.js'
import { ScriptedPeer } from './streams.js'
import { V, hex, vectorKeys } from './vectors.js'

/** The recorded wire bytes of the default vector handshake. */
export const MSG1 = hex(V.handshake.messages[0].frame_hex)
export const MSG2 = hex(V.handshake.messages[1].frame_hex)
export const MSG3 = hex(V.handshake.messages[2].frame_hex)

/** A responder with the vector keys, so the recorded msg1/msg3 complete its handshake. */
export function vectorResponder (): { stream: SecureStream, peer: ScriptedPeer } {
  const k = vectorKeys()
  const peer = new ScriptedPeer()
  const stream = new SecureStream(false, peer, {
    keyPair: k.responderStatic,
    verify: acceptAnyKey,
    [EPHEMERAL_KEY_PAIR]: k.responderEphemeral
  } as WithEphemeral<SecureStreamOptions>)
  return { stream, peer }
}

/** An initiator with the vector keys, so the recorded msg2 completes its handshake. */
export function vectorInitiator (): { stream: SecureStream, peer: ScriptedPeer } {
  const k = vectorKeys()
  const peer = new ScriptedPeer()
  const stream = new SecureStream(true, peer, {
    keyPair: k.initiatorStatic,
    verify: acceptAnyKey,
    [EPHEMERAL_KEY_PAIR]: k.initiatorEphemeral
  } as WithEphemeral<SecureStreamOptions>)
  return { stream, peer }
}

/** Transport frames as the initiator (key c1) or responder (key c2) of the vector session would send them. */
export function vectorSender (key: 'c1' | 'c2'): { data: (text: string) => Buffer, end: () => Buffer, frame: (type: number, body: Buffer) => Buffer } {
  const cipher = new TransportCipher(hex(key === 'c1' ? V.handshake.split.c1_key : V.handshake.split.c2_key))
  return {
    data: (text) => sealTransportFrame(cipher, FRAME_DATA, Buffer.from(text)),
    end: () => sealTransportFrame(cipher, FRAME_END, Buffer.alloc(0)),
    frame: (type, body) => sealTransportFrame(cipher, type, body)
  }
}

/** Everything a stream delivered and how it finished. */
export interface Outcome {
  data: string
  ended: boolean
  error: (Error & { code?: string }) | null
}

/** Collect what a stream delivers until it closes; on the peer's END it ends too, so it can close. */
export function outcome (stream: SecureStream): Promise<Outcome> {
  return new Promise((resolve) => {
    const result: Outcome = { data: '', ended: false, error: null }
    stream.on('data', (d: unknown) => { result.data += (d as Buffer).toString('latin1') })
    stream.on('end', () => {
      result.ended = true
      stream.end()
    })
    stream.on('error', (err: Error) => { result.error = err })
    stream.on('close', () => resolve(result))
  })
}

export { encodeFrame }
