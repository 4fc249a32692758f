import test from 'brittle'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { fingerprint, parsePublicKey } from '../lib/secure/keypair.js'
import { BIN, bannerOf, cli, tempHome, type Proc } from './helpers/tool-procs.js'
import { ptyCli } from './helpers/pty.js'

type T = Parameters<typeof tempHome>[0]

/** `noise-chat server` on 127.0.0.1:0 with a JSON log; resolves with its port, key and fingerprint once it printed its banner. */
async function chatServer (t: T, env: NodeJS.ProcessEnv, dir: string, ...args: string[]): Promise<{ proc: Proc, port: number, key: string, fp: string, log: string }> {
  const log = join(dir, 'server.log')
  const proc = cli(t, ['server', '--host', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'state'), '--log', log, '--ready-json', ...args], { env })
  const { port, key } = await bannerOf(proc, 'stdout')
  return { proc, port, key, fp: fingerprint(parsePublicKey(key)), log }
}

/** Wait until the server's log has a line matching `pattern`. */
async function waitLog (server: { proc: Proc, log: string }, pattern: RegExp): Promise<void> {
  while (!(existsSync(server.log) && pattern.test(readFileSync(server.log, 'utf8')))) {
    // The log is written after the event; the server's stderr/stdout give nothing to wait on, so poll the file.
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** A client's own config folder (its key and known hosts), apart from the server's. */
function clientEnv (dir: string, env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv, knownHosts: string } {
  const config = join(dir, 'client-config')
  return { env: { ...env, XDG_CONFIG_HOME: config, XDG_STATE_HOME: join(dir, 'client-state') }, knownHosts: join(config, 'noise-chat', 'known_hosts') }
}

/** Run `noise-chat ARGS` with `input` piped in; resolves with its exit code and output. */
async function run (env: NodeJS.ProcessEnv, input: string, ...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d })
  child.stderr.on('data', (d: Buffer) => { stderr += d })
  child.stdin.end(input)
  const [code] = await once(child, 'close') as [number]
  return { code, stdout, stderr }
}

const PROMPT = '(yes/no/[fingerprint]) '

test('the host key prompt on a terminal does not race the handshake: asked after the connection closed, yes reconnects and records the key only then', async (t) => {
  const { dir, env } = tempHome(t)
  const server = await chatServer(t, env, dir)
  const client = clientEnv(dir, env)
  const term = ptyCli(t, ['connect', `127.0.0.1:${server.port}`, '--nick', 'bob', '--handshake-timeout', '1'], { env: client.env })
  const shown = await term.waitFor(PROMPT)
  t.ok(shown.includes(server.fp), 'the prompt shows the fingerprint')
  t.ok(shown.includes("'noise-chat fingerprint --server' prints it"), 'and the exact command that prints it on the server')
  await waitLog(server, /"event":"refused"/)
  t.pass('the server saw the first connection end before any answer: its handshake deadline is not running')
  // Longer than the client's own 1 s handshake deadline: a prompt inside the handshake would have lost it by now.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.absent(existsSync(client.knownHosts), 'nothing recorded while the question waits')
  t.absent(term.output().includes('ERR_HANDSHAKE_TIMEOUT'), 'no timeout while a person decides')
  term.type('yes\n')
  await term.waitFor('-- your nick is bob')
  await term.waitFor('Recorded the key of')
  const recorded = readFileSync(client.knownHosts, 'utf8')
  t.ok(recorded.startsWith(`127.0.0.1:${server.port} ${server.key} `), 'the key is recorded once the second stream opened')
  t.is(recorded.trim().split('\n').length, 1)
  term.type('/quit\r')
  t.is(await term.exited, 0)
})

test('no at the prompt: ERR_HOST_KEY_DECLINED, exit 4, nothing recorded', async (t) => {
  const { dir, env } = tempHome(t)
  const server = await chatServer(t, env, dir)
  const client = clientEnv(dir, env)
  const term = ptyCli(t, ['connect', `127.0.0.1:${server.port}`, '--nick', 'bob'], { env: client.env })
  await term.waitFor(PROMPT)
  term.type('no\n')
  t.is(await term.exited, 4)
  t.ok(term.output().includes('was declined; nothing was recorded (ERR_HOST_KEY_DECLINED)'), 'the decision and its code')
  t.absent(term.output().includes('ERR_REMOTE_KEY_REJECTED'), 'not the generic stream code')
  t.absent(existsSync(client.knownHosts))
})

test('a mistyped fingerprint at the prompt says it did not match and shows both (ERR_HOST_KEY_MISMATCH, exit 4)', async (t) => {
  const { dir, env } = tempHome(t)
  const server = await chatServer(t, env, dir)
  const client = clientEnv(dir, env)
  const term = ptyCli(t, ['pipe', `127.0.0.1:${server.port}`], { env: client.env })
  await term.waitFor(PROMPT)
  const typo = server.fp.slice(0, -1) + (server.fp.endsWith('A') ? 'B' : 'A')
  term.type(typo + '\n')
  t.is(await term.exited, 4)
  const out = term.output()
  t.ok(out.includes('the fingerprint you typed does not match'), 'says it did not match')
  t.ok(out.includes(typo) && out.includes(`the server's key: ${server.fp}`), 'shows both')
  t.ok(out.includes('(ERR_HOST_KEY_MISMATCH)'))
  t.absent(out.includes('declined'), 'not called a refusal')
  t.absent(existsSync(client.knownHosts))
})

test('every trust refusal shows its own code and exits 4: changed key, unknown under --strict, pin mismatch, our own key', async (t) => {
  const { dir, env } = tempHome(t)
  const server = await chatServer(t, env, dir)
  const client = clientEnv(dir, env)
  const target = `127.0.0.1:${server.port}`
  mkdirSync(join(client.env['XDG_CONFIG_HOME']!, 'noise-chat'), { recursive: true })
  writeFileSync(client.knownHosts, `${target} ${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })

  for (const command of ['connect', 'pipe']) {
    const changed = await run(client.env, 'hi\n', command, target)
    t.is(changed.code, 4, `${command}: changed key`)
    const first = changed.stderr.split('\n').find((l) => l.startsWith('noise-chat '))
    t.is(first, `noise-chat ${command}: the key of ${target} has changed; the connection was refused.`, 'a readable first line')
    t.ok(changed.stderr.trimEnd().endsWith('(ERR_HOST_KEY_CHANGED)'), 'the code, at the end as for every error')
    t.ok(changed.stderr.includes('\n@  WARNING: THE KEY OF'), 'the banner starts on a line of its own')
    t.ok(changed.stderr.includes('--server-key FINGERPRINT'), 'names exactly what overrides the check')
    t.absent(changed.stderr.includes('ERR_REMOTE_KEY_REJECTED'))
  }

  const pinned = await run(client.env, '', 'connect', target, '--server-key', server.fp)
  t.is(pinned.code, 0, 'an explicit --server-key of the new key gets past the changed key, as the banner says')

  const strict = await run(client.env, '', 'connect', target, '--strict', '--known-hosts', join(dir, 'empty_known_hosts'))
  t.is(strict.code, 4)
  t.ok(strict.stderr.includes('(ERR_HOST_KEY_UNKNOWN)'), 'unknown under --strict')
  t.ok(strict.stderr.includes("'noise-chat fingerprint --server' prints it"), 'with the command that prints the server fingerprint')

  const wrongPin = server.fp.slice(0, -1) + (server.fp.endsWith('A') ? 'B' : 'A')
  const mismatch = await run(client.env, '', 'pipe', target, '--server-key', wrongPin)
  t.is(mismatch.code, 4)
  t.ok(mismatch.stderr.includes('(ERR_HOST_KEY_MISMATCH)'), 'pin mismatch')

  const serverKeyFile = join(dir, 'noise-chat', 'server_x25519')
  const own = await run(client.env, '', 'connect', target, '--key', serverKeyFile, '--server-key', server.fp)
  t.is(own.code, 4)
  t.ok(own.stderr.includes('(ERR_PEER_KEY_IS_OURS)'), 'the server uses our own key')

  const garbage = await run(client.env, '', 'connect', target, '--server-key', 'garbage')
  t.is(garbage.code, 2)
  t.ok(garbage.stderr.includes("'noise-chat fingerprint --server' on the server"), '--server-key garbage names the right command')
})

test('fingerprint --server prints the fingerprint the server shows in its banner', async (t) => {
  const { dir, env } = tempHome(t)
  const server = await chatServer(t, env, dir)
  const shown = await run(env, '', 'fingerprint', '--server')
  t.is(shown.code, 0)
  t.ok(shown.stdout.includes(`fingerprint: ${server.fp}\n`), 'the server key')
  const own = await run(env, '', 'fingerprint')
  t.absent(own.stdout.includes(server.fp), 'plain fingerprint is the client key, not this one')
  const missing = await run({ ...env, XDG_CONFIG_HOME: join(dir, 'nowhere') }, '', 'fingerprint', '--server')
  t.is(missing.code, 1)
  t.ok(missing.stderr.includes('no server key yet'))
})
