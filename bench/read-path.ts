/**
 * What the buffer a socket read lands in does to the cipher that then runs
 * over it. Raw TCP, 64 KiB writes; the receiver runs one ChaCha20-Poly1305
 * pass in place over the bytes of every read (the native addon's seal: the
 * same ChaCha20 and Poly1305 work as opening them) and times only that
 * call. Two ways of reading:
 *
 *   fresh   net.Socket's 'data': Node allocates a new buffer for each read,
 *           as it does for every socket a net.Server accepts
 *   reused  net.Socket's `onread` option: every read into one 64 KiB
 *           buffer, as Node's TLS reads into its BIO (only a socket one
 *           creates can have this option)
 *
 *   node dist/bench/read-path.js fresh|reused [bytes]
 *
 * The receiver is the connecting side in both, so the two differ in the
 * read buffer alone. READ_PATH_JSON=1 prints one JSON line instead.
 */
import { fork } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { loadNativeAead } from '../lib/secure/native-aead.js'

const GIB = 1024 ** 3
/** Node's own read size, and the size of the reused buffer. */
const READ_BYTES = 64 * 1024
const TAG_BYTES = 16

export type ReadMode = 'fresh' | 'reused'

export interface ReadPathResult {
  mode: ReadMode
  /** Seconds the cipher pass took per GiB received, and the speed that makes. */
  cipherSecondsPerGiB: number
  cipherGbPerS: number
  /** The receiver's CPU (user + system) per GiB, and its minor page faults per GiB. */
  receiverSecondsPerGiB: number
  faultsPerGiB: number
  mbPerS: number
}

function sender (bytes: number): void {
  const server = net.createServer({ noDelay: true }, (socket) => {
    const chunk = Buffer.alloc(READ_BYTES, 0x61)
    let sent = 0
    const pump = (): void => {
      while (sent < bytes) {
        sent += chunk.byteLength
        if (!socket.write(chunk)) return void socket.once('drain', pump)
      }
      socket.end()
    }
    pump()
  })
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as net.AddressInfo).port))
}

async function receive (mode: ReadMode, port: number, bytes: number): Promise<ReadPathResult> {
  const load = loadNativeAead()
  if (load.aead === null) throw new Error(`read-path needs the native cipher: ${load.reason}`)
  const aead = load.aead
  const key = Buffer.alloc(32, 1)
  const nonce = Buffer.alloc(12, 2)
  let got = 0
  let cipherNs = 0n
  let started = { at: 0n, cpu: process.cpuUsage(), faults: 0 }
  const pass = (buf: Buffer, n: number): void => {
    const t = process.hrtime.bigint()
    if (n > TAG_BYTES) aead.seal(key, nonce, buf, 0, n - TAG_BYTES)
    cipherNs += process.hrtime.bigint() - t
    got += n
  }
  const done = new Promise<void>((resolve, reject) => {
    const onConnect = (): void => { started = { at: process.hrtime.bigint(), cpu: process.cpuUsage(), faults: process.resourceUsage().minorPageFault } }
    const socket = mode === 'fresh'
      ? net.connect({ port, host: '127.0.0.1', noDelay: true }, onConnect).on('data', (b: Buffer) => pass(b, b.byteLength))
      : net.connect({ port, host: '127.0.0.1', noDelay: true, onread: { buffer: Buffer.allocUnsafe(READ_BYTES), callback: (n, b) => { pass(b as Buffer, n); return true } } }, onConnect)
    socket.on('end', () => resolve())
    socket.on('error', reject)
  })
  await done
  const seconds = Number(process.hrtime.bigint() - started.at) / 1e9
  const cpu = process.cpuUsage(started.cpu)
  if (got !== bytes) throw new Error(`received ${got} of ${bytes} bytes`)
  const gib = got / GIB
  const cipherSeconds = Number(cipherNs) / 1e9
  return {
    mode,
    cipherSecondsPerGiB: cipherSeconds / gib,
    cipherGbPerS: got / cipherSeconds / 1e9,
    receiverSecondsPerGiB: (cpu.user + cpu.system) / 1e6 / gib,
    faultsPerGiB: (process.resourceUsage().minorPageFault - started.faults) / gib,
    mbPerS: got / 1e6 / seconds
  }
}

async function main (): Promise<void> {
  const [modeArg, bytesArg = String(GIB)] = process.argv.slice(2)
  if (modeArg !== 'fresh' && modeArg !== 'reused') {
    process.stderr.write('usage: node dist/bench/read-path.js fresh|reused [bytes]\n')
    process.exitCode = 2
    return
  }
  const bytes = Number(bytesArg)
  const child = fork(fileURLToPath(import.meta.url), ['--sender', String(bytes)])
  try {
    const port = await new Promise<number>((resolve) => child.once('message', resolve))
    const r = await receive(modeArg, port, bytes)
    if (process.env['READ_PATH_JSON'] === '1') return void console.log(JSON.stringify(r))
    console.log(`${r.mode}: cipher pass ${r.cipherSecondsPerGiB.toFixed(3)} s/GiB (${r.cipherGbPerS.toFixed(2)} GB/s); receiver ${r.receiverSecondsPerGiB.toFixed(3)} s/GiB, ${Math.round(r.faultsPerGiB)} page faults/GiB; ${r.mbPerS.toFixed(0)} MB/s`)
  } finally {
    child.kill()
  }
}

if (process.argv[2] === '--sender') sender(Number(process.argv[3]))
else void main()
