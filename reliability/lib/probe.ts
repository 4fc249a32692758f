/**
 * The legitimate client whose experience every scenario measures: does it
 * still connect and chat while the attack runs, and how long does it wait
 * from starting to connect until its own first message comes back from
 * the room?
 *
 * Two kinds: the real `noise-chat connect` in piped mode (a process: what
 * a user runs, node's start-up included), and the library client (only
 * the network and the server: a finer measure, sampled many times).
 */
import { join } from 'node:path'
import { connectChat, type ChatConnection } from '../../lib/chat/client.js'
import { generateKeyPair, samePublicKey, type KeyPair } from '../../lib/secure/keypair.js'
import { cliSpawn, type Sandbox } from './server-process.js'

/** Where the server is and which key it must have. */
export interface Target {
  port: number
  key: string
  publicKey: Buffer
}

/** One attempt of a legitimate client. */
export interface ProbeResult {
  served: boolean
  /** From starting to connect until its own message came back (ms); NaN when not served. */
  waitMs: number
  /** Why it was not served (an error code or message). */
  failure?: string
  /** The CLI's exit code (CLI probes). */
  exitCode?: number | null
}

/** Longest a probe waits before it counts as not served. */
export const PROBE_TIMEOUT_MS = 30_000

/**
 * Run `noise-chat connect 127.0.0.1:PORT --server-key KEY --nick NICK` with
 * stdin piped: write one line, wait for it to come back, end stdin, and
 * expect exit code 0 (END both ways).
 */
export async function cliProbe (target: Target, box: Sandbox, nick: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const text = `hello from ${nick} ${Date.now()}`
  const started = performance.now()
  const child = cliSpawn(box, ['connect', `127.0.0.1:${target.port}`, '--server-key', target.key, '--nick', nick, '--key', join(box.dir, `${nick}.key`)])
  let stdout = ''
  let stderr = ''
  let waitMs = NaN
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdin!.on('error', () => {})
  child.stdin!.write(text + '\n')
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString()
    if (Number.isNaN(waitMs) && stdout.includes(`<${nick}> ${text}\n`)) {
      waitMs = performance.now() - started
      child.stdin!.end()
    }
  })
  const exitCode = await exited
  clearTimeout(timer)
  const served = !Number.isNaN(waitMs) && exitCode === 0
  const result: ProbeResult = { served, waitMs, exitCode }
  if (!served) result.failure = lastLine(stderr) || (exitCode === null ? 'killed after the probe timeout' : `exit ${String(exitCode)}`)
  return result
}

/** Connect with the library client (pinned key), join as `nick`, send one line and wait for it to come back. */
export async function libraryProbe (target: Target, nick: string, options: { keyPair?: KeyPair, timeoutMs?: number, localAddress?: string } = {}): Promise<ProbeResult> {
  const started = performance.now()
  const text = `probe ${nick} ${Date.now()}`
  let connection: ChatConnection | undefined
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS
  let timer: NodeJS.Timeout | undefined
  try {
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('no echo before the probe timeout'), { code: 'PROBE_TIMEOUT' })), timeoutMs)
    })
    const run = async (): Promise<number> => {
      connection = await connectChat({
        host: '127.0.0.1',
        port: target.port,
        keyPair: options.keyPair ?? generateKeyPair(),
        nick,
        verify: (key) => samePublicKey(key, target.publicKey),
        connectTimeout: timeoutMs,
        handshakeTimeout: timeoutMs
      })
      const echoed = new Promise<number>((resolve, reject) => {
        connection!.on('line', (line: string) => { if (line === `<${nick}> ${text}`) resolve(performance.now() - started) })
        connection!.done.then(() => reject(new Error('the server ended the connection before the echo')), reject)
      })
      connection.sendLine(text)
      return await echoed
    }
    const waitMs = await Promise.race([run(), deadline])
    connection!.end()
    await Promise.race([connection!.done.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000))])
    return { served: true, waitMs }
  } catch (err) {
    connection?.abort('probe failed')
    return { served: false, waitMs: NaN, failure: describe(err) }
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Probe again and again (one at a time, `gapMs` apart) until `stop()` says
 * so; returns every result. The running attack is what is being measured.
 */
export async function probeRepeatedly (target: Target, prefix: string, stop: () => boolean, gapMs = 250): Promise<ProbeResult[]> {
  const results: ProbeResult[] = []
  for (let i = 0; !stop(); i++) {
    results.push(await libraryProbe(target, `${prefix}${i}`, { timeoutMs: 15_000 }))
    if (!stop()) await new Promise((resolve) => setTimeout(resolve, gapMs))
  }
  return results
}

function describe (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  return typeof code === 'string' ? `${code}: ${message}` : message
}

function lastLine (text: string): string {
  const lines = text.trim().split('\n')
  return lines[lines.length - 1] ?? ''
}
