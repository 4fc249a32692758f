/**
 * One soak worker: a process holding many library chat members (a
 * handful of these hold the soak's hundreds). Forked by lib/soak-run.ts,
 * driven over the IPC channel:
 *
 *   parent -> worker: go {intervalMs} | stop | final {sent} | close
 *   worker -> parent: joined {joined, retries, failures} | sent {sent}
 *                     | report {tally, latency, unexpectedEnds, complete} | closed {ends}
 *
 * Each member sends `S SEQ SENT_AT_MS` every intervalMs (first at a random
 * moment within the interval, so the room's traffic is even), and checks
 * every message it receives against each sender's sequence.
 */
import { connectMember, type Member } from '../harness/member.js'
import { lineOf } from '../harness/server-line.js'
import { addTallies, SequenceChecker } from './lib/sequence-check.js'
import { Histogram } from './lib/stats.js'

/** What the parent gives a worker (as argv[2], JSON). */
export interface WorkerSpec {
  port: number
  /** Server key, base64. */
  serverKey: string
  nicks: string[]
  localAddress: string
  /** Handshakes this worker runs at once while joining. */
  connectConcurrency: number
}

/** Messages from the parent. */
export type ToWorker =
  | { type: 'go', intervalMs: number }
  | { type: 'stop' }
  | { type: 'final', sent: Record<string, number>, drainMs: number }
  | { type: 'close' }

/** What a soak sender says: `S SEQ SENT_MS`; the sender is a nick s1, s2, ... */
const SENDER = /^s\d+$/
const SAID = /^S (\d+) (\d+)$/

interface Client {
  member: Member
  checker: SequenceChecker
  sent: number
  timer: NodeJS.Timeout | undefined
}

const spec = JSON.parse(process.argv[2] ?? '{}') as WorkerSpec
const clients: Client[] = []
const latency = new Histogram()
let closing = false
let unexpectedEnds = 0

function send (message: unknown): void {
  process.send?.(message)
}

async function join (): Promise<void> {
  const serverKey = Buffer.from(spec.serverKey, 'base64')
  let next = 0
  let retries = 0
  const failures: string[] = []
  const worker = async (): Promise<void> => {
    while (next < spec.nicks.length) {
      const nick = spec.nicks[next++]!
      for (let attempt = 0; ; attempt++) {
        try {
          const member = await connectMember({ port: spec.port, serverKey, nick, localAddress: spec.localAddress, keepAlive: 10_000 }, false)
          clients.push(watch(member))
          break
        } catch (err) {
          if (attempt >= 5) {
            failures.push(`${nick}: ${(err as { code?: string }).code ?? String(err)}`)
            break
          }
          retries++
          await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)))
        }
      }
    }
  }
  await Promise.all(Array.from({ length: spec.connectConcurrency }, worker))
  send({ type: 'joined', joined: clients.length, retries, failures })
}

function watch (member: Member): Client {
  const client: Client = { member, checker: new SequenceChecker(), sent: 0, timer: undefined }
  member.connection.on('line', (line: string) => {
    const said = lineOf('public', line)
    const m = said !== undefined && !said.from.verified && SENDER.test(said.from.nick) ? SAID.exec(said.text) : null
    if (m === null) return
    client.checker.receive(said!.from.nick, Number(m[1]))
    latency.add(Date.now() - Number(m[2]))
  })
  // Any connection that ends before we close it ourselves is a failure of the soak.
  void member.connection.done.catch(() => {}).finally(() => { if (!closing) unexpectedEnds++ })
  return client
}

function go (intervalMs: number): void {
  for (const client of clients) {
    const tick = (): void => {
      client.member.connection.sendLine(`S ${client.sent++} ${Date.now()}`)
    }
    client.timer = setTimeout(() => {
      tick()
      client.timer = setInterval(tick, intervalMs)
    }, Math.random() * intervalMs)
  }
}

function stop (): void {
  for (const client of clients) {
    clearTimeout(client.timer)
    clearInterval(client.timer)
    client.timer = undefined
  }
  const sent: Record<string, number> = {}
  for (const client of clients) sent[client.member.nick!] = client.sent
  send({ type: 'sent', sent })
}

async function final (sent: Record<string, number>, drainMs: number): Promise<void> {
  const deadline = Date.now() + drainMs
  while (Date.now() < deadline && !clients.every((c) => c.checker.complete(sent))) await new Promise((resolve) => setTimeout(resolve, 50))
  const complete = clients.every((c) => c.checker.complete(sent))
  send({ type: 'report', tally: addTallies(clients.map((c) => c.checker.finish(sent))), latency: latency.counts, unexpectedEnds, complete })
}

async function close (): Promise<void> {
  closing = true
  for (const client of clients) client.member.connection.end()
  await Promise.all(clients.map((c) => c.member.closed(10_000)))
  const ends: Record<string, number> = {}
  for (const c of clients) {
    const end = c.member.ended === '' ? 'END both ways' : (c.member.ended ?? 'still open')
    ends[end] = (ends[end] ?? 0) + 1
  }
  send({ type: 'closed', ends })
  process.disconnect?.()
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'go') go(message.intervalMs)
  else if (message.type === 'stop') stop()
  else if (message.type === 'final') void final(message.sent, message.drainMs)
  else if (message.type === 'close') void close()
})
process.on('disconnect', () => process.exit(0))

join().catch((err: unknown) => {
  send({ type: 'joined', joined: clients.length, retries: 0, failures: [String(err)] })
})
