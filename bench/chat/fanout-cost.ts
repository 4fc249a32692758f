/**
 * The server's CPU per delivery, measured so that the machine's load does
 * not decide it: `node dist/bench/chat/fanout-cost.js [--members N]
 * [--lines K] [--burst S] [--dist DIR]`. A real `noise-chat server`
 * (from DIR, default this build; point it at another build for an A/B)
 * runs in a child process; this process holds N members over 127.0.0.1.
 * In lock step, S members each say one line at once and every member
 * waits until it has all of them before the next round: the work per
 * round is fixed whatever the scheduling, so the server's CPU seconds
 * (from /proc) per delivery compare builds even on a busy machine.
 * Prints one JSON line. `--cpu-prof-dir DIR` runs the server under
 * `node --cpu-prof` (the profile covers the joins too).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { writeKeyFile } from '../../lib/identity/key-file.js'
import { generateKeyPair, parsePublicKey } from '../../lib/secure/keypair.js'
import { SecureStream } from '../../lib/secure/secure-stream.js'
import { LineBlocks } from './link.js'
import { scanPayloads, encodePayload } from './payload.js'
import { readCpuSeconds, readRssBytes } from '../../harness/proc-stat.js'
import { waitForReadyLine } from '../../harness/ready-line.js'

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '100' },
    lines: { type: 'string', default: '200' },
    burst: { type: 'string', default: '1' },
    dist: { type: 'string' },
    'cpu-prof-dir': { type: 'string' }
  }
})
const members = Number(values.members)
const rounds = Number(values.lines)
const burst = Math.min(Number(values.burst), members)
const dist = values.dist === undefined ? fileURLToPath(new URL('../../', import.meta.url)) : resolve(values.dist)
/** How long the server may take to print its ready line. */
const START_TIMEOUT_MS = 30_000

async function main (): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'noise-chat-fanout-cost-'))
  // A --key FILE must exist (only the default key is created on first use).
  await writeKeyFile(join(dir, 'key'), generateKeyPair(), { comment: 'bench' })
  const profile = values['cpu-prof-dir'] === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof-dir'])]
  const child = spawn(process.execPath, [...profile, join(dist, 'bin', 'noise-chat.js'), 'server', '--host', '127.0.0.1', '--port', '0', '--rate', '0',
    '--max-clients', String(members + 10), '--key', join(dir, 'key'), '--state-dir', join(dir, 'state'), '--ready-json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const banner = await waitForReadyLine(child, 'stdout', START_TIMEOUT_MS)
  const serverKey = parsePublicKey(banner.publicKey)
  let got = 0
  let want = 0
  let wake: () => void = () => {}
  const streams: SecureStream[] = []
  for (let i = 0; i < members; i++) {
    const socket = net.connect({ host: '127.0.0.1', port: banner.port })
    socket.setNoDelay(true)
    const stream = new SecureStream(true, socket, { keyPair: generateKeyPair(), verify: (k) => k.equals(serverKey) })
    const blocks = new LineBlocks()
    stream.on('data', (d: unknown) => {
      const bytes = blocks.push(d as Buffer)
      if (bytes === undefined) return
      got += scanPayloads(bytes, () => {})
      if (got >= want) wake()
    })
    stream.on('error', () => {})
    stream.write(Buffer.from(`/nick m${i}\n`))
    await new Promise<void>((r) => stream.once('data', () => r()))
    streams.push(stream)
  }
  // Let the joins' announcements settle before counting.
  await new Promise((r) => setTimeout(r, 500))
  const cpu0 = readCpuSeconds(child.pid!)
  const t0 = performance.now()
  for (let round = 0; round < rounds; round++) {
    got = 0
    want = burst * members // ours echoes to the sender too
    const all = new Promise<void>((r) => { wake = r })
    for (let s = 0; s < burst; s++) streams[s]!.write(Buffer.from(encodePayload(1, s, round, 0) + '\n'))
    await all
  }
  const wallS = (performance.now() - t0) / 1000
  const cpuS = readCpuSeconds(child.pid!) - cpu0
  const deliveries = rounds * burst * members
  const rss = readRssBytes(child.pid!)
  for (const s of streams) s.destroy()
  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
  rmSync(dir, { recursive: true, force: true })
  process.stdout.write(JSON.stringify({
    dist, members, rounds, burst, deliveries, serverCpuS: cpuS, serverUsPerDelivery: 1e6 * cpuS / deliveries,
    roundMs: 1000 * wallS / rounds, serverRssMiB: rss / 1048576, load: os.loadavg()[0]
  }) + '\n')
}

main().then(() => process.exit(0), (err: Error) => { process.stderr.write(`${err.stack ?? err.message}\n`); process.exit(1) })
