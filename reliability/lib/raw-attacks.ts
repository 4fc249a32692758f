/**
 * Attacks made of raw TCP and handshake bytes, before anyone is a member:
 * connections that never finish the handshake, lying length headers, and
 * connection floods. Each is bounded in time and in attempts, and only
 * ever connects to 127.0.0.1.
 */
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { encodeFrame } from '../../lib/secure/frame-codec.js'
import { SecureStream } from '../../lib/secure/secure-stream.js'
import { acceptAnyKey } from '../../lib/secure/options.js'
import { generateKeyPair, type KeyPair } from '../../lib/secure/keypair.js'
import { connectMember } from '../../harness/member.js'
import { summarize, type Summary } from './stats.js'

/** Where the attack goes (always 127.0.0.1) and from where. */
export interface RawTarget {
  port: number
  /** Source addresses, used in turn (see loopback.ts). */
  sources: string[]
}

/**
 * What the held connections do:
 * - silent: open TCP, send nothing;
 * - msg1: send a valid msg1 (the server answers with msg2, paying for its DH), then nothing;
 * - lie-pre: send a length header of 0xFFFF where msg1 (32 bytes) must come, then nothing;
 * - lie-msg3: a valid msg1, then a 0xFFFF header for msg3 and nothing after it;
 * - garbage: 64 random bytes where msg1 goes (a random length header, then noise), then nothing.
 */
export type HoldMode = 'silent' | 'msg1' | 'lie-pre' | 'lie-msg3' | 'garbage'

/** Options of a holding attack. */
export interface HoldOptions extends RawTarget {
  mode: HoldMode
  /** Connections the attacker tries to keep open at once. */
  connections: number
  durationMs: number
  /** When the server closes one, open another after this long (0: do not reopen). */
  reopenDelayMs: number
  /** Bound on connections opened in all. */
  maxAttempts: number
  /** New connections opened per second at most while ramping up (a burst of thousands at once only measures the kernel's backlog). */
  openPerSecond?: number
}

/** What a holding attack got. */
export interface HoldResult {
  mode: HoldMode
  attempts: number
  /** Connections that reached the server (TCP connected). */
  connected: number
  /** Closed by the server within 1 s of connecting: refused at once. */
  closedWithin1s: number
  /** Closed by the server after 1 s or more: held until a timeout. */
  closedLater: number
  /** How long the server let each closed connection live (ms). */
  lifetimeMs: Summary
  /** Most of the attacker's connections open at one time. */
  maxOpen: number
  /** Still open when the attack stopped. */
  openAtEnd: number
  /** Connections that received a msg2 (the server did a handshake's work for them). */
  gotMsg2: number
  /** Connect errors (the kernel's backlog full, no more source ports...). */
  connectErrors: number
}

/** Hold many handshakes open, reopening the ones the server closes, for `durationMs`. */
export async function holdHandshakes (options: HoldOptions): Promise<HoldResult> {
  const result: HoldResult = {
    mode: options.mode, attempts: 0, connected: 0, closedWithin1s: 0, closedLater: 0, lifetimeMs: summarize([]),
    maxOpen: 0, openAtEnd: 0, gotMsg2: 0, connectErrors: 0
  }
  const lifetimes: number[] = []
  const open = new Set<net.Socket>()
  const endAt = Date.now() + options.durationMs
  let stopped = false
  const spacingMs = 1000 / (options.openPerSecond ?? 500)

  const openOne = (slot: number): void => {
    if (stopped || result.attempts >= options.maxAttempts || Date.now() >= endAt) return
    result.attempts++
    const source = options.sources[slot % options.sources.length]!
    const socket = net.connect({ host: '127.0.0.1', port: options.port, localAddress: source })
    let connectedAt = 0
    let received = 0
    let sentLie = false
    socket.on('error', () => {})
    socket.on('connect', () => {
      connectedAt = Date.now()
      result.connected++
      open.add(socket)
      result.maxOpen = Math.max(result.maxOpen, open.size)
      if (options.mode === 'msg1' || options.mode === 'lie-msg3') socket.write(encodeFrame(randomBytes(32)))
      if (options.mode === 'lie-pre') socket.write(Buffer.from([0xff, 0xff]))
      if (options.mode === 'garbage') socket.write(randomBytes(64))
    })
    socket.on('data', (data: Buffer) => {
      received += data.byteLength
      if (received >= 2 + 96 && received - data.byteLength < 2 + 96) result.gotMsg2++
      if (options.mode === 'lie-msg3' && !sentLie && received >= 2 + 96) {
        sentLie = true
        socket.write(Buffer.from([0xff, 0xff]))
      }
    })
    socket.on('close', () => {
      if (connectedAt === 0) result.connectErrors++
      else if (open.delete(socket)) {
        const lived = Date.now() - connectedAt
        lifetimes.push(lived)
        if (lived < 1000) result.closedWithin1s++
        else result.closedLater++
      }
      if (!stopped && options.reopenDelayMs > 0) setTimeout(() => openOne(slot), options.reopenDelayMs).unref()
    })
  }

  for (let slot = 0; slot < options.connections && Date.now() < endAt; slot++) {
    openOne(slot)
    if (spacingMs >= 1) await sleep(spacingMs)
  }
  // Without reopening, the attack is over once the server closed them all.
  while (Date.now() < endAt && !(options.reopenDelayMs === 0 && open.size === 0 && lifetimes.length + result.connectErrors >= result.attempts)) {
    await sleep(Math.min(50, endAt - Date.now()))
  }
  stopped = true
  result.openAtEnd = open.size
  for (const socket of open) socket.destroy()
  result.lifetimeMs = summarize(lifetimes)
  return result
}

/**
 * A connection flood:
 * - tcp: connect and close at once, as fast as possible;
 * - handshake: complete a full handshake with a fresh key, then close (the server pays three DH per connection);
 * - join: a fresh key joins under a fresh nick (`/nick`), then leaves: each binds a nick to a key for good.
 */
export interface ChurnOptions extends RawTarget {
  kind: 'tcp' | 'handshake' | 'join'
  /** The server's key (base64), for 'join'. */
  serverKey?: string
  /** Connections in flight at once. */
  concurrency: number
  durationMs: number
  maxAttempts: number
}

/** What a flood got. */
export interface ChurnResult {
  kind: 'tcp' | 'handshake' | 'join'
  attempts: number
  /** Connections that did what they came for (connected; or completed the handshake). */
  completed: number
  failed: number
  /** Failure codes and how often. */
  failures: Record<string, number>
  perSecond: number
}

/** Open connections as fast as `concurrency` allows for `durationMs`. */
export async function churn (options: ChurnOptions): Promise<ChurnResult> {
  const result: ChurnResult = { kind: options.kind, attempts: 0, completed: 0, failed: 0, failures: {}, perSecond: 0 }
  const started = Date.now()
  const endAt = started + options.durationMs
  // Fresh keys are the attacker's own cost; a small pool keeps it from eating the CPU the server needs.
  const keys = Array.from({ length: 16 }, () => generateKeyPair())
  const worker = async (w: number): Promise<void> => {
    while (Date.now() < endAt && result.attempts < options.maxAttempts) {
      const n = result.attempts++
      const source = options.sources[(w + n) % options.sources.length]!
      try {
        if (options.kind === 'tcp') await tcpOnce(options.port, source)
        else if (options.kind === 'handshake') await handshakeOnce(options.port, source, keys[n % keys.length]!)
        else await joinOnce(options.port, source, Buffer.from(options.serverKey ?? '', 'base64'), `j${w}x${n}`)
        result.completed++
      } catch (err) {
        result.failed++
        const code = (err as { code?: string }).code ?? 'error'
        result.failures[code] = (result.failures[code] ?? 0) + 1
        await sleep(5)
      }
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, (_, w) => worker(w)))
  result.perSecond = Math.round(result.completed / ((Date.now() - started) / 1000))
  return result
}

async function joinOnce (port: number, localAddress: string, serverKey: Buffer, nick: string): Promise<void> {
  const member = await connectMember({ port, serverKey, nick, localAddress, keyPair: generateKeyPair() })
  member.connection.end()
  await member.closed(5000)
}

function tcpOnce (port: number, localAddress: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress })
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.destroy()
      resolve()
    })
  })
}

async function handshakeOnce (port: number, localAddress: string, keyPair: KeyPair): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress })
  socket.on('error', () => {})
  const stream = new SecureStream(true, socket, { keyPair, verify: acceptAnyKey, handshakeTimeout: 10_000 })
  stream.on('error', () => {})
  try {
    await stream.opened
  } finally {
    stream.destroy()
  }
}

/** Lies told after the handshake, by a member. */
export type TransportLie =
  /** A header of 0xFFFF and then nothing: the server waits for 65535 bytes that never come. */
  | 'header-then-nothing'
  /** A header of 0xFFFF and all but one byte of the body: the most a lie can make the server hold. */
  | 'almost-whole-frame'
  /** A header that says 20 bytes, then 40: the next "frame" is garbage. */
  | 'header-says-less'

/** What one lying connection got. */
export interface LieOutcome {
  lie: TransportLie | 'lie-pre' | 'lie-msg3'
  /** ms from the lie until the server closed the connection; NaN if it was still open at the deadline. */
  closedAfterMs: number
  /** The error our side of the stream ended with (code: message), as the server told it. */
  outcome: string
}

/**
 * Complete a handshake (with a pinned server key), then write `lie` as raw
 * bytes under the secure stream, and wait up to `waitMs` for the server to
 * close the connection. Our stream still reads: the server's ABORT reason
 * arrives in its error.
 */
export async function tellTransportLie (port: number, serverKey: Buffer, lie: TransportLie, waitMs: number, localAddress = '127.0.0.1'): Promise<LieOutcome> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress })
  socket.on('error', () => {})
  const stream = new SecureStream(true, socket, { keyPair: generateKeyPair(), verify: (key) => key.equals(serverKey) })
  let outcome = 'still open'
  const closed = new Promise<void>((resolve) => {
    stream.on('error', (err: Error & { code?: string }) => { outcome = `${err.code ?? 'error'}: ${err.message}` })
    stream.on('close', () => resolve())
  })
  stream.on('data', () => {})
  try {
    await stream.opened
  } catch (err) {
    return { lie, closedAfterMs: NaN, outcome: `no handshake: ${(err as { code?: string }).code ?? String(err)}` }
  }
  // Let the join and its greeting go by before lying.
  await sleep(700)
  const lieAt = Date.now()
  if (lie === 'header-then-nothing') socket.write(Buffer.from([0xff, 0xff]))
  if (lie === 'almost-whole-frame') socket.write(Buffer.concat([Buffer.from([0xff, 0xff]), randomBytes(65534)]))
  if (lie === 'header-says-less') socket.write(Buffer.concat([Buffer.from([0x00, 0x14]), randomBytes(40)]))
  const done = await Promise.race([closed.then(() => true), sleep(waitMs).then(() => false)])
  const closedAfterMs = done ? Date.now() - lieAt : NaN
  if (!done) stream.destroy()
  return { lie, closedAfterMs, outcome }
}

/** Send a pre-handshake lie on a raw connection and time how long the server keeps it. */
export async function tellHandshakeLie (port: number, lie: 'lie-pre' | 'lie-msg3', waitMs: number, localAddress = '127.0.0.1'): Promise<LieOutcome> {
  const result = await holdHandshakes({ port, sources: [localAddress], mode: lie, connections: 1, durationMs: waitMs, reopenDelayMs: 0, maxAttempts: 1 })
  const closed = result.lifetimeMs.count === 1
  return {
    lie,
    closedAfterMs: closed ? result.lifetimeMs.max : NaN,
    outcome: closed ? 'connection closed by the server' : 'still open'
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
