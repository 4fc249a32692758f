import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { bannerOf, cli, type Proc } from './tool-procs.js'

interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** Debian's chromium: the browser tests drive the system's binary, never a downloaded one. */
export const CHROMIUM = '/usr/bin/chromium'

/** Flags for a quiet, offline, throwaway chromium (no first-run UI, no update or sync traffic). */
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'
]

/** A headless chromium with a fresh profile (removed by `close`); a clear error when it cannot start. */
export async function launchChromium (): Promise<{ context: BrowserContext, close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'noise-chat-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 60_000 })
  } catch (err) {
    rmSync(profile, { recursive: true, force: true })
    throw new Error(`could not start ${CHROMIUM} for the browser tests (install it: apt-get install -y chromium; .ci/run does): ${(err as Error).message}`)
  }
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

/** A chat server on 127.0.0.1 (port 0, or `port` for a restart) and what its banner says. */
export async function chatServer (t: Teardown, env: NodeJS.ProcessEnv, port = 0, ...args: string[]): Promise<{ proc: Proc, port: number, key: string, fingerprint: string }> {
  const proc = cli(t, ['server', '--host', '127.0.0.1', '--port', String(port), '--ready-json', ...args], { env })
  const ready = await bannerOf(proc, 'stdout')
  return { proc, port: ready.port, key: ready.key, fingerprint: ready.fingerprint }
}

/** `noise-chat connect ... --web`, once it printed the page's URL. */
export async function webClient (t: Teardown, env: NodeJS.ProcessEnv, args: string[]): Promise<{ proc: Proc, url: string, origin: string, token: string }> {
  const proc = cli(t, ['connect', ...args, '--web'], { env })
  const out = await proc.waitStdout(/the room is at (\S+)\n/)
  const url = /the room is at (\S+)\n/.exec(out)![1]!
  return { proc, url, origin: new URL(url).origin, token: new URL(url).hash.slice(1) }
}

/** A member through the terminal client's piped mode: lines written to stdin are sent, its stdout collects the room. */
export function pipedMember (t: Teardown, env: NodeJS.ProcessEnv, port: number, key: string, nick: string): Proc & { say: (line: string) => void } {
  const proc = cli(t, ['connect', `127.0.0.1:${port}`, '--server-key', key, '--nick', nick], { env })
  return Object.assign(proc, { say: (line: string) => { proc.child.stdin!.write(line + '\n') } })
}
