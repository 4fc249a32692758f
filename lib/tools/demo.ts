import { EventEmitter, once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { DEMO_STEP_TIMEOUT_MS } from '../constants.js'
import { authorizedKeysVerifier } from '../identity/authorized-keys.js'
import { hostKeyVerifier } from '../identity/host-key-verifier.js'
import { addKnownHost } from '../identity/known-hosts.js'
import { fingerprint, generateKeyPair, samePublicKey, type KeyPair } from '../secure/keypair.js'
import { acceptAnyKey, type VerifyRemoteKey } from '../secure/options.js'
import { SecureStream } from '../secure/secure-stream.js'
import { DemoChatClient, DemoChatServer } from './demo-chat.js'
import { hexdump } from './hexdump.js'
import { forward } from './relay.js'
import { Tap, type TapChunk, type TapTamper } from './tap.js'

/*
 * `noise-chat demo`: five short scenes on 127.0.0.1, each ending in claims
 * the demo checks on the bytes it captured and the errors it got. Nothing
 * is staged: the chat is lib/chat's handler, the secure streams and the
 * trust checks are the ones every command uses, and the eavesdropper is
 * the `tap` command's relay.
 */

/** One claim the demo made and checked. */
export interface DemoClaim {
  scene: number
  text: string
  ok: boolean
  /** Why it failed, when it did. */
  detail?: string
}

export interface DemoOptions {
  /** Where the narration goes. */
  output: Writable
  /** Longest wait for one step (default DEMO_STEP_TIMEOUT_MS). */
  stepTimeoutMs?: number
}

/** What alice and bobby say in every scene: distinctive, so a search of the captured bytes cannot hit by chance. */
export const SAID_BY_ALICE = 'the spare key is under the blue flowerpot'
export const SAID_BY_BOBBY = 'thanks, I will water the tomatoes at noon'
export const NICKS = ['alice', 'bobby'] as const

interface Scene {
  say (text: string): void
  show (title: string, bytes: Buffer, offset?: number): void
  check (text: string, ok: boolean, detail?: string): void
  timeout: number
}

/** Run every scene; resolves to the claims, in order. A scene that throws counts as one failed claim and the next scene runs. */
export async function runDemo (options: DemoOptions): Promise<DemoClaim[]> {
  const claims: DemoClaim[] = []
  const out = options.output
  const timeout = options.stepTimeoutMs ?? DEMO_STEP_TIMEOUT_MS
  out.write('noise-chat demo: what an eavesdropper, an impostor and a tamperer get, checked.\n')
  out.write('Everything runs on 127.0.0.1 with ephemeral ports and keys made for this run.\n')
  const scenes: Array<[string, (s: Scene) => Promise<void>]> = [
    ['The original chat: plain TCP, an eavesdropper on the path', scenePlain],
    ['The same chat over secure streams, the same eavesdropper', sceneSecure],
    ['A man in the middle with keys of his own', sceneManInTheMiddle],
    ['A client whose key the server does not know', sceneUnauthorized],
    ['One bit flipped in transit', sceneBitFlip]
  ]
  for (let i = 0; i < scenes.length; i++) {
    const [title, run] = scenes[i]!
    const number = i + 1
    out.write(`\n${number}. ${title}\n`)
    const scene: Scene = {
      say: (text) => out.write(indent(text, '   ') + '\n'),
      show: (caption, bytes, offset) => out.write(`   ${caption}\n` + hexdump(bytes, { offset: offset ?? 0, indent: '     ' })),
      check: (text, ok, detail) => {
        claims.push(detail === undefined ? { scene: number, text, ok } : { scene: number, text, ok, detail })
        out.write(`   [${ok ? 'ok' : 'FAILED'}] ${text}${ok || detail === undefined ? '' : ` (${detail})`}\n`)
      },
      timeout
    }
    try {
      await run(scene)
    } catch (err) {
      scene.check('the scene ran to its end', false, (err as Error).message)
    }
  }
  const failed = claims.filter((c) => !c.ok).length
  out.write(`\n${claims.length - failed} of ${claims.length} claims hold${failed === 0 ? '.' : `; ${failed} FAILED.`}\n`)
  return claims
}

// ---- scene 1 ---------------------------------------------------------------

async function scenePlain (s: Scene): Promise<void> {
  const server = new DemoChatServer()
  const tap = await tapInFront(await server.listen())
  try {
    s.say('The chat handler (lib/chat) serves plain TCP, as the original program did: no keys,\nno encryption. A tap relays every byte between the members and the server.')
    const [alice, bobby] = [plainClient(tap.port), plainClient(tap.port)]
    await converse(alice, bobby, s.timeout)
    await closeAll([alice, bobby], s.timeout)
    const seen = tap.tap.captured()
    s.show("What the tap saw of alice's message on its way in:", chunkWith(tap.chunks, SAID_BY_ALICE))
    s.check('the eavesdropper read every message', contains(seen, SAID_BY_ALICE) && contains(seen, SAID_BY_BOBBY))
    s.check('the eavesdropper read every nick', NICKS.every((n) => contains(seen, n)))
    s.say('And since the client, not a key, says who it is, anyone can join as alice.')
  } finally {
    await Promise.all([tap.tap.close(), server.close()])
  }
}

// ---- scene 2 ---------------------------------------------------------------

async function sceneSecure (s: Scene): Promise<void> {
  const serverKeys = generateKeyPair()
  const server = new DemoChatServer({ keyPair: serverKeys, verify: acceptAnyKey })
  const tap = await tapInFront(await server.listen())
  const aliceKeys = generateKeyPair()
  const bobbyKeys = generateKeyPair()
  try {
    s.say('Now every connection is a secure stream (Noise XX, X25519, ChaCha20-Poly1305);\nthe members check the server key they were given. Same chat, same tap.')
    const alice = secureClient(tap.port, aliceKeys, pinned(serverKeys, tap.port))
    const bobby = secureClient(tap.port, bobbyKeys, pinned(serverKeys, tap.port))
    await converse(alice.client, bobby.client, s.timeout)
    await closeAll([alice.client, bobby.client], s.timeout)
    const seen = tap.tap.captured()
    const up = tap.tap.connections()[0]!.chunks['client-to-server']
    const first = Buffer.concat(up).subarray(0, 34)
    s.show("The first bytes alice sent: a 2-byte length (32) and her ephemeral public key, fresh\n   for this connection and the only key that ever crosses in the clear:", first)
    s.show("What the tap saw of alice's message: a length, then ciphertext and a 16-byte tag:", frameAt(Buffer.concat(up), 3))
    s.check('the messages were delivered (bobby read alice, alice read bobby)', true)
    s.check('no message text appears anywhere in the captured bytes', !contains(seen, SAID_BY_ALICE) && !contains(seen, SAID_BY_BOBBY))
    s.check('no nick appears anywhere in the captured bytes (nor "/nick")', NICKS.every((n) => !contains(seen, n)) && !contains(seen, '/nick'))
    s.check("no static key appears either: the eavesdropper cannot tell who connected to whom",
      [serverKeys, aliceKeys, bobbyKeys].every((k) => !seen.includes(k.publicKey)))
  } finally {
    await Promise.all([tap.tap.close(), server.close()])
  }
}

// ---- scene 3 ---------------------------------------------------------------

async function sceneManInTheMiddle (s: Scene): Promise<void> {
  const serverKeys = generateKeyPair()
  const malloryKeys = generateKeyPair()
  const aliceKeys = generateKeyPair()
  const server = new DemoChatServer({ keyPair: serverKeys, verify: acceptAnyKey })
  const mallory = new ManInTheMiddle(malloryKeys, await server.listen())
  const tap = await tapInFront(await mallory.listen())
  const dir = await mkdtemp(join(tmpdir(), 'noise-chat-demo-'))
  try {
    const knownHosts = join(dir, 'known_hosts')
    await addKnownHost(knownHosts, '127.0.0.1', tap.port, serverKeys.publicKey, 'recorded on an earlier visit')
    s.say(`alice has talked to this server before: her known_hosts holds its key\n(${fingerprint(serverKeys.publicKey)}). Today mallory sits on the path with keys of\nhis own, ready to relay to the real server and read everything in between.`)
    const verify = hostKeyVerifier({ host: '127.0.0.1', port: tap.port, policy: { mode: 'strict' }, knownHostsFile: knownHosts })
    const alice = secureClient(tap.port, aliceKeys, verify)
    alice.client.send('/nick alice')
    alice.client.send(SAID_BY_ALICE)
    const error = await failureOf(alice.stream, s.timeout)
    await mallory.settled(s.timeout)
    await alice.client.waitClosed(s.timeout)
    const cause = (error as { cause?: { code?: string, message?: string } } | undefined)?.cause
    if (cause?.message !== undefined) s.say('alice is told:\n' + indent(cause.message, '  '))
    const sent = tap.tap.captured('client-to-server')
    s.check('alice refused the key she did not expect (ERR_HOST_KEY_CHANGED)', cause?.code === 'ERR_HOST_KEY_CHANGED', `got ${codeOf(error)} / ${cause?.code ?? 'no cause'}`)
    s.check('alice sent only her first handshake message (34 bytes), never msg3', sent.length === 34, `she sent ${sent.length} bytes`)
    s.check("mallory never learned alice's identity: her static key never crossed, even encrypted",
      mallory.learnedKeys.length === 0 && !tap.tap.captured().includes(aliceKeys.publicKey))
    s.check('nothing alice typed reached mallory or the server', !contains(tap.tap.captured(), SAID_BY_ALICE) && server.room.size === 0)
  } finally {
    await Promise.all([tap.tap.close(), mallory.close(), server.close(), rm(dir, { recursive: true, force: true })])
  }
}

// ---- scene 4 ---------------------------------------------------------------

async function sceneUnauthorized (s: Scene): Promise<void> {
  const serverKeys = generateKeyPair()
  const aliceKeys = generateKeyPair()
  const eveKeys = generateKeyPair()
  const server = new DemoChatServer({
    keyPair: serverKeys,
    verify: authorizedKeysVerifier({ has: (key) => samePublicKey(key, aliceKeys.publicKey) })
  })
  const port = await server.listen()
  try {
    s.say("The server lists the keys it admits (authorized keys): alice's only. eve has the\nserver's key right and her own key pair, which the server does not know.")
    const alice = secureClient(port, aliceKeys, pinned(serverKeys, port))
    alice.client.send('/nick alice')
    await alice.client.waitForLine('alice joined', s.timeout)
    const eve = secureClient(port, eveKeys, pinned(serverKeys, port))
    eve.client.send('/nick eve')
    eve.client.send('hello everyone, I am totally alice')
    const error = await failureOf(eve.stream, s.timeout)
    await eve.client.waitClosed(s.timeout)
    if (error !== undefined) s.say('eve is told:\n' + indent(error.message, '  '))
    const refusal = server.failures.find((f) => f.code === 'ERR_REMOTE_KEY_REJECTED')
    s.check('eve was refused, and told so (ERR_LOCAL_KEY_REJECTED, "not authorized")',
      codeOf(error) === 'ERR_LOCAL_KEY_REJECTED' && (error?.message.includes('not authorized') ?? false), `got ${codeOf(error)}`)
    s.check('the server recorded why (her key is not authorized)', refusal !== undefined)
    s.check('nothing eve sent reached the room', server.room.size === 1 && !alice.client.lines.some((l) => l.includes('eve') || l.includes('totally')))
    await closeAll([alice.client], s.timeout)
  } finally {
    await server.close()
  }
}

// ---- scene 5 ---------------------------------------------------------------

async function sceneBitFlip (s: Scene): Promise<void> {
  const serverKeys = generateKeyPair()
  const server = new DemoChatServer({ keyPair: serverKeys, verify: acceptAnyKey })
  // Connection #1 (alice), client to server: msg1, msg3, her /nick line, then her message: frame 3 from 0.
  const flip = bitFlipper(1, 3, 5)
  const tap = await tapInFront(await server.listen(), flip.tamper)
  try {
    s.say('The tap turns active: in the frame carrying alice\'s message it flips one bit\n(bit 0 of ciphertext byte 5). Everything else passes unchanged.')
    const alice = secureClient(tap.port, generateKeyPair(), pinned(serverKeys, tap.port))
    alice.client.send('/nick alice')
    await alice.client.waitForLine('alice joined', s.timeout)
    const bobby = secureClient(tap.port, generateKeyPair(), pinned(serverKeys, tap.port))
    bobby.client.send('/nick bobby')
    await alice.client.waitForLine('bobby joined', s.timeout)
    alice.client.send(SAID_BY_ALICE)
    await bobby.client.waitForLine('alice left', s.timeout)
    await alice.client.waitClosed(s.timeout)
    const failure = server.failures.find((f) => f.code === 'ERR_DECRYPT_FAILED')
    s.say(`The server: ${failure?.message ?? '(no failure recorded)'}`)
    s.say(`alice's end: ${alice.client.error?.message ?? '(closed)'}`)
    s.check('the bit was flipped in transit', flip.done())
    s.check('the server detected it (ERR_DECRYPT_FAILED)', failure !== undefined)
    s.check("alice's connection was dropped", alice.stream.destroyed)
    s.check('nothing forged or altered was delivered: bobby saw no message from alice',
      !bobby.client.lines.some((l) => l.startsWith('<alice>')))
    await closeAll([bobby.client], s.timeout)
  } finally {
    await Promise.all([tap.tap.close(), server.close()])
  }
}

// ---- pieces ----------------------------------------------------------------

/** alice and bobby join and exchange one message each; every step waits for its effect. */
async function converse (alice: DemoChatClient, bobby: DemoChatClient, timeout: number): Promise<void> {
  alice.send('/nick alice')
  await alice.waitForLine('alice joined', timeout)
  bobby.send('/nick bobby')
  await alice.waitForLine('bobby joined', timeout)
  alice.send(SAID_BY_ALICE)
  await bobby.waitForLine(`<alice> ${SAID_BY_ALICE}`, timeout)
  bobby.send(SAID_BY_BOBBY)
  await alice.waitForLine(`<bobby> ${SAID_BY_BOBBY}`, timeout)
}

async function closeAll (clients: DemoChatClient[], timeout: number): Promise<void> {
  for (const c of clients) c.transport.end()
  await Promise.all(clients.map((c) => c.waitClosed(timeout)))
}

async function tapInFront (port: number, tamper?: TapTamper): Promise<{ tap: Tap, port: number, chunks: TapChunk[] }> {
  const tap = new Tap({ listen: { host: '127.0.0.1', port: 0 }, to: { host: '127.0.0.1', port }, capture: true, dump: false, ...(tamper === undefined ? {} : { tamper }) })
  const chunks: TapChunk[] = []
  tap.on('chunk', (c: TapChunk) => chunks.push(c))
  const bound = await tap.listen()
  return { tap, port: bound.port, chunks }
}

function plainClient (port: number): DemoChatClient {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  socket.on('error', () => {})
  return new DemoChatClient(socket)
}

function secureClient (port: number, keyPair: KeyPair, verify: VerifyRemoteKey): { client: DemoChatClient, stream: SecureStream } {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  const stream = new SecureStream(true, socket, { keyPair, verify })
  stream.on('error', () => {})
  return { client: new DemoChatClient(stream), stream }
}

function pinned (serverKeys: KeyPair, port: number): VerifyRemoteKey {
  return hostKeyVerifier({ host: '127.0.0.1', port, policy: { mode: 'pinned', pin: serverKeys.publicKey }, knownHostsFile: '/nonexistent' })
}

/** The stream's error once it failed (undefined if it closed without one). */
async function failureOf (stream: SecureStream, timeout: number): Promise<Error | undefined> {
  if (stream.destroyed) return undefined
  const timer = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('timed out waiting for the connection to fail')), timeout).unref())
  return Promise.race([
    new Promise<Error | undefined>((resolve) => {
      stream.once('error', (err: Error) => resolve(err))
      stream.once('close', () => resolve(undefined))
    }),
    timer
  ])
}

/**
 * A tamper function that flips bit 0 of byte `bodyByte` of frame number
 * `frameIndex` (from 0) that the client of connection `connection` sends.
 * It finds frames by their length prefixes (PROTOCOL.md 2), like any
 * on-path attacker can.
 */
function bitFlipper (connection: number, frameIndex: number, bodyByte: number): { tamper: TapTamper, done: () => boolean } {
  let seen = Buffer.alloc(0)
  let flipped = false
  const tamper: TapTamper = (chunk) => {
    if (flipped || chunk.connection !== connection || chunk.direction !== 'client-to-server') return chunk.bytes
    seen = Buffer.concat([seen, chunk.bytes])
    let start = 0
    for (let i = 0; i < frameIndex; i++) {
      if (start + 2 > seen.length) return chunk.bytes
      start += 2 + seen.readUInt16BE(start)
    }
    const target = start + 2 + bodyByte - chunk.offset
    if (target < 0 || target >= chunk.bytes.length) return chunk.bytes
    const changed = Buffer.from(chunk.bytes)
    changed[target]! ^= 0x01
    flipped = true
    return changed
  }
  return { tamper, done: () => flipped }
}

/**
 * Mallory: accepts connections as a responder with his own key (trusting
 * any client key) and opens his own secure stream to the real server, to
 * relay between the two and read everything. It works only on a client
 * that does not check the server key.
 */
class ManInTheMiddle {
  readonly learnedKeys: Buffer[] = []
  private readonly tcp: net.Server
  private readonly streams = new Set<SecureStream>()
  private pending = 0
  private readonly idle = new EventEmitter()

  constructor (keys: KeyPair, serverPort: number) {
    this.tcp = net.createServer({ allowHalfOpen: true }, (socket) => {
      this.pending++
      const victim = new SecureStream(false, socket, { keyPair: keys, verify: acceptAnyKey })
      const upstream = new SecureStream(true, net.connect({ host: '127.0.0.1', port: serverPort, allowHalfOpen: true }), { keyPair: keys, verify: acceptAnyKey })
      for (const s of [victim, upstream]) {
        this.streams.add(s)
        s.on('error', () => {})
      }
      victim.opened.then(() => {
        this.learnedKeys.push(victim.remotePublicKey!)
        forward(victim, upstream).catch(() => {})
        forward(upstream, victim).catch(() => {})
      }, () => upstream.destroy()).finally(() => {
        if (--this.pending === 0) this.idle.emit('settled')
      })
    })
  }

  async listen (): Promise<number> {
    this.tcp.listen(0, '127.0.0.1')
    await once(this.tcp, 'listening')
    return (this.tcp.address() as net.AddressInfo).port
  }

  /** Wait until every victim's handshake has succeeded or failed. */
  async settled (timeout: number): Promise<void> {
    if (this.pending === 0) return
    await Promise.race([once(this.idle, 'settled'), new Promise((resolve) => setTimeout(resolve, timeout).unref())])
  }

  async close (): Promise<void> {
    const closed = once(this.tcp, 'close')
    this.tcp.close()
    for (const s of this.streams) s.destroy()
    await closed
  }
}

function contains (haystack: Buffer, text: string): boolean {
  return haystack.includes(Buffer.from(text, 'utf8'))
}

/** The chunk the tap saw that holds `text` (a few bytes around it when it spans chunks). */
function chunkWith (chunks: TapChunk[], text: string): Buffer {
  const hit = chunks.find((c) => contains(c.bytes, text))
  return hit?.bytes ?? Buffer.alloc(0)
}

/** Frame number `index` (from 0) of a stream of length-prefixed frames, with its prefix. */
function frameAt (bytes: Buffer, index: number): Buffer {
  let start = 0
  for (let i = 0; i < index && start + 2 <= bytes.length; i++) start += 2 + bytes.readUInt16BE(start)
  if (start + 2 > bytes.length) return Buffer.alloc(0)
  return bytes.subarray(start, start + 2 + bytes.readUInt16BE(start))
}

function codeOf (err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : 'no error'
}

function indent (text: string, prefix: string): string {
  return text.split('\n').map((line) => prefix + line).join('\n')
}
