import { chatError, type ChatError } from '../errors.js'
import { isCommand, messageText, parseCommand, runCommand, type CommandContext } from './commands.js'
import type { MemberConnection } from './fan-out.js'
import { encodeMessage } from './messages.js'
import { RateLimiter, rateNoticeText, type RateLimitOptions } from './rate-limit.js'
import type { Member, Room } from './room.js'
import { isBlank, sanitizeMemberText } from './sanitize.js'

/** Options of a session. */
export interface SessionOptions {
  /** The member's rate limit (default: the constants). */
  rate?: RateLimitOptions
}

/** Where a session is: before its member joined, in the room, or gone. */
export type SessionState = 'waiting' | 'joined' | 'closed'

/**
 * One member's side of the chat: lines in, room actions out. The server
 * feeds it the lines of one connection; it cleans each at the edge (rate
 * limit, escapes and control characters, blank lines), joins the room on
 * the first line (using it as the nick when it is `/nick NICK`) or when
 * told to, and turns every later line into a command or a message. Errors
 * go to this member alone.
 */
export class Session {
  readonly room: Room
  readonly publicKey: Buffer
  readonly connection: MemberConnection
  member: Member | undefined
  private status: SessionState = 'waiting'
  private readonly limiter: RateLimiter

  constructor (room: Room, publicKey: Buffer, connection: MemberConnection, options: SessionOptions = {}) {
    this.room = room
    this.publicKey = publicKey
    this.connection = connection
    this.limiter = new RateLimiter(options.rate)
  }

  /** Where the session is now (a member removed by the room counts as closed). */
  get state (): SessionState {
    if (this.status === 'joined' && this.member?.inRoom !== true) return 'closed'
    return this.status
  }

  /** One line from the member, decoded but not yet cleaned. */
  receiveLine (raw: string): void {
    if (this.state === 'closed' || !this.admit()) return
    const text = sanitizeMemberText(raw).trimEnd()
    if (isBlank(text)) return
    if (this.status === 'waiting') {
      const asked = firstNick(text)
      this.join(asked)
      if (asked !== undefined) return
    }
    const member = this.member!
    member.lastActiveMs = this.room.now()
    if (isCommand(text)) runCommand(this.context(member), text)
    else this.room.say(member, messageText(text))
  }

  /** The member sent a line over the limit: it was dropped; tell the member. */
  receiveOverlong (limitBytes: number): void {
    if (this.state === 'closed' || !this.admit()) return
    this.tellError(chatError('ERR_LINE_TOO_LONG', `line refused: longer than ${limitBytes} bytes`))
  }

  /** Join the room now (the server calls this when no first line came in time). */
  join (nick?: string): void {
    if (this.status !== 'waiting') return
    this.status = 'joined'
    // The rate is stated on joining, so that a scripted client can pace itself (docs/CHAT.md).
    this.member = this.room.join({ publicKey: this.publicKey, connection: this.connection, nick, notices: [rateNoticeText(this.limiter)] })
  }

  /** The connection ended (the member's END, or an error): leave with `reason`. */
  end (reason: string): void {
    if (this.status === 'joined' && this.member !== undefined) this.room.leave(this.member, reason)
    this.status = 'closed'
  }

  /** /quit: leave with `reason`, then end the connection cleanly. */
  quit (reason: string): void {
    this.end(reason)
    this.connection.close()
  }

  /** Rate limit one line: false when it is to be dropped. */
  private admit (): boolean {
    const verdict = this.limiter.take(this.room.now())
    if (verdict === 'accept') return true
    if (verdict === 'refuse-notify') {
      this.tellError(chatError('ERR_RATE_LIMITED', 'you are sending too fast: lines are being dropped; slow down or you will be disconnected'))
    } else if (verdict === 'disconnect') {
      this.disconnect(chatError('ERR_FLOODING', 'disconnected for flooding: too many lines past the rate limit'), 'flooding')
    }
    return false
  }

  private disconnect (error: ChatError, reason: string): void {
    if (this.status === 'joined' && this.member !== undefined) this.room.remove(this.member, error, reason)
    else this.connection.close(error)
    this.status = 'closed'
  }

  private tellError (error: ChatError): void {
    if (this.member !== undefined) this.room.refuse(this.member, error)
    else this.connection.send(encodeMessage({ kind: 'error', code: error.code, text: error.message }))
  }

  private context (member: Member): CommandContext {
    return { room: this.room, member, quit: (reason) => this.quit(reason) }
  }
}

/** The nick of a first line `/nick NICK`, which names the member as it joins. */
function firstNick (text: string): string | undefined {
  if (!isCommand(text)) return undefined
  const { name, args } = parseCommand(text)
  return name === 'nick' && args !== '' ? args : undefined
}
