import test from 'brittle'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { EventLineLimiter } from '../lib/chat/event-lines.js'
import { writeKeyFile } from '../lib/identity/key-file.js'
import { encodePublicKey, generateKeyPair } from '../lib/secure/keypair.js'
import { bannerOf, cli, tempHome, type Proc } from './helpers/tool-procs.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/** `noise-chat server` on 127.0.0.1:0 with a --log; resolves with its port and key once it printed its banner. */
async function server (t: Teardown, env: NodeJS.ProcessEnv, dir: string, ...args: string[]): Promise<{ proc: Proc, port: number, key: string, log: string }> {
  const log = join(dir, `events-${Math.random().toString(36).slice(2)}.log`)
  const proc = cli(t, ['server', '--host', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'state'), '--log', log, '--ready-json', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { port, key } = await bannerOf(proc, 'stdout')
  return { proc, port, key, log }
}

/** A piped `noise-chat connect` that sends `input` and exits. */
async function say (t: Teardown, env: NodeJS.ProcessEnv, port: number, key: string, input: string, ...args: string[]): Promise<number | string> {
  const run = cli(t, ['connect', `127.0.0.1:${port}`, '--server-key', key, ...args], { env })
  run.child.stdout!.resume()
  run.child.stdin!.end(input)
  return run.exited
}

/** Connect, send bytes that are no handshake, close. */
async function garbage (port: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  socket.end('this is not noise\n')
  await once(socket, 'close')
}

/** Wait until the --log file holds `count` events of `event`. */
async function logged (file: string, event: string, count: number): Promise<number> {
  const deadline = Date.now() + 30_000
  for (;;) {
    let n = 0
    try {
      n = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes(`"event":"${event}"`)).length
    } catch {}
    if (n >= count) return n
    if (Date.now() > deadline) throw new Error(`only ${n} ${event} events in ${file}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test('the chat server prints one human line per join, leave, refused key and failed handshake on stderr', async (t) => {
  const { dir, env } = tempHome(t)
  const member = generateKeyPair()
  await writeKeyFile(join(dir, 'member.key'), member)
  await writeKeyFile(join(dir, 'stranger.key'), generateKeyPair())
  writeFileSync(join(dir, 'authorized'), `${encodePublicKey(member.publicKey)} alice\n`)
  const s = await server(t, env, dir, '--authorized-keys', join(dir, 'authorized'))
  t.is(await say(t, env, s.port, s.key, 'a secret line\n', '--key', join(dir, 'member.key')), 0)
  await s.proc.waitStderr(/server: alice left: quit \(SHA256:/)
  t.ok(/^server: alice joined \(SHA256:[A-Za-z0-9+/]{43}\)$/m.test(s.proc.stderr()), 'the join, with the key')
  t.is(await say(t, env, s.port, s.key, 'let me in\n', '--key', join(dir, 'stranger.key')), 5)
  await s.proc.waitStderr(/^server: refused the key of 127\.0\.0\.1:\d+ \(SHA256:\S+\): .*not authorized/m)
  await garbage(s.port)
  await s.proc.waitStderr(/^server: failed handshake from 127\.0\.0\.1:\d+: .*\(ERR_HANDSHAKE_\w+\)$/m)
  t.absent(s.proc.stderr().includes('a secret line'), 'what members say is never printed')
  t.pass('every event had its line')
})

test('under attack the event lines are limited, with a count of the rest; --quiet prints none', async (t) => {
  const { dir, env } = tempHome(t)
  const s = await server(t, env, dir)
  const attempts = 60
  for (let i = 0; i < attempts; i += 10) await Promise.all(Array.from({ length: 10 }, () => garbage(s.port)))
  const total = await logged(s.log, 'refused', attempts)
  s.proc.child.kill('SIGTERM')
  t.is(await s.proc.exited, 0)
  const lines = s.proc.stderr().split('\n').filter((l) => l.startsWith('server: failed handshake'))
  const more = /^server: (\d+) more events in \d+ s not shown/m.exec(s.proc.stderr())
  t.is(lines.length, 20, 'at most 20 event lines in the interval')
  t.ok(more !== null, 'and one line with the count of the rest')
  t.is(lines.length + Number(more?.[1]), total, `every event counted: ${total} in the log`)

  const quiet = await server(t, env, dir, '--quiet')
  await garbage(quiet.port)
  await logged(quiet.log, 'refused', 1)
  quiet.proc.child.kill('SIGTERM')
  t.is(await quiet.proc.exited, 0)
  t.absent(quiet.proc.stderr().includes('failed handshake'), '--quiet: no event lines')
})

test('the event line limiter counts what it leaves out and says so once the interval is over', async (t) => {
  let now = 0
  const out: string[] = []
  const limiter = new EventLineLimiter((l) => out.push(l), { linesPerInterval: 2, intervalMs: 1000, now: () => now })
  for (let i = 0; i < 5; i++) limiter.line(`e${i}`)
  t.alike(out, ['e0', 'e1'])
  now = 1500
  limiter.line('e5')
  t.is(out[2], '3 more events in 1 s not shown (at most 2 lines per 1 s; --log FILE keeps every one)')
  t.is(out[3], 'e5', 'a new interval prints again')
  limiter.close()
  t.is(out.length, 4, 'nothing left out, nothing to report')
})
