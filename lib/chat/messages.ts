/**
 * The kinds of message the server sends a member, as types, and the one
 * place that turns each into the line the member sees (docs/CHAT.md lists
 * the grammar). The chat core builds these values; only `formatMessage`
 * knows what they look like on the wire.
 */

/** Who said something: the server stamps it, the client never sends it. */
export interface Speaker {
  nick: string
  /** The nick is reserved for this member's key by the server's authorized keys file. */
  verified: boolean
}

/** A member's line to the room. */
export interface PublicMessage { kind: 'public', from: Speaker, text: string }
/** `/me waves`, shown as an action. */
export interface EmoteMessage { kind: 'emote', from: Speaker, text: string }
/** A private message, as its recipient sees it. */
export interface PrivateInMessage { kind: 'private-in', from: Speaker, text: string }
/** A private message, as its sender sees it (the server's echo). */
export interface PrivateOutMessage { kind: 'private-out', to: Speaker, text: string }
/** A member arrived. */
export interface JoinMessage { kind: 'join', who: Speaker, count: number }
/** A member left, and why. */
export interface LeaveMessage { kind: 'leave', who: Speaker, reason: string, count: number }
/** A member changed nick. */
export interface NickChangeMessage { kind: 'nick-change', from: string, to: Speaker }
/** A member set or cleared an away reason. */
export interface AwayMessage { kind: 'away', who: Speaker, reason: string | undefined }
/** Tells a member its own nick: on joining and on every change (the client keys mentions and its prompt on it). */
export interface SelfNickMessage { kind: 'self-nick', nick: string }
/** Anything else the whole room is told (MOTD changed, kicks, bans, shutdown). */
export interface AnnounceMessage { kind: 'announce', text: string }
/** Information for one member: command output, MOTD lines. */
export interface NoticeMessage { kind: 'notice', text: string }
/** Something the member did was refused; only that member sees it. */
export interface ErrorMessage { kind: 'error', code: string, text: string }
/** A line from the room's history, replayed to a joining member with its time. */
export interface ReplayMessage { kind: 'replay', atMs: number, line: string }

/** Every message the server sends. */
export type ChatMessage =
  | PublicMessage | EmoteMessage | PrivateInMessage | PrivateOutMessage
  | JoinMessage | LeaveMessage | NickChangeMessage | AwayMessage | SelfNickMessage
  | AnnounceMessage | NoticeMessage | ErrorMessage | ReplayMessage

/** The mark after a verified (reserved) nick. */
export const VERIFIED_MARK = '✓'

/** How a speaker's nick is shown: with the verified mark when its nick is reserved for its key. */
export function speakerName (speaker: Speaker): string {
  return speaker.verified ? speaker.nick + VERIFIED_MARK : speaker.nick
}

/** The line (without newline) a member sees for `message`. */
export function formatMessage (message: ChatMessage): string {
  switch (message.kind) {
    case 'public': return `<${speakerName(message.from)}> ${message.text}`
    case 'emote': return `* ${speakerName(message.from)} ${message.text}`
    case 'private-in': return `[pm from ${speakerName(message.from)}] ${message.text}`
    case 'private-out': return `[pm to ${speakerName(message.to)}] ${message.text}`
    case 'join': return `-- ${speakerName(message.who)} joined (${message.count} connected)`
    case 'leave': return `-- ${speakerName(message.who)} left: ${message.reason} (${message.count} connected)`
    case 'nick-change': return `-- ${message.from} is now known as ${speakerName(message.to)}`
    case 'away': return message.reason === undefined
      ? `-- ${speakerName(message.who)} is back`
      : `-- ${speakerName(message.who)} is away${message.reason === '' ? '' : ': ' + message.reason}`
    case 'self-nick': return `-- your nick is ${message.nick}`
    case 'announce': return `-- ${message.text}`
    case 'notice': return `-- ${message.text}`
    case 'error': return `! ${message.text} (${message.code})`
    case 'replay': return `[${utcTime(message.atMs)}] ${message.line}`
  }
}

/** `formatMessage` plus the newline, as the bytes sent: encoded once, however many members receive it. */
export function encodeMessage (message: ChatMessage): Buffer {
  return Buffer.from(formatMessage(message) + '\n', 'utf8')
}

/** True for the kinds kept in the room's history (what members said, not who came and went). */
export function isHistoryKind (message: ChatMessage): boolean {
  return message.kind === 'public' || message.kind === 'emote'
}

/** Every line form a member can tell apart: `announce` and `notice` share one (`-- TEXT`), read back as `notice`. */
export type ServerLine = Exclude<ChatMessage, AnnounceMessage>

/*
 * The grammar of docs/CHAT.md section 3, read back. A nick is never more
 * than the nick charset (no spaces, no brackets, no mark), which is what
 * makes each form unambiguous: the first match in this order wins, and the
 * free text (what was said, a reason, a notice) is whatever is left.
 */
const NICK = '[A-Za-z0-9_.-]{1,16}'
const SPEAKER = `(${NICK})(${VERIFIED_MARK}?)`
const LINE_FORMS: ReadonlyArray<[RegExp, (m: string[]) => ServerLine]> = [
  [new RegExp(`^<${SPEAKER}> (.*)$`, 's'), (m) => ({ kind: 'public', from: speaker(m[1]!, m[2]!), text: m[3]! })],
  [new RegExp(`^\\* ${SPEAKER} (.*)$`, 's'), (m) => ({ kind: 'emote', from: speaker(m[1]!, m[2]!), text: m[3]! })],
  [new RegExp(`^\\[pm from ${SPEAKER}\\] (.*)$`, 's'), (m) => ({ kind: 'private-in', from: speaker(m[1]!, m[2]!), text: m[3]! })],
  [new RegExp(`^\\[pm to ${SPEAKER}\\] (.*)$`, 's'), (m) => ({ kind: 'private-out', to: speaker(m[1]!, m[2]!), text: m[3]! })],
  [/^! (.*) \(([A-Z][A-Z0-9_]*)\)$/s, (m) => ({ kind: 'error', text: m[1]!, code: m[2]! })],
  [new RegExp(`^-- your nick is (${NICK})$`), (m) => ({ kind: 'self-nick', nick: m[1]! })],
  [new RegExp(`^-- ${SPEAKER} joined \\((\\d+) connected\\)$`), (m) => ({ kind: 'join', who: speaker(m[1]!, m[2]!), count: Number(m[3]) })],
  [new RegExp(`^-- ${SPEAKER} left: (.*) \\((\\d+) connected\\)$`, 's'), (m) => ({ kind: 'leave', who: speaker(m[1]!, m[2]!), reason: m[3]!, count: Number(m[4]) })],
  [new RegExp(`^-- (${NICK}) is now known as ${SPEAKER}$`), (m) => ({ kind: 'nick-change', from: m[1]!, to: speaker(m[2]!, m[3]!) })],
  [new RegExp(`^-- ${SPEAKER} is back$`), (m) => ({ kind: 'away', who: speaker(m[1]!, m[2]!), reason: undefined })],
  [new RegExp(`^-- ${SPEAKER} is away$`), (m) => ({ kind: 'away', who: speaker(m[1]!, m[2]!), reason: '' })],
  [new RegExp(`^-- ${SPEAKER} is away: (.*)$`, 's'), (m) => ({ kind: 'away', who: speaker(m[1]!, m[2]!), reason: m[3]! })],
  [/^-- (.*)$/s, (m) => ({ kind: 'notice', text: m[1]! })]
]
const REPLAY_FORM = /^\[(\d\d):(\d\d)Z\] (.*)$/s
const MINUTES_PER_DAY = 24 * 60
const MS_PER_MINUTE = 60_000

/**
 * The message a server line stands for: the inverse of `formatMessage`,
 * so `formatMessage(parseServerLine(line))` is `line` for every line it
 * accepts, and `parseServerLine(formatMessage(m))` is `m` for every kind
 * but `announce` (read as the `notice` it looks like). A replayed line
 * carries only its UTC hour and minute: its `atMs` is the latest such
 * minute at or before `nowMs`. Undefined for a line in no server form
 * (a line the client made up, a server of another kind).
 *
 * A notice whose text has another form's shape reads as that form: the
 * server's "NICK is away: ..." answer to a private message is an `away`.
 */
export function parseServerLine (line: string, nowMs = Date.now()): ServerLine | undefined {
  const replay = REPLAY_FORM.exec(line)
  if (replay !== null) {
    const minute = Number(replay[1]) * 60 + Number(replay[2])
    if (minute >= MINUTES_PER_DAY || Number(replay[2]) >= 60) return undefined
    return { kind: 'replay', atMs: replayTime(minute, nowMs), line: replay[3]! }
  }
  for (const [form, build] of LINE_FORMS) {
    const m = form.exec(line)
    if (m !== null) return build(m)
  }
  return undefined
}

const WHO_IS_HERE = new RegExp(`^in the room: (${NICK}${VERIFIED_MARK}?(?:, ${NICK}${VERIFIED_MARK}?)*)$`)

/** The members named by the notice a joining member gets (`in the room: alice, bob✓`); undefined for any other notice text. */
export function parseWhoIsHere (text: string): Speaker[] | undefined {
  const m = WHO_IS_HERE.exec(text)
  if (m === null) return undefined
  return m[1]!.split(', ').map((name) => name.endsWith(VERIFIED_MARK)
    ? speaker(name.slice(0, -VERIFIED_MARK.length), VERIFIED_MARK)
    : speaker(name, ''))
}

function speaker (nick: string, mark: string): Speaker {
  return { nick, verified: mark !== '' }
}

/** The latest instant at or before `nowMs` whose UTC time is `minute` minutes past midnight, to the minute. */
function replayTime (minute: number, nowMs: number): number {
  const nowMinute = Math.floor(nowMs / MS_PER_MINUTE)
  const back = ((nowMinute % MINUTES_PER_DAY) - minute + MINUTES_PER_DAY) % MINUTES_PER_DAY
  return (nowMinute - back) * MS_PER_MINUTE
}

/** `HH:MMZ`: the time of a replayed line, in UTC since server and member may be in different zones. */
export function utcTime (ms: number): string {
  const d = new Date(ms)
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}Z`
}

function pad2 (n: number): string {
  return n < 10 ? '0' + n : String(n)
}
