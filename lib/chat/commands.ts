import { chatError, type ChatError } from '../errors.js'
import { encodePublicKey, fingerprint, parsePublicKey, shortFingerprint } from '../secure/keypair.js'
import { formatDuration, parseDuration } from './bans.js'
import { speakerName } from './messages.js'
import type { Member, Room } from './room.js'

/** What a command handler may act on. */
export interface CommandContext {
  readonly room: Room
  readonly member: Member
  /** Leave the room with `reason` and end the connection cleanly. */
  quit (reason: string): void
}

/** One row of the command table: `/help` is generated from these. */
export interface ChatCommand {
  /** Without the slash. */
  name: string
  /** How to call it, e.g. `/msg NICK TEXT`. */
  usage: string
  /** One line for /help. */
  help: string
  /** Only keys in the --admins file may run it. */
  operatorOnly: boolean
  /** Runs it; `args` is the rest of the line after the name, trimmed. */
  handler: (ctx: CommandContext, args: string) => void
}

/**
 * The one test of whether a line is a command: it starts with `/`, and not
 * with `//` (which sends a line starting with `/`; see `messageText`).
 */
export function isCommand (line: string): boolean {
  return line.startsWith('/') && !line.startsWith('//')
}

/** The text a non-command line sends: `//x` sends `/x`. */
export function messageText (line: string): string {
  return line.startsWith('//') ? line.slice(1) : line
}

/** Split a command line into its name (lower case, no slash) and its arguments (trimmed). */
export function parseCommand (line: string): { name: string, args: string } {
  const body = line.slice(1)
  const space = body.search(/\s/)
  if (space === -1) return { name: body.toLowerCase(), args: '' }
  return { name: body.slice(0, space).toLowerCase(), args: body.slice(space).trim() }
}

/** The first word of `text` and the trimmed rest. */
export function splitWord (text: string): [string, string] {
  const trimmed = text.trim()
  const space = trimmed.search(/\s/)
  if (space === -1) return [trimmed, '']
  return [trimmed.slice(0, space), trimmed.slice(space).trim()]
}

function usageError (command: ChatCommand): ChatError {
  return chatError('ERR_COMMAND_USAGE', `usage: ${command.usage}`)
}

/** The command table, in the order /help lists it. */
export const CHAT_COMMANDS: readonly ChatCommand[] = [
  {
    name: 'nick',
    usage: '/nick NICK',
    help: 'change your nick (1-16 of A-Z a-z 0-9 _ . -)',
    operatorOnly: false,
    handler ({ room, member }, args) {
      if (args === '') return room.tell(member, { kind: 'self-nick', nick: member.nick })
      room.changeNick(member, args)
    }
  },
  {
    name: 'me',
    usage: '/me ACTION',
    help: 'say what you are doing: /me waves',
    operatorOnly: false,
    handler ({ room, member }, args) {
      if (args === '') return room.refuse(member, usageError(command('me')))
      room.emote(member, args)
    }
  },
  {
    name: 'msg',
    usage: '/msg NICK TEXT',
    help: 'send a private message',
    operatorOnly: false,
    handler ({ room, member }, args) {
      const [nick, text] = splitWord(args)
      if (nick === '' || text === '') return room.refuse(member, usageError(command('msg')))
      room.privateMessage(member, nick, text)
    }
  },
  {
    name: 'reply',
    usage: '/reply TEXT',
    help: 'answer the last private message you received',
    operatorOnly: false,
    handler ({ room, member }, args) {
      if (args === '') return room.refuse(member, usageError(command('reply')))
      room.reply(member, args)
    }
  },
  {
    name: 'names',
    usage: '/names',
    help: 'list who is here: nick, short key fingerprint, away',
    operatorOnly: false,
    handler ({ room, member }) {
      const rows = room.list().map((m) => [speakerName(m.speaker), shortFingerprint(m.publicKey), awayText(m)])
      room.tell(member, { kind: 'notice', text: `${rows.length} connected:` })
      for (const line of table(rows)) room.tell(member, { kind: 'notice', text: '  ' + line })
    }
  },
  {
    name: 'whois',
    usage: '/whois NICK',
    help: "show a member's key, fingerprint, connection time, idle time and away",
    operatorOnly: false,
    handler ({ room, member }, args) {
      const [nick] = splitWord(args)
      if (nick === '') return room.refuse(member, usageError(command('whois')))
      const target = room.find(nick)
      if (target === undefined) return room.refuse(member, chatError('ERR_NO_SUCH_NICK', `nobody here is called ${nick}`))
      const now = room.now()
      const lines = [
        `${speakerName(target.speaker)}${target.verified ? ' (verified: nick reserved for this key)' : ''}${room.isOperator(target) ? ' (operator)' : ''}`,
        `  key: ${encodePublicKey(target.publicKey)}`,
        `  fingerprint: ${fingerprint(target.publicKey)}`,
        `  connected since: ${isoSeconds(target.connectedAtMs)} (${formatDuration(now - target.connectedAtMs)} ago)`,
        `  idle: ${formatDuration(now - target.lastActiveMs)}`,
        `  away: ${target.away === undefined ? 'no' : (target.away === '' ? 'yes' : target.away)}`
      ]
      for (const text of lines) room.tell(member, { kind: 'notice', text })
    }
  },
  {
    name: 'away',
    usage: '/away [REASON]',
    help: 'mark yourself away',
    operatorOnly: false,
    handler ({ room, member }, args) {
      room.setAway(member, args)
    }
  },
  {
    name: 'back',
    usage: '/back',
    help: 'you are back',
    operatorOnly: false,
    handler ({ room, member }) {
      room.setAway(member, undefined)
    }
  },
  {
    name: 'help',
    usage: '/help',
    help: 'this list',
    operatorOnly: false,
    handler ({ room, member }) {
      for (const text of helpLines(room.isOperator(member))) room.tell(member, { kind: 'notice', text })
    }
  },
  {
    name: 'quit',
    usage: '/quit [REASON]',
    help: 'leave the room',
    operatorOnly: false,
    handler (ctx, args) {
      ctx.quit(args === '' ? 'quit' : `quit: ${args}`)
    }
  },
  {
    name: 'kick',
    usage: '/kick NICK [REASON]',
    help: 'disconnect a member',
    operatorOnly: true,
    handler ({ room, member }, args) {
      const [nick, reason] = splitWord(args)
      if (nick === '') return room.refuse(member, usageError(command('kick')))
      room.kick(member, nick, reason)
    }
  },
  {
    name: 'ban',
    usage: '/ban NICK|KEY [DURATION] [REASON]',
    help: "ban a member's key, for good or for a DURATION like 30m, 2h, 7d",
    operatorOnly: true,
    handler ({ room, member }, args) {
      const [target, rest] = splitWord(args)
      if (target === '') return room.refuse(member, usageError(command('ban')))
      const [first, afterFirst] = splitWord(rest)
      const durationMs = parseDuration(first)
      const reason = durationMs === undefined ? rest : afterFirst
      const online = room.find(target)
      let key: Buffer
      try {
        key = online?.publicKey ?? parsePublicKey(target)
      } catch {
        return room.refuse(member, chatError('ERR_NO_SUCH_NICK', `${target} is neither a member here nor a public key`))
      }
      if (key.equals(member.publicKey)) return room.refuse(member, chatError('ERR_COMMAND_USAGE', 'you cannot ban your own key'))
      room.ban(member, key, online?.nick ?? room.registry.preferredNick(key), durationMs, reason)
    }
  },
  {
    name: 'unban',
    usage: '/unban NICK|KEY|FINGERPRINT',
    help: 'lift a ban',
    operatorOnly: true,
    handler ({ room, member }, args) {
      const [target] = splitWord(args)
      if (target === '') return room.refuse(member, usageError(command('unban')))
      room.unban(member, target)
    }
  },
  {
    name: 'mute',
    usage: '/mute NICK',
    help: "stop (or, again, restart) delivering a member's messages",
    operatorOnly: true,
    handler ({ room, member }, args) {
      const [nick] = splitWord(args)
      if (nick === '') return room.refuse(member, usageError(command('mute')))
      room.toggleMute(member, nick)
    }
  },
  {
    name: 'motd',
    usage: '/motd [TEXT]',
    help: 'show or set the message of the day',
    operatorOnly: true,
    handler ({ room, member }, args) {
      if (args !== '') return room.setMotd(member, [args])
      if (room.motd.length === 0) return room.tell(member, { kind: 'notice', text: 'there is no message of the day' })
      for (const text of room.motd) room.tell(member, { kind: 'notice', text })
    }
  }
]

/** The command called `name` (no slash, any case). */
export function findCommand (name: string): ChatCommand | undefined {
  const lower = name.toLowerCase()
  return CHAT_COMMANDS.find((c) => c.name === lower)
}

function command (name: string): ChatCommand {
  return findCommand(name)!
}

/** The /help text, generated from the table; operator commands only for operators. */
export function helpLines (isOperator: boolean): string[] {
  const visible = CHAT_COMMANDS.filter((c) => isOperator || !c.operatorOnly)
  const width = Math.max(...visible.map((c) => c.usage.length))
  const row = (c: ChatCommand): string => `  ${c.usage.padEnd(width)}  ${c.help}`
  const lines = ['commands:', ...visible.filter((c) => !c.operatorOnly).map(row)]
  if (isOperator) lines.push('operator commands:', ...visible.filter((c) => c.operatorOnly).map(row))
  lines.push('a line starting with // sends a line starting with /')
  return lines
}

/**
 * Run one command line for a member: unknown commands, operator commands
 * for non-operators and bad arguments are refused to that member alone.
 */
export function runCommand (ctx: CommandContext, line: string): void {
  const { name, args } = parseCommand(line)
  const found = findCommand(name)
  if (found === undefined) {
    return ctx.room.refuse(ctx.member, chatError('ERR_UNKNOWN_COMMAND', `unknown command /${name.slice(0, 32)}; /help lists the commands`))
  }
  if (found.operatorOnly && !ctx.room.isOperator(ctx.member)) {
    return ctx.room.refuse(ctx.member, chatError('ERR_NOT_OPERATOR', `/${found.name} is for operators`))
  }
  found.handler(ctx, args)
}

/** Every command name with its slash, for tab completion. */
export function commandNames (): string[] {
  return CHAT_COMMANDS.map((c) => '/' + c.name)
}

function awayText (member: Member): string {
  if (member.away === undefined) return ''
  return member.away === '' ? 'away' : `away: ${member.away}`
}

function isoSeconds (ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** Rows of cells, left-aligned in columns, trailing blanks trimmed. */
function table (rows: string[][]): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, [...cell].length) })
  return rows.map((row) => row.map((cell, i) => cell + ' '.repeat(widths[i]! - [...cell].length)).join('  ').trimEnd())
}
