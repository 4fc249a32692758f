/**
 * Start the real `noise-chat server` process for a scenario: 127.0.0.1, a
 * free port, a fresh key and state directory, the rate limit off
 * (`--rate 0`: the bench's senders are far above any chat's limit) and
 * room for every member (`--max-clients`). The generator keeps fewer
 * handshakes in flight than the server allows from one address, so that
 * limit stays at its default.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeKeyFile } from '../../lib/identity/key-file.js'
import { generateKeyPair } from '../../lib/secure/keypair.js'
import { waitForReadyLine } from '../../harness/ready-line.js'
import { OutputWatch, stopProcess } from './process-output.js'
import type { RunningServer, ServerMemory, StartOptions } from './target.js'

/** The CLI entry point (this file runs as dist/bench/chat/ours-server.js). */
export const CHAT_BIN = fileURLToPath(new URL('../../bin/noise-chat.js', import.meta.url))
/** Preloaded into the server: answers memory questions over IPC. */
const MEMORY_PROBE = new URL('./memory-probe.js', import.meta.url).href
/** Longest the server may take to answer a memory question (a full GC of a big heap included). */
const MEMORY_TIMEOUT_MS = 10_000
/** Members above the scenario's count the server admits: a margin, never the limit that decides. */
const MAX_CLIENTS_MARGIN = 100
/** How long the server may take to print its ready line. */
const START_TIMEOUT_MS = 30_000
/** How long a SIGTERM'd server may take (it ends every connection, up to a 2 s grace, and writes its profile). */
const STOP_GRACE_MS = 20_000

/** The server flags the bench uses besides key, state dir and port; the results quote them. */
export function oursServerFlags (members: number): string[] {
  return ['--host', '127.0.0.1', '--rate', '0', '--max-clients', String(members + MAX_CLIENTS_MARGIN)]
}

/** Start `noise-chat server`; resolves once its `--ready-json` line gave its address and key. */
export async function startOursServer (options: StartOptions): Promise<RunningServer> {
  const dir = mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-chat-'))
  // A --key FILE must exist (only the default key is created on first use).
  await writeKeyFile(join(dir, 'server_x25519'), generateKeyPair(), { comment: 'bench' })
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir]
  const nodeArgs = ['--expose-gc', '--import', MEMORY_PROBE, ...profile]
  const args = [
    ...nodeArgs, CHAT_BIN, 'server', ...oursServerFlags(options.members), '--port', '0',
    '--key', join(dir, 'server_x25519'), '--state-dir', join(dir, 'state'), '--ready-json'
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, NO_COLOR: '1' } })
  const watch = new OutputWatch(child)
  const stop = async (): Promise<void> => {
    await stopProcess(child, STOP_GRACE_MS)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const ready = await waitForReadyLine(child, 'stdout', START_TIMEOUT_MS)
    return {
      target: 'ours',
      pid: child.pid!,
      endpoint: { protocol: 'ours', host: '127.0.0.1', port: ready.port, serverKey: ready.publicKey },
      output: () => watch.tail(),
      stop,
      memory: (collect) => askMemory(child, collect)
    }
  } catch (err) {
    await stop()
    throw err
  }
}

let nextQuestion = 1

/** Ask the server's memory probe; undefined when it does not answer in time (or has exited). */
function askMemory (child: ChildProcess, collect: boolean): Promise<ServerMemory | undefined> {
  if (!child.connected) return Promise.resolve(undefined)
  const id = nextQuestion++
  return new Promise((resolve) => {
    const done = (memory: ServerMemory | undefined): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(memory)
    }
    const onMessage = (m: { type?: string, id?: number, memory?: ServerMemory }): void => {
      if (m?.type === 'memory' && m.id === id) done(m.memory)
    }
    const timer = setTimeout(() => done(undefined), MEMORY_TIMEOUT_MS)
    child.on('message', onMessage)
    child.send({ type: 'memory', id, collect }, (err) => { if (err !== null) done(undefined) })
  })
}
