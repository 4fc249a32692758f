/**
 * `npm run attack`: denial-of-service attacks on the real `noise-chat
 * server` process, and on the real `noise-chat tunnel server` (the
 * tunnel-* scenarios: a legitimate round trip through a tunnel client is
 * the measure), on 127.0.0.1, each bounded in time and in connections.
 * For each: how long a legitimate client waits (library probes, one after
 * the other, and the real `noise-chat connect` piped), the server's memory
 * before, during and after, and what the attacker got. Exits 1 when a
 * check fails (a legitimate client not served, the server gone, a limit
 * not applied).
 *
 *   node dist/reliability/attack.js [--quick] [--only NAME,NAME] [--json FILE]
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { AttackSpec } from './attacker.js'
import { attackerAddresses, manyLoopbackAddresses } from './lib/loopback.js'
import { connectMember } from '../harness/member.js'
import { lineOf } from '../harness/server-line.js'
import { printScenario, summaryTable, type Checked } from './lib/report.js'
import type { Target } from './lib/probe.js'
import { runScenario, type ScenarioFigures, type Watcher } from './lib/scenario.js'
import { ServerProcess, sandbox, type Sandbox } from './lib/server-process.js'
import { TunnelRig } from './lib/tunnel-rig.js'
import { runTunnelScenario } from './lib/tunnel-scenario.js'

const USAGE = `Usage: node dist/reliability/attack.js [--quick] [--only NAME,...] [--json FILE]

Denial-of-service scenarios against the real noise-chat server on 127.0.0.1.
  --quick        smaller and shorter (about a minute in all)
  --only NAMES   run only these scenarios (comma-separated); --list shows them
  --json FILE    also write every figure as JSON
`

/** One scenario: its server flags, its attacks, and what must hold. */
interface Scenario {
  name: string
  what: string
  /** What is attacked: the chat server (default), or a tunnel server behind which a tunnel client carries round trips to an echo service. */
  target?: 'chat' | 'tunnel'
  serverArgs?: string[]
  attacks: (ctx: Context) => Promise<AttackSpec[]>
  measureMs: (quick: boolean) => number
  rampMs?: number
  settleMs?: number
  watch?: Watcher
  /** The attacker's result in one line. */
  got: (f: ScenarioFigures) => string
  /** Problems found: empty when every check holds. */
  check: (f: ScenarioFigures) => string[]
  /** Before the server starts: files in its sandbox (a state folder). */
  prepare?: (box: Sandbox) => void
  /** After the server stopped: more figures and problems (a restart on the same state). */
  afterwards?: (box: Sandbox) => Promise<{ lines: string[], problems: string[] }>
}

interface Context {
  /** The attacked server's port and key (base64). */
  server: { port: number, key: string }
  quick: boolean
  /** Attacker source addresses (127.0.0.2 up), or only 127.0.0.1 where no other exists. */
  sources: (n: number) => Promise<string[]>
}

const SCENARIOS: Scenario[] = [
  {
    name: 'half-open-one-address',
    what: 'TCP connections from one address (127.0.0.2) that never send a byte, reopened 0.5 s after the server closes one',
    attacks: async ({ server, quick, sources }) => [{
      attack: 'hold', mode: 'silent', port: server.port, sources: await sources(1),
      connections: quick ? 400 : 1500, durationMs: quick ? 6000 : 14_000, reopenDelayMs: 500, maxAttempts: 20_000, openPerSecond: 500
    }],
    measureMs: (quick) => quick ? 5000 : 12_000,
    rampMs: 2000,
    got: holdGot,
    check: (f) => [...servedThroughout(f), ...holdBounded(f)]
  },
  {
    name: 'half-open-many-addresses',
    what: 'the same from 64 addresses (127.0.0.2-65): past the per-address share, the total cap',
    attacks: async ({ server, quick, sources }) => [{
      attack: 'hold', mode: 'silent', port: server.port, sources: await sources(64),
      connections: quick ? 600 : 1500, durationMs: quick ? 6000 : 14_000, reopenDelayMs: 500, maxAttempts: 20_000, openPerSecond: 500
    }],
    measureMs: (quick) => quick ? 5000 : 12_000,
    rampMs: 2000,
    got: holdGot,
    check: (f) => [...servedThroughout(f), ...holdBounded(f)]
  },
  {
    name: 'msg1-then-silence',
    what: 'from 64 addresses: a valid msg1 (the server computes msg2: two DH), then nothing',
    attacks: async ({ server, quick, sources }) => [{
      attack: 'hold', mode: 'msg1', port: server.port, sources: await sources(64),
      connections: quick ? 600 : 1500, durationMs: quick ? 6000 : 14_000, reopenDelayMs: 500, maxAttempts: 20_000, openPerSecond: 500
    }],
    measureMs: (quick) => quick ? 5000 : 12_000,
    rampMs: 2000,
    got: holdGot,
    check: (f) => [...servedThroughout(f), ...holdBounded(f)]
  },
  {
    name: 'tcp-connection-flood',
    what: 'connect and close at once, 64 in flight from 8 addresses, as fast as the machine allows',
    attacks: async ({ server, quick, sources }) => [{
      attack: 'churn', kind: 'tcp', port: server.port, sources: await sources(8), concurrency: 64, durationMs: quick ? 5000 : 12_000, maxAttempts: 1_000_000
    }],
    measureMs: (quick) => quick ? 4000 : 11_000,
    got: churnGot,
    check: (f) => servedThroughout(f)
  },
  {
    name: 'handshake-flood',
    what: 'complete full handshakes with fresh keys and close, 32 in flight from 8 addresses (the server pays three DH each)',
    attacks: async ({ server, quick, sources }) => [{
      attack: 'churn', kind: 'handshake', port: server.port, sources: await sources(8), concurrency: 32, durationMs: quick ? 5000 : 12_000, maxAttempts: 1_000_000
    }],
    measureMs: (quick) => quick ? 4000 : 11_000,
    got: churnGot,
    check: (f) => servedThroughout(f)
  },
  {
    name: 'nick-registry-churn',
    what: 'fresh keys join under fresh nicks (each binding is kept for good), 16 at a time from 8 addresses, on a server whose state already holds about 28,000 bound nicks (4 MiB less 16 KiB of JSON); then the server is restarted on that state',
    prepare: (box) => writeRegistry(box, 4 * 1024 * 1024 - 16 * 1024),
    attacks: async ({ server, quick, sources }) => [{
      attack: 'churn', kind: 'join', port: server.port, serverKey: server.key, sources: await sources(8), concurrency: 16, durationMs: quick ? 5000 : 12_000, maxAttempts: 1_000_000
    }],
    measureMs: (quick) => quick ? 4000 : 11_000,
    got: churnGot,
    check: (f) => servedThroughout(f),
    afterwards: restartOnSameState
  },
  {
    name: 'room-filling',
    what: 'keys that complete the handshake and stay, from 8 addresses, until the room is full (--max-clients 200)',
    serverArgs: ['--max-clients', '200'],
    attacks: async ({ server, quick, sources }) => [{
      attack: 'fill', port: server.port, serverKey: server.key, sources: await sources(8), count: quick ? 250 : 250, durationMs: quick ? 6000 : 10_000
    }],
    measureMs: (quick) => quick ? 4000 : 8000,
    got: (f) => {
      const a = f.attacker as { tried: number, joined: number, refused: Record<string, number> }
      return `${a.joined} of ${a.tried} joined; refused: ${describeCounts(a.refused)}`
    },
    check: (f) => {
      const a = f.attacker as { joined: number }
      // Once the room is full, nobody else gets in: the refusal must be the documented one, and the server must stay up.
      const problems = f.serverAlive ? [] : ['the server died']
      if (a.joined > 200) problems.push(`${a.joined} members joined a room of 200`)
      const refusals = [...f.during.failures, f.during.cli?.failure ?? ''].filter((x) => x !== '')
      if (refusals.some((r) => !/full/.test(r))) problems.push(`legitimate clients refused other than 'server full': ${refusals.join('; ')}`)
      if (f.after.served !== f.after.probes) problems.push('legitimate clients not served after the attackers left')
      return problems
    }
  },
  {
    name: 'room-filling-per-address-cap',
    what: 'the same, on a server that gives one address at most 10 seats (--max-clients 200 --max-clients-per-address 10)',
    serverArgs: ['--max-clients', '200', '--max-clients-per-address', '10'],
    attacks: async ({ server, quick, sources }) => [{
      attack: 'fill', port: server.port, serverKey: server.key, sources: await sources(8), count: 250, durationMs: quick ? 6000 : 10_000
    }],
    measureMs: (quick) => quick ? 4000 : 8000,
    got: (f) => {
      const a = f.attacker as { tried: number, joined: number, refused: Record<string, number> }
      return `${a.joined} of ${a.tried} joined; refused: ${describeCounts(a.refused)}`
    },
    check: (f) => {
      const a = f.attacker as { joined: number }
      const problems = servedThroughout(f)
      if (a.joined > 80) problems.push(`${a.joined} members joined from 8 addresses with a share of 10 each`)
      return problems
    }
  },
  {
    name: 'lying-length-headers',
    what: '20 connections per lie: 0xFFFF where msg1 goes; 0xFFFF for msg3; after the handshake 0xFFFF then nothing, 0xFFFF and 65534 of 65535 bytes, 20 announced and 40 sent (server: --keep-alive 2 --idle-timeout 5)',
    serverArgs: ['--keep-alive', '2', '--idle-timeout', '5'],
    attacks: async ({ server, quick, sources }) => [{
      attack: 'lies', port: server.port, serverKey: server.key, sources: await sources(16),
      lies: ['lie-pre', 'lie-msg3', 'header-then-nothing', 'almost-whole-frame', 'header-says-less'], each: quick ? 5 : 20, waitMs: 20_000
    }],
    measureMs: () => 12_000,
    got: liesGot,
    check: (f) => [...servedThroughout(f), ...liesChecked(f), ...memoryLevelsOff(f)]
  },
  {
    name: 'long-lines',
    what: 'members sending a line of exactly 1024 bytes, one of 1025, then 8 MiB without a newline, then a normal line; 10 at a time, new ones as soon as they are done',
    attacks: async ({ server, quick, sources }) => [{
      attack: 'lines', port: server.port, serverKey: server.key, sources: await sources(8), count: quick ? 3 : 10, streamMiB: quick ? 2 : 8, durationMs: quick ? 5000 : 20_000
    }],
    measureMs: (quick) => quick ? 5000 : 20_000,
    got: (f) => {
      const a = f.attacker as { rounds: number, members: number, echoedAtLimit: number, refusedPastLimit: number, streamedMiB: number, refusalsForStream: number, deliveredAfter: number }
      return `${a.rounds} rounds, ${a.members} members: ${a.echoedAtLimit} lines of 1024 B delivered, ${a.refusedPastLimit} of 1025 B refused (ERR_LINE_TOO_LONG); ${a.streamedMiB} MiB without a newline: ${a.refusalsForStream} refusals (one each), the next line delivered for ${a.deliveredAfter}`
    },
    check: (f) => {
      const a = f.attacker as { members: number, echoedAtLimit: number, refusedPastLimit: number, refusalsForStream: number, deliveredAfter: number }
      const problems = servedThroughout(f)
      if (a.echoedAtLimit !== a.members) problems.push('a line of exactly 1024 bytes was not delivered')
      if (a.refusedPastLimit !== a.members) problems.push('a line of 1025 bytes was not refused with ERR_LINE_TOO_LONG')
      if (a.refusalsForStream !== a.members) problems.push(`expected one refusal per monster line, got ${a.refusalsForStream} for ${a.members}`)
      if (a.deliveredAfter !== a.members) problems.push('a normal line after a monster line was lost')
      return [...problems, ...memoryLevelsOff(f)]
    }
  },
  {
    name: 'message-flood',
    what: 'one member writing 10,000 lines at once, and 40 members from 8 addresses writing 1,000 each, new ones again as soon as they are disconnected (default rate limit 2/s, bursts of 20)',
    attacks: async ({ server, quick, sources }) => [
      { attack: 'flood', port: server.port, serverKey: server.key, sources: await sources(1), count: 1, lines: 10_000, durationMs: quick ? 4000 : 10_000 },
      { attack: 'flood', port: server.port, serverKey: server.key, sources: await sources(8), count: quick ? 10 : 40, lines: 1000, durationMs: quick ? 4000 : 10_000 }
    ],
    measureMs: (quick) => quick ? 5000 : 10_000,
    got: (f) => (f.attacker as FloodResult[]).map((a) =>
      `${a.members} flooders in ${a.rounds} rounds, ${a.linesSentEach} lines each: ${a.accepted.max} at most accepted each, ${a.warned} warned (ERR_RATE_LIMITED), ${a.disconnectedForFlooding} disconnected for flooding after ${Math.round(a.disconnectAfterMs.median)} ms (median)`).join('; '),
    check: (f) => {
      const problems = servedThroughout(f)
      for (const a of f.attacker as FloodResult[]) {
        if (a.disconnectedForFlooding !== a.members) problems.push(`${a.members - a.disconnectedForFlooding} flooders not disconnected: ${a.otherEnds.join('; ')}`)
        if (a.accepted.max > 21) problems.push(`a flooder got ${a.accepted.max} lines into the room (burst is 20)`)
      }
      return problems
    }
  },
  {
    name: 'readers-that-never-read',
    what: '20 members (8 addresses) that join and never read, while a talker sends 30,000 lines of 1000 B (30 MB) at 2,000 lines a second, a pace an observer member reads easily; server --rate 0 so one talker can make that much traffic',
    serverArgs: ['--rate', '0'],
    attacks: async ({ server, quick, sources }) => [
      { attack: 'non-readers', port: server.port, serverKey: server.key, sources: await sources(8), count: quick ? 5 : 20, durationMs: quick ? 8000 : 20_000 },
      { attack: 'talker', port: server.port, serverKey: server.key, nick: 'talker', lines: quick ? 10_000 : 30_000, size: 1000, perSecond: 2000 }
    ],
    measureMs: (quick) => quick ? 8000 : 20_000,
    watch: talkerWatcher,
    got: (f) => {
      const [readers, talker] = f.attacker as [{ joined: number, ends: Record<string, number> }, { sent: number, ms: number }]
      const w = f.watched as TalkerWatch
      return `${readers.joined} non-readers: ${w.tooSlow} dropped as too slow; talker sent ${talker.sent} lines in ${(talker.ms / 1000).toFixed(1)} s, an observer received ${w.received} of them, ${w.outOfOrder} out of order${w.observerEnded === undefined ? '' : `; the observer's connection ended: ${w.observerEnded}`}`
    },
    check: (f) => {
      const [readers, talker] = f.attacker as [{ joined: number }, { sent: number }]
      const w = f.watched as TalkerWatch
      const problems = servedThroughout(f)
      if (w.tooSlow !== readers.joined) problems.push(`${readers.joined - w.tooSlow} non-readers were not dropped`)
      if (w.received !== talker.sent || w.outOfOrder !== 0) problems.push(`the observer got ${w.received} of ${talker.sent} talker lines, ${w.outOfOrder} out of order`)
      return [...problems, ...memoryLevelsOff(f)]
    }
  },
  {
    name: 'tunnel-stalled-handshakes',
    target: 'tunnel',
    what: 'the tunnel server (`tunnel server --listen 127.0.0.1:0 --to ECHO`, any client key) under TCP connections that never send a byte and valid msg1s followed by nothing, from 200 addresses (127.0.0.2 up), each reopened 0.5 s after the server closes it; a legitimate round trip of 4 KiB through a tunnel client, again and again',
    attacks: async ({ server, quick, sources }) => [
      { attack: 'hold', mode: 'silent', port: server.port, sources: await sources(200), connections: quick ? 400 : 1000, durationMs: quick ? 8000 : 20_000, reopenDelayMs: 500, maxAttempts: 20_000, openPerSecond: quick ? 100 : 75 },
      { attack: 'hold', mode: 'msg1', port: server.port, sources: await sources(200), connections: quick ? 200 : 500, durationMs: quick ? 8000 : 20_000, reopenDelayMs: 500, maxAttempts: 20_000, openPerSecond: quick ? 50 : 25 }
    ],
    measureMs: (quick) => quick ? 7000 : 18_000,
    rampMs: 2000,
    got: tunnelGot,
    check: (f) => [...servedThroughout(f), ...tunnelCapApplied(f)]
  },
  {
    name: 'tunnel-everything-at-once',
    target: 'tunnel',
    what: 'the tunnel server under all of it at once, from 200 addresses: silent connections, msg1 then nothing, 64 random bytes where msg1 goes, TCP connect-and-close churn, and 20 connections per lie (0xFFFF where msg1 goes, 0xFFFF for msg3, after the handshake 0xFFFF then nothing, 0xFFFF and 65534 of 65535 bytes, 20 announced and 40 sent)',
    attacks: async ({ server, quick, sources }) => [
      { attack: 'hold', mode: 'silent', port: server.port, sources: await sources(200), connections: quick ? 300 : 600, durationMs: quick ? 8000 : 20_000, reopenDelayMs: 500, maxAttempts: 20_000, openPerSecond: 40 },
      { attack: 'hold', mode: 'msg1', port: server.port, sources: await sources(200), connections: quick ? 150 : 300, durationMs: quick ? 8000 : 20_000, reopenDelayMs: 500, maxAttempts: 20_000, openPerSecond: 20 },
      { attack: 'hold', mode: 'garbage', port: server.port, sources: await sources(200), connections: quick ? 150 : 300, durationMs: quick ? 8000 : 20_000, reopenDelayMs: 200, maxAttempts: 20_000, openPerSecond: 20 },
      { attack: 'churn', kind: 'tcp', port: server.port, sources: await sources(8), concurrency: 16, durationMs: quick ? 8000 : 20_000, maxAttempts: 1_000_000 },
      { attack: 'lies', port: server.port, serverKey: server.key, sources: await sources(200), lies: ['lie-pre', 'lie-msg3', 'header-then-nothing', 'almost-whole-frame', 'header-says-less'], each: quick ? 5 : 20, waitMs: quick ? 8000 : 20_000 }
    ],
    measureMs: (quick) => quick ? 7000 : 18_000,
    rampMs: 2000,
    got: tunnelGot,
    check: (f) => [...servedThroughout(f), ...tunnelCapApplied(f)]
  }
]

interface FloodResult { rounds: number, members: number, linesSentEach: number, accepted: { max: number }, warned: number, disconnectedForFlooding: number, disconnectAfterMs: { median: number }, otherEnds: string[] }
interface HoldResult { attempts: number, connected: number, closedWithin1s: number, closedLater: number, lifetimeMs: { median: number, max: number }, openAtEnd: number, gotMsg2: number }
interface TalkerWatch { received: number, outOfOrder: number, tooSlow: number, observerEnded?: string }

function holdGot (f: ScenarioFigures): string {
  const a = f.attacker as HoldResult
  const capped = f.serverLog['refused ERR_TOO_MANY_HANDSHAKES'] ?? 0
  const timedOut = f.serverLog['refused ERR_HANDSHAKE_TIMEOUT'] ?? 0
  return `${a.attempts} connections: ${a.closedWithin1s} closed by the server within 1 s, ${a.closedLater} after longer (longest ${(a.lifetimeMs.max / 1000).toFixed(1)} s)${a.gotMsg2 > 0 ? `; ${a.gotMsg2} msg2 computed for it` : ''}; the server's log: ${capped} turned away or dropped by the handshake cap (ERR_TOO_MANY_HANDSHAKES), ${timedOut} handshake timeouts`
}

/** What the attackers of a tunnel scenario got, and what the tunnel server logged (its refusal lines, summaries counted). */
function tunnelGot (f: ScenarioFigures): string {
  const parts = (Array.isArray(f.attacker) ? f.attacker : [f.attacker]) as Array<Record<string, unknown>>
  const each = parts.map((a) => {
    if (a['mode'] !== undefined) {
      const h = a as unknown as HoldResult & { mode: string }
      return `${h.mode}: ${h.attempts} connections, ${h.closedWithin1s} closed within 1 s, longest held ${(h.lifetimeMs.max / 1000).toFixed(1)} s${h.gotMsg2 > 0 ? `, ${h.gotMsg2} msg2 computed` : ''}`
    }
    if (a['kind'] !== undefined) return `churn: ${String(a['attempts'])} connections (${String(a['perSecond'])}/s)`
    if (Array.isArray(a)) return `lies: ${liesGot({ ...f, attacker: a })}`
    return JSON.stringify(a).slice(0, 200)
  })
  const log = Object.entries(f.serverLog).map(([k, v]) => `${v} x ${k.replace(/^refused /, '')}`).join(', ')
  return `${each.join('; ')}; the tunnel server refused (its log, rate-limited, summaries counted): ${log === '' ? 'nothing' : log}`
}

/** The tunnel server applied its handshake bounds (the per-address share, or the eviction of the oldest). */
function tunnelCapApplied (f: ScenarioFigures): string[] {
  return (f.serverLog['refused ERR_TOO_MANY_HANDSHAKES'] ?? 0) === 0 ? ['the tunnel server never applied its handshake bounds'] : []
}

function churnGot (f: ScenarioFigures): string {
  const a = f.attacker as { attempts: number, completed: number, failed: number, failures: Record<string, number>, perSecond: number }
  return `${a.completed} of ${a.attempts} completed (${a.perSecond}/s)${a.failed > 0 ? `; failed: ${describeCounts(a.failures)}` : ''}`
}

function liesGot (f: ScenarioFigures): string {
  const outcomes = f.attacker as Array<{ lie: string, closedAfterMs: number, outcome: string }>
  const byLie = new Map<string, Array<{ closedAfterMs: number, outcome: string }>>()
  for (const o of outcomes) byLie.set(o.lie, [...(byLie.get(o.lie) ?? []), o])
  return [...byLie].map(([lie, os]) => {
    const times = os.map((o) => o.closedAfterMs).filter((x) => !Number.isNaN(x))
    const max = times.length === 0 ? NaN : Math.max(...times)
    const open = os.length - times.length
    const codes = [...new Set(os.map((o) => o.outcome.split(':')[0]!))].join(', ')
    return `${lie}: ${times.length}/${os.length} closed, the last after ${(max / 1000).toFixed(1)} s (${codes})${open > 0 ? `, ${open} still open` : ''}`
  }).join('; ')
}

function liesChecked (f: ScenarioFigures): string[] {
  const outcomes = f.attacker as Array<{ lie: string, closedAfterMs: number, outcome: string }>
  // How long each lie may hold a connection: at once, the handshake timeout (10 s), the idle timeout (5 s).
  const bound: Record<string, number> = { 'lie-pre': 1000, 'lie-msg3': 12_000, 'header-then-nothing': 7000, 'almost-whole-frame': 7000, 'header-says-less': 1000 }
  const expected: Record<string, RegExp> = { 'header-then-nothing': /ERR_PEER_ABORTED: .*no frame/, 'almost-whole-frame': /ERR_PEER_ABORTED: .*no frame/, 'header-says-less': /ERR_PEER_ABORTED/ }
  const problems: string[] = []
  for (const o of outcomes) {
    if (Number.isNaN(o.closedAfterMs) || o.closedAfterMs > bound[o.lie]!) problems.push(`${o.lie}: held for ${Number.isNaN(o.closedAfterMs) ? 'ever' : o.closedAfterMs + ' ms'}`)
    const want = expected[o.lie]
    if (want !== undefined && !want.test(o.outcome)) problems.push(`${o.lie}: ended with "${o.outcome}"`)
  }
  return [...new Set(problems)]
}

/**
 * The server's memory stops growing while the attack goes on: the highest
 * RSS of the attack's last third is at most 16 MiB above that of its middle
 * third. (It does rise at first, and V8 keeps what it grew: the level is
 * reported, the trend is judged.)
 */
function memoryLevelsOff (f: ScenarioFigures): string[] {
  return f.rssLateGrowthKiB > 16 * 1024 ? [`server memory still growing at the end of the attack: +${(f.rssLateGrowthKiB / 1024).toFixed(1)} MiB in its last third`] : []
}

/** The legitimate client was served before, during (every probe, and the CLI) and after; the server stayed up. */
function servedThroughout (f: ScenarioFigures): string[] {
  const problems: string[] = []
  if (!f.serverAlive) problems.push('the server died')
  for (const phase of ['before', 'during', 'after'] as const) {
    const p = f[phase]
    if (p.served !== p.probes) problems.push(`${phase}: ${p.probes - p.served} of ${p.probes} legitimate clients not served (${p.failures.join('; ')})`)
    if (p.cli !== undefined && !p.cli.served) problems.push(`${phase}: noise-chat connect not served (${p.cli.failure ?? ''})`)
  }
  return problems
}

/**
 * A holding attack was bounded by the server: no connection outlived the
 * handshake timeout (10 s, with 1.5 s of slack for a loaded machine), and
 * the server turned connections away by the cap. (What the attacker sees
 * open when it stops includes connections still in the kernel's accept
 * queue, so it is reported, not judged.)
 */
function holdBounded (f: ScenarioFigures): string[] {
  const a = f.attacker as HoldResult
  const problems: string[] = []
  if (a.lifetimeMs.max > 11_500) problems.push(`a connection was held for ${a.lifetimeMs.max} ms, past the handshake timeout`)
  if ((f.serverLog['refused ERR_TOO_MANY_HANDSHAKES'] ?? 0) === 0) problems.push('the server never applied its handshake cap')
  return problems
}

/** An observer member that counts the talker's lines and checks their order; also counts "too slow" leaves. */
async function talkerWatcher (target: Target): Promise<() => Promise<unknown>> {
  const observer = await connectMember({ port: target.port, serverKey: target.publicKey, nick: 'observer' }, false)
  const seen = { received: 0, outOfOrder: 0, tooSlow: 0 }
  let next = 0
  observer.connection.on('line', (line: string) => {
    const said = lineOf('public', line)
    const m = said?.from.nick === 'talker' && !said.from.verified ? /^T (\d+) /.exec(said.text) : null
    if (m !== null) {
      seen.received++
      if (Number(m[1]) !== next) seen.outOfOrder++
      next = Number(m[1]) + 1
    } else if (lineOf('leave', line)?.reason.startsWith('too slow') === true) seen.tooSlow++
  })
  return async () => {
    const ended = observer.ended
    observer.connection.end()
    await observer.closed(5000)
    return ended === undefined ? seen : { ...seen, observerEnded: ended }
  }
}

function describeCounts (counts: Record<string, number>): string {
  const entries = Object.entries(counts)
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${v} x ${k}`).join(', ')
}

async function main (): Promise<number> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' }, json: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean' } } })
  if (values.help === true) { process.stdout.write(USAGE); return 0 }
  if (values.list === true) { for (const s of SCENARIOS) process.stdout.write(`${s.name}: ${s.what}\n`); return 0 }
  const quick = values.quick === true
  const only = values.only?.split(',')
  const chosen = SCENARIOS.filter((s) => only === undefined || only.includes(s.name))
  if (chosen.length === 0) { process.stderr.write(`no scenario named ${values.only ?? ''}; --list shows them\n`); return 2 }
  const many = await manyLoopbackAddresses()
  process.stdout.write(`# noise-chat attack run${quick ? ' (--quick)' : ''}\n\n`)
  process.stdout.write(`node ${process.version}, ${new Date().toISOString()}, load average at start: ${(await loadAverage()).join(' ')}\n`)
  process.stdout.write(many ? 'attackers come from 127.0.0.2 and up; the legitimate client from 127.0.0.1\n\n' : 'only 127.0.0.1 exists here: attackers share the legitimate client\'s address, so the per-address checks do not apply\n\n')
  const box: Sandbox = sandbox('nc-attack-')
  const results: Checked[] = []
  try {
    for (const scenario of chosen) results.push(await runOne(scenario, quick, box))
  } finally {
    box.remove()
  }
  process.stdout.write(`\n## Summary\n\n${summaryTable(results)}\n\nload average at the end: ${(await loadAverage()).join(' ')}\n`)
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(results, null, 2))
  const failed = results.filter((r) => r.problems.length > 0)
  process.stdout.write(failed.length === 0 ? `\nall ${results.length} scenarios held\n` : `\n${failed.length} of ${results.length} scenarios found problems: ${failed.map((r) => r.figures.name).join(', ')}\n`)
  return failed.length === 0 ? 0 : 1
}

async function runOne (scenario: Scenario, quick: boolean, box: Sandbox): Promise<Checked> {
  if (scenario.target === 'tunnel') return await runTunnel(scenario, quick, box)
  const serverBox = sandbox('nc-attack-server-')
  scenario.prepare?.(serverBox)
  const server = await ServerProcess.start({ args: scenario.serverArgs ?? [], box: serverBox })
  try {
    const ctx: Context = { server, quick, sources: (n) => attackerAddresses(n) }
    const figures = await runScenario({
      name: scenario.name,
      server,
      box,
      attacks: await scenario.attacks(ctx),
      measureMs: scenario.measureMs(quick),
      rampMs: scenario.rampMs,
      settleMs: scenario.settleMs,
      watch: scenario.watch
    })
    const checked: Checked = { figures, what: scenario.what, serverArgs: scenario.serverArgs ?? [], got: scenario.got(figures), problems: scenario.check(figures) }
    await server.stop()
    if (scenario.afterwards !== undefined) {
      const more = await scenario.afterwards(serverBox)
      checked.got += '; ' + more.lines.join('; ')
      checked.problems.push(...more.problems)
    }
    process.stdout.write(printScenario(checked) + '\n')
    return checked
  } finally {
    await server.stop()
    serverBox.remove()
  }
}

async function runTunnel (scenario: Scenario, quick: boolean, box: Sandbox): Promise<Checked> {
  const rigBox = sandbox('nc-attack-tunnel-')
  const rig = await TunnelRig.start(rigBox, scenario.serverArgs ?? [])
  try {
    const ctx: Context = { server: rig, quick, sources: (n) => attackerAddresses(n) }
    const figures = await runTunnelScenario({
      name: scenario.name,
      rig,
      attacks: await scenario.attacks(ctx),
      measureMs: scenario.measureMs(quick),
      rampMs: scenario.rampMs,
      settleMs: scenario.settleMs
    })
    void box
    // The refusal summaries of the last interval are written when the tunnel server stops: count them too.
    await rig.stop()
    figures.serverLog = rig.refusals()
    const checked: Checked = { figures, what: scenario.what, serverArgs: scenario.serverArgs ?? [], got: scenario.got(figures), problems: scenario.check(figures) }
    process.stdout.write(printScenario(checked) + '\n')
    return checked
  } finally {
    await rig.stop()
    rigBox.remove()
  }
}

/** A nick registry of about `bytes` of JSON (bindings to random keys) in the server's state folder, as the server writes it. */
function writeRegistry (box: Sandbox, bytes: number): void {
  const entry = (i: number): { nick: string, key: string, lastUsed: string } => ({ nick: `old${i}`, key: randomBytes(32).toString('base64'), lastUsed: new Date().toISOString() })
  const text = (n: number): string => JSON.stringify({ version: 1, nicks: Array.from({ length: n }, (_, i) => entry(i)) }, null, 2) + '\n'
  // One correction step from a first guess lands within a few entries of `bytes`.
  const guess = Math.floor(bytes / 150)
  const nicks = Array.from({ length: Math.floor(guess * bytes / text(guess).length) }, (_, i) => entry(i))
  mkdirSync(join(box.dir, 'state'), { recursive: true, mode: 0o700 })
  writeFileSync(join(box.dir, 'state', 'nicks.json'), JSON.stringify({ version: 1, nicks }, null, 2) + '\n', { mode: 0o600 })
}

/** Start the server again on the state the attack left: it must come up (and say how many nicks it holds). */
async function restartOnSameState (box: Sandbox): Promise<{ lines: string[], problems: string[] }> {
  const file = join(box.dir, 'state', 'nicks.json')
  const bound = (JSON.parse(readFileSync(file, 'utf8')) as { nicks: unknown[] }).nicks.length
  const size = statSync(file).size
  try {
    const again = await ServerProcess.start({ box })
    await again.stop()
    return { lines: [`the registry held ${bound} nicks (${(size / 1048576).toFixed(1)} MiB); the server started again on it`], problems: [] }
  } catch (err) {
    const why = (err as Error).message.split('\n').find((l) => l.includes('noise-chat server:')) ?? (err as Error).message
    return { lines: [`the registry held ${bound} nicks (${(size / 1048576).toFixed(1)} MiB); the server could NOT start again: ${why.trim()}`], problems: ['the server cannot restart on the state the attack left'] }
  }
}

async function loadAverage (): Promise<string[]> {
  const os = await import('node:os')
  return os.loadavg().map((x) => x.toFixed(2))
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`attack: ${String((err as Error)?.stack ?? err)}\n`)
  process.exitCode = 1
})
