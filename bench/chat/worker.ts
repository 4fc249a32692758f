/**
 * A worker process of the load generator: it holds many members of the
 * room (one connection each, all in this one process), sends at the
 * paced rate for the senders among them, and counts what every member
 * receives. The controller (fleet.ts) drives it over the IPC channel.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { connectIrc, IRC_SIGNS, startsWith } from './irc-link.js'
import type {
  ConnectRequest, ConnectReply, ProgressReply, ReportReply, StepReply, StepRequest, WorkerReply, WorkerRequest
} from './ipc.js'
import type { LinkHandlers, MemberLink, ProtocolSigns } from './link.js'
import { connectOurs, OURS_SIGNS } from './ours-link.js'
import { countOccurrences, encodePayload, nowUs } from './payload.js'
import { dueAtUs, dueBy, messagesPerSender, senderPhase } from './schedule.js'
import { ReceiveTally } from './tally.js'
import type { Endpoint } from './target.js'

/** How often the pacer wakes to send what is due. */
const PACE_TICK_MS = 1
/** Longest one member may take to connect and join. */
const JOIN_TIMEOUT_MS = 180_000
/** Longest a clean close waits for the connections to go. */
const CLOSE_WAIT_MS = 5000
/** Reasons and problem lines kept for the report. */
const KEEP_TEXTS = 5
/** Sampling period of the event-loop delay monitor. */
const LOOP_DELAY_RESOLUTION_MS = 2

/** One member held by this worker. */
interface Held {
  index: number
  slot: number
  link: MemberLink | undefined
  joined: boolean
  live: boolean
}

const members: Held[] = []
const tally = new ReceiveTally()
let signs: ProtocolSigns = OURS_SIGNS
let joins = 0
let disconnected = 0
const disconnects: string[] = []
const problems: string[] = []
let problemCount = 0
let closing = false
let lastCpu = process.cpuUsage()
/** This worker's event-loop delay since the last report: how late it ran its callbacks (sending and counting). */
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
loopDelay.enable()

function reply (message: WorkerReply): void {
  process.send?.(message)
}

/** Connect one member and resolve once it has joined (its own join announcement arrived) or failed. */
function connectMember (endpoint: Endpoint, held: Held): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { held.link?.close(); resolve(false) }, JOIN_TIMEOUT_MS)
    const problemAfterNewline = Buffer.concat([Buffer.from('\n'), signs.problem])
    const handlers: LinkHandlers = {
      payload: (step, sid, seq, sentUs, receivedUs) => tally.deliver(held.slot, held.index, step, sid, seq, sentUs, receivedUs),
      other: (bytes) => {
        const j = countOccurrences(bytes, signs.join)
        if (j > 0) {
          joins += j
          if (!held.joined) {
            held.joined = true
            clearTimeout(timer)
            resolve(true)
          }
        }
        if (startsWith(bytes, signs.problem) || bytes.includes(problemAfterNewline)) noteProblem(bytes.toString('utf8'))
      },
      closed: (reason) => {
        held.live = false
        clearTimeout(timer)
        if (!closing) {
          disconnected++
          if (disconnects.length < KEEP_TEXTS) disconnects.push(`member ${held.index}: ${reason}`)
        }
        resolve(held.joined)
      }
    }
    const nick = `m${held.index}`
    held.link = endpoint.protocol === 'ours' ? connectOurs(endpoint, nick, handlers) : connectIrc(endpoint, nick, handlers)
  })
}

function noteProblem (text: string): void {
  const problem = signs.problem.toString('latin1')
  for (const line of text.split('\n')) {
    if (!line.startsWith(problem)) continue
    problemCount++
    if (problems.length < KEEP_TEXTS) problems.push(line.trimEnd())
  }
}

async function connectAll (request: ConnectRequest): Promise<ConnectReply> {
  signs = request.endpoint.protocol === 'ours' ? OURS_SIGNS : IRC_SIGNS
  const fresh = request.members.map((index) => {
    const held: Held = { index, slot: members.length, link: undefined, joined: false, live: true }
    members.push(held)
    return held
  })
  let next = 0
  let joined = 0
  const errors: string[] = []
  const lane = async (): Promise<void> => {
    while (next < fresh.length) {
      const held = fresh[next++]
      if (await connectMember(request.endpoint, held)) joined++
      else if (errors.length < KEEP_TEXTS) errors.push(`member ${held.index} did not join`)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, request.concurrency) }, lane))
  return { type: 'connect', id: request.id, joined, failed: fresh.length - joined, errors: [...errors, ...disconnects] }
}

/** Send at the paced rate for this worker's senders; resolves when every due message is written. */
function runStep (request: StepRequest): Promise<StepReply> {
  tally.startStep(request.step, request.senderMembers, members.length)
  const byIndex = new Map(members.map((m) => [m.index, m]))
  const S = request.senderMembers.length
  const counts = messagesPerSender(request.rate, S, request.durationMs)
  const senders = request.senderMembers
    .map((index, sid) => ({ sid, held: byIndex.get(index), sent: 0, count: counts[sid], phase: senderPhase(sid, S) }))
    .filter((s) => s.held !== undefined)
  const durationUs = request.durationMs * 1000
  let maxLagUs = 0
  let lastSendUs = request.startAtUs
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = nowUs()
      const elapsed = now - request.startAtUs
      if (elapsed < 0) return
      let done = true
      for (const s of senders) {
        const due = dueBy(s.count, durationUs, s.phase, elapsed)
        if (due > s.sent) {
          // How far behind the pacer is: since when the oldest unsent message was due.
          maxLagUs = Math.max(maxLagUs, elapsed - dueAtUs(s.sent, s.count, durationUs, s.phase))
          while (s.sent < due) s.held!.link?.say(encodePayload(request.step, s.sid, s.sent++, now))
          lastSendUs = now
        }
        if (s.sent < s.count) done = false
      }
      if (!done && elapsed < durationUs + 60_000_000) return
      clearInterval(timer)
      const sent = request.senderMembers.map(() => 0)
      for (const s of senders) sent[s.sid] = s.sent
      resolve({ type: 'step', id: request.id, sent, sendingUs: lastSendUs - request.startAtUs, maxLagUs })
    }
    const timer = setInterval(tick, PACE_TICK_MS)
  })
}

function progress (id: number): ProgressReply {
  return { type: 'progress', id, received: tally.receivedCount, seen: tally.seenCount, joins, live: members.filter((m) => m.live).length }
}

function report (id: number): ReportReply {
  const cpu = process.cpuUsage(lastCpu)
  lastCpu = process.cpuUsage()
  const loopDelayP99Ms = loopDelay.count === 0 ? 0 : loopDelay.percentile(99) / 1e6
  const loopDelayMaxMs = loopDelay.count === 0 ? 0 : loopDelay.max / 1e6
  loopDelay.reset()
  const live = members.filter((m) => m.live).length
  return {
    type: 'report', id, tally: tally.report(), live, disconnects: [...disconnects], disconnected,
    problems: [...problems], problemCount, cpuUs: cpu.user + cpu.system, loopDelayP99Ms, loopDelayMaxMs
  }
}

async function closeAll (): Promise<void> {
  closing = true
  for (const m of members) m.link?.close()
  const deadline = Date.now() + CLOSE_WAIT_MS
  while (members.some((m) => m.live) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
}

async function handle (request: WorkerRequest): Promise<void> {
  try {
    switch (request.type) {
      case 'connect': return reply(await connectAll(request))
      case 'step': return reply(await runStep(request))
      case 'progress': return reply(progress(request.id))
      case 'report': return reply(report(request.id))
      case 'close':
        await closeAll()
        process.send?.({ type: 'close', id: request.id }, () => process.exit(0))
    }
  } catch (err) {
    reply({ type: 'error', id: request.id, message: (err as Error).stack ?? String(err) })
  }
}

process.on('message', (request: WorkerRequest) => { void handle(request) })
process.on('disconnect', () => process.exit(0))
