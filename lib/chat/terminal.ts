import { INPUT_HISTORY_LINES } from '../constants.js'
import { formatMessage, parseServerLine, parseWhoIsHere, speakerName, VERIFIED_MARK, type ServerLine } from './messages.js'
import { sanitizeText } from './sanitize.js'
import { wrapRows } from './wrap.js'

/*
 * The chat's terminal, as a pure state machine: given its state and an
 * event (a line from the server, a key, a resize) it returns the bytes to
 * write. It never touches a terminal itself, so every redraw is testable.
 *
 * The screen is the scrolling output above one prompt line holding what
 * the user is typing. A message never breaks that line: the view erases
 * it, prints the message, and draws the prompt and the typed text again,
 * with the cursor where it was.
 */

const ESC = '\x1b['
const ERASE_LINE = '\r' + ESC + 'K'
const BELL = '\x07'
/** Width assumed when the terminal reports none (a pty whose size was never set says 0). */
const DEFAULT_COLUMNS = 80
/** Width of the time before each line (`HH:MM `): continuation rows are indented by it. */
const TIME_COLUMNS = 6
/** Fewest columns of typed text shown beside the prompt. */
const MIN_INPUT_COLUMNS = 10
/** Nick colours: the basic and bright foregrounds, minus black, white and the greys. */
const PALETTE = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96]

/** A key press, as node:readline's emitKeypressEvents describes it. */
export interface Key {
  sequence?: string | undefined
  name?: string | undefined
  ctrl?: boolean | undefined
  meta?: boolean | undefined
  shift?: boolean | undefined
}

/** What a key press does. */
export interface KeyResult {
  /** Bytes to write to the terminal. */
  output: string
  /** A line the user entered, to be sent as typed. */
  submit?: string
  /** The user asked to leave (Ctrl-C, or Ctrl-D on an empty line). */
  quit?: boolean
}

/** Settings of a terminal view. */
export interface TerminalViewOptions {
  /** Colour nicks (off when NO_COLOR is set or output is not a terminal). */
  color: boolean
  /** Terminal width (default 80). */
  columns?: number
  /** The clock for timestamps (default: now). */
  now?: () => Date
  /** What Tab completes at the start of a line: the commands, with their slash. */
  commands?: string[]
}

/** The lines that have a speaker, shown with the speaker's nick in colour. */
type SpokenLine = Extract<ServerLine, { kind: 'public' | 'emote' | 'private-in' | 'private-out' }>

/** The chat's terminal: output lines above, an editable prompt line below. */
export class TerminalView {
  /** Our nick, as the server last told it ("-- your nick is ..."). */
  nick: string | undefined
  columns: number
  readonly color: boolean
  /** Nicks seen in the room, for Tab: lower case -> as written. */
  private readonly nicks = new Map<string, string>()
  private readonly commands: string[]
  private readonly now: () => Date
  private chars: string[] = []
  private cursor = 0
  private scroll = 0
  private readonly history: string[] = []
  private historyIndex = 0
  private draft: string[] = []

  constructor (options: TerminalViewOptions) {
    this.color = options.color
    this.columns = usableWidth(options.columns)
    this.now = options.now ?? (() => new Date())
    this.commands = options.commands ?? []
  }

  /** The text typed so far. */
  get input (): string {
    return this.chars.join('')
  }

  /** The prompt line, drawn afresh (at start, after a resize or a clear). */
  redraw (): string {
    return this.promptLine()
  }

  /** A line from the server: printed above the prompt line, which is drawn again as it was. */
  showLine (line: string): string {
    const clean = sanitizeText(line)
    const now = this.now()
    const outer = parseServerLine(clean, now.getTime())
    // A replayed line shows its own time (in local time) and is read again for what it holds.
    const replayed = outer?.kind === 'replay'
    const rest = replayed ? outer.line : clean
    const message = replayed ? parseServerLine(rest, now.getTime()) : outer
    const time = clock(replayed ? new Date(outer.atMs) : now)
    this.track(message)
    const alert = !replayed && this.wantsAttention(message)
    const body = this.decorate(rest, message, alert)
    return ERASE_LINE + this.rows(`${time} ${body}`) + '\r\n' + (alert ? BELL : '') + this.promptLine()
  }

  /** A line of our own (connection status, completion candidates), shown like a notice. */
  showStatus (text: string): string {
    const body = this.style('2', `-- ${sanitizeText(text)}`)
    return ERASE_LINE + this.rows(`${clock(this.now())} ${body}`) + '\r\n' + this.promptLine()
  }

  /** A line wrapped to the terminal by us, continuation rows indented past the time (see wrap.ts). */
  private rows (line: string): string {
    return wrapRows(line, this.columns, TIME_COLUMNS).join('\r\n')
  }

  /** The terminal was resized. */
  resize (columns: number): string {
    this.columns = usableWidth(columns)
    return this.promptLine()
  }

  /** Erase the prompt line (before leaving, so the shell's prompt starts clean). */
  clear (): string {
    return ERASE_LINE
  }

  /** One key press. */
  key (key: Key): KeyResult {
    const name = key.name ?? ''
    if (key.ctrl === true) return this.controlKey(name)
    switch (name) {
      case 'return':
      case 'enter': return this.submit()
      case 'backspace': return this.edit(() => this.deleteBack())
      case 'delete': return this.edit(() => this.deleteForward())
      case 'left': return this.edit(() => { this.cursor = Math.max(0, this.cursor - 1) })
      case 'right': return this.edit(() => { this.cursor = Math.min(this.chars.length, this.cursor + 1) })
      case 'home': return this.edit(() => { this.cursor = 0 })
      case 'end': return this.edit(() => { this.cursor = this.chars.length })
      case 'up': return this.edit(() => this.recall(-1))
      case 'down': return this.edit(() => this.recall(1))
      case 'tab': return this.complete()
    }
    if (key.meta === true) return { output: '' }
    return this.type(key.sequence ?? '')
  }

  private controlKey (name: string): KeyResult {
    switch (name) {
      case 'c': return { output: ERASE_LINE, quit: true }
      case 'd':
        if (this.chars.length === 0) return { output: ERASE_LINE, quit: true }
        return this.edit(() => this.deleteForward())
      case 'a': return this.edit(() => { this.cursor = 0 })
      case 'e': return this.edit(() => { this.cursor = this.chars.length })
      case 'b': return this.edit(() => { this.cursor = Math.max(0, this.cursor - 1) })
      case 'f': return this.edit(() => { this.cursor = Math.min(this.chars.length, this.cursor + 1) })
      case 'h': return this.edit(() => this.deleteBack())
      case 'u': return this.edit(() => { this.chars.splice(0, this.cursor); this.cursor = 0 })
      case 'k': return this.edit(() => { this.chars.splice(this.cursor) })
      case 'w': return this.edit(() => this.deleteWordBack())
      case 'p': return this.edit(() => this.recall(-1))
      case 'n': return this.edit(() => this.recall(1))
      case 'l': return { output: ESC + '2J' + ESC + 'H' + this.promptLine() }
      case 'm':
      case 'j': return this.submit()
    }
    return { output: '' }
  }

  // ---- editing --------------------------------------------------------------

  private type (sequence: string): KeyResult {
    // Only printable text goes into the line: a pasted escape cannot hide in it.
    const text = sanitizeText(sequence)
    if (text === '') return { output: '' }
    const typed = [...text]
    this.chars.splice(this.cursor, 0, ...typed)
    this.cursor += typed.length
    return { output: this.promptLine() }
  }

  private edit (change: () => void): KeyResult {
    change()
    return { output: this.promptLine() }
  }

  private submit (): KeyResult {
    const line = this.input
    this.chars = []
    this.cursor = 0
    this.scroll = 0
    this.draft = []
    if (line.trim() === '') return { output: this.promptLine() }
    if (this.history.at(-1) !== line) this.history.push(line)
    if (this.history.length > INPUT_HISTORY_LINES) this.history.shift()
    this.historyIndex = this.history.length
    return { output: this.promptLine(), submit: line }
  }

  private deleteBack (): void {
    if (this.cursor === 0) return
    this.chars.splice(this.cursor - 1, 1)
    this.cursor--
  }

  private deleteForward (): void {
    this.chars.splice(this.cursor, 1)
  }

  private deleteWordBack (): void {
    let start = this.cursor
    while (start > 0 && this.chars[start - 1] === ' ') start--
    while (start > 0 && this.chars[start - 1] !== ' ') start--
    this.chars.splice(start, this.cursor - start)
    this.cursor = start
  }

  /** Up (-1) and down (+1) through the lines sent before; the line being typed is kept as a draft. */
  private recall (step: number): void {
    if (this.historyIndex === this.history.length) this.draft = this.chars
    const next = Math.max(0, Math.min(this.history.length, this.historyIndex + step))
    if (next === this.historyIndex) return
    this.historyIndex = next
    this.chars = next === this.history.length ? this.draft : [...this.history[next]!]
    this.cursor = this.chars.length
  }

  // ---- completion -----------------------------------------------------------

  /**
   * Tab: complete the word before the cursor: a command at the start of
   * the line, else a nick (followed by ': ' at the start of the line, as
   * IRC clients do). Several candidates: their common start, or the list.
   */
  private complete (): KeyResult {
    const before = this.chars.slice(0, this.cursor).join('')
    const word = /(\S*)$/.exec(before)![1]!
    const atStart = before.length === word.length
    const pool = atStart && word.startsWith('/') ? this.commands : [...this.nicks.values()]
    const lower = word.toLowerCase()
    const matches = pool.filter((c) => c.toLowerCase().startsWith(lower)).sort()
    if (matches.length === 0) return { output: BELL }
    if (matches.length === 1) {
      const suffix = atStart && !word.startsWith('/') ? ': ' : ' '
      return this.replaceWord(word, matches[0]! + suffix)
    }
    const common = commonPrefix(matches)
    if (common.length > word.length) return this.replaceWord(word, common)
    return { output: this.showStatus(matches.join(' ')) }
  }

  private replaceWord (word: string, replacement: string): KeyResult {
    const start = this.cursor - [...word].length
    const typed = [...replacement]
    this.chars.splice(start, this.cursor - start, ...typed)
    this.cursor = start + typed.length
    return { output: this.promptLine() }
  }

  // ---- drawing --------------------------------------------------------------

  /** `\r`, the prompt, the visible part of the input, erase the rest, cursor back to its place. */
  private promptLine (): string {
    const promptText = this.nick === undefined ? '> ' : `[${this.nick}] `
    const prompt = this.nick === undefined ? promptText : `[${this.nickColour(this.nick)}] `
    // At least a few characters of input show, even if a long nick's prompt makes the line wrap.
    const room = Math.max(MIN_INPUT_COLUMNS, this.columns - promptText.length - 1)
    if (this.cursor < this.scroll) this.scroll = this.cursor
    if (this.cursor > this.scroll + room) this.scroll = this.cursor - room
    if (this.scroll > 0 && this.chars.length - this.scroll < room) this.scroll = Math.max(0, this.chars.length - room)
    const end = Math.min(this.chars.length, this.scroll + room)
    const visible = this.chars.slice(this.scroll, end).join('')
    const back = end - this.cursor
    return '\r' + prompt + visible + ESC + 'K' + (back > 0 ? `${ESC}${back}D` : '')
  }

  private decorate (rest: string, message: ServerLine | undefined, alert: boolean): string {
    let body = rest
    const spoken = spokenLine(message)
    if (spoken !== undefined) body = this.colourSpeaker(spoken)
    else if (message?.kind === 'error') body = this.style('31', rest)
    else if (message !== undefined) body = this.style('2', rest)
    // Inverse video marks a mention or a private message: an attribute, not a colour, so kept under NO_COLOR.
    return alert ? `${ESC}7m${body}${ESC}27m` : body
  }

  /** The line again through the one formatter, its speaker's name (with the mark) in the nick's colour. */
  private colourSpeaker (message: SpokenLine): string {
    const who = message.kind === 'private-out' ? message.to : message.from
    const coloured = { nick: this.nickColour(speakerName(who)), verified: false }
    return formatMessage(message.kind === 'private-out' ? { ...message, to: coloured } : { ...message, from: coloured })
  }

  private nickColour (nick: string): string {
    if (!this.color) return nick
    const bare = nick.endsWith(VERIFIED_MARK) ? nick.slice(0, -VERIFIED_MARK.length) : nick
    return `${ESC}${nickColourCode(bare)}m${nick}${ESC}39m`
  }

  private style (sgr: string, text: string): string {
    return this.color ? `${ESC}${sgr}m${text}${ESC}0m` : text
  }

  // ---- what the lines tell us -------------------------------------------------

  /** A private message to us, or a message from someone else that names us. */
  private wantsAttention (message: ServerLine | undefined): boolean {
    if (message?.kind === 'private-in') return true
    if ((message?.kind !== 'public' && message?.kind !== 'emote') || this.nick === undefined) return false
    if (message.from.nick.toLowerCase() === this.nick.toLowerCase()) return false
    return mentions(message.text, this.nick)
  }

  /** Keep our nick and the room's nicks up to date from what the server says. */
  private track (message: ServerLine | undefined): void {
    const spoken = spokenLine(message)
    if (spoken !== undefined) this.addNick(spoken.kind === 'private-out' ? spoken.to.nick : spoken.from.nick)
    switch (message?.kind) {
      case 'self-nick':
        this.nick = message.nick
        return this.addNick(message.nick)
      case 'join': return this.addNick(message.who.nick)
      case 'leave':
        this.nicks.delete(message.who.nick.toLowerCase())
        return
      case 'nick-change':
        this.nicks.delete(message.from.toLowerCase())
        return this.addNick(message.to.nick)
      case 'notice':
        for (const who of parseWhoIsHere(message.text) ?? []) this.addNick(who.nick)
    }
  }

  private addNick (nick: string): void {
    this.nicks.set(nick.toLowerCase(), nick)
  }

  /** The nicks known for Tab, sorted. */
  knownNicks (): string[] {
    return [...this.nicks.values()].sort()
  }
}

function usableWidth (columns: number | undefined): number {
  return columns === undefined || !Number.isFinite(columns) || columns <= 0 ? DEFAULT_COLUMNS : columns
}

/** Which ANSI colour a nick gets: FNV-1a of its lower-case form, so everyone sees one nick in one colour. */
export function nickColourCode (nick: string): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(nick.toLowerCase())) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return PALETTE[hash % PALETTE.length]!
}

/** True when `text` names `nick` as a word (ASCII case ignored). */
export function mentions (text: string, nick: string): boolean {
  const escaped = nick.replace(/[.\-]/g, (c) => '\\' + c)
  return new RegExp(`(^|[^A-Za-z0-9_.-])${escaped}($|[^A-Za-z0-9_-])`, 'i').test(text)
}

function spokenLine (message: ServerLine | undefined): SpokenLine | undefined {
  switch (message?.kind) {
    case 'public': case 'emote': case 'private-in': case 'private-out': return message
  }
  return undefined
}

function clock (d: Date): string {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

function commonPrefix (words: string[]): string {
  let prefix = words[0]!
  for (const w of words.slice(1)) {
    let i = 0
    while (i < prefix.length && i < w.length && prefix[i]!.toLowerCase() === w[i]!.toLowerCase()) i++
    prefix = prefix.slice(0, i)
  }
  return prefix
}
