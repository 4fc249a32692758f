/**
 * Attacks by members: keys that complete the handshake and join, then
 * send lines at and past the limit, flood, stop reading, or just stay to
 * take the room's places. And the talker, the honest heavy sender that
 * gives the non-readers something not to read.
 */
import { connectMember, type Member } from '../../harness/member.js'
import { summarize, type Summary } from './stats.js'

/** Where the members connect and from where. */
export interface MemberTarget {
  port: number
  serverKey: Buffer
  /** Source addresses, used in turn. */
  sources: string[]
}

/** Connect `count` members named `prefix0`, `prefix1`, ... a few at a time (the server caps handshakes in progress per address). */
export async function connectMany (target: MemberTarget, prefix: string, count: number, concurrency = 4, keepLines = true): Promise<{ members: Member[], refused: Record<string, number> }> {
  const members: Member[] = []
  const refused: Record<string, number> = {}
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      try {
        members.push(await connectMember({ port: target.port, serverKey: target.serverKey, nick: `${prefix}${i}`, localAddress: target.sources[i % target.sources.length] }, keepLines))
      } catch (err) {
        const e = err as Error & { code?: string, reason?: string }
        const key = `${e.code ?? 'error'}${e.reason === undefined ? '' : ': ' + e.reason}`
        refused[key] = (refused[key] ?? 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { members, refused }
}

/** What members sending long lines got. */
export interface LongLinesResult {
  /** Rounds of `count` members, one after the other, until the time was up. */
  rounds: number
  members: number
  /** Lines of exactly 1024 bytes that came back from the room. */
  echoedAtLimit: number
  /** Lines of 1025 bytes refused with ERR_LINE_TOO_LONG. */
  refusedPastLimit: number
  /** MiB streamed without a newline, in all. */
  streamedMiB: number
  /** Refusal notices for the streamed monster lines (one each is right). */
  refusalsForStream: number
  /** A normal line after the monster came through. */
  deliveredAfter: number
}

/**
 * Each member: a 1024-byte line, a 1025-byte line, then `streamMiB` MiB
 * without a newline, then a normal line. Rounds of `count` new members
 * follow each other until `durationMs` is up (at least one round).
 */
export async function longLines (target: MemberTarget, count: number, streamMiB: number, durationMs = 0): Promise<LongLinesResult> {
  const result: LongLinesResult = { rounds: 0, members: 0, echoedAtLimit: 0, refusedPastLimit: 0, streamedMiB: 0, refusalsForStream: 0, deliveredAfter: 0 }
  const endAt = Date.now() + durationMs
  do {
    await longLinesRound(target, `r${result.rounds}long`, count, streamMiB, result)
    result.rounds++
  } while (Date.now() < endAt)
  return result
}

async function longLinesRound (target: MemberTarget, prefix: string, count: number, streamMiB: number, result: LongLinesResult): Promise<void> {
  const { members } = await connectMany(target, prefix, count)
  result.members += members.length
  await Promise.all(members.map(async (m, i) => {
    const nick = m.nick!
    const atLimit = `${i}:`.padEnd(1024, 'a')
    m.writeRaw(atLimit + '\n')
    if (await m.waitFor(`<${nick}> ${atLimit}`).then(() => true, () => false)) result.echoedAtLimit++
    m.writeRaw(`${i}:`.padEnd(1025, 'b') + '\n')
    if (await m.waitFor(/ERR_LINE_TOO_LONG/).then(() => true, () => false)) result.refusedPastLimit++
    const before = m.lines.filter((l) => l.includes('ERR_LINE_TOO_LONG')).length
    const chunk = Buffer.alloc(64 * 1024, 'c')
    for (let sent = 0; sent < streamMiB * 16; sent++) {
      if (m.connection.stream.destroying) break
      if (!m.writeRaw(chunk)) await drained(m)
      result.streamedMiB += 1 / 16
    }
    m.writeRaw(`\nafter ${i}\n`)
    if (await m.waitFor(`<${nick}> after ${i}`, 30_000).then(() => true, () => false)) result.deliveredAfter++
    result.refusalsForStream += m.lines.filter((l) => l.includes('ERR_LINE_TOO_LONG')).length - before
    m.connection.end()
    await m.closed(5000)
  }))
}

/** What flooders got. */
export interface FloodResult {
  /** Rounds of `count` new flooders, one after the other, until the time was up. */
  rounds: number
  members: number
  linesSentEach: number
  /** Lines of theirs the room accepted (echoed back), per flooder. */
  accepted: Summary
  /** Flooders told ERR_RATE_LIMITED. */
  warned: number
  /** Flooders disconnected with the flooding reason. */
  disconnectedForFlooding: number
  /** From the first line until the disconnection (ms). */
  disconnectAfterMs: Summary
  /** How the others ended, when not for flooding. */
  otherEnds: string[]
}

/**
 * Each member writes `lines` lines at once, as fast as the stream takes
 * them. Once all were disconnected, `count` new ones do it again, until
 * `durationMs` is up (at least one round).
 */
export async function flood (target: MemberTarget, count: number, lines: number, durationMs = 0): Promise<FloodResult> {
  const accepted: number[] = []
  const after: number[] = []
  const otherEnds: string[] = []
  const tally = { warned: 0, flooding: 0, members: 0 }
  const endAt = Date.now() + durationMs
  let rounds = 0
  do {
    await floodRound(target, `r${rounds}f`, count, lines, { accepted, after, otherEnds, tally })
    rounds++
  } while (Date.now() < endAt)
  return {
    rounds,
    members: tally.members,
    linesSentEach: lines,
    accepted: summarize(accepted),
    warned: tally.warned,
    disconnectedForFlooding: tally.flooding,
    disconnectAfterMs: summarize(after),
    otherEnds
  }
}

interface FloodTally {
  accepted: number[]
  after: number[]
  otherEnds: string[]
  tally: { warned: number, flooding: number, members: number }
}

async function floodRound (target: MemberTarget, prefix: string, count: number, lines: number, out: FloodTally): Promise<void> {
  const { members } = await connectMany(target, prefix, count)
  const { accepted, after, otherEnds, tally } = out
  tally.members += members.length
  await Promise.all(members.map(async (m, i) => {
    const started = Date.now()
    const text = Array.from({ length: lines }, (_, n) => `flood ${i} ${n}\n`).join('')
    m.writeRaw(text)
    await m.closed(20_000)
    after.push(Date.now() - started)
    accepted.push(m.lines.filter((l) => l.startsWith(`<${m.nick!}> flood ${i} `)).length)
    if (m.lines.some((l) => l.includes('ERR_RATE_LIMITED'))) tally.warned++
    if (m.ended !== undefined && /flooding/.test(m.ended)) tally.flooding++
    else otherEnds.push(m.ended ?? 'still open')
    if (m.ended === undefined) m.connection.abort('done')
  }))
}

/** Members that joined and then stopped reading; `resume()` lets them read again (to learn how they ended). */
export interface NonReaders {
  members: Member[]
  /** Read again and wait (up to `ms`) for each to be closed; returns how each ended. */
  finish: (ms: number) => Promise<string[]>
}

/** Join `count` members and stop reading their sockets for good. */
export async function nonReaders (target: MemberTarget, count: number): Promise<NonReaders> {
  const { members } = await connectMany(target, 'mute', count, 4, false)
  const resumes: Array<() => void> = []
  for (const m of members) {
    const socket = m.socket!
    const resume = socket.resume.bind(socket)
    socket.pause()
    // The secure stream resumes its socket when its reader wants more; this reader never does.
    socket.resume = () => socket
    resumes.push(() => { socket.resume = resume; resume() })
  }
  return {
    members,
    finish: async (ms) => {
      for (const r of resumes) r()
      await Promise.all(members.map((m) => m.closed(ms)))
      return members.map((m) => {
        if (m.ended === undefined) m.connection.abort('done')
        return m.ended ?? 'still open'
      })
    }
  }
}

/** What the talker sent. */
export interface TalkResult {
  sent: number
  bytes: number
  ms: number
}

/**
 * Send `lines` lines of about `size` bytes ("T SEQ xxx..."), as fast as the
 * stream drains, or at most `perSecond` lines a second (in batches every
 * 50 ms) when given.
 */
export async function talk (member: Member, lines: number, size: number, perSecond = Infinity): Promise<TalkResult> {
  const started = Date.now()
  let bytes = 0
  let sent = 0
  for (; sent < lines && member.ended === undefined; sent++) {
    const line = `T ${sent} `.padEnd(size, 'x') + '\n'
    bytes += line.length
    if (!member.writeRaw(line)) await drained(member)
    const due = started + (sent + 1) * 1000 / perSecond
    if (Number.isFinite(due) && due - Date.now() > 50) await new Promise((resolve) => setTimeout(resolve, due - Date.now()))
  }
  return { sent, bytes, ms: Date.now() - started }
}

/** How many members got in, and why the rest were refused. */
export interface FillResult {
  tried: number
  joined: number
  refused: Record<string, number>
}

/** Join up to `count` members and keep them (the caller ends them). */
export async function fill (target: MemberTarget, count: number): Promise<{ result: FillResult, members: Member[] }> {
  const { members, refused } = await connectMany(target, 'fill', count, 4, false)
  return { result: { tried: count, joined: members.length, refused }, members }
}

/** Resolves when the member's stream can take more, or has closed. */
function drained (member: Member): Promise<void> {
  const stream = member.connection.stream
  if (stream.destroying) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.removeListener('drain', done)
      stream.removeListener('close', done)
      resolve()
    }
    stream.once('drain', done)
    stream.once('close', done)
  })
}
