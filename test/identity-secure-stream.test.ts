import test from 'brittle'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { encodePublicKey, fingerprint, generateKeyPair } from '../lib/secure/keypair.js'
import type { KeyPair } from '../lib/secure/keypair.js'
import { AuthorizedKeys } from '../lib/identity/authorized-keys.js'
import { hostKeyVerifier } from '../lib/identity/host-key-verifier.js'
import type { HostKeyPolicy } from '../lib/identity/host-key-verifier.js'
import { addKnownHost, readKnownHosts } from '../lib/identity/known-hosts.js'
import { exitCodeFor } from '../lib/cli/exit-code.js'
import { EXIT_HOST_KEY, EXIT_KEY_REFUSED } from '../lib/constants.js'

type T = { teardown: (fn: () => unknown) => void }

function tempDir (t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-trust-e2e-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A responder on 127.0.0.1 that checks clients against `keys`; resolves each server-side stream's outcome. */
async function startServer (t: T, keyPair: KeyPair, keys: AuthorizedKeys) {
  const outcomes: Array<Promise<Error | null>> = []
  const server = net.createServer((socket) => {
    const s = new SecureStream(false, socket, { keyPair, verify: keys.verifier() })
    s.on('error', () => {})
    s.on('data', (d: unknown) => { s.write(d as Buffer) })
    s.on('end', () => s.end())
    outcomes.push(s.opened.then(() => null, (err: Error) => err))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { port: (server.address() as net.AddressInfo).port, outcomes }
}

/** Connect as `keyPair` under `policy`; resolves null when the stream opened and echoed, else the error. */
async function connect (port: number, keyPair: KeyPair, policy: HostKeyPolicy, knownHostsFile: string): Promise<Error | null> {
  const socket = net.connect(port, '127.0.0.1')
  const s = new SecureStream(true, socket, { keyPair, verify: hostKeyVerifier({ host: '127.0.0.1', port, policy, knownHostsFile }) })
  s.on('error', () => {})
  try {
    await s.opened
  } catch (err) {
    socket.destroy()
    return err as Error
  }
  // The initiator's handshake is complete once it sends msg3; a refusal of
  // its key arrives as the server's first frame, so read one to know.
  try {
    s.write(Buffer.from('ping'))
    s.end()
    const [echo] = await once(s, 'data') as [Buffer]
    return echo.toString() === 'ping' ? null : new Error('bad echo')
  } catch (err) {
    return err as Error
  } finally {
    socket.destroy()
  }
}

test('first use over TCP: accept-new records the server, and the authorized client is let in', async (t) => {
  const dir = tempDir(t)
  const serverKey = generateKeyPair()
  const client = generateKeyPair()
  const authFile = join(dir, 'authorized_keys')
  writeFileSync(authFile, `${encodePublicKey(client.publicKey)} alice\n`)
  const { port } = await startServer(t, serverKey, await AuthorizedKeys.load(authFile))
  const knownHosts = join(dir, 'known_hosts')
  t.is(await connect(port, client, { mode: 'accept-new' }, knownHosts), null)
  const entries = await readKnownHosts(knownHosts)
  t.is(entries.length, 1)
  t.ok(entries[0]!.publicKey.equals(serverKey.publicKey), 'the server key was recorded')
  t.is(await connect(port, client, { mode: 'strict' }, knownHosts), null, 'and trusted afterwards under strict')
})

test('a changed server key fails the handshake with ERR_HOST_KEY_CHANGED as the cause, exit code 4', async (t) => {
  const dir = tempDir(t)
  const serverKey = generateKeyPair()
  const client = generateKeyPair()
  const authFile = join(dir, 'authorized_keys')
  writeFileSync(authFile, `${encodePublicKey(client.publicKey)} alice\n`)
  const { port, outcomes } = await startServer(t, serverKey, await AuthorizedKeys.load(authFile))
  const knownHosts = join(dir, 'known_hosts')
  const old = generateKeyPair().publicKey
  await addKnownHost(knownHosts, '127.0.0.1', port, old)
  const err = await connect(port, client, { mode: 'accept-new' }, knownHosts) as Error & { code?: string, cause?: { code?: string, message?: string } }
  t.ok(err, 'refused')
  t.is(err.code, 'ERR_REMOTE_KEY_REJECTED')
  t.is(err.cause?.code, 'ERR_HOST_KEY_CHANGED')
  t.ok(err.cause?.message?.includes(fingerprint(serverKey.publicKey)), 'presented fingerprint')
  t.ok(err.cause?.message?.includes(fingerprint(old)), 'recorded fingerprint')
  t.is(exitCodeFor(err), EXIT_HOST_KEY)
  const serverSide = await outcomes[0]!
  t.ok(serverSide, 'the server never saw a completed handshake')
  t.absent((serverSide as { code?: string }).code === 'ERR_CLIENT_KEY_UNAUTHORIZED', 'the server did not even learn who we are')
})

test('an unauthorized client gets the server reason as ERR_LOCAL_KEY_REJECTED (exit 5); reload lets it in', async (t) => {
  const dir = tempDir(t)
  const serverKey = generateKeyPair()
  const client = generateKeyPair()
  const authFile = join(dir, 'authorized_keys')
  writeFileSync(authFile, `${encodePublicKey(generateKeyPair().publicKey)} someone-else\n`)
  const keys = await AuthorizedKeys.load(authFile)
  const { port, outcomes } = await startServer(t, serverKey, keys)
  const pin: HostKeyPolicy = { mode: 'pinned', pin: fingerprint(serverKey.publicKey) }
  const knownHosts = join(dir, 'known_hosts')

  const err = await connect(port, client, pin, knownHosts) as Error & { code?: string }
  t.is(err?.code, 'ERR_LOCAL_KEY_REJECTED')
  t.ok(err.message.includes(`your key ${fingerprint(client.publicKey)} is not authorized on this server`), err.message)
  t.is(exitCodeFor(err), EXIT_KEY_REFUSED)
  const serverErr = await outcomes[0]! as Error & { code?: string, cause?: { code?: string } }
  t.is(serverErr?.code, 'ERR_REMOTE_KEY_REJECTED')
  t.is(serverErr.cause?.code, 'ERR_CLIENT_KEY_UNAUTHORIZED')

  writeFileSync(authFile, `${encodePublicKey(client.publicKey)} alice\n`, { flag: 'a' })
  await keys.reload()
  t.is(await connect(port, client, pin, knownHosts), null, 'let in after reload, without restarting the server')
})
