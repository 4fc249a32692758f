/**
 * Node's TLS 1.3 as the anchor, in two suites: TLS_CHACHA20_POLY1305_SHA256
 * (the same AEAD as ours) and TLS_AES_128_GCM_SHA256 (the fastest TLS 1.3
 * suite on a CPU with AES instructions, so the stricter bar for the figures
 * bound by the cipher). Both use X25519, an ECDSA P-256 certificate, and a
 * client that verifies it (server authentication only: TLS clients do not
 * present certificates by default, while Noise XX authenticates both ends).
 */
import tls from 'node:tls'
import type { FigureName } from '../figures.js'
import { eventOrError, session, type Impl, type ImplName } from './impl.js'

const CURVE = 'X25519'
const VERSION = 'TLSv1.3'

/**
 * The AES suite takes part only where the cipher is the work: handshakes and
 * idle memory do not depend on the record cipher, and one TLS row there is
 * enough (and keeps the run short).
 */
const CIPHER_BOUND_FIGURES: readonly FigureName[] = ['bulk', 'small']

function tlsSuite (name: ImplName, label: string, cipher: string, figures?: readonly FigureName[]): Impl {
  let serverContext: tls.SecureContext | null = null
  let caPem = ''
  return {
    name,
    label,
    ...(figures === undefined ? {} : { figures }),
    prepare (ctx) {
      caPem = ctx.certPem
      serverContext = tls.createSecureContext({
        key: ctx.keyPem, cert: ctx.certPem, ciphers: cipher, ecdhCurve: CURVE, minVersion: VERSION, maxVersion: VERSION
      })
    },
    accept (raw) {
      if (serverContext === null) throw new Error(`${name}: prepare() was not called`)
      const s = new tls.TLSSocket(raw, { isServer: true, secureContext: serverContext })
      return session(s, eventOrError(s, 'secure'))
    },
    connect (raw) {
      const s = tls.connect({
        socket: raw, host: '127.0.0.1', ca: caPem, ciphers: cipher, ecdhCurve: CURVE, minVersion: VERSION, maxVersion: VERSION
      })
      return session(s, eventOrError(s, 'secureConnect').then(() => checkNegotiated(s, cipher)))
    },
    describe () { return `${VERSION}, ${cipher} only, ${CURVE} only, ECDSA P-256 self-signed certificate (made by the bench) verified by the client; each client checks what was negotiated` }
  }
}

export const tlsImpl = tlsSuite('tls', 'TLS 1.3 ChaCha', 'TLS_CHACHA20_POLY1305_SHA256')
export const tlsAesImpl = tlsSuite('tls-aes', 'TLS 1.3 AES-GCM', 'TLS_AES_128_GCM_SHA256', CIPHER_BOUND_FIGURES)

/** Refuse to benchmark anything but what was asked for. */
function checkNegotiated (s: tls.TLSSocket, cipher: string): void {
  const protocol = s.getProtocol()
  const negotiated = s.getCipher().name
  const curve = s.getEphemeralKeyInfo()
  const curveName = curve !== null && 'name' in curve ? curve.name : undefined
  if (protocol !== VERSION || negotiated !== cipher || curveName !== CURVE || !s.authorized) {
    throw new Error(`tls negotiated ${protocol} ${negotiated} ${curveName} authorized=${s.authorized}, not ${VERSION} ${cipher} ${CURVE}`)
  }
}
