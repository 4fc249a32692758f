/**
 * `npm run faults`: the real `noise-chat server` process meets clients
 * killed with SIGKILL mid-handshake and mid-frame, a proxy that stalls,
 * drops and resets connections, its own crash and restart while clients
 * reconnect, and folders it cannot write. For each: what happened, and
 * whether everyone else was still served (library probes one after the
 * other while the fault happens, and an observer member that must hear a
 * witness at the end). Exits 1 when a check fails.
 *
 *   node dist/reliability/faults.js [--only NAME,NAME] [--list]
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ReconnectingChat } from '../lib/chat/client.js'
import { generateKeyPair } from '../lib/secure/keypair.js'
import { FaultProxy } from './lib/fault-proxy.js'
import { connectMember, type Member } from '../harness/member.js'
import { isLine } from '../harness/server-line.js'
import { cliProbe, libraryProbe, probeRepeatedly, type ProbeResult, type Target } from './lib/probe.js'
import { RssSampler, startAttack } from './lib/scenario.js'
import { BIN, cliSpawn, ensureKeyFile, ServerProcess, sandbox, type Sandbox } from './lib/server-process.js'
import { mib, ms, summarize, table } from './lib/stats.js'
import { canRunOnTerminal, terminalClient } from './lib/terminal-client.js'

/** What a fault's run reports: figures as lines, and problems (empty when every check held). */
interface Outcome {
  lines: string[]
  problems: string[]
}

interface FaultContext {
  server: ServerProcess
  box: Sandbox
  target: Target
  /** A member present throughout (absent when the fault takes the server down). */
  observer: Member | undefined
}

interface Fault {
  name: string
  what: string
  serverArgs?: string[]
  /** The server goes away during the fault: no observer, and probes may fail while it is down. */
  downtime?: boolean
  run: (ctx: FaultContext) => Promise<Outcome>
}

/** Members' keep-alive when the server runs with a short idle timeout. */
const KEEP_ALIVE_MS = 1000

const FAULTS: Fault[] = [
  {
    name: 'sigkill-mid-handshake',
    what: '10 client processes send msg1, receive msg2, and are killed with SIGKILL before msg3',
    run: async ({ server }) => {
      const killedAt = await killVictims(server, 'handshake', 10)
      const logged = await until(() => countLog(server, 'refused', /ERR_HANDSHAKE_INCOMPLETE/) >= 10, 5000)
      const n = countLog(server, 'refused', /ERR_HANDSHAKE_INCOMPLETE/)
      return {
        lines: [`the server logged ${n} handshakes closed mid-way (ERR_HANDSHAKE_INCOMPLETE), ${ms(logged - killedAt)} after the kills`],
        problems: n === 10 ? [] : [`expected 10 ERR_HANDSHAKE_INCOMPLETE, logged ${n}`]
      }
    }
  },
  {
    name: 'sigkill-mid-frame',
    what: '10 members (client processes) write half of a 1000-byte frame and are killed with SIGKILL',
    run: async ({ server, observer }) => {
      await killVictims(server, 'frame', 10)
      await until(() => observer!.lines.filter(isLine('leave', (m) => /^v\d+$/.test(m.who.nick) && m.reason.startsWith('connection lost'))).length >= 10, 5000)
      const left = observer!.lines.filter(isLine('leave', (m) => /^v\d+$/.test(m.who.nick) && m.reason.startsWith('connection lost'))).length
      const truncated = countLog(server, 'disconnect', /middle of a frame.*ERR_TRUNCATED/)
      return {
        lines: [`the observer saw ${left} of 10 leave ("connection lost"); the server logged ${truncated} streams truncated in the middle of a frame (ERR_TRUNCATED)`],
        problems: left === 10 && truncated === 10 ? [] : [`expected 10 leaves and 10 ERR_TRUNCATED, got ${left} and ${truncated}`]
      }
    }
  },
  {
    name: 'sigkill-connect-cli',
    what: '3 real `noise-chat connect` processes sending a line every 50 ms are killed with SIGKILL',
    run: async ({ box, target, observer }) => {
      const lines: string[] = []
      const problems: string[] = []
      await Promise.all([0, 1, 2].map(async (i) => {
        const nick = `kill${i}`
        const child = cliSpawn(box, ['connect', `127.0.0.1:${target.port}`, '--server-key', target.key, '--nick', nick, '--key', join(box.dir, `${nick}.key`)])
        child.stdout!.resume()
        child.stdin!.on('error', () => {})
        let n = 0
        const timer = setInterval(() => child.stdin!.write(`${nick} line ${n++}\n`), 50)
        await observer!.waitFor(`<${nick}> ${nick} line 10`, 15_000).catch(() => {})
        child.kill('SIGKILL')
        clearInterval(timer)
        const left = await observer!.waitFor(isLine('leave', (m) => m.who.nick === nick), 10_000).catch(() => 'no leave seen')
        const got = observer!.lines.filter((l) => l.startsWith(`<${nick}> `))
        const inOrder = got.every((l, k) => l === `<${nick}> ${nick} line ${k}`)
        lines.push(`${nick}: ${got.length} lines arrived whole and in order before the kill: ${inOrder ? 'yes' : 'NO'}; then "${left.replace(/ \(\d+ connected\)$/, '')}"`)
        if (!inOrder || !/connection lost/.test(left)) problems.push(`${nick}: in order ${String(inOrder)}, leave "${left}"`)
      }))
      return { lines, problems }
    }
  },
  {
    name: 'proxy-stall-member',
    what: 'a `noise-chat connect` through a proxy that stops passing bytes both ways after it joined (server: --keep-alive 1 --idle-timeout 3); then the proxy passes again',
    serverArgs: ['--keep-alive', '1', '--idle-timeout', '3'],
    run: async ({ box, target, observer }) => {
      const proxy = new FaultProxy(target.port)
      const port = await proxy.listen()
      const cli = cliThrough(box, port, target.key, 'stalled')
      // A line every 0.5 s: a live member, never idle while bytes pass.
      let n = 0
      const timer = setInterval(() => cli.write(`tick ${n++}`), 500)
      await observer!.waitFor('<stalled> tick 1', 10_000)
      const stalledAt = Date.now()
      proxy.stall()
      const left = await observer!.waitFor(isLine('leave', (m) => m.who.nick === 'stalled'), 15_000).catch(() => 'no leave seen')
      const droppedAfter = Date.now() - stalledAt
      clearInterval(timer)
      proxy.resume()
      const code = await cli.exited
      await proxy.close()
      const problems: string[] = []
      if (!/timed out/.test(left)) problems.push(`leave was "${left}"`)
      if (code !== 7) problems.push(`connect exited ${String(code)}, not 7`)
      return {
        lines: [
          `the server dropped the stalled member after ${ms(droppedAfter)}: "${left.replace(/ \(\d+ connected\)$/, '')}"`,
          `when the proxy passed bytes again, connect exited ${String(code)}: ${lastLine(cli.stderr())}`
        ],
        problems
      }
    }
  },
  {
    name: 'proxy-stall-handshake',
    what: '`noise-chat connect --handshake-timeout 3` through a proxy that passes nothing at all',
    run: async ({ box, target, server }) => {
      const proxy = new FaultProxy(target.port)
      const port = await proxy.listen()
      proxy.stall()
      const started = Date.now()
      const cli = cliThrough(box, port, target.key, 'nohands', ['--handshake-timeout', '3'])
      cli.end()
      const code = await cli.exited
      const tookMs = Date.now() - started
      const logged = await until(() => countLog(server, 'refused', /ERR_HANDSHAKE_TIMEOUT/) >= 1, 15_000)
      await proxy.close()
      const serverSide = countLog(server, 'refused', /ERR_HANDSHAKE_TIMEOUT/)
      return {
        lines: [
          `connect exited ${String(code)} after ${ms(tookMs)}: ${lastLine(cli.stderr())}`,
          `the server closed its side at its own handshake timeout, ${ms(logged - started)} after the connect (ERR_HANDSHAKE_TIMEOUT logged: ${serverSide})`
        ],
        problems: code === 6 && serverSide === 1 ? [] : [`exit ${String(code)} (want 6), server timeouts logged ${serverSide} (want 1)`]
      }
    }
  },
  {
    name: 'proxy-drop',
    what: 'a proxy swallows one chunk (a frame) a joined `noise-chat connect` sends, then passes the next',
    run: async ({ box, target, observer }) => {
      const proxy = new FaultProxy(target.port)
      const port = await proxy.listen()
      const cli = cliThrough(box, port, target.key, 'dropper')
      cli.write('before the loss')
      await observer!.waitFor('<dropper> before the loss', 10_000)
      proxy.dropNextClientChunk()
      cli.write('the lost line')
      await sleep(300)
      cli.write('after the loss')
      const code = await cli.exited
      const left = await observer!.waitFor(isLine('leave', (m) => m.who.nick === 'dropper'), 5000).catch(() => 'no leave seen')
      await proxy.close()
      const leaked = observer!.lines.filter((l) => /lost line|after the loss/.test(l))
      const problems: string[] = []
      if (proxy.dropped !== 1) problems.push(`the proxy dropped ${proxy.dropped} chunks`)
      if (leaked.length > 0) problems.push(`delivered after the loss: ${leaked.join(' | ')}`)
      if (code !== 7) problems.push(`connect exited ${String(code)}, not 7`)
      return {
        lines: [
          `connect exited ${String(code)}: ${lastLine(cli.stderr())}`,
          `the room got nothing from it after the lost frame (lines delivered after it: ${leaked.length}); the observer saw "${left.replace(/ \(\d+ connected\)$/, '')}"`
        ],
        problems
      }
    }
  },
  {
    name: 'proxy-reset',
    what: 'a proxy resets (RST both ways) a piped `noise-chat connect`, a terminal `noise-chat connect` and a library ReconnectingChat',
    run: async ({ box, target, observer }) => {
      const proxy = new FaultProxy(target.port)
      const port = await proxy.listen()
      const cli = cliThrough(box, port, target.key, 'resetcli')
      const terminal = await canRunOnTerminal() ? terminalClient(box, terminalArgs(box, port, target.key, 'resetterm')) : undefined
      const lib = new ReconnectingChat({ host: '127.0.0.1', port, keyPair: generateKeyPair(), nick: 'resetlib', verify: (k) => k.equals(target.publicKey) })
      lib.on('close', () => {})
      await lib.start()
      const joined = ['resetcli', 'resetlib', ...(terminal === undefined ? [] : ['resetterm'])]
      for (const nick of joined) await observer!.waitFor(isLine('join', (m) => m.who.nick === nick), 15_000)
      const before = observer!.lines.length
      const resetAt = Date.now()
      proxy.reset()
      const code = await cli.exited
      const rejoinMs: Record<string, number> = {}
      await Promise.all(['resetlib', ...(terminal === undefined ? [] : ['resetterm'])].map(async (nick) => {
        const seen = await until(() => observer!.lines.slice(before).some((l) => l.startsWith(`-- ${nick} joined`)), 20_000)
        if (observer!.lines.slice(before).some((l) => l.startsWith(`-- ${nick} joined`))) rejoinMs[nick] = seen - resetAt
      }))
      lib.sendLine('resetlib is back')
      const heard = await observer!.waitFor('<resetlib> resetlib is back', 5000).then(() => true, () => false)
      lib.end()
      terminal?.type('/quit')
      const termCode = terminal === undefined ? undefined : await Promise.race([terminal.exited, sleep(5000).then(() => 'still running')])
      if (terminal !== undefined && terminal.child.exitCode === null) terminal.child.kill('SIGKILL')
      await proxy.close()
      const problems: string[] = []
      if (code !== 7) problems.push(`piped connect exited ${String(code)}, not 7`)
      if (rejoinMs['resetlib'] === undefined || !heard) problems.push('the library client did not come back')
      if (terminal !== undefined && rejoinMs['resetterm'] === undefined) problems.push('the terminal client did not come back')
      return {
        lines: [
          `piped connect exited ${String(code)}: ${lastLine(cli.stderr())} (piped mode does not reconnect: a script sees the failure)`,
          `ReconnectingChat (library) rejoined ${ms(rejoinMs['resetlib'] ?? NaN)} after the reset and was heard again: ${heard ? 'yes' : 'NO'}`,
          terminal === undefined
            ? 'terminal client: not run (no util-linux script here)'
            : `terminal connect rejoined ${ms(rejoinMs['resetterm'] ?? NaN)} after the reset; after /quit it exited ${String(termCode)}`
        ],
        problems
      }
    }
  },
  {
    name: 'server-crash-restart',
    what: '20 library ReconnectingChat members and a terminal `noise-chat connect` are in the room; the server is killed with SIGKILL and started again 2 s later on the same port with the same key and state folder',
    downtime: true,
    run: async (ctx) => {
      const { box, target } = ctx
      const members = Array.from({ length: 20 }, (_, i) => new Watched(target, `rc${i}`))
      // Joined four at a time: twenty handshakes at once from one address would pass its share (16).
      for (let i = 0; i < members.length; i += 4) await Promise.all(members.slice(i, i + 4).map((m) => m.chat.start()))
      const terminal = await canRunOnTerminal() ? terminalClient(box, terminalArgs(box, target.port, target.key, 'rcterm')) : undefined
      const expected = 20 + (terminal === undefined ? 0 : 1)
      const nicks = [...members.map((m) => m.nick), ...(terminal === undefined ? [] : ['rcterm'])]
      await until(() => joins(ctx.server, nicks).length >= expected, 15_000)
      await ctx.server.crash()
      const crashedAt = Date.now()
      // Both servers append to the same log file: only what comes after the crash counts.
      const since = ctx.server.log().length
      await sleep(2000)
      ctx.server = await ServerProcess.start({ box: ctx.server.box, port: target.port })
      const upAt = Date.now()
      const back = await until(() => joins(ctx.server, nicks, since).length >= expected, 40_000)
      const rejoined = joins(ctx.server, nicks, since)
      const capped = ctx.server.log().slice(since).filter((e) => /ERR_TOO_MANY_HANDSHAKES/.test(e.detail ?? '')).length
      const sameNicks = members.every((m) => rejoined.includes(m.nick))
      for (const m of members) m.chat.sendLine(`${m.nick} after the restart`)
      await until(() => members.every((m) => members.every((o) => m.saw(`<${o.nick}> ${o.nick} after the restart`))), 15_000)
      const complete = members.filter((m) => members.every((o) => m.saw(`<${o.nick}> ${o.nick} after the restart`))).length
      // Then a clean stop: members are told and do not reconnect (an END is a decision, not an accident).
      const closes = members.map((m) => m.closed)
      await ctx.server.stop()
      const ends = await Promise.race([Promise.all(closes), sleep(10_000).then(() => undefined)])
      const termCode = terminal === undefined ? undefined : await Promise.race([terminal.exited, sleep(5000).then(() => 'still running')])
      if (terminal !== undefined && terminal.child.exitCode === null) terminal.child.kill('SIGKILL')
      const cleanEnds = ends?.filter((e) => e === null).length ?? 0
      const problems: string[] = []
      if (rejoined.length < expected) problems.push(`${rejoined.length} of ${expected} came back`)
      if (!sameNicks) problems.push('not every member came back under its nick')
      if (complete !== members.length) problems.push(`${members.length - complete} members missed messages after the restart`)
      if (cleanEnds !== members.length) problems.push(`${members.length - cleanEnds} members did not end cleanly at the SIGTERM`)
      return {
        lines: [
          `${rejoined.length} of ${expected} members back ${ms(back - upAt)} after the new server printed its banner (${ms(back - crashedAt)} after the crash), under the same nicks: ${sameNicks ? 'yes' : 'NO'}`,
          `handshakes turned away by the per-address share (16) while they all came back at once, and retried: ${capped}`,
          `${complete} of ${members.length} then received every member's message (${members.length * members.length} checked)`,
          `then SIGTERM: ${cleanEnds} of ${members.length} library members ended cleanly without reconnecting${terminal === undefined ? '' : `; the terminal client exited ${String(termCode)}`}`
        ],
        problems
      }
    }
  },
  {
    name: 'unwritable-files',
    what: 'a key folder, state folder and log that cannot be written (as a user that may not write there), and a log on a full disk (/dev/full)',
    run: async ({ target, box }) => fileFaults(target, box)
  },
  {
    name: 'state-unwritable-while-running',
    what: 'the state folder becomes read-only while the server runs, and a new nick is bound',
    run: async () => stateTurnsReadOnly()
  }
]

/** Start `count` victim processes in `phase`, wait until each is there, SIGKILL them all; returns when they were killed. */
async function killVictims (server: ServerProcess, phase: 'handshake' | 'frame', count: number): Promise<number> {
  const victims = Array.from({ length: count }, (_, i) => startAttack({ attack: 'victim', port: server.port, serverKey: server.key, phase, nick: `v${i}` }))
  await Promise.all(victims.map((v) => v.ready))
  for (const v of victims) v.child.kill('SIGKILL')
  return Date.now()
}

/** A piped `noise-chat connect` through `port`, stdin kept open. */
function cliThrough (box: Sandbox, port: number, key: string, nick: string, extra: string[] = []): { write: (line: string) => void, end: () => void, exited: Promise<number | null>, stderr: () => string } {
  const child = cliSpawn(box, ['connect', `127.0.0.1:${port}`, '--server-key', key, '--nick', nick, '--key', join(box.dir, `${nick}.key`), ...extra])
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdout!.resume()
  child.stdin!.on('error', () => {})
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  void exited.then(() => clearTimeout(timer))
  return { write: (line) => { child.stdin!.write(line + '\n') }, end: () => child.stdin!.end(), exited, stderr: () => stderr }
}

function terminalArgs (box: Sandbox, port: number, key: string, nick: string): string[] {
  return [`127.0.0.1:${port}`, '--server-key', key, '--nick', nick, '--key', ensureKeyFile(join(box.dir, `${nick}.key`))]
}

/** A ReconnectingChat member that keeps what it heard. */
class Watched {
  readonly chat: ReconnectingChat
  readonly heard = new Set<string>()
  readonly closed: Promise<Error | null>
  constructor (target: Target, readonly nick: string) {
    this.chat = new ReconnectingChat({ host: '127.0.0.1', port: target.port, keyPair: generateKeyPair(), nick, verify: (k) => k.equals(target.publicKey) })
    this.chat.on('line', (line: string) => this.heard.add(line))
    this.closed = new Promise((resolve) => this.chat.once('close', (err: Error | null) => resolve(err)))
  }

  saw (line: string): boolean {
    return this.heard.has(line)
  }
}

/** Which of `nicks` joined, from the server's log. */
function joins (server: ServerProcess, nicks: string[], since = 0): string[] {
  return [...new Set(server.log().slice(since).filter((e) => e.event === 'join' && nicks.includes(e.nick ?? '')).map((e) => e.nick!))]
}

function countLog (server: ServerProcess, event: string, detail: RegExp): number {
  return server.log().filter((e) => e.event === event && detail.test(e.detail ?? '')).length
}

/** The file faults, each through the real CLI. */
async function fileFaults (target: Target, box: Sandbox): Promise<Outcome> {
  const lines: string[] = []
  const problems: string[] = []
  const work = sandbox('nc-files-')
  try {
    const user = unprivileged()
    const locked = join(work.dir, 'locked')
    spawnSync('mkdir', ['-m', '0555', locked])
    const attempts: Array<{ what: string, args: string[], check: string, env?: NodeJS.ProcessEnv }> = [
      // Only the default key is created on first use (a --key FILE must exist): its folder is the locked one here.
      { what: 'key in a folder it may not write', args: ['--state-dir', join(work.dir, 'state1')], check: `cannot create the folder '${join(locked, 'noise-chat')}'`, env: { XDG_CONFIG_HOME: locked } },
      { what: 'state folder it may not create', args: ['--key', ensureKeyFile(join(work.dir, 'k2')), '--state-dir', join(locked, 'state')], check: `cannot write the state directory '${join(locked, 'state')}'` },
      { what: 'log in a folder it may not write', args: ['--key', ensureKeyFile(join(work.dir, 'k3')), '--state-dir', join(work.dir, 'state3'), '--log', join(locked, 'server.log')], check: `cannot write the log file '${join(locked, 'server.log')}'` }
    ]
    if (user !== undefined) {
      // The server runs as `user`: it may write its sandbox, not the locked folder (root's, 0555).
      spawnSync('chown', ['-R', `${user}:${user}`, work.dir])
      spawnSync('chown', ['root:root', locked])
    }
    for (const a of attempts) {
      const ran = spawnSync(process.execPath, [BIN, 'server', '--host', '127.0.0.1', '--port', '0', ...a.args], { env: { ...work.env, ...a.env }, encoding: 'utf8', timeout: 20_000, ...(user === undefined ? {} : { uid: user, gid: user }) })
      const left = readdirSync(locked)
      lines.push(`${a.what}: exit ${String(ran.status)}, "${ran.stderr.trim().split('\n').pop() ?? ''}"; left in the folder: ${left.length === 0 ? 'nothing' : left.join(', ')}`)
      if (ran.status !== 1 || !ran.stderr.includes(a.check) || left.length > 0) problems.push(`${a.what}: exit ${String(ran.status)}, stderr ${ran.stderr.trim()}, left ${left.join(', ')}`)
    }
    if (existsSync('/dev/full')) {
      const server = await ServerProcess.start({ args: ['--log', '/dev/full'] })
      const t: Target = { port: server.port, key: server.key, publicKey: server.publicKey }
      const probes = [await cliProbe(t, box, 'full1'), await cliProbe(t, box, 'full2'), await libraryProbe(t, 'full3')]
      const served = probes.filter((p) => p.served).length
      const alive = server.alive
      const said = server.stderr.split('\n').find((l) => l.includes('/dev/full')) ?? ''
      const code = await server.stop()
      lines.push(`log on a full disk: ${served} of 3 clients served after the first failed write, server alive: ${alive ? 'yes' : 'NO'}, exit ${String(code)} at SIGTERM; it said "${said}"`)
      if (served !== 3 || !alive || code !== 0) problems.push('the server did not survive a full disk under its log')
    }
    void target
  } finally {
    work.remove()
  }
  return { lines, problems }
}

/** A user id that file permissions apply to: ours, or nobody's when we are root (and nobody can run the CLI here). */
function unprivileged (): number | undefined {
  if (process.getuid?.() !== 0) return undefined
  const nobody = 65534
  const ok = spawnSync(process.execPath, [BIN, '--version'], { uid: nobody, gid: nobody }).status === 0
  return ok ? nobody : undefined
}

/** The server binds a nick, its state folder turns read-only, another nick is bound: an error line, the old file intact, no temporary file, the room goes on. */
async function stateTurnsReadOnly (): Promise<Outcome> {
  const user = unprivileged()
  if (process.getuid?.() === 0 && user === undefined) return { lines: ['not run: we are root and no unprivileged user can run the CLI here'], problems: [] }
  const box = sandbox('nc-state-')
  const server = await ServerProcess.start({ box, uid: user })
  const stateDir = join(box.dir, 'state')
  try {
    const target: Target = { port: server.port, key: server.key, publicKey: server.publicKey }
    const first = await libraryProbe(target, 'early')
    await until(() => existsSync(join(stateDir, 'nicks.json')), 5000)
    await sleep(300)
    const before = readFileSync(join(stateDir, 'nicks.json'), 'utf8')
    chmodSync(stateDir, 0o500)
    const second = await libraryProbe(target, 'late')
    await until(() => /server: .*nicks/.test(server.stderr), 5000)
    const third = await libraryProbe(target, 'later')
    const after = readFileSync(join(stateDir, 'nicks.json'), 'utf8')
    const files = readdirSync(stateDir)
    chmodSync(stateDir, 0o700)
    const said = server.stderr.split('\n').find((l) => l.startsWith('server: ')) ?? ''
    const problems: string[] = []
    if (!(first.served && second.served && third.served)) problems.push('a member was not served')
    if (after !== before) problems.push('nicks.json changed while its folder was read-only')
    if (files.some((f) => f.endsWith('.tmp'))) problems.push(`temporary files left: ${files.join(', ')}`)
    if (said === '') problems.push('the server did not report the failed write')
    return {
      lines: [
        `members served before, during and after: ${[first, second, third].filter((p) => p.served).length} of 3; the server said "${said}"`,
        `nicks.json unchanged and still valid JSON: ${after === before && isJson(after) ? 'yes' : 'NO'}; files in the state folder: ${files.join(', ')}`
      ],
      problems
    }
  } finally {
    try { chmodSync(stateDir, 0o700) } catch {}
    await server.stop()
  }
}

function isJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** Resolve when `condition()` holds or `ms` passed; returns the time it held (or gave up). */
async function until (condition: () => boolean, ms: number): Promise<number> {
  const deadline = Date.now() + ms
  while (!condition() && Date.now() < deadline) await sleep(25)
  return Date.now()
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function lastLine (text: string): string {
  const lines = text.trim().split('\n')
  return lines[lines.length - 1] ?? ''
}

interface Report {
  name: string
  what: string
  outcome: Outcome
  legit: { probes: number, served: number, median: number, max: number, failures: string[] }
  rss: { before: number, max: number, after: number }
  othersUnaffected: boolean | undefined
}

async function runFault (fault: Fault, box: Sandbox): Promise<Report> {
  const server = await ServerProcess.start({ args: fault.serverArgs ?? [] })
  const target: Target = { port: server.port, key: server.key, publicKey: server.publicKey }
  const observer = fault.downtime === true ? undefined : await connectMember({ port: server.port, serverKey: server.publicKey, nick: 'observer', keepAlive: KEEP_ALIVE_MS })
  const ctx: FaultContext = { server, box, target, observer }
  // Read through ctx: a restart replaces the server process.
  const sampler = new RssSampler({ rssKiB: () => ctx.server.rssKiB() })
  let stop = false
  const probing = probeRepeatedly(target, 'p', () => stop, 300)
  let outcome: Outcome
  try {
    outcome = await fault.run(ctx)
  } catch (err) {
    outcome = { lines: [], problems: [`the fault script failed: ${String((err as Error)?.stack ?? err)}`] }
  }
  stop = true
  const samples: ProbeResult[] = await probing
  let othersUnaffected: boolean | undefined
  if (observer !== undefined) {
    const witness = await libraryProbe(target, 'witness')
    othersUnaffected = witness.served && observer.ended === undefined && await observer.waitFor(isLine('public', (m) => m.from.nick === 'witness' && m.text.startsWith('probe witness ')), 5000).then(() => true, () => false)
    observer.connection.end()
  }
  sampler.stop()
  const rss = { before: sampler.samples[0]?.kib ?? NaN, max: sampler.maxKiB, after: ctx.server.rssKiB() }
  if (ctx.server.alive) await ctx.server.stop()
  if (ctx.server !== server && server.alive) await server.stop()
  const waits = summarize(samples.map((s) => s.waitMs))
  const legit = { probes: samples.length, served: samples.filter((s) => s.served).length, median: waits.median, max: waits.max, failures: [...new Set(samples.filter((s) => !s.served).map((s) => s.failure ?? '?'))] }
  if (fault.downtime !== true && legit.served !== legit.probes) outcome.problems.push(`${legit.probes - legit.served} of ${legit.probes} legitimate clients not served: ${legit.failures.join('; ')}`)
  if (othersUnaffected === false) outcome.problems.push('the observer did not hear the witness: others were affected')
  return { name: fault.name, what: fault.what, outcome, legit, rss, othersUnaffected }
}

function print (r: Report): string {
  return [
    `### ${r.name}`,
    '',
    `${r.what}.`,
    '',
    ...r.outcome.lines.map((l) => `- ${l}`),
    `- legitimate clients meanwhile: ${r.legit.served}/${r.legit.probes} served, wait median ${ms(r.legit.median)}, max ${ms(r.legit.max)}${r.legit.failures.length > 0 ? ` (while it was down: ${r.legit.failures.join('; ')})` : ''}`,
    ...(r.othersUnaffected === undefined ? [] : [`- an observer present throughout heard a witness at the end: ${r.othersUnaffected ? 'yes' : 'NO'}`]),
    `- server RSS: ${mib(r.rss.before)} before, ${mib(r.rss.max)} at most, ${mib(r.rss.after)} after`,
    r.outcome.problems.length === 0 ? '- checks: all held' : `- PROBLEMS: ${r.outcome.problems.join('; ')}`,
    ''
  ].join('\n')
}

async function main (): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, list: { type: 'boolean' }, json: { type: 'string' }, help: { type: 'boolean' } } })
  if (values.help === true) { process.stdout.write('Usage: node dist/reliability/faults.js [--only NAME,...] [--list] [--json FILE]\n'); return 0 }
  if (values.list === true) { for (const f of FAULTS) process.stdout.write(`${f.name}: ${f.what}\n`); return 0 }
  const only = values.only?.split(',')
  const chosen = FAULTS.filter((f) => only === undefined || only.includes(f.name))
  if (chosen.length === 0) { process.stderr.write('no such fault; --list shows them\n'); return 2 }
  const os = await import('node:os')
  process.stdout.write(`# noise-chat fault run\n\nnode ${process.version}, ${new Date().toISOString()}, load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n\n`)
  const box = sandbox('nc-faults-')
  const reports: Report[] = []
  try {
    for (const fault of chosen) {
      const r = await runFault(fault, box)
      process.stdout.write(print(r) + '\n')
      reports.push(r)
    }
  } finally {
    box.remove()
  }
  process.stdout.write(`\n## Summary\n\n${table(['fault', 'legit served meanwhile', 'others unaffected', 'verdict'], reports.map((r) => [
    r.name, `${r.legit.served}/${r.legit.probes}`, r.othersUnaffected === undefined ? '(server down by design)' : r.othersUnaffected ? 'yes' : 'NO', r.outcome.problems.length === 0 ? 'held' : 'PROBLEM'
  ]))}\n\nload average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`)
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(reports, null, 2))
  const failed = reports.filter((r) => r.outcome.problems.length > 0)
  process.stdout.write(failed.length === 0 ? `\nall ${reports.length} faults survived\n` : `\n${failed.length} of ${reports.length} faults found problems: ${failed.map((r) => r.name).join(', ')}\n`)
  return failed.length === 0 ? 0 : 1
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`faults: ${String((err as Error)?.stack ?? err)}\n`)
  process.exitCode = 1
})
