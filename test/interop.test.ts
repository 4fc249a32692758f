// Interoperability with an independent implementation of the wire format.
//
// interop/noise_peer.py was written from ../shared/PROTOCOL.md, the Noise
// spec and the RFCs, without this project's code. Each test runs it as a
// real process on 127.0.0.1 against our SecureStream, in both roles: the
// Python peer as initiator against our responder, and our initiator against
// the Python peer as responder. The peer prints one JSON line per event and
// exits 0 when its script's expectations held (3: handshake failed, 4: it
// rejected our key). python3 is required: without it these tests fail.
import test from 'brittle'
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { Writable } from 'streamx'
import { SecureStream } from '../lib/secure/secure-stream.js'
import { setNonceForTesting } from '../lib/secure/testing.js'
import { acceptAnyKey } from '../lib/secure/options.js'
import type { SecureStreamOptions } from '../lib/secure/options.js'
import { generateKeyPair, keyPairFromSecretKey, samePublicKey } from '../lib/secure/keypair.js'

const PEER = fileURLToPath(new URL('../../interop/noise_peer.py', import.meta.url))
const PYTHON = 'python3'
const MISSING_PYTHON = 'python3 was not found on PATH: the interop tests run interop/noise_peer.py ' +
  '(Python 3, standard library only) against SecureStream; install python3 to run them'

type T = { teardown: (fn: () => unknown) => void }
type Role = 'python-initiator' | 'python-responder'
const ROLES: Role[] = ['python-initiator', 'python-responder']

interface PeerEvent { event: string, [field: string]: any }

interface PeerRun {
  code: number | null
  events: PeerEvent[]
  stderr: string
}

/** A running noise_peer.py: its events as they arrive, and its exit. */
class Peer {
  readonly events: PeerEvent[] = []
  readonly exited: Promise<PeerRun>
  private stderr = ''
  private waiters: Array<() => void> = []

  constructor (t: T, args: string[]) {
    const child = spawn(PYTHON, [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill() })
    let partial = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) if (line.trim() !== '') this.events.push(JSON.parse(line))
      for (const wake of this.waiters.splice(0)) wake()
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { this.stderr += chunk })
    this.exited = new Promise((resolve, reject) => {
      child.on('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' ? new Error(MISSING_PYTHON) : err)
      })
      child.on('close', (code) => {
        for (const wake of this.waiters.splice(0)) wake()
        resolve({ code, events: this.events, stderr: this.stderr })
      })
    })
    this.exited.catch(() => {}) // reported by whoever awaits it
  }

  /** The first event with this name; fails if the peer exits without it. */
  async waitFor (name: string): Promise<PeerEvent> {
    for (;;) {
      const found = this.events.find((e) => e.event === name)
      if (found !== undefined) return found
      const done = await Promise.race([
        this.exited.then(() => true),
        new Promise<false>((resolve) => this.waiters.push(() => resolve(false)))
      ])
      if (done) {
        const again = this.events.find((e) => e.event === name)
        if (again !== undefined) return again
        throw new Error(`noise_peer.py exited without a "${name}" event: ${JSON.stringify(this.events)} ${this.stderr}`)
      }
    }
  }

  find (name: string): PeerEvent[] {
    return this.events.filter((e) => e.event === name)
  }
}

/** Our side, after the stream closed: what it read and how it ended. */
interface OurEnd { data: Buffer, chunks: Buffer[], ended: boolean, error: any }

function collect (stream: SecureStream): Promise<OurEnd> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let ended = false
    let error: any = null
    stream.on('data', (d: unknown) => chunks.push(d as Buffer))
    stream.on('end', () => { ended = true })
    stream.on('error', (err: any) => { error = err })
    stream.on('close', () => resolve({ data: Buffer.concat(chunks), chunks, ended, error }))
  })
}

interface Session {
  ours: SecureStream
  peer: Peer
  ourEnd: Promise<OurEnd>
  /** The Python peer's static key pair (derived on our side by libsodium). */
  pyPublic: Buffer
}

/**
 * One connection between the Python peer and our SecureStream. `role` names
 * the Python side. The Python peer gets a random static key (passed in hex)
 * and the given script and options; ours gets `options` on top of a fresh
 * key pair and acceptAnyKey.
 */
async function session (t: T, role: Role, pyArgs: string[], options: Partial<SecureStreamOptions> = {},
  pySecret: Buffer = randomBytes(32)): Promise<Session> {
  const pyPublic = keyPairFromSecretKey(pySecret).publicKey
  const opts: SecureStreamOptions = { keyPair: generateKeyPair(), verify: acceptAnyKey, ...options }
  const args = ['--static', pySecret.toString('hex'), '--timeout', '10', ...pyArgs]
  if (role === 'python-initiator') {
    const server = net.createServer()
    t.teardown(() => server.close())
    server.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
    const peer = new Peer(t, ['connect', String((server.address() as net.AddressInfo).port), ...args])
    const socket = await Promise.race([accepted, peer.exited.then((run) => {
      throw new Error(`noise_peer.py exited before connecting: ${JSON.stringify(run)}`)
    })])
    server.close()
    const ours = new SecureStream(false, socket, opts)
    t.teardown(() => ours.destroy())
    return { ours, peer, ourEnd: collect(ours), pyPublic }
  }
  const peer = new Peer(t, ['listen', '0', ...args])
  const { port } = await peer.waitFor('listening')
  const ours = new SecureStream(true, net.connect(port, '127.0.0.1'), opts)
  t.teardown(() => ours.destroy())
  return { ours, peer, ourEnd: collect(ours), pyPublic }
}

function pinned (key: Buffer) {
  return (remote: Buffer) => samePublicKey(remote, key)
}

/** Writes each chunk after the previous one was flushed, so each is its own frame. */
async function writeEach (stream: SecureStream, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) {
    stream.write(chunk)
    await Writable.drained(stream)
  }
}

test('python3 is installed (these tests need it)', (t) => {
  const probe = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' })
  t.absent(probe.error, probe.error ? MISSING_PYTHON : 'python3 found')
  t.is(probe.status, 0, `${PYTHON} --version: ${probe.stdout}${probe.stderr}`)
})

test('the independent peer passes its selftest: RFC 7748, RFC 8439, cacophony and our vectors', (t) => {
  const run = spawnSync(PYTHON, [PEER, 'selftest'], { encoding: 'utf8' })
  t.absent(run.error, run.error ? MISSING_PYTHON : 'ran')
  const lines = (run.stdout ?? '').split('\n')
  t.is(run.status, 0, lines.filter((l) => l.startsWith('FAIL')).join('; ') || `exit ${run.status}`)
  t.ok(lines.includes('0 failed'), 'it reports 0 failed')
  t.ok(lines.filter((l) => l.startsWith('ok ')).length >= 40, 'it ran all its checks')
})

for (const role of ROLES) {
  test(`${role}: pinned keys both ways, DATA both ways, PINGs both ways never surface, END both ways`, async (t) => {
    const ourKeys = generateKeyPair()
    const pySecret = randomBytes(32)
    const pyPublic = keyPairFromSecretKey(pySecret).publicKey
    const s = await session(t, role, [
      '--remote-key', ourKeys.publicKey.toString('hex'),
      '--do', 'expect-ping', // our keep-alive, sent while we are idle
      '--do', 'send:hello', '--do', 'ping', '--do', 'ping', '--do', 'send: world',
      '--do', 'expect-data:from node',
      '--do', 'end', '--do', 'expect-end'
    ], { keyPair: ourKeys, keepAlive: 30, verify: pinned(pyPublic) }, pySecret)
    let received = ''
    s.ours.on('data', (d: unknown) => {
      received += String(d)
      if (received === 'hello world') s.ours.write('from node')
    })
    s.ours.on('end', () => s.ours.end())
    await s.ours.opened
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])

    t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
    t.absent(ours.error, 'our side closed without an error')
    t.ok(ours.ended, 'our side saw the authenticated END')
    t.is(ours.data.toString(), 'hello world', 'our side read exactly the DATA bytes: the two PINGs surfaced nothing')
    t.ok(ours.chunks.every((c) => c.byteLength > 0), 'no empty chunk was delivered')
    const hs = await s.peer.waitFor('handshake')
    t.ok(samePublicKey(s.ours.remotePublicKey!, s.pyPublic), 'we learned the Python peer\'s static key')
    t.is(hs.remote_static, ourKeys.publicKey.toString('hex'), 'the Python peer learned our static key')
    t.is(hs.local_static, s.pyPublic.toString('hex'), 'its X25519 public key matches libsodium\'s')
    t.is(hs.handshake_hash, s.ours.handshakeHash!.toString('hex'), 'both sides have the same handshake hash')
    t.ok(s.peer.find('ping').length >= 1, 'the Python peer decoded our keep-alive PINGs')
    t.is(s.peer.find('end').length, 1, 'the Python peer received one END')
  })

  test(`${role}: a 65518-byte DATA frame and an empty one arrive intact both ways`, async (t) => {
    const big = Buffer.from(Array.from({ length: 65518 }, (_, i) => i & 0xff))
    const s = await session(t, role, [
      '--do', 'send-size:65518', '--do', 'send-hex:', '--do', 'send:!',
      '--do', 'expect-bytes:65518', '--do', 'end', '--do', 'expect-end'
    ])
    let got = 0
    s.ours.on('data', (d: unknown) => {
      got += (d as Buffer).byteLength
      if (got === 65519) s.ours.end(big)
    })
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
    t.absent(ours.error)
    t.ok(ours.data.equals(Buffer.concat([big, Buffer.from('!')])), 'we read the largest frame, nothing for the empty one, then "!"')
    const bytes = await s.peer.waitFor('bytes')
    t.is(bytes.sha256, createHash('sha256').update(big).digest('hex'), 'the Python peer read our 65518 bytes')
  })

  test(`${role}: the Python peer's ABORT fails our stream with ERR_PEER_ABORTED and its reason`, async (t) => {
    const reason = 'python gives up: ünïcode ok'
    const s = await session(t, role, ['--do', 'send:partial', '--do', `abort:${reason}`])
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
    t.is(ours.data.toString(), 'partial', 'the DATA before the ABORT was delivered')
    t.is(ours.error?.code, 'ERR_PEER_ABORTED')
    t.ok(String(ours.error?.message).includes(reason), `message carries the reason: ${ours.error?.message}`)
    t.is(ours.error?.reason, reason, 'err.reason is the reason')
    t.absent(ours.ended, 'an ABORT is not a clean end')
  })

  test(`${role}: our destroy(err) reaches the Python peer as ABORT with err.message`, async (t) => {
    const s = await session(t, role, ['--do', 'expect-data:before', '--do', 'expect-abort:node gives up'])
    await s.ours.opened
    s.ours.write('before')
    await Writable.drained(s.ours)
    s.ours.destroy(new Error('node gives up'))
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
    t.is(s.peer.find('abort')[0]?.reason, 'node gives up')
    t.is(ours.error?.message, 'node gives up', 'our stream fails with the error we gave')
  })

  test(`${role}: a different prologue fails the handshake on both sides`, async (t) => {
    const s = await session(t, role, ['--prologue', 'other-app/1', '--do', 'send:never'])
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(run.code, 3, 'the Python peer reports a failed handshake')
    t.is(ours.data.byteLength, 0, 'nothing was delivered')
    if (role === 'python-initiator') {
      // The initiator cannot decrypt msg2 and closes; the responder sees the close.
      t.is(s.peer.find('handshake-failed')[0]?.stage, 'msg2', 'python failed to decrypt our msg2')
      t.is(ours.error?.code, 'ERR_HANDSHAKE_INCOMPLETE')
    } else {
      t.is(ours.error?.code, 'ERR_HANDSHAKE_FAILED', 'we failed to decrypt its msg2')
      t.is(s.peer.find('handshake-failed')[0]?.stage, 'msg3', 'python never got msg3')
    }
  })

  test(`${role}: frames with nonces across 65536 (start-nonce hook) use the rekeyed key both ways`, async (t) => {
    const start = 65533
    // The Python peer waits for our "go" (sent at the new nonce) before it
    // sends, so its frames never reach us before our nonces are moved.
    const s = await session(t, role, [
      '--start-nonce', String(start), '--do', 'expect-data:go',
      '--do', 'send:a', '--do', 'send:b', '--do', 'send:c', '--do', 'send:d', '--do', 'send:e', '--do', 'send:f',
      '--do', 'expect-data:uvwxyz', '--do', 'end', '--do', 'expect-end'
    ])
    s.ours.on('end', () => s.ours.end())
    await s.ours.opened
    setNonceForTesting(s.ours, 'send', BigInt(start))
    setNonceForTesting(s.ours, 'receive', BigInt(start))
    await writeEach(s.ours, ['go', 'u', 'v', 'w', 'x', 'y', 'z'].map((c) => Buffer.from(c)))
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
    t.absent(ours.error)
    t.is(ours.data.toString(), 'abcdef', 'we read the Python frames at nonces 65533..65538')
    const sent = s.peer.find('sent').map((e) => e.nonce)
    t.alike(sent.slice(0, 6), [65533, 65534, 65535, 65536, 65537, 65538], 'the Python peer sent across the REKEY')
    const nonces = s.peer.find('data').map((e) => e.nonce)
    t.ok(Math.max(...nonces) >= 65536, `the Python peer read our frames after our REKEY too (nonces ${nonces.join(' ')})`)
  })

  test(`${role}: nonces near 2^64 are encoded with all 64 bits, both ways`, async (t) => {
    const start = 2n ** 64n - 4n // Python: -4, -3 DATA, -2 END (the last usable nonce); ours: -4 DATA, -3 END
    const s = await session(t, role, ['--start-nonce', start.toString(), '--do', 'expect-data:go',
      '--do', 'send:hi', '--do', 'send:gh', '--do', 'end', '--do', 'expect-end'])
    s.ours.on('end', () => s.ours.end())
    await s.ours.opened
    setNonceForTesting(s.ours, 'send', start)
    setNonceForTesting(s.ours, 'receive', start)
    s.ours.write('go')
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
    t.absent(ours.error)
    t.is(ours.data.toString(), 'high', 'we read the frames at 2^64-4 and 2^64-3')
    t.alike(s.peer.find('sent').map((e) => BigInt(e.nonce)), [start, start + 1n, start + 2n], 'the Python peer sent at 2^64-4 .. 2^64-2')
    t.alike(s.peer.find('data').map((e) => BigInt(e.nonce)), [start], 'it read our DATA at 2^64-4')
    t.alike(s.peer.find('end').map((e) => BigInt(e.nonce)), [start + 1n], 'and our END at 2^64-3')
  })
}

for (const role of ROLES) {
  test(`${role}: a payload in its msg${role === 'python-initiator' ? 3 : 2} (reserved for extensions) is ignored`, async (t) => {
    const s = await session(t, role, ['--handshake-payload', Buffer.from('future extension').toString('hex'),
      '--do', 'send:still fine', '--do', 'end', '--do', 'expect-end'])
    s.ours.on('end', () => s.ours.end())
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
    t.absent(ours.error)
    t.is(ours.data.toString(), 'still fine', 'the payload was not delivered as data')
  })
}

test('python-responder: it rejects our key and we get ERR_LOCAL_KEY_REJECTED with its reason', async (t) => {
  const reason = 'not on the list'
  const s = await session(t, 'python-responder', ['--remote-key', 'ab'.repeat(32), '--reject-reason', reason])
  s.ours.write('hello?')
  const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 4, 'the Python peer rejected our key')
  t.is(s.peer.find('rejected-remote-key')[0]?.sent_abort, reason)
  t.is(ours.error?.code, 'ERR_LOCAL_KEY_REJECTED')
  t.ok(String(ours.error?.message).includes(reason), `message carries the reason: ${ours.error?.message}`)
  t.is(ours.error?.reason, reason)
})

test('python-initiator: our verify rejects its key and it receives an ABORT with our reason', async (t) => {
  const s = await session(t, 'python-initiator', ['--do', 'expect-abort:you are not welcome'],
    { verify: () => { throw new Error('you are not welcome') } })
  const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
  t.is(s.peer.find('abort')[0]?.nonce, 0, 'the ABORT was our first transport frame (c2, nonce 0)')
  t.is(ours.error?.code, 'ERR_REMOTE_KEY_REJECTED')
})

test('python-initiator: it rejects our key after msg2 and never sends msg3', async (t) => {
  const s = await session(t, 'python-initiator', ['--remote-key', 'cd'.repeat(32), '--do', 'send:never'])
  const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 4, 'the Python peer rejected our key')
  t.is(s.peer.find('rejected-remote-key')[0]?.sent_msg3, false)
  t.is(ours.error?.code, 'ERR_HANDSHAKE_INCOMPLETE', 'we saw the connection close during the handshake')
})

test('python-responder: our verify rejects its key after msg2: it never receives a byte of msg3', async (t) => {
  const s = await session(t, 'python-responder', ['--do', 'send:never'], { verify: () => false })
  s.ours.write('who am I?')
  const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 3, 'the Python peer saw an incomplete handshake')
  const failed = s.peer.find('handshake-failed')[0]
  t.is(failed?.stage, 'msg3')
  t.is(failed?.bytes_after_msg1, 0, 'no byte arrived after msg1: our identity was never sent')
  t.is(ours.error?.code, 'ERR_REMOTE_KEY_REJECTED')
})

test('python-initiator: a real REKEY: 65540 one-byte DATA frames from Python', async (t) => {
  const count = 65540
  const s = await session(t, 'python-initiator', ['--do', `flood:${count}`, '--do', 'end', '--do', 'expect-end'])
  s.ours.on('end', () => s.ours.end())
  const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
  t.absent(ours.error)
  t.is(s.peer.find('flooded')[0]?.last_nonce, count - 1, 'frames 0 .. 65539 were sent')
  t.is(ours.data.byteLength, count)
  t.ok(ours.data.every((b, i) => b === (i & 0xff)), 'every byte arrived in order, before and after the REKEY at 65536')
})

test('python-responder: a real REKEY: 65540 DATA frames from us', async (t) => {
  const count = 65540
  const s = await session(t, 'python-responder', ['--timeout', '20', '--do', `expect-bytes:${count}`, '--do', 'end', '--do', 'expect-end'])
  s.ours.on('end', () => s.ours.end())
  await s.ours.opened
  // One byte per write, each after the previous one was flushed, so each is its own frame.
  for (let i = 0; i < count; i++) {
    s.ours.write(Buffer.of(i & 0xff))
    await Writable.drained(s.ours)
  }
  const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
  t.absent(ours.error)
  const bytes = s.peer.find('bytes')[0]
  const want = Buffer.from(Array.from({ length: count }, (_, i) => i & 0xff))
  t.is(bytes?.sha256, createHash('sha256').update(want).digest('hex'), 'the Python peer read every byte in order')
  t.ok(bytes?.last_nonce >= 65536, `our frames crossed the REKEY at 65536 (last nonce ${bytes?.last_nonce}, ${bytes?.frames} frames)`)
})

for (const role of ROLES) {
  test(`${role}: a close without END after the handshake is ERR_TRUNCATED, after the data before it`, async (t) => {
    const s = await session(t, role, ['--do', 'send:cut here', '--do', 'close'])
    const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
    t.is(ours.data.toString(), 'cut here')
    t.is(ours.error?.code, 'ERR_TRUNCATED')
    t.absent(ours.ended, 'never a clean end')
  })

  test(`${role}: a frame after the peer's END is ERR_UNEXPECTED_FRAME`, async (t) => {
    const s = await session(t, role, ['--do', 'send:done', '--do', 'end', '--do', 'send:late'])
    const [, ours] = await Promise.all([s.peer.exited, s.ourEnd])
    t.is(ours.error?.code, 'ERR_UNEXPECTED_FRAME')
    t.absent(ours.data.toString().includes('late'), 'the late DATA was not delivered')
  })
}

test('python-initiator: an ABORT reason that is not UTF-8 arrives with replacement characters', async (t) => {
  const s = await session(t, 'python-initiator', ['--do', 'abort-hex:ff6f6bc3'])
  const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
  t.is(ours.error?.code, 'ERR_PEER_ABORTED', 'not rejected as a bad frame')
  t.is(ours.error?.reason, '\ufffdok\ufffd')
})

test('python-initiator: the longest legal ABORT reason, 1024 bytes, arrives whole', async (t) => {
  // (From the initiator: a responder's FIRST frame being ABORT means "your key was refused".)
  const reason = 'r'.repeat(1024)
  const s = await session(t, 'python-initiator', ['--do', `abort:${reason}`])
  const [run, ours] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 0, `python: ${JSON.stringify(run.events)} ${run.stderr}`)
  t.is(ours.error?.code, 'ERR_PEER_ABORTED')
  t.is(ours.error?.reason, reason)
})

test('python-responder: destroy() with a 3000-byte message still sends a legal ABORT (reason <= 1024 bytes)', async (t) => {
  const s = await session(t, 'python-responder', ['--do', 'expect-abort'])
  await s.ours.opened
  s.ours.destroy(new Error('é'.repeat(1500)))
  const [run] = await Promise.all([s.peer.exited, s.ourEnd])
  t.is(run.code, 0, `python accepted the ABORT frame: ${JSON.stringify(run.events)} ${run.stderr}`)
  const reason: string = s.peer.find('abort')[0]?.reason ?? ''
  t.ok(reason.length > 0 && Buffer.byteLength(reason) <= 1024 + 3, `a non-empty reason of at most 1024 bytes (${Buffer.byteLength(reason)})`)
  t.ok(reason.startsWith('é'.repeat(100)), 'it is the start of our message')
})
