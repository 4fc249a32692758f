/**
 * CPU seconds per GiB of bulk transfer, sender and receiver each in its own
 * process over 127.0.0.1: the load-insensitive counterpart of the bulk
 * figure (wall clock is not trustworthy on a shared machine; the CPU a
 * process spends on a fixed amount of work mostly is). Each process counts
 * from the end of its handshake to the end of its part of the transfer.
 *
 *   node dist/bench/bulk-cpu.js [ours|tls-chacha|tls-aes128|tls-aes|tcp] [bytes] [chunk]
 *
 * BULK_CALLGRIND=sender (or receiver) runs that process under
 * `valgrind --tool=callgrind`, writing callgrind.out.<role>.<pid> here, for
 * instruction counts (take the difference of two sizes to drop start-up).
 * BULK_CPU_PROF=DIR runs both under `node --cpu-prof`, profiles in DIR.
 * BULK_CPU_JSON=1 prints one JSON line instead (bench/cipher-bound.ts reads it).
 */
import { fork } from 'node:child_process'
import net from 'node:net'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import { makeSelfSignedCertificate } from './cert.js'
import { generateKeyPair } from '../lib/secure/keypair.js'
import { acceptAnyKey } from '../lib/secure/options.js'
import { SecureStream } from '../lib/secure/secure-stream.js'

const GIB = 1024 ** 3
const SUITES: Record<string, string> = {
  'tls-chacha': 'TLS_CHACHA20_POLY1305_SHA256',
  'tls-aes128': 'TLS_AES_128_GCM_SHA256',
  'tls-aes': 'TLS_AES_256_GCM_SHA384'
}

interface Stream extends NodeJS.EventEmitter { write: (b: Buffer, cb?: () => void) => boolean, end: (cb?: () => void) => unknown, resume: () => unknown }
interface Cert { keyPem: string, certPem: string }

function wrap (impl: string, raw: net.Socket, initiator: boolean, cert: Cert): Promise<Stream> {
  if (impl === 'tcp') return Promise.resolve(raw as unknown as Stream)
  if (impl === 'ours') {
    const s = new SecureStream(initiator, raw, { keyPair: generateKeyPair(), verify: acceptAnyKey })
    // The receiver drops the socket once it has counted every byte: the
    // truncation the sender then reports is expected, and the count checks the transfer.
    s.on('error', () => {})
    return s.opened.then(() => s as unknown as Stream)
  }
  const suite = SUITES[impl]
  if (suite === undefined) throw new Error(`unknown impl ${impl}`)
  const common = { ciphers: suite, minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.3' as const }
  if (!initiator) {
    const s = new tls.TLSSocket(raw, { isServer: true, key: cert.keyPem, cert: cert.certPem, ...common })
    return new Promise((resolve) => s.once('secure', () => resolve(s as unknown as Stream)))
  }
  const s = tls.connect({ socket: raw, ca: cert.certPem, host: '127.0.0.1', ...common })
  return new Promise((resolve) => s.once('secureConnect', () => {
    if (s.getCipher().standardName !== suite) throw new Error(`negotiated ${s.getCipher().standardName}`)
    resolve(s as unknown as Stream)
  }))
}

/** User and system CPU seconds since `since`: user is our code and the crypto, system mostly the kernel's TCP work. */
function cpuSeconds (since: NodeJS.CpuUsage, faultsSince: number): Cpu {
  const u = process.cpuUsage(since)
  return { user: u.user / 1e6, system: u.system / 1e6, faults: process.resourceUsage().minorPageFault - faultsSince }
}

/** Minor page faults so far: each is a fresh page the kernel had to zero and map, so they show allocation churn. */
function faultsNow (): number {
  return process.resourceUsage().minorPageFault
}

export interface Cpu { user: number, system: number, faults: number }

/** `cpu` per GiB as "total (user + sys)". */
function perGiB (cpu: Cpu, scale: number): string {
  const f = (x: number): string => (x * scale).toFixed(3)
  return `${f(cpu.user + cpu.system)} (user ${f(cpu.user)} + sys ${f(cpu.system)}, ${Math.round(cpu.faults * scale)} faults)`
}

async function receiver (impl: string, cert: Cert): Promise<void> {
  const server = net.createServer({ noDelay: true }, (raw) => {
    void wrap(impl, raw, false, cert).then((s) => {
      const start = process.cpuUsage()
      const faults = faultsNow()
      let got = 0
      s.on('error', () => {})
      s.on('data', (d: Buffer) => { got += d.byteLength })
      s.on('end', () => {
        raw.destroy()
        server.close()
        process.send!({ role: 'receiver', cpu: cpuSeconds(start, faults), got }, () => process.exit(0))
      })
      s.resume()
    })
  })
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as net.AddressInfo).port }))
}

async function sender (impl: string, bytes: number, chunk: number, port: number, cert: Cert): Promise<void> {
  const raw = net.connect({ port, host: '127.0.0.1', noDelay: true })
  await new Promise((resolve) => raw.once('connect', resolve))
  const s = await wrap(impl, raw, true, cert)
  const data = Buffer.alloc(chunk, 0x61)
  const start = process.cpuUsage()
  const faults = faultsNow()
  let sent = 0
  const pump = (): void => {
    while (sent < bytes) {
      sent += chunk
      if (!s.write(data)) return void s.once('drain', pump)
    }
    s.end(() => {
      process.send!({ role: 'sender', cpu: cpuSeconds(start, faults) }, () => process.exit(0))
    })
  }
  pump()
}

/** Fork options that run `role` under callgrind when BULK_CALLGRIND names it. */
function wrapper (role: string): { execPath?: string, execArgv?: string[] } {
  const profileDir = process.env['BULK_CPU_PROF']
  if (profileDir !== undefined) return { execArgv: ['--cpu-prof', '--cpu-prof-dir', profileDir] }
  if (process.env['BULK_CALLGRIND'] !== role) return {}
  return { execPath: 'valgrind', execArgv: ['--tool=callgrind', `--callgrind-out-file=callgrind.out.${role}.%p`, process.execPath] }
}

async function main (): Promise<void> {
  const [impl = 'ours', bytesArg = String(GIB), chunkArg = '65536'] = process.argv.slice(2)
  const bytes = Number(bytesArg)
  const chunk = Number(chunkArg)
  const cert = makeSelfSignedCertificate()
  const self = fileURLToPath(import.meta.url)
  const rx = fork(self, ['--child', 'receiver', impl, String(bytes), String(chunk)], wrapper('receiver'))
  rx.send(cert)
  const port = await new Promise<number>((resolve) => rx.on('message', (m: { port?: number }) => { if (m.port !== undefined) resolve(m.port) }))
  const tx = fork(self, ['--child', 'sender', impl, String(bytes), String(chunk), String(port)], wrapper('sender'))
  tx.send(cert)
  const wall = Date.now()
  const results = await Promise.all([
    new Promise<{ cpu: Cpu }>((resolve) => tx.on('message', resolve)),
    new Promise<{ cpu: Cpu, got: number }>((resolve) => rx.on('message', (m: { cpu?: Cpu, got: number }) => { if (m.cpu !== undefined) resolve(m as { cpu: Cpu, got: number }) }))
  ])
  const seconds = (Date.now() - wall) / 1000
  const [tres, rres] = results
  if (rres.got !== bytes) throw new Error(`received ${rres.got} of ${bytes}`)
  const per = GIB / bytes
  if (process.env['BULK_CPU_JSON'] === '1') {
    const scaled = (c: Cpu): Cpu => ({ user: c.user * per, system: c.system * per, faults: c.faults * per })
    console.log(JSON.stringify({ impl, sender: scaled(tres.cpu), receiver: scaled(rres.cpu), mbPerS: bytes / 1e6 / seconds }))
    return
  }
  console.log(`${impl}: CPU s/GiB sender ${perGiB(tres.cpu, per)} receiver ${perGiB(rres.cpu, per)} wall ${(bytes / 1e6 / seconds).toFixed(0)} MB/s`)
}

if (process.argv[2] === '--child') {
  const [, role, impl, bytes, chunk, port] = process.argv.slice(2)
  process.once('message', (cert: Cert) => {
    if (role === 'receiver') void receiver(impl!, cert)
    else void sender(impl!, Number(bytes), Number(chunk), Number(port), cert)
  })
} else {
  void main()
}
