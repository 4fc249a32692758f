/*
 * What the bridge and the page say to each other over their one WebSocket,
 * as JSON: types only, compiled into both the bridge (Node) and the page
 * (browser). The bridge parses the server's lines (lib/chat/messages.ts)
 * and sends them as display lines, so the page never parses chat text:
 * it only puts strings into text nodes.
 */

/** A nick as the page shows it: ANSI colour number (as the terminal's), verified mark. */
export interface NickView {
  nick: string
  verified: boolean
  /** The terminal's colour code for this nick (31..96); the page maps it to CSS. */
  colour: number
}

/** One member in the list. */
export interface MemberView extends NickView {
  /** Away reason ('' = away without one); absent when here. */
  away?: string
  /** Short key fingerprint, once /names told it. */
  fingerprint?: string
}

/** One line of the room, ready to show. */
export interface DisplayLine {
  id: number
  /** When it was said (a replayed line: its own time, to the minute). */
  atMs: number
  replayed: boolean
  kind: 'public' | 'emote' | 'private-in' | 'private-out' | 'system' | 'error' | 'other'
  /** Who spoke (public, emote, pm from) or was spoken to (pm to). */
  speaker?: NickView
  /** What was said; for system lines the notice without its `-- `; for errors the message. */
  text: string
  /** The error's code. */
  code?: string
  /** Someone else named us, or wrote to us in private. */
  mention: boolean
  /** We said it. */
  own: boolean
}

/** Where the chat connection is. */
export interface ConnectionStatus {
  state: 'connecting' | 'asking' | 'connected' | 'reconnecting' | 'closed'
  /** What to tell the user (the reason of a loss, the time to the next attempt). */
  text: string
}

/** An unknown server key the user must accept or refuse, as the terminal would ask. */
export interface TrustQuestion {
  address: string
  fingerprint: string
  knownHostsFile: string
}

/** Everything a page needs when it opens. */
export interface Snapshot {
  type: 'hello'
  serverAddress: string
  /** The server key's full fingerprint, once a handshake got that far. */
  serverFingerprint: string | null
  ownFingerprint: string
  nick: string | null
  commands: string[]
  members: MemberView[]
  status: ConnectionStatus
  question: TrustQuestion | null
  lines: DisplayLine[]
}

/** Bridge to page. */
export type BridgeMessage =
  | Snapshot
  | { type: 'line', line: DisplayLine }
  | { type: 'members', members: MemberView[] }
  | { type: 'nick', nick: string }
  | { type: 'commands', commands: string[] }
  | { type: 'status', status: ConnectionStatus }
  | { type: 'server-key', fingerprint: string }
  | { type: 'question', question: TrustQuestion | null }

/** Page to bridge. */
export type PageMessage =
  | { type: 'send', text: string }
  | { type: 'answer', fingerprint: string, trust: boolean }
