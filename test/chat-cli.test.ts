import test from 'brittle'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join as joinPath } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { main } from '../lib/cli/main.js'
import { generateKeyPair, encodePublicKey } from '../lib/secure/keypair.js'
import { writeKeyFile } from '../lib/identity/key-file.js'
import { startServer, tempDir } from './helpers/chat-net.js'

const BIN = fileURLToPath(new URL('../bin/noise-chat.js', import.meta.url))

type Teardown = { teardown: (fn: () => unknown) => void }

/** A temporary HOME with its config and state folders: nothing touches the real home. */
async function home (t: Teardown): Promise<NodeJS.ProcessEnv> {
  const dir = await tempDir(t, 'nc-cli-')
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, XDG_CONFIG_HOME: joinPath(dir, 'config'), XDG_STATE_HOME: joinPath(dir, 'state') }
  delete env['NO_COLOR']
  return env
}

interface ServerProcess {
  child: ChildProcess
  port: number
  key: string
  banner: string
  stderr: () => string
}

/** `noise-chat server` on 127.0.0.1, port 0; resolves once it printed its banner. Killed at teardown. */
async function serverProcess (t: Teardown, env: NodeJS.ProcessEnv, ...args: string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'server', '--host', '127.0.0.1', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d) => { err += d })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      if (out.includes('connect with:') && out.endsWith('\n')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`server exited ${String(code)}: ${err}`)))
  })
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1])
  const key = /^public key: (\S+)$/m.exec(out)![1]!
  return { child, port, key, banner: out, stderr: () => err }
}

interface Ran { code: number | null, stdout: string, stderr: string }

/** Run `noise-chat connect ...` with `input` piped to it; resolves when it exits. */
async function client (env: NodeJS.ProcessEnv, input: string, ...args: string[]): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, 'connect', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  child.stdin.end(input)
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

/** A client that stays connected until its stdin is ended; `waitFor` watches its stdout. */
function liveClient (t: Teardown, env: NodeJS.ProcessEnv, ...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'connect', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  return {
    child,
    exited,
    output: () => stdout,
    errors: () => stderr,
    async waitFor (text: string, ms = 10_000): Promise<void> {
      const deadline = Date.now() + ms
      while (!stdout.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no '${text}' in:\n${stdout}\nstderr:\n${stderr}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
  }
}

test('the server prints its address, key, fingerprint and the command that connects with the key pinned; that command works', async (t) => {
  const env = await home(t)
  const server = await serverProcess(t, env)
  t.ok(/^fingerprint: SHA256:[A-Za-z0-9+/]{43}$/m.test(server.banner), 'fingerprint')
  const command = /^connect with: noise-chat (.*)$/m.exec(server.banner)![1]!.split(' ')
  t.alike(command, ['connect', `127.0.0.1:${server.port}`, '--server-key', server.key])
  const r = await client(env, 'hello, room\n', ...command.slice(1), '--nick', 'alice')
  t.is(r.code, 0, r.stderr)
  t.ok(r.stdout.includes('-- alice joined (1 connected)'))
  t.ok(r.stdout.includes('<alice> hello, room'), 'the piped line went round the room and came back')
})

test('two clients chat through the real processes; the piped one exits 0 after END both ways', async (t) => {
  const env = await home(t)
  const server = await serverProcess(t, env)
  const target = `127.0.0.1:${server.port}`
  const bobKey = joinPath(env['HOME']!, 'bob.key')
  await writeKeyFile(bobKey, generateKeyPair())
  const bob = liveClient(t, env, target, '--server-key', server.key, '--nick', 'bob', '--key', bobKey)
  await bob.waitFor('-- your nick is bob')
  const alice = await client(env, 'hi bob\n/me waves\n/msg bob a secret\n/names\n', target, '--server-key', server.key, '--nick', 'alice')
  t.is(alice.code, 0, alice.stderr)
  t.ok(alice.stdout.includes('-- 2 connected:'), '/names answered')
  await bob.waitFor('-- alice left: quit (1 connected)')
  // Piped output: every line after the UTC time it was said.
  const seen = bob.output().replace(/^\[\d\d:\d\dZ\] /gm, '')
  t.ok(seen.includes('<alice> hi bob\n* alice waves\n[pm from alice] a secret\n'), seen)
  bob.child.stdin.end('bye\n')
  t.is(await bob.exited, 0)
})

test('an unauthorized key is refused with the server\'s reason, exit 5', async (t) => {
  const env = await home(t)
  const dir = env['HOME']!
  const member = generateKeyPair()
  await writeKeyFile(joinPath(dir, 'member.key'), member)
  await writeFile(joinPath(dir, 'authorized_keys'), `${encodePublicKey(member.publicKey)} alice@laptop\n`)
  await writeKeyFile(joinPath(dir, 'stranger.key'), generateKeyPair())
  const server = await serverProcess(t, env, '--authorized-keys', joinPath(dir, 'authorized_keys'))
  const target = `127.0.0.1:${server.port}`
  const stranger = await client(env, 'let me in\n', target, '--server-key', server.key, '--key', joinPath(dir, 'stranger.key'))
  t.is(stranger.code, 5)
  t.ok(stranger.stderr.includes('is not authorized on this server'), stranger.stderr)
  t.is(stranger.stderr.trim().split('\n').filter((l) => l.startsWith('noise-chat connect:')).length, 1, 'one line')
  const ok = await client(env, 'hi\n', target, '--server-key', server.key, '--key', joinPath(dir, 'member.key'))
  t.is(ok.code, 0, ok.stderr)
  t.ok(ok.stdout.includes('<alice✓> hi'), 'the comment reserved the nick: verified')
})

test('SIGHUP reloads the authorized keys without a restart', async (t) => {
  const env = await home(t)
  const dir = env['HOME']!
  const late = generateKeyPair()
  await writeKeyFile(joinPath(dir, 'late.key'), late)
  const file = joinPath(dir, 'authorized_keys')
  await writeFile(file, `${encodePublicKey(generateKeyPair().publicKey)} someone\n`)
  const server = await serverProcess(t, env, '--authorized-keys', file)
  const target = `127.0.0.1:${server.port}`
  t.is((await client(env, '', target, '--server-key', server.key, '--key', joinPath(dir, 'late.key'))).code, 5)
  await writeFile(file, `${encodePublicKey(late.publicKey)} late\n`, { flag: 'a' })
  server.child.kill('SIGHUP')
  while (!server.stderr().includes('reloaded')) await new Promise((resolve) => setTimeout(resolve, 20))
  const r = await client(env, 'made it\n', target, '--server-key', server.key, '--key', joinPath(dir, 'late.key'))
  t.is(r.code, 0, r.stderr)
  t.ok(r.stdout.includes('<late✓> made it'))
})

test('first contact, accept-new, changed key and pin mismatch, with a temporary HOME', async (t) => {
  const env = await home(t)
  const dir = env['HOME']!
  await writeKeyFile(joinPath(dir, 'server-a.key'), generateKeyPair())
  await writeKeyFile(joinPath(dir, 'server-b.key'), generateKeyPair())
  const first = await serverProcess(t, env, '--key', joinPath(dir, 'server-a.key'))
  const target = `127.0.0.1:${first.port}`

  const unknown = await client(env, 'hi\n', target)
  t.is(unknown.code, 4, 'off a terminal an unknown server is refused')
  t.ok(unknown.stderr.includes('--accept-new') && unknown.stderr.includes('--server-key'), 'and the flags to use are named')

  const accepted = await client(env, 'hi\n', target, '--accept-new')
  t.is(accepted.code, 0, accepted.stderr)
  const knownHosts = await readFile(joinPath(dir, 'config', 'noise-chat', 'known_hosts'), 'utf8')
  t.ok(knownHosts.includes(first.key), 'the key was recorded')
  t.is((await client(env, 'again\n', target, '--strict')).code, 0, 'known now, even under --strict')

  first.child.kill('SIGTERM')
  await once(first.child, 'exit')
  const second = await serverProcess(t, env, '--key', joinPath(dir, 'server-b.key'), '--port', String(first.port))
  const changed = await client(env, 'hi\n', target)
  t.is(changed.code, 4)
  t.ok(changed.stderr.includes('HAS CHANGED'), changed.stderr)

  const mismatch = await client(env, 'hi\n', target, '--server-key', first.key)
  t.is(mismatch.code, 4)
  t.ok(mismatch.stderr.includes('not the pinned one'))
  const pinned = await client(env, 'hi\n', target, '--server-key', second.key)
  t.is(pinned.code, 0, 'the right pin connects, whatever known hosts says')
})

test('connect failures are one line and a documented exit code', async (t) => {
  const env = await home(t)
  const server = await serverProcess(t, env)
  server.child.kill('SIGTERM')
  await once(server.child, 'exit')
  const refused = await client(env, '', `127.0.0.1:${server.port}`, '--accept-new')
  t.is(refused.code, 3)
  const failures = refused.stderr.trim().split('\n').filter((l) => l.startsWith('noise-chat connect:'))
  t.alike(failures, [`noise-chat connect: could not connect to 127.0.0.1:${server.port}: connection refused (ECONNREFUSED)`])
  const badNick = await client(env, '', '127.0.0.1:1', '--nick', 'no spaces')
  t.is(badNick.code, 2)
  t.ok(badNick.stderr.includes('not a valid nick'))
})

test('SIGTERM: the server tells everyone, ends each connection and exits 0', async (t) => {
  const env = await home(t)
  const server = await serverProcess(t, env)
  const bob = liveClient(t, env, `127.0.0.1:${server.port}`, '--server-key', server.key, '--nick', 'bob')
  await bob.waitFor('-- your nick is bob')
  server.child.kill('SIGTERM')
  const [code] = await once(server.child, 'exit')
  t.is(code, 0, 'the server exits 0')
  await bob.waitFor('-- the server is shutting down')
  t.is(await bob.exited, 1, 'a piped client with input left is told the rest was not sent')
  t.ok(bob.errors().includes('the server ended the chat before the end of the input'))
})

test('--log writes events as JSON lines, and what members say only with --log-messages', async (t) => {
  const env = await home(t)
  const dir = env['HOME']!
  for (const withText of [false, true]) {
    const logFile = joinPath(dir, `events-${String(withText)}.log`)
    const server = await serverProcess(t, env, '--log', logFile, ...(withText ? ['--log-messages'] : []))
    const r = await client(env, 'secret words\n', `127.0.0.1:${server.port}`, '--server-key', server.key, '--nick', 'carol')
    t.is(r.code, 0)
    server.child.kill('SIGTERM')
    await once(server.child, 'exit')
    const events = (await readFile(logFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { event: string, nick?: string, text?: string })
    t.alike(events.map((e) => e.event), ['connect', 'join', 'message', 'leave'])
    t.is(events[1]!.nick, 'carol')
    t.is(events[2]!.text, withText ? 'secret words' : undefined, withText ? 'text logged when asked' : 'no text by default')
  }
})

test('on a terminal: the typed line is sent, messages print above the prompt, Ctrl-D leaves cleanly', async (t) => {
  const env = await home(t)
  const { port, keyPair } = await startServer(t)
  await mkdir(joinPath(env['HOME']!, 'config'), { recursive: true })
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin })
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 60 })
  const stderr = new PassThrough()
  let screen = ''
  stdout.on('data', (d) => { screen += d })
  stderr.resume()
  const exit = main(['connect', `127.0.0.1:${port}`, '--server-key', encodePublicKey(keyPair.publicKey), '--nick', 'tty'], { stdin, stdout, stderr, env })
  const until = async (text: string): Promise<void> => {
    const deadline = Date.now() + 5000
    while (!screen.includes(text)) {
      if (Date.now() > deadline) throw new Error(`no '${text}' on screen:\n${JSON.stringify(screen)}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  await until('[\x1b[')
  stdin.write('hel')
  await until('] hel\x1b[K')
  stdin.write('lo\r')
  await until('> hello\r\n')
  t.ok(/\d\d:\d\d <\x1b\[\d+mtty\x1b\[39m> hello\r\n/.test(screen), 'our line came back from the server, timestamped, nick coloured')
  stdin.write('\x04')
  t.is(await exit, 0, 'Ctrl-D: END both ways, exit 0')
})
