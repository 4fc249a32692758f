import { WEB_BACKLOG_LINES } from '../constants.js'
import { parseServerLine, parseWhoIsHere, type ServerLine, type Speaker } from '../chat/messages.js'
import { mentions, nickColourCode } from '../chat/terminal.js'
import type { DisplayLine, MemberView, NickView } from './page/wire.js'

/*
 * What a page shows of the room, kept from the server's lines alone (a
 * pure state machine: a line in, what changed out). Every line is read
 * with parseServerLine, the one grammar. The member list comes from the
 * `/names` answer and the joining notice, and follows joins, leaves, nick
 * changes and away notices; the commands for completion come from the
 * `/help` answer. The bridge asks both itself after each join and the
 * answers to those requests are not shown (the user did not ask).
 */

/** What one line changed. */
export interface RoomChange {
  /** A line to show. */
  line?: DisplayLine
  members?: boolean
  nick?: boolean
  commands?: boolean
}

type Block =
  | { kind: 'help', hidden: boolean, commands: string[] }
  | { kind: 'names', hidden: boolean, left: number, members: MemberView[] }

const HELP_START = 'commands:'
const HELP_SECTION = 'operator commands:'
const HELP_END = 'a line starting with // sends a line starting with /'
const HELP_ROW = /^ {2}(\/[a-z]+)\b/
const NAMES_START = /^(\d+) connected:$/
const NAMES_ROW = /^ {2}([A-Za-z0-9_.-]{1,16})(✓?)(?: +(\S+))?(?: +(away(?:: .*)?))?$/

/** The room as one page sees it. */
export class RoomState {
  nick: string | null = null
  commands: string[] = []
  readonly lines: DisplayLine[] = []
  private readonly members = new Map<string, MemberView>()
  private readonly requested: Array<'help' | 'names'> = []
  private block: Block | undefined
  private nextId = 1

  /** The members, in nick order. */
  memberList (): MemberView[] {
    return [...this.members.values()].sort((a, b) => a.nick.toLowerCase() < b.nick.toLowerCase() ? -1 : 1)
  }

  /** The bridge sent `/help` or `/names` itself: hide that answer. */
  request (what: 'help' | 'names'): void {
    this.requested.push(what)
  }

  /** A line of our own (connection status), shown as a system line. */
  status (text: string, nowMs: number): DisplayLine {
    return this.keep({ id: this.nextId++, atMs: nowMs, replayed: false, kind: 'system', text, mention: false, own: false })
  }

  /** One line from the server. */
  ingest (line: string, nowMs: number): RoomChange {
    const parsed = parseServerLine(line, nowMs)
    const inBlock = this.continueBlock(parsed, nowMs)
    if (inBlock !== undefined) return inBlock
    if (parsed?.kind === 'replay') return { line: this.keep(this.display(parseServerLine(parsed.line, nowMs), parsed.line, parsed.atMs, true)) }
    const change = this.track(parsed)
    const started = this.startBlock(parsed, nowMs)
    if (started !== undefined) return { ...change, ...started }
    return { ...change, line: this.keep(this.display(parsed, line, nowMs, false)) }
  }

  // ---- the answers to /help and /names ---------------------------------------

  private startBlock (parsed: ServerLine | undefined, nowMs: number): RoomChange | undefined {
    if (parsed?.kind !== 'notice') return undefined
    const names = NAMES_START.exec(parsed.text)
    if (parsed.text === HELP_START) {
      this.block = { kind: 'help', hidden: this.take('help'), commands: [] }
    } else if (names !== null && Number(names[1]) > 0) {
      this.block = { kind: 'names', hidden: this.take('names'), left: Number(names[1]), members: [] }
    } else {
      return undefined
    }
    return this.block.hidden ? {} : { line: this.keep(this.display(parsed, '', nowMs, false)) }
  }

  /** A line inside a /help or /names answer: collected (and shown unless we asked). Undefined when no block is open. */
  private continueBlock (parsed: ServerLine | undefined, nowMs: number): RoomChange | undefined {
    const block = this.block
    if (block === undefined) return undefined
    if (parsed?.kind !== 'notice') {
      this.block = undefined // the answer was cut short: keep what it said, show this line as usual
      return undefined
    }
    const change: RoomChange = block.hidden ? {} : { line: this.keep(this.display(parsed, '', nowMs, false)) }
    if (block.kind === 'help') {
      const row = HELP_ROW.exec(parsed.text)
      if (row !== null) block.commands.push(row[1]!)
      else if (parsed.text !== HELP_SECTION) this.block = undefined
      if (parsed.text === HELP_END) {
        this.commands = block.commands
        change.commands = true
      }
      return change
    }
    const row = NAMES_ROW.exec(parsed.text)
    if (row === null) {
      this.block = undefined
      return undefined
    }
    const member = memberView({ nick: row[1]!, verified: row[2] !== '' })
    if (row[3] !== undefined) member.fingerprint = row[3]
    if (row[4] !== undefined) member.away = row[4] === 'away' ? '' : row[4].slice('away: '.length)
    block.members.push(member)
    if (--block.left === 0) {
      this.block = undefined
      this.replaceMembers(block.members)
      change.members = true
    }
    return change
  }

  private take (what: 'help' | 'names'): boolean {
    const i = this.requested.indexOf(what)
    if (i === -1) return false
    this.requested.splice(i, 1)
    return true
  }

  // ---- who is here --------------------------------------------------------------

  private track (parsed: ServerLine | undefined): RoomChange {
    switch (parsed?.kind) {
      case 'self-nick':
        this.nick = parsed.nick
        return { nick: true }
      case 'join':
        this.members.set(key(parsed.who.nick), memberView(parsed.who))
        return { members: true }
      case 'leave':
        this.members.delete(key(parsed.who.nick))
        return { members: true }
      case 'nick-change': {
        const old = this.members.get(key(parsed.from))
        this.members.delete(key(parsed.from))
        this.members.set(key(parsed.to.nick), { ...old, ...memberView(parsed.to) })
        return { members: true }
      }
      case 'away': {
        const member = this.members.get(key(parsed.who.nick))
        if (member === undefined) return {}
        if (parsed.reason === undefined) delete member.away
        else member.away = parsed.reason
        return { members: true }
      }
      case 'notice': {
        const here = parseWhoIsHere(parsed.text)
        if (here === undefined) return {}
        this.replaceMembers(here.map(memberView))
        return { members: true }
      }
    }
    return {}
  }

  /** A fresh list, keeping what the old one knew (fingerprint, away) of members still here under the same nick. */
  private replaceMembers (list: MemberView[]): void {
    const old = new Map(this.members)
    this.members.clear()
    for (const m of list) this.members.set(key(m.nick), { ...old.get(key(m.nick)), ...m })
  }

  // ---- lines to show ---------------------------------------------------------------

  private display (parsed: ServerLine | undefined, raw: string, atMs: number, replayed: boolean): DisplayLine {
    const base = { id: this.nextId++, atMs, replayed, mention: false, own: false }
    switch (parsed?.kind) {
      case 'public':
      case 'emote':
      case 'private-in': {
        const own = this.isUs(parsed.from.nick)
        const named = parsed.kind === 'private-in' || (!own && this.nick !== null && mentions(parsed.text, this.nick))
        return { ...base, kind: parsed.kind, speaker: nickView(parsed.from), text: parsed.text, own, mention: named && !replayed }
      }
      case 'private-out': return { ...base, kind: 'private-out', speaker: nickView(parsed.to), text: parsed.text, own: true }
      case 'error': return { ...base, kind: 'error', text: parsed.text, code: parsed.code }
      case undefined: return { ...base, kind: 'other', text: raw }
      case 'replay': return { ...base, kind: 'other', text: raw }
      case 'notice': return { ...base, kind: 'system', text: parsed.text }
    }
    // join, leave, nick change, away, our nick: the line as the server wrote it, without its '-- '.
    return { ...base, kind: 'system', text: raw.replace(/^-- /, '') }
  }

  private isUs (nick: string): boolean {
    return this.nick !== null && key(nick) === key(this.nick)
  }

  private keep (line: DisplayLine): DisplayLine {
    this.lines.push(line)
    if (this.lines.length > WEB_BACKLOG_LINES) this.lines.shift()
    return line
  }
}

function key (nick: string): string {
  return nick.toLowerCase()
}

function nickView (speaker: Speaker): NickView {
  return { nick: speaker.nick, verified: speaker.verified, colour: nickColourCode(speaker.nick) }
}

function memberView (speaker: Speaker): MemberView {
  return nickView(speaker)
}
