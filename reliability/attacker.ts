/**
 * One attack in its own process, so that the attacker's work never slows
 * the legitimate client being measured. Started by attack.ts (and the
 * test slice) with a JSON description as its only argument; prints
 * `ready` once the attack is under way, and `result {...}` at the end.
 * It ends when its time is up, or at once when a line `stop` arrives on
 * stdin.
 */
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { encodeFrame } from '../lib/secure/frame-codec.js'
import { connectMember } from '../harness/member.js'
import { fill, flood, longLines, nonReaders, talk, type MemberTarget } from './lib/member-attacks.js'
import { churn, holdHandshakes, tellHandshakeLie, tellTransportLie, type ChurnOptions, type HoldOptions, type TransportLie } from './lib/raw-attacks.js'

/** What attack.ts asks for. Keys travel as base64. */
export type AttackSpec =
  | ({ attack: 'hold' } & HoldOptions)
  | ({ attack: 'churn' } & ChurnOptions)
  | { attack: 'lines', port: number, serverKey: string, sources: string[], count: number, streamMiB: number, durationMs: number }
  | { attack: 'flood', port: number, serverKey: string, sources: string[], count: number, lines: number, durationMs: number }
  | { attack: 'non-readers', port: number, serverKey: string, sources: string[], count: number, durationMs: number }
  | { attack: 'fill', port: number, serverKey: string, sources: string[], count: number, durationMs: number }
  | { attack: 'talker', port: number, serverKey: string, nick: string, lines: number, size: number, perSecond?: number }
  | { attack: 'victim', port: number, serverKey: string, phase: 'handshake' | 'frame', nick: string }
  | { attack: 'lies', port: number, serverKey: string, sources: string[], lies: Array<TransportLie | 'lie-pre' | 'lie-msg3'>, each: number, waitMs: number }

let stopRequested: () => void = () => {}
const stopped = new Promise<void>((resolve) => { stopRequested = resolve })

async function main (): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as AttackSpec
  createInterface({ input: process.stdin }).on('line', (line) => { if (line.trim() === 'stop') stopRequested() })
  const result = await run(spec)
  process.stdout.write(`result ${JSON.stringify(result)}\n`)
  // Sockets left to the OS: the process is done.
  process.exit(0)
}

async function run (spec: AttackSpec): Promise<unknown> {
  switch (spec.attack) {
    case 'hold':
      ready()
      return await holdHandshakes(spec)
    case 'churn':
      ready()
      return await churn(spec)
    case 'lines':
      ready()
      return await longLines(memberTarget(spec), spec.count, spec.streamMiB, spec.durationMs)
    case 'flood':
      ready()
      return await flood(memberTarget(spec), spec.count, spec.lines, spec.durationMs)
    case 'non-readers': {
      const readers = await nonReaders(memberTarget(spec), spec.count)
      ready()
      await waitOrStop(spec.durationMs)
      const ends = await readers.finish(10_000)
      return { joined: readers.members.length, ends: tally(ends.map(shortEnd)) }
    }
    case 'fill': {
      const { result, members } = await fill(memberTarget(spec), spec.count)
      ready()
      await waitOrStop(spec.durationMs)
      const stillIn = members.filter((m) => m.ended === undefined).length
      for (const m of members) m.connection.abort('done')
      return { ...result, stillIn }
    }
    case 'talker': {
      const member = await connectMember({ port: spec.port, serverKey: Buffer.from(spec.serverKey, 'base64'), nick: spec.nick }, false)
      ready()
      const sent = await talk(member, spec.lines, spec.size, spec.perSecond)
      member.connection.end()
      await member.closed(10_000)
      return { ...sent, ended: member.ended }
    }
    case 'victim':
      // Gets into the state asked for, says ready, and waits to be killed (SIGKILL, by faults.ts).
      await victim(spec.port, Buffer.from(spec.serverKey, 'base64'), spec.phase, spec.nick)
      ready()
      await new Promise(() => {})
      return undefined
    case 'lies': {
      ready()
      const serverKey = Buffer.from(spec.serverKey, 'base64')
      // Each connection from the next source address: the lies are about lengths, not about the per-address share.
      let n = 0
      const source = (): string => spec.sources[n++ % spec.sources.length]!
      const outcomes = await Promise.all(spec.lies.flatMap((lie) => Array.from({ length: spec.each }, () =>
        lie === 'lie-pre' || lie === 'lie-msg3'
          ? tellHandshakeLie(spec.port, lie, spec.waitMs, source())
          : tellTransportLie(spec.port, serverKey, lie, spec.waitMs, source()))))
      return outcomes
    }
  }
}

/** Mid-handshake: msg1 sent, msg2 received, msg3 never sent. Mid-frame: joined, then half of a frame written. */
async function victim (port: number, serverKey: Buffer, phase: 'handshake' | 'frame', nick: string): Promise<void> {
  if (phase === 'frame') {
    const member = await connectMember({ port, serverKey, nick })
    member.socket!.write(Buffer.concat([Buffer.from([0x03, 0xe8]), randomBytes(500)]))
    return
  }
  const socket = net.connect({ host: '127.0.0.1', port })
  await new Promise<void>((resolve, reject) => {
    let got = 0
    socket.once('error', reject)
    socket.on('connect', () => socket.write(encodeFrame(randomBytes(32))))
    socket.on('data', (d: Buffer) => { got += d.byteLength; if (got >= 2 + 96) resolve() })
  })
}

function memberTarget (spec: { port: number, serverKey: string, sources: string[] }): MemberTarget {
  return { port: spec.port, serverKey: Buffer.from(spec.serverKey, 'base64'), sources: spec.sources }
}

function ready (): void {
  process.stdout.write('ready\n')
}

function waitOrStop (ms: number): Promise<void> {
  return Promise.race([stopped, new Promise<void>((resolve) => setTimeout(resolve, ms))])
}

/** "ERR_PEER_ABORTED: the peer aborted the stream: too slow" -> the code and the reason's gist. */
function shortEnd (end: string): string {
  return end.length > 120 ? end.slice(0, 120) + '...' : end
}

function tally (items: string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1
  return counts
}

main().catch((err: unknown) => {
  process.stdout.write(`result ${JSON.stringify({ error: String((err as Error)?.stack ?? err) })}\n`)
  process.exit(1)
})
