import test from 'brittle'
import { attackerAddresses, manyLoopbackAddresses } from '../reliability/lib/loopback.js'
import { nonReaders, talk } from '../reliability/lib/member-attacks.js'
import { connectMember } from '../harness/member.js'
import { cliProbe, libraryProbe } from '../reliability/lib/probe.js'
import { tellHandshakeLie, tellTransportLie } from '../reliability/lib/raw-attacks.js'
import { startAttack } from '../reliability/lib/scenario.js'
import { ServerProcess, sandbox } from '../reliability/lib/server-process.js'
import { runSoak, soakProblems } from '../reliability/lib/soak-run.js'

/*
 * A small slice of `npm run attack`, `npm run soak` (docs/RELIABILITY.md)
 * in the test suite: the same harness and the real server process, tiny
 * sizes, and only behaviours decide (never how long anything took).
 */

type Teardown = { teardown: (fn: () => unknown) => void }

async function server (t: Teardown, args: string[] = []): Promise<ServerProcess> {
  const s = await ServerProcess.start({ args })
  t.teardown(() => s.stop())
  return s
}

test('a legitimate client is served while another address holds a crowd of half-open connections', async (t) => {
  const s = await server(t)
  const box = sandbox('nc-slice-')
  t.teardown(() => box.remove())
  const many = await manyLoopbackAddresses()
  const attack = startAttack({
    attack: 'hold', mode: 'silent', port: s.port, sources: await attackerAddresses(1),
    connections: 100, durationMs: 4000, reopenDelayMs: 200, maxAttempts: 2000, openPerSecond: 400
  })
  t.teardown(() => { if (attack.child.exitCode === null) attack.child.kill('SIGKILL') })
  await attack.ready
  await new Promise((resolve) => setTimeout(resolve, 600))
  const target = { port: s.port, key: s.key, publicKey: s.publicKey }
  if (many) {
    const cli = await cliProbe(target, box, 'legit')
    t.ok(cli.served, `noise-chat connect joined and chatted during the flood (${cli.failure ?? 'exit 0'})`)
    t.is(cli.exitCode, 0)
    t.ok((await libraryProbe(target, 'legit2')).served, 'so did a library client')
  }
  // (What the attacker sees open includes connections still in the kernel's accept queue: the server's log is the witness.)
  const got = await attack.result as { closedWithin1s: number }
  t.ok(got.closedWithin1s > 0, 'connections past the share were closed at once')
  t.ok(await logged(s, /16 handshakes from \S+ already in progress \(ERR_TOO_MANY_HANDSHAKES\)/), 'and logged as ERR_TOO_MANY_HANDSHAKES')
  t.ok((await libraryProbe(target, 'after')).served, 'a client is served after the flood')
})

test('lying length headers are closed with their coded errors, before and after the handshake', async (t) => {
  const s = await server(t, ['--keep-alive', '0.5', '--idle-timeout', '1'])
  const pre = await tellHandshakeLie(s.port, 'lie-pre', 5000)
  t.ok(!Number.isNaN(pre.closedAfterMs), '0xFFFF where msg1 goes: closed')
  const waiting = await tellTransportLie(s.port, s.publicKey, 'header-then-nothing', 10_000)
  t.ok(/^ERR_PEER_ABORTED: .*no frame from the peer for 1000 ms/.test(waiting.outcome), `0xFFFF then nothing: ${waiting.outcome}`)
  const short = await tellTransportLie(s.port, s.publicKey, 'header-says-less', 10_000)
  t.ok(/^ERR_PEER_ABORTED: .*failed authentication/.test(short.outcome), `20 announced, 40 sent: ${short.outcome}`)
  // The client hears the ABORT before the server's log line reaches the file: wait for the lines.
  t.ok(await logged(s, /msg1 must be exactly 32 bytes, got 65535 \(ERR_HANDSHAKE_FAILED\)/), 'the server logged ERR_HANDSHAKE_FAILED')
  t.ok(await logged(s, /\(ERR_IDLE_TIMEOUT\)/), 'and ERR_IDLE_TIMEOUT')
  t.ok(await logged(s, /\(ERR_DECRYPT_FAILED\)/), 'and ERR_DECRYPT_FAILED')
})

/** True once a line of the server's --log has a detail matching `pattern` (false after 10 s without one). */
async function logged (s: ServerProcess, pattern: RegExp): Promise<boolean> {
  const deadline = Date.now() + 10_000
  for (;;) {
    if (s.log().some((e) => pattern.test(e.detail ?? ''))) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test('readers that never read are disconnected while the others get every line, in order', async (t) => {
  const s = await server(t, ['--rate', '0'])
  const target = { port: s.port, serverKey: s.publicKey, sources: await attackerAddresses(2) }
  const observer = await connectMember({ port: s.port, serverKey: s.publicKey, nick: 'observer' }, false)
  let received = 0
  let inOrder = true
  let tooSlow = 0
  observer.connection.on('line', (line: string) => {
    const m = /^<talker> T (\d+) /.exec(line)
    if (m !== null) inOrder &&= Number(m[1]) === received++
    else if (/ left: too slow/.test(line)) tooSlow++
  })
  const readers = await nonReaders(target, 2)
  const talker = await connectMember({ port: s.port, serverKey: s.publicKey, nick: 'talker' }, false)
  const sent = await talk(talker, 12_000, 1000)
  const deadline = Date.now() + 20_000
  while ((received < sent.sent || tooSlow < 2) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.is(tooSlow, 2, 'both non-readers were dropped as too slow')
  t.is(received, sent.sent, `the observer received all ${sent.sent} lines`)
  t.ok(inOrder, 'in order')
  t.ok(await logged(s, /ERR_SLOW_READER/), 'the server logged ERR_SLOW_READER')
  await readers.finish(2000)
  observer.connection.end()
  talker.connection.end()
})

test('a mini soak: 10 members in 2 worker processes, every message at every member, once, in order', async (t) => {
  const report = await runSoak({ clients: 10, workers: 2, durationMs: 4000, intervalMs: 250, sampleMs: 500, warmUpFraction: 0.25, serverArgs: ['--rate', '10:40'] })
  t.is(report.joined, 10)
  t.ok(report.sent > 0, `${report.sent} messages sent`)
  t.is(report.tally.delivered, report.sent * 10, `${report.tally.delivered} deliveries checked`)
  t.is(report.tally.lost, 0, 'none lost')
  t.is(report.tally.duplicated, 0, 'none duplicated')
  t.is(report.tally.reordered, 0, 'none reordered')
  t.alike(soakProblems(report), [])
})
