/**
 * The n100 latency probe alone, for A/B checks of p50 at low load:
 * `node dist/bench/chat/latency-probe.js [--targets ours,ngircd-tls]
 * [--rounds 4] [--rate 500] [--members 100] [--senders 10]
 * [--step-seconds 4]`. One room per target stays open; the targets'
 * steps then alternate (A B A B ...), so a change in the machine's load
 * falls on both alike. Prints each step and, per target, the median and
 * least of p50, with server and generator CPU per delivery.
 */
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { ensureNgircd } from './ngircd-server.js'
import { BenchRoom } from './room.js'
import { runStep, type StepResult } from './step.js'
import { TARGET_NAMES, type TargetName } from './target.js'

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'ours,ngircd-tls' },
    rounds: { type: 'string', default: '4' },
    rate: { type: 'string', default: '500' },
    members: { type: 'string', default: '100' },
    senders: { type: 'string', default: '10' },
    workers: { type: 'string', default: '3' },
    'step-seconds': { type: 'string', default: '4' }
  }
})
const targets = values.targets.split(',').map((t) => t.trim()) as TargetName[]
for (const t of targets) if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new Error(`unknown target ${t}`)
const rounds = Number(values.rounds)
const rate = Number(values.rate)
const members = Number(values.members)
const senders = Number(values.senders)
const workers = Number(values.workers)
const stepMs = Number(values['step-seconds']) * 1000
/** Pause between steps, so one step's stragglers and GC do not fall into the next. */
const SETTLE_MS = 500

const print = (line: string): void => { process.stdout.write(line + '\n') }

async function main (): Promise<void> {
  if (targets.some((t) => t !== 'ours')) ensureNgircd(print)
  const rooms = new Map<TargetName, BenchRoom>()
  const results = new Map<TargetName, StepResult[]>(targets.map((t) => [t, []]))
  let step = 1000
  try {
    for (const target of targets) {
      const { room, join } = await BenchRoom.open({ target, members, workers, concurrency: 3, joinTimeoutMs: 120_000 })
      rooms.set(target, room)
      if (!join.complete) throw new Error(`${target}: not every member joined: ${join.errors.join('; ')}`)
    }
    for (let round = 0; round < rounds; round++) {
      // Alternate which target goes first, so neither always follows the other.
      const order = round % 2 === 0 ? targets : [...targets].reverse()
      for (const target of order) {
        const r = await runStep(rooms.get(target)!, { step: ++step, rate, senders, durationMs: stepMs, drainMs: 3000 })
        results.get(target)!.push(r)
        print(`${target.padEnd(11)} round ${round}: p50 ${(r.p50Ms * 1000).toFixed(0)} us, p99 ${r.p99Ms.toFixed(1)} ms, ` +
          `delivered ${r.received}/${r.expected}, reordered ${r.reordered}, server ${(1e6 * r.serverCpuS / r.received).toFixed(2)} us/delivery, ` +
          `generator ${(1e6 * r.generatorCpuS / r.received).toFixed(2)} us/delivery, load ${r.loadAverage.toFixed(2)}`)
        await sleep(SETTLE_MS)
      }
    }
  } finally {
    for (const room of rooms.values()) await room.close()
  }
  for (const [target, rs] of results) {
    const p50 = rs.map((r) => r.p50Ms * 1000)
    print(`${target.padEnd(11)} p50 median ${median(p50).toFixed(0)} us, min ${Math.min(...p50).toFixed(0)} us; ` +
      `server ${median(rs.map((r) => 1e6 * r.serverCpuS / r.received)).toFixed(2)} us/delivery, ` +
      `generator ${median(rs.map((r) => 1e6 * r.generatorCpuS / r.received)).toFixed(2)} us/delivery (medians)`)
  }
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

main().then(() => process.exit(0), (err: Error) => { process.stderr.write(`${err.stack ?? err.message}\n`); process.exit(1) })
