import test from 'brittle'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { acceptAnyKey, type VerifyRemoteKey } from '../lib/secure/options.js'
import { fingerprint, generateKeyPair, type KeyPair } from '../lib/secure/keypair.js'
import { openWithHostKeyPolicy } from '../lib/identity/open-with-host-key.js'
import type { HostKeyPolicy, HostKeyQuestion } from '../lib/identity/host-key-verifier.js'
import { readKnownHosts } from '../lib/identity/known-hosts.js'

type T = { teardown: (fn: () => unknown) => void }

function knownHostsIn (t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-open-trust-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'known_hosts')
}

/** A responder on 127.0.0.1 with `keyPair`; `ended` holds one promise per connection, settled when its stream closed. */
async function responder (t: T, keyPair: KeyPair) {
  const ended: Array<Promise<string>> = []
  const server = net.createServer((socket) => {
    const s = new SecureStream(false, socket, { keyPair, verify: acceptAnyKey })
    s.on('error', () => {})
    s.on('data', () => {})
    s.on('end', () => s.end())
    ended.push(new Promise((resolve) => s.once('close', () => resolve('closed'))))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { port: (server.address() as net.AddressInfo).port, ended }
}

/** One initiator stream to `port` with `verify`, resolved once it opened (then ended cleanly). */
async function dial (port: number, verify: VerifyRemoteKey): Promise<SecureStream> {
  const socket = net.connect(port, '127.0.0.1')
  const s = new SecureStream(true, socket, { keyPair: generateKeyPair(), verify })
  s.on('error', () => {})
  await s.opened
  s.end()
  return s
}

test('ask: the question comes after the first connection closed; yes opens a second one pinned to that key and records it once', async (t) => {
  const serverKey = generateKeyPair()
  const server = await responder(t, serverKey)
  const file = knownHostsIn(t)
  const questions: HostKeyQuestion[] = []
  let opens = 0
  const policy: HostKeyPolicy = {
    mode: 'ask',
    ask: async (q) => {
      questions.push(q)
      t.is(await server.ended[0], 'closed', "the first connection is closed before anyone is asked: no handshake deadline runs meanwhile")
      t.absent(existsSync(file), 'nothing recorded while asking')
      return true
    }
  }
  let recorded!: () => void
  const written = new Promise<void>((resolve) => { recorded = resolve })
  const stream = await openWithHostKeyPolicy({ host: '127.0.0.1', port: server.port, policy, knownHostsFile: file, onRecord: () => recorded() }, (verify) => {
    opens++
    return dial(server.port, verify)
  })
  await written
  t.ok(stream.remotePublicKey!.equals(serverKey.publicKey))
  t.is(opens, 2, 'two connections: the refused one and the accepted one')
  t.is(questions.length, 1)
  t.is(questions[0]!.fingerprint, fingerprint(serverKey.publicKey))
  const entries = await readKnownHosts(file)
  t.is(entries.length, 1, 'recorded once the second stream opened')
  t.ok(entries[0]!.publicKey.equals(serverKey.publicKey))
})

test('ask: no is ERR_HOST_KEY_DECLINED with the stream error as cause; nothing recorded, one connection', async (t) => {
  const server = await responder(t, generateKeyPair())
  const file = knownHostsIn(t)
  let opens = 0
  const err = await openWithHostKeyPolicy({ host: '127.0.0.1', port: server.port, policy: { mode: 'ask', ask: () => false }, knownHostsFile: file }, (verify) => {
    opens++
    return dial(server.port, verify)
  }).then(() => null, (e: Error) => e)
  t.is((err as { code?: string } | null)?.code, 'ERR_HOST_KEY_DECLINED')
  t.is(((err as { cause?: { code?: string } }).cause)?.code, 'ERR_REMOTE_KEY_REJECTED', "the first stream's error is kept as the cause")
  t.is(opens, 1)
  t.absent(existsSync(file), 'nothing recorded')
})

test('ask: a server that shows another key on the second connection is refused (ERR_HOST_KEY_MISMATCH), nothing recorded', async (t) => {
  const first = await responder(t, generateKeyPair())
  const impostor = await responder(t, generateKeyPair())
  const file = knownHostsIn(t)
  const ports = [first.port, impostor.port]
  const err = await openWithHostKeyPolicy({ host: '127.0.0.1', port: first.port, policy: { mode: 'ask', ask: () => true }, knownHostsFile: file }, (verify) => dial(ports.shift()!, verify))
    .then(() => null, (e: Error) => e)
  t.is((err as { code?: string } | null)?.code, 'ERR_REMOTE_KEY_REJECTED')
  const cause = (err as { cause?: Error & { code?: string } }).cause
  t.is(cause?.code, 'ERR_HOST_KEY_MISMATCH')
  t.ok(cause?.message.includes('presented another key when we connected again'), 'says the key changed between the two connections')
  t.absent(existsSync(file), 'nothing recorded')
})

test('accept-new records only once the stream opened: not when opening fails', async (t) => {
  const serverKey = generateKeyPair()
  const server = await responder(t, serverKey)
  const file = knownHostsIn(t)
  const options = { host: '127.0.0.1', port: server.port, policy: { mode: 'accept-new' } as HostKeyPolicy, knownHostsFile: file }
  const err = await openWithHostKeyPolicy(options, async (verify) => {
    // The key is accepted inside the handshake, then the caller's opening fails (as a stream that never opened does).
    await dial(server.port, verify)
    throw new Error('the caller gave up')
  }).then(() => null, (e: Error) => e)
  t.is(err?.message, 'the caller gave up')
  t.absent(existsSync(file), 'nothing recorded for a failed open')
  const written = new Promise<void>((resolve) => { void openWithHostKeyPolicy({ ...options, onRecord: () => resolve() }, (verify) => dial(server.port, verify)) })
  await written
  t.is((await readKnownHosts(file)).length, 1, 'recorded after an open that succeeded')
})
