/**
 * The tunnel under attack, as a new user runs it: an echo service on
 * 127.0.0.1, `noise-chat tunnel server --listen 127.0.0.1:0 --to ECHO`
 * (any client key: no --authorized-keys, the default a user tries first)
 * and `noise-chat tunnel client --listen 127.0.0.1:0 --to SERVER
 * --server-key KEY`, both real processes started with --ready-json. The
 * legitimate use is a round trip: bytes into the tunnel client, the same
 * bytes back from the service, through a secure stream of its own.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { join } from 'node:path'
import { waitForReadyLine } from '../../harness/ready-line.js'
import { rssKiB } from '../../harness/proc-stat.js'
import { parsePublicKey } from '../../lib/secure/keypair.js'
import type { ProbeResult } from './probe.js'
import { cliSpawn, type Sandbox } from './server-process.js'

/** Longest either tunnel end may take to say it is ready (node starts slowly on a loaded machine). */
const START_TIMEOUT_MS = 20_000

/** Longest a round trip may take before it counts as not served. */
export const ROUND_TRIP_TIMEOUT_MS = 15_000

/** The echo service, the two tunnel ends, and where each listens. */
export class TunnelRig {
  readonly echo: net.Server
  readonly server: ChildProcess
  readonly client: ChildProcess
  /** The tunnel server's port (what attackers hit), its key (base64) and the tunnel client's plaintext port. */
  readonly port: number
  readonly key: string
  readonly publicKey: Buffer
  readonly clientPort: number
  private serverErr = ''

  private constructor (echo: net.Server, server: ChildProcess, client: ChildProcess, port: number, key: string, clientPort: number, serverErr: string) {
    this.echo = echo
    this.server = server
    this.client = client
    this.port = port
    this.key = key
    this.publicKey = parsePublicKey(key)
    this.clientPort = clientPort
    this.serverErr = serverErr
    server.stderr!.on('data', (d: Buffer) => { this.serverErr += d.toString() })
    client.stderr!.resume()
  }

  /** Start the echo service and both ends in `box`; `serverArgs` go to the tunnel server. */
  static async start (box: Sandbox, serverArgs: string[] = []): Promise<TunnelRig> {
    const echo = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('error', () => {})
      socket.pipe(socket)
    })
    echo.listen(0, '127.0.0.1')
    await once(echo, 'listening')
    const echoPort = (echo.address() as net.AddressInfo).port
    const server = cliSpawn(box, ['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${echoPort}`, '--key', join(box.dir, 'tunnel-server.key'), '--quiet', '--ready-json', ...serverArgs])
    let client: ChildProcess | undefined
    try {
      const up = await waitForReadyLine(server, 'stderr', START_TIMEOUT_MS)
      client = cliSpawn(box, ['tunnel', 'client', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${up.port}`, '--server-key', up.publicKey, '--key', join(box.dir, 'tunnel-client.key'), '--quiet', '--ready-json'])
      const clientUp = await waitForReadyLine(client, 'stderr', START_TIMEOUT_MS)
      return new TunnelRig(echo, server, client, up.port, up.publicKey, clientUp.port, up.before)
    } catch (err) {
      server.kill('SIGKILL')
      client?.kill('SIGKILL')
      echo.close()
      throw err
    }
  }

  /** True while the tunnel server runs. */
  get alive (): boolean {
    return this.server.exitCode === null && this.server.signalCode === null
  }

  /** The tunnel server's resident memory in KiB. */
  rssKiB (): number {
    return rssKiB(this.server.pid)
  }

  /** What the tunnel server wrote to stderr (its refusals, rate-limited). */
  get serverStderr (): string {
    return this.serverErr
  }

  /**
   * The tunnel server's refusal lines, counted by code: "refused ...
   * (CODE)" counts one, "refused N more like this ..." counts N.
   */
  refusals (): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const line of this.serverErr.split('\n')) {
      const code = /^tunnel server: refused .*\((\w+)\)$/.exec(line)?.[1]
      if (code === undefined) continue
      const more = /^tunnel server: refused (\d+) more like this/.exec(line)
      counts[`refused ${code}`] = (counts[`refused ${code}`] ?? 0) + (more === null ? 1 : Number(more[1]))
    }
    return counts
  }

  /** SIGTERM both ends (SIGKILL after a grace), close the echo service. */
  async stop (): Promise<void> {
    await Promise.all([this.server, this.client].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      // 'close', not 'exit': the last lines of stderr (the refusal summaries written on the way out) are read by then.
      const exited = once(child, 'close')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }))
    if (this.echo.listening) this.echo.close()
  }
}

/**
 * One legitimate round trip: connect to the tunnel client's plaintext
 * port, send `bytes` random bytes, half-close, and expect exactly the same
 * bytes back, then the service's end. Served only when all of it happened.
 */
export async function tunnelRoundTrip (clientPort: number, bytes = 4096, timeoutMs = ROUND_TRIP_TIMEOUT_MS): Promise<ProbeResult> {
  const started = performance.now()
  const sent = randomBytes(bytes)
  const socket = net.connect({ host: '127.0.0.1', port: clientPort, allowHalfOpen: true })
  const chunks: Buffer[] = []
  let timer: NodeJS.Timeout | undefined
  try {
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (d: Buffer) => chunks.push(d))
      socket.once('end', () => resolve())
      socket.once('error', reject)
      socket.once('close', () => reject(new Error('the connection closed before the echo ended')))
      timer = setTimeout(() => reject(new Error(`no full echo within ${timeoutMs} ms (got ${Buffer.concat(chunks).byteLength} of ${bytes} bytes)`)), timeoutMs)
    })
    socket.once('connect', () => socket.end(sent))
    await done
    const got = Buffer.concat(chunks)
    if (!got.equals(sent)) return { served: false, waitMs: NaN, failure: `the echo differed: ${got.byteLength} bytes back for ${bytes}` }
    return { served: true, waitMs: performance.now() - started }
  } catch (err) {
    const code = (err as { code?: unknown }).code
    return { served: false, waitMs: NaN, failure: typeof code === 'string' ? `${code}: ${(err as Error).message}` : (err as Error).message }
  } finally {
    clearTimeout(timer)
    socket.destroy()
  }
}
