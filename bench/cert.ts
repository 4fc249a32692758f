/**
 * A self-signed ECDSA P-256 certificate for the TLS anchor of the benchmark,
 * built in DER by hand: node:crypto makes keys and signatures but has no
 * X.509 builder, and shelling out to the openssl CLI would make the bench
 * depend on a tool a fresh machine may lack. The certificate is the smallest
 * one Node's TLS client verifies: v3, subjectAltName IP 127.0.0.1 and DNS
 * localhost, basicConstraints CA:FALSE, signed ecdsa-with-SHA256 (RFC 5280).
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'

/** A PEM key and its self-signed certificate. */
export interface BenchCertificate {
  keyPem: string
  certPem: string
}

/** One day either side of now: no clock skew between the two processes matters. */
const VALIDITY_MS = 24 * 60 * 60 * 1000

/** OIDs used below, dotted. */
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'
const OID_COMMON_NAME = '2.5.4.3'
const OID_SUBJECT_ALT_NAME = '2.5.29.17'
const OID_BASIC_CONSTRAINTS = '2.5.29.19'

/** Make a fresh key pair and a certificate for 127.0.0.1 / localhost. */
export function makeSelfSignedCertificate (commonName = 'noise-chat bench'): BenchCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const now = Date.now()
  const tbs = tbsCertificate({
    serial: positiveSerial(),
    name: distinguishedName(commonName),
    notBefore: new Date(now - VALIDITY_MS),
    notAfter: new Date(now + VALIDITY_MS),
    spki
  })
  // node:crypto signs EC keys in DER (r, s) form by default, which X.509 wants.
  const signature = sign('sha256', tbs, privateKey)
  const cert = seq(tbs, algorithm(OID_ECDSA_WITH_SHA256), bitString(signature))
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: pem('CERTIFICATE', cert)
  }
}

interface TbsFields {
  serial: Buffer
  name: Buffer
  notBefore: Date
  notAfter: Date
  spki: Buffer
}

function tbsCertificate (f: TbsFields): Buffer {
  const version = explicit(0, integer(Buffer.from([2]))) // v3
  const validity = seq(utcTime(f.notBefore), utcTime(f.notAfter))
  const extensions = explicit(3, seq(
    extension(OID_BASIC_CONSTRAINTS, true, seq()), // CA:FALSE (the default, so an empty sequence)
    extension(OID_SUBJECT_ALT_NAME, false, seq(
      tlv(0x87, Buffer.from([127, 0, 0, 1])), // [7] iPAddress
      tlv(0x82, Buffer.from('localhost', 'ascii')) // [2] dNSName
    ))
  ))
  return seq(version, integer(f.serial), algorithm(OID_ECDSA_WITH_SHA256), f.name, validity, f.name, f.spki, extensions)
}

function positiveSerial (): Buffer {
  const serial = randomBytes(8)
  serial[0] = (serial[0] & 0x7f) | 0x01 // positive and no leading zero byte needed
  return serial
}

function distinguishedName (commonName: string): Buffer {
  return seq(tlv(0x31, seq(oid(OID_COMMON_NAME), tlv(0x0c, Buffer.from(commonName, 'utf8')))))
}

function extension (id: string, critical: boolean, value: Buffer): Buffer {
  const parts = [oid(id)]
  if (critical) parts.push(tlv(0x01, Buffer.from([0xff])))
  parts.push(tlv(0x04, value))
  return seq(...parts)
}

function algorithm (id: string): Buffer {
  return seq(oid(id)) // ecdsa-with-SHA256 has absent parameters (RFC 5758 3.2)
}

function utcTime (date: Date): Buffer {
  const iso = date.toISOString() // YYYY-MM-DDTHH:MM:SS.sssZ
  const text = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z'
  return tlv(0x17, Buffer.from(text, 'ascii'))
}

function oid (dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number)
  const bytes = [40 * arcs[0] + arcs[1]]
  for (const arc of arcs.slice(2)) {
    const base128 = [arc & 0x7f]
    for (let rest = arc >>> 7; rest > 0; rest >>>= 7) base128.unshift((rest & 0x7f) | 0x80)
    bytes.push(...base128)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function integer (bigEndian: Buffer): Buffer {
  return tlv(0x02, bigEndian)
}

function bitString (bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes])) // 0 unused bits
}

function explicit (tag: number, inner: Buffer): Buffer {
  return tlv(0xa0 | tag, inner)
}

function seq (...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items))
}

function tlv (tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(value.length), value])
}

function derLength (n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let rest = n; rest > 0; rest >>>= 8) bytes.unshift(rest & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function pem (label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}
