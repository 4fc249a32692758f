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

/** `HH:MMZ`: the time of a replayed line, in UTC since server and member may be in different zones. */
export function utcTime (ms: number): string {
  const d = new Date(ms)
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}Z`
}

function pad2 (n: number): string {
  return n < 10 ? '0' + n : String(n)
}
