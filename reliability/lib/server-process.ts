/**
 * The real chat server, as a process: `noise-chat server --host 127.0.0.1
 * --port 0` with its key, state and log in a temporary folder. The banner
 * gives its port and key; /proc gives its memory; its --log file says what
 * it refused and why.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { once } from 'node:events'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatPrivateKeyFile } from '../../lib/identity/key-file.js'
import { generateKeyPair, parsePublicKey } from '../../lib/secure/keypair.js'

/** The built CLI. */
export const BIN = fileURLToPath(new URL('../../bin/noise-chat.js', import.meta.url))

/** Longest a server may take to print its banner (a loaded 2-core machine starts node slowly). */
const START_TIMEOUT_MS = 20_000

/** A temporary folder, and an environment whose config and state live in it. */
export interface Sandbox {
  dir: string
  env: NodeJS.ProcessEnv
  remove: () => void
}

/** A fresh folder under the OS temp dir, used as HOME, XDG_CONFIG_HOME and XDG_STATE_HOME. */
export function sandbox (prefix = 'nc-rel-'): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_STATE_HOME: join(dir, 'state'),
    NO_COLOR: '1'
  }
  return { dir, env, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** One line of the server's --log file. */
export interface ServerLogEntry {
  time: string
  event: string
  nick?: string
  fingerprint?: string
  remote?: string
  detail?: string
}

/** Options of a server process. */
export interface ServerProcessOptions {
  /** Extra flags after `server --host 127.0.0.1 --port P --key K --state-dir S --log L`. */
  args?: string[]
  /** Port to listen on (default 0: any free one). A restart passes the port it had. */
  port?: number
  /** Reuse this sandbox (its key and state survive a restart); default a new one, removed by stop(). */
  box?: Sandbox
  /** Run the server as this user id (and group), for permission faults when we are root. */
  uid?: number
}

/** A running `noise-chat server`. */
export class ServerProcess {
  readonly child: ChildProcess
  readonly box: Sandbox
  readonly port: number
  /** The server's public key, base64, as the banner prints it. */
  readonly key: string
  readonly publicKey: Buffer
  readonly logFile: string
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  private readonly readStderr: () => string
  private readonly ownBox: boolean

  private constructor (child: ChildProcess, box: Sandbox, ownBox: boolean, port: number, key: string, stderr: () => string) {
    this.child = child
    this.box = box
    this.ownBox = ownBox
    this.port = port
    this.key = key
    this.publicKey = parsePublicKey(key)
    this.logFile = join(box.dir, 'server.log')
    this.readStderr = stderr
    this.exited = child.exitCode !== null
      ? Promise.resolve({ code: child.exitCode, signal: null })
      : once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  }

  /** Start the server and wait for its banner. */
  static async start (options: ServerProcessOptions = {}): Promise<ServerProcess> {
    const ownBox = options.box === undefined
    const box = options.box ?? sandbox()
    if (options.uid !== undefined) chownSync(box.dir, options.uid, options.uid)
    const args = [
      BIN, 'server', '--host', '127.0.0.1', '--port', String(options.port ?? 0),
      '--key', ensureKeyFile(join(box.dir, 'server.key')), '--state-dir', join(box.dir, 'state'),
      '--log', join(box.dir, 'server.log'), ...(options.args ?? [])
    ]
    const spawnOptions: SpawnOptions = { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] }
    if (options.uid !== undefined) Object.assign(spawnOptions, { uid: options.uid, gid: options.uid })
    const child = spawn(process.execPath, args, spawnOptions)
    let out = ''
    let err = ''
    child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the server printed no banner in ${START_TIMEOUT_MS} ms; stderr: ${err}`)) }, START_TIMEOUT_MS)
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (/^connect with: .*\n/m.test(out)) { clearTimeout(timer); resolve() }
      })
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited (${String(code)}) before its banner: ${err}`)) })
    })
    child.stdout!.resume()
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)?.[1])
    const key = /^public key: (\S+)$/m.exec(out)?.[1]
    if (!Number.isInteger(port) || key === undefined) throw new Error(`no address or key in the banner:\n${out}`)
    return new ServerProcess(child, box, ownBox, port, key, () => err)
  }

  /** What the server wrote to stderr so far. */
  get stderr (): string {
    return this.readStderr()
  }

  /** True while the process runs. */
  get alive (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Resident memory in KiB (Linux /proc; `ps` elsewhere); NaN once it exited. */
  rssKiB (): number {
    return rssKiB(this.child.pid)
  }

  /** The --log entries so far (a last line still being written is left for next time). */
  log (): ServerLogEntry[] {
    if (!existsSync(this.logFile)) return []
    const entries: ServerLogEntry[] = []
    for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
      try {
        if (line !== '') entries.push(JSON.parse(line) as ServerLogEntry)
      } catch {}
    }
    return entries
  }

  /** SIGTERM, then wait (SIGKILL after `graceMs`); removes the sandbox it made. Resolves to the exit code. */
  async stop (graceMs = 10_000): Promise<number | null> {
    if (this.alive) {
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
      await this.exited
      clearTimeout(timer)
    }
    if (this.ownBox) this.box.remove()
    return (await this.exited).code
  }

  /** SIGKILL (a crash), and wait for it to be gone. The sandbox stays. */
  async crash (): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL')
    await this.exited
  }
}

/** Resident set size of a process in KiB; NaN when it is gone. */
export function rssKiB (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status)
    return match === null ? NaN : Number(match[1])
  } catch {
    return NaN
  }
}

/**
 * Write a fresh private key at `path` unless one is there; returns `path`.
 * The CLI refuses a `--key FILE` that does not exist (only the default key
 * is created on first use), so every --key the scenarios pass is made here.
 */
export function ensureKeyFile (path: string): string {
  if (!existsSync(path)) writeFileSync(path, formatPrivateKeyFile(generateKeyPair(), 'reliability'), { mode: 0o600, flag: 'wx' })
  return path
}

/** Spawn a `noise-chat` command in `box` (the key file of a --key is created first). */
export function cliSpawn (box: Sandbox, args: string[]): ChildProcess {
  const key = args.indexOf('--key')
  if (key !== -1 && args[key + 1] !== undefined) ensureKeyFile(args[key + 1]!)
  return spawn(process.execPath, [BIN, ...args], { env: box.env, stdio: ['pipe', 'pipe', 'pipe'] })
}
