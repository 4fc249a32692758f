/**
 * Node's TLS 1.3 restricted to what the issue names as the anchor:
 * TLS_CHACHA20_POLY1305_SHA256, X25519, an ECDSA P-256 certificate, and a
 * client that verifies it (server authentication only: TLS clients do not
 * present certificates by default, while Noise XX authenticates both ends).
 */
import tls from 'node:tls'
import { eventOrError, session, type Impl } from './impl.js'

const CIPHER = 'TLS_CHACHA20_POLY1305_SHA256'
const CURVE = 'X25519'
const VERSION = 'TLSv1.3'

let serverContext: tls.SecureContext | null = null
let caPem = ''

export const tlsImpl: Impl = {
  name: 'tls',
  label: 'TLS 1.3',
  prepare (ctx) {
    caPem = ctx.certPem
    serverContext = tls.createSecureContext({
      key: ctx.keyPem, cert: ctx.certPem, ciphers: CIPHER, ecdhCurve: CURVE, minVersion: VERSION, maxVersion: VERSION
    })
  },
  accept (raw) {
    if (serverContext === null) throw new Error('tls: prepare() was not called')
    const s = new tls.TLSSocket(raw, { isServer: true, secureContext: serverContext })
    return session(s, eventOrError(s, 'secure'))
  },
  connect (raw) {
    const s = tls.connect({
      socket: raw, host: '127.0.0.1', ca: caPem, ciphers: CIPHER, ecdhCurve: CURVE, minVersion: VERSION, maxVersion: VERSION
    })
    return session(s, eventOrError(s, 'secureConnect').then(() => checkNegotiated(s)))
  },
  describe () { return `${VERSION}, ${CIPHER} only, ${CURVE} only, ECDSA P-256 self-signed certificate (made by the bench) verified by the client; each client checks what was negotiated` }
}

/** Refuse to benchmark anything but what was asked for. */
function checkNegotiated (s: tls.TLSSocket): void {
  const protocol = s.getProtocol()
  const cipher = s.getCipher().name
  const curve = s.getEphemeralKeyInfo()
  const curveName = curve !== null && 'name' in curve ? curve.name : undefined
  if (protocol !== VERSION || cipher !== CIPHER || curveName !== CURVE || !s.authorized) {
    throw new Error(`tls negotiated ${protocol} ${cipher} ${curveName} authorized=${s.authorized}, not ${VERSION} ${CIPHER} ${CURVE}`)
  }
}
