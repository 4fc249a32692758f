import { createHash } from 'node:crypto'
import { MAX_LINE_BYTES, MAX_OUTBOUND_BYTES, NICK_PATTERN } from '../../lib/constants.js'
import { CHAT_CODES, isNoiseChatError, type ChatError } from '../../lib/errors.js'
import { keyPairFromSecretKey } from '../../lib/secure/keypair.js'
import { LocalFanOut, type MemberConnection } from '../../lib/chat/fan-out.js'
import { LineSplitter } from '../../lib/chat/line-splitter.js'
import { Room, type Member } from '../../lib/chat/room.js'
import { Session } from '../../lib/chat/session.js'
import { nickKey } from '../../lib/chat/nick.js'
import { chunkPlan, mutate, randomInput } from '../mutate.js'
import type { Rng } from '../rng.js'
import { caseChunks, check, makeCase, type FuzzCase, type FuzzTarget } from '../target.js'
import { CHAT_SCRIPTS, CHAT_TOKENS } from './chat-corpus.js'
import { FORBIDDEN } from './sanitize.js'
import { lineOf } from '../../harness/server-line.js'

/**
 * The command parser and the room behind it, driven as the server drives
 * them: bytes from three members (one an operator), each its own mutated
 * script, go through each one's LineSplitter into its Session, which cleans
 * every line and runs it as a command or a message; the members' chunks
 * interleave. Oracles: nothing throws; every line any
 * member is sent is one line with no control character, escape or bidi
 * control; every refusal is `! TEXT (CODE)` with a chat error code; every
 * disconnection carries a coded error; and the room stays consistent (nicks
 * valid and unique, members listed exactly while in the room).
 */

const MEMBERS = 3
const SEEDS = CHAT_SCRIPTS.map((s) => Buffer.from(s))
const KEYS = Array.from({ length: MEMBERS }, (_, i) => keyPairFromSecretKey(createHash('sha256').update(`noise-chat fuzz member ${i}`).digest()).publicKey)
/** Member 0 is the operator: the operator commands run too. */
const OPERATOR = KEYS[0]!
/** Tokens that reach the key paths of /ban and /unban with keys that exist. */
const KEY_TOKENS = KEYS.map((k) => Buffer.from(' ' + k.toString('base64') + ' '))

class Connection implements MemberConnection {
  readonly lines: string[] = []
  closedWith: ChatError | null | undefined
  send (bytes: Buffer): void {
    const text = bytes.toString('utf8')
    check(text.endsWith('\n'), 'a line was sent without its newline')
    for (const line of text.slice(0, -1).split('\n')) this.lines.push(line)
  }

  bufferedBytes (): number {
    return 0
  }

  close (error?: ChatError): void {
    if (this.closedWith === undefined) this.closedWith = error ?? null
  }
}

/** Rate limits tried: off, the server's default, and one tight enough to disconnect a flooder. */
const RATES = [{ linesPerSecond: 0 }, {}, { linesPerSecond: 1, burst: 3, floodLines: 3 }]

/** Each member's own script, mutated; the case holds them one after another. */
function generate (rng: Rng): FuzzCase {
  const scripts = KEYS.map(() => rng.chance(0.05)
    ? randomInput(rng, 'bytes', 700)
    : mutate(rng, rng.pick(SEEDS), {
      structure: 'lines',
      dictionary: [...CHAT_TOKENS, ...KEY_TOKENS],
      others: SEEDS,
      runLengths: [MAX_LINE_BYTES - 1, MAX_LINE_BYTES, MAX_LINE_BYTES + 1, 40]
    }))
  const bytes = Buffer.concat(scripts)
  const params: Record<string, number> = { rate: rng.weighted([6, 2, 2]) }
  scripts.forEach((s, i) => { params[`member${i}`] = s.byteLength })
  return makeCase(bytes, chunkPlan(rng, bytes.byteLength), params)
}

/**
 * The case's chunks, each cut at the members' boundaries and given to the
 * member whose script it is from, then interleaved: member 0's first chunk,
 * member 1's first, member 2's first, member 0's second...
 */
function deliveries (input: FuzzCase): Array<{ member: number, chunk: Buffer }> {
  const ends: number[] = []
  let at = 0
  for (let i = 0; i < MEMBERS; i++) ends.push(at += input.params[`member${i}`] ?? 0)
  const queues: Buffer[][] = KEYS.map(() => [])
  at = 0
  for (const chunk of caseChunks(input)) {
    let offset = 0
    while (offset < chunk.byteLength) {
      let member = 0
      while (member < MEMBERS - 1 && at >= ends[member]!) member++
      const n = Math.min(chunk.byteLength - offset, Math.max(1, ends[member]! - at))
      queues[member]!.push(chunk.subarray(offset, offset + n))
      offset += n
      at += n
    }
  }
  const out: Array<{ member: number, chunk: Buffer }> = []
  for (let round = 0; queues.some((q) => round < q.length); round++) {
    queues.forEach((q, member) => { if (round < q.length) out.push({ member, chunk: q[round]! }) })
  }
  return out
}

function run (input: FuzzCase): string[] {
  let clock = Date.UTC(2024, 4, 1, 9, 0, 0)
  const room = new Room({
    historyLines: 5,
    motd: ['welcome'],
    isOperator: (key) => key.equals(OPERATOR),
    now: () => clock,
    fanOut: new LocalFanOut<Member>(MAX_OUTBOUND_BYTES, (fn) => fn())
  })
  const rate = RATES[input.params['rate'] ?? 0] ?? RATES[0]!
  const connections = KEYS.map(() => new Connection())
  const sessions = KEYS.map((key, i) => new Session(room, key, connections[i]!, { rate }))
  const splitters = KEYS.map(() => new LineSplitter(MAX_LINE_BYTES))

  const feed = (i: number, events: ReturnType<LineSplitter['push']>): void => {
    for (const e of events) {
      clock += 100
      if (e.type === 'line') sessions[i]!.receiveLine(e.text)
      else sessions[i]!.receiveOverlong(e.limit)
      checkRoom(room)
    }
  }
  for (const { member, chunk } of deliveries(input)) feed(member, splitters[member]!.push(chunk))
  splitters.forEach((s, i) => feed(i, s.end()))
  for (const s of sessions) {
    s.join()
    s.end('connection lost')
    checkRoom(room)
  }
  check(room.size === 0, () => `${room.size} members still in the room after everyone left`)

  const codes = new Set<string>()
  for (const c of connections) {
    for (const line of c.lines) {
      if (line.startsWith('<')) codes.add('message relayed')
      const bad = FORBIDDEN.exec(line)
      check(bad === null, () => `a member was sent U+${bad![0].charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(line)}`)
      if (line.startsWith('! ')) {
        const code = lineOf('error', line)?.code
        check(code !== undefined && code in CHAT_CODES, () => `a refusal without a chat error code: ${JSON.stringify(line)}`)
        codes.add(code)
      }
    }
    if (c.closedWith !== undefined && c.closedWith !== null) {
      check(isNoiseChatError(c.closedWith) && c.closedWith.code in CHAT_CODES, () => `disconnected with an uncoded error: ${String(c.closedWith)}`)
      codes.add(`disconnected: ${c.closedWith.code}`)
    }
  }
  return codes.size === 0 ? ['nothing relayed or refused'] : [...codes]
}

/** Nicks valid and unique; everyone listed is in the room. */
function checkRoom (room: Room): void {
  const seen = new Set<string>()
  const members = room.list()
  check(members.length === room.size && members.length <= MEMBERS, () => `the room counts ${room.size} members and lists ${members.length}`)
  for (const m of members) {
    check(m.inRoom, () => `${m.nick} is listed but not in the room`)
    check(NICK_PATTERN.test(m.nick), () => `member nick ${JSON.stringify(m.nick)} is not a valid nick`)
    check(!seen.has(nickKey(m.nick)), () => `two members are called ${m.nick}`)
    check(room.find(m.nick) === m, () => `${m.nick} does not find its own member`)
    seen.add(nickKey(m.nick))
  }
}

/** The chat's sessions, command parser and room. */
export const chatCommandsTarget: FuzzTarget = {
  name: 'chat-commands',
  description: 'three members\' bytes through LineSplitter, Session, the command table and the Room',
  share: 40_000,
  timeoutMs: 2_000,
  generate,
  run
}
