import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { tempDir } from './chat-net.js'
import { freePort } from '../../harness/free-port.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/**
 * A real redis-server on 127.0.0.1, on a free port, with its own temporary
 * directory (append-only file on, so a restart keeps the stream). Stopped at
 * teardown. A machine without redis-server fails the test with a message
 * that says how to install it: Redis tests are never skipped.
 */
export class TestRedis {
  readonly port: number
  readonly dir: string
  private child: ChildProcess | undefined

  private constructor (port: number, dir: string) {
    this.port = port
    this.dir = dir
  }

  static async start (t: Teardown): Promise<TestRedis> {
    const dir = await tempDir(t, 'nc-redis-')
    const redis = new TestRedis(await freePort(), dir)
    t.teardown(() => redis.stop())
    await redis.run()
    return redis
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}/0`
  }

  /** Stop it cleanly (SIGTERM: it writes its append-only file first). */
  async stop (): Promise<void> {
    const child = this.child
    this.child = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  }

  /** Start it again on the same port and directory (after stop). */
  async restart (): Promise<void> {
    await this.run()
  }

  private async run (): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no']
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    let output = ''
    await new Promise<void>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        reject(new Error(err.code === 'ENOENT'
          ? 'these tests need a real redis-server and none is installed: apt-get install -y redis-server (.ci/run does it)'
          : `could not start redis-server: ${err.message}`))
      })
      child.stdout!.on('data', (d) => {
        output += d
        if (output.includes('Ready to accept connections')) resolve()
      })
      child.once('exit', (code) => reject(new Error(`redis-server exited (${String(code)}) before it was ready:\n${output}`)))
    })
  }
}
