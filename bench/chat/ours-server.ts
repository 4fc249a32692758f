/**
 * Start the real `noise-chat server` process for a scenario: 127.0.0.1, a
 * free port, a fresh key and state directory, the rate limit off
 * (`--rate 0`: the bench's senders are far above any chat's limit) and
 * room for every member (`--max-clients`). The generator keeps fewer
 * handshakes in flight than the server allows from one address, so that
 * limit stays at its default.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeKeyFile } from '../../lib/identity/key-file.js'
import { generateKeyPair } from '../../lib/secure/keypair.js'
import { OutputWatch, stopProcess } from './process-output.js'
import type { RunningServer, StartOptions } from './target.js'

/** The CLI entry point (this file runs as dist/bench/chat/ours-server.js). */
export const CHAT_BIN = fileURLToPath(new URL('../../bin/noise-chat.js', import.meta.url))
/** Members above the scenario's count the server admits: a margin, never the limit that decides. */
const MAX_CLIENTS_MARGIN = 100
/** How long the server may take to print its banner. */
const START_TIMEOUT_MS = 30_000
/** How long a SIGTERM'd server may take (it ends every connection, up to a 2 s grace, and writes its profile). */
const STOP_GRACE_MS = 20_000

/** The server flags the bench uses besides key, state dir and port; the results quote them. */
export function oursServerFlags (members: number): string[] {
  return ['--host', '127.0.0.1', '--rate', '0', '--max-clients', String(members + MAX_CLIENTS_MARGIN)]
}

/** Start `noise-chat server`; resolves once it printed its address and key. */
export async function startOursServer (options: StartOptions): Promise<RunningServer> {
  const dir = mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-chat-'))
  // A --key FILE must exist (only the default key is created on first use).
  await writeKeyFile(join(dir, 'server_x25519'), generateKeyPair(), { comment: 'bench' })
  const nodeArgs = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir]
  const args = [
    ...nodeArgs, CHAT_BIN, 'server', ...oursServerFlags(options.members), '--port', '0',
    '--key', join(dir, 'server_x25519'), '--state-dir', join(dir, 'state')
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  const watch = new OutputWatch(child)
  const stop = async (): Promise<void> => {
    await stopProcess(child, STOP_GRACE_MS)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const listening = await watch.waitFor(/listening on 127\.0\.0\.1:(\d+)/, START_TIMEOUT_MS, child)
    const key = await watch.waitFor(/^public key: (\S+)$/m, START_TIMEOUT_MS, child)
    return {
      target: 'ours',
      pid: child.pid!,
      endpoint: { protocol: 'ours', host: '127.0.0.1', port: Number(listening[1]), serverKey: key[1] },
      output: () => watch.tail(),
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}
