import test from 'brittle'
import { join } from 'node:path'
import { SendPacer } from '../lib/chat/pacer.js'
import { parseRateNotice, RateLimiter, rateNoticeText } from '../lib/chat/rate-limit.js'
import { bannerOf, cli, tempHome, type Proc } from './helpers/tool-procs.js'

type Teardown = { teardown: (fn: () => unknown) => void }

/** `noise-chat server` on 127.0.0.1:0; resolves with its port and key once it printed its banner. */
async function server (t: Teardown, env: NodeJS.ProcessEnv, stateDir: string, ...args: string[]): Promise<{ proc: Proc, port: number, key: string }> {
  const proc = cli(t, ['server', '--host', '127.0.0.1', '--port', '0', '--state-dir', stateDir, '--quiet', '--ready-json', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { port, key } = await bannerOf(proc, 'stdout')
  return { proc, port, key }
}

/** A piped `noise-chat connect` fed `input`; resolves with its exit code and output. */
async function piped (t: Teardown, env: NodeJS.ProcessEnv, port: number, key: string, input: string, ...args: string[]): Promise<{ code: number | string, stdout: string, stderr: string }> {
  const run = cli(t, ['connect', `127.0.0.1:${port}`, '--server-key', key, ...args], { env })
  run.child.stdin!.end(input)
  const code = await run.exited
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

function flood (n: number): string {
  return Array.from({ length: n }, (_, i) => `flood ${i + 1}\n`).join('')
}

test('piped connect paces itself to the rate the server states: every line of a file is delivered', async (t) => {
  const { dir, env } = tempHome(t)
  // Bursts of a second or more: a loaded machine that stalls the server shorter than that loses nothing.
  // 5:10 has a smaller burst than the defaults a client assumes without a stated rate (2:20): only the stated rate keeps it inside.
  for (const [rate, count] of [['20:20', 60], ['5:10', 20]] as const) {
    const s = await server(t, env, join(dir, `state-${rate}`), '--rate', rate)
    const r = await piped(t, env, s.port, s.key, flood(count), '--nick', 'flo')
    const [perSecond, burst] = rate.split(':')
    t.ok(r.stdout.includes(`-- rate limit: ${perSecond!} lines per second, bursts of ${burst!}\n`), `the welcome states ${rate}`)
    t.is(r.code, 0, `--rate ${rate}: exit 0 (${r.stderr})`)
    const delivered = r.stdout.split('\n').filter((l) => /<flo> flood \d+$/.test(l))
    t.is(delivered.length, count, `--rate ${rate}: all ${count} lines came back from the room`)
    t.absent(r.stdout.includes('ERR_RATE_LIMITED'), 'no line was refused')
  }
})

test('the rate notice round-trips, and the pacer keeps inside the stated bucket', (t) => {
  t.is(rateNoticeText(new RateLimiter({ linesPerSecond: 2, burst: 20 })), 'rate limit: 2 lines per second, bursts of 20')
  t.alike(parseRateNotice('-- ' + rateNoticeText(new RateLimiter({ linesPerSecond: 1, burst: 5 }))), { linesPerSecond: 1, burst: 5 })
  t.alike(parseRateNotice('-- ' + rateNoticeText(new RateLimiter({ linesPerSecond: 0 }))), { linesPerSecond: 0, burst: 0 })
  t.is(parseRateNotice('<bob> -- rate limit: 100 lines per second, bursts of 100'), undefined, 'a member cannot state it')
  // Send 200 lines as fast as the pacer allows: the server's own limiter must accept every one.
  const server = new RateLimiter({ linesPerSecond: 5, burst: 10 })
  server.take(0) // the /nick line, sent before the rate was known
  const pacer = new SendPacer({ linesPerSecond: 5, burst: 10 }, 1, 0)
  let now = 0
  for (let i = 0; i < 200; i++) {
    now += pacer.delayMs(now)
    pacer.take(now)
    t.is(server.take(now), 'accept', `line ${i} at ${now} ms`)
  }
  t.ok(now > 199 / 5 * 1000, 'and it took the time the rate asks for')
})

test('replayed history is marked as history and survives a server restart; piped lines are all stamped by one rule', async (t) => {
  const { dir, env } = tempHome(t)
  const state = join(dir, 'state')
  const first = await server(t, env, state, '--history', '2')
  t.is((await piped(t, env, first.port, first.key, 'one\ntwo\nthree\n', '--nick', 'alice')).code, 0)
  first.proc.child.kill('SIGTERM')
  t.is(await first.proc.exited, 0)

  // The same key (the default server key in this home) and state directory: a restart.
  const second = await server(t, env, state, '--history', '2')
  t.is(second.key, first.key)
  const bob = await piped(t, env, second.port, second.key, 'hello\n', '--nick', 'bob')
  t.is(bob.code, 0, bob.stderr)
  const lines = bob.stdout.trimEnd().split('\n')
  const start = lines.findIndex((l) => l.endsWith('-- history: the last 2 messages said here'))
  t.ok(start !== -1, `the history is announced:\n${bob.stdout}`)
  t.ok(/^\[\d\d:\d\dZ\] <alice> two$/.test(lines[start + 1] ?? ''), 'the last two lines said before the restart')
  t.ok(/^\[\d\d:\d\dZ\] <alice> three$/.test(lines[start + 2] ?? ''))
  t.ok(lines[start + 3]?.endsWith('-- end of history'), 'and its end is marked')
  t.ok(lines.every((l) => /^\[\d\d:\d\dZ\] /.test(l)), 'every piped line, history or live, starts with its UTC time')
  t.ok(lines.some((l) => /^\[\d\d:\d\dZ\] <bob> hello$/.test(l)), 'live lines too')
})

test('without --nick, a key whose nick is online elsewhere is told why it became GuestN', async (t) => {
  const { dir, env } = tempHome(t)
  const s = await server(t, env, join(dir, 'state'))
  const alice = cli(t, ['connect', `127.0.0.1:${s.port}`, '--server-key', s.key, '--nick', 'alice'], { env })
  await alice.waitStdout('-- your nick is alice')
  // The same (default) key again, without --nick: its nick is alice, but alice is online.
  const again = await piped(t, env, s.port, s.key, '/names\n')
  t.is(again.code, 0, again.stderr)
  t.ok(/-- you are (Guest\d+), not alice \(your key's nick\): the nick alice is in use by another member; \/nick NICK picks another\n.*-- your nick is \1\n/s.test(again.stdout), again.stdout)
  alice.child.stdin!.end()
  t.is(await alice.exited, 0)
})
