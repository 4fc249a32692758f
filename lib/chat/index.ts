/**
 * `noise-chat/chat`: the pieces of the chat below its server and client,
 * for another front end or another transport: the room and sessions, the
 * line grammar, commands, the nick registry, bans, the rate limit and the
 * terminal view. The server and client themselves are in the package
 * entry. Documented in the README ("Subpath exports").
 */
export { ChatServer, type ChatServerOptions, type ChatServerLogEvent, type SharedRoom } from './server.js'
export { connectChat, ChatConnection, ReconnectingChat, isConnectionLoss, reconnectDelay, type ChatAddress, type ChatClientOptions, type ReconnectingChatOptions } from './client.js'
export { Room, Member, type RoomOptions, type JoinRequest, type RoomLogEvent, type RoomSync } from './room.js'
export { RedisRoomNode, type RedisRoomOptions } from './redis-room.js'
export { Session, type SessionOptions, type SessionState } from './session.js'
export { LocalFanOut, type FanOut, type MemberConnection, type Recipient } from './fan-out.js'
export { CHAT_COMMANDS, isCommand, parseCommand, helpLines, type ChatCommand, type CommandContext } from './commands.js'
export { formatMessage, encodeMessage, parseServerLine, parseWhoIsHere, type ChatMessage, type ServerLine, type Speaker } from './messages.js'
export { LineSplitter, type SplitEvent } from './line-splitter.js'
export { sanitizeMemberText, sanitizeText } from './sanitize.js'
export { NickRegistry, type ReservedNick } from './nick-registry.js'
export { BanList, type Ban } from './bans.js'
export { RateLimiter, parseRateNotice, rateNoticeText, type RateLimitOptions, type StatedRate } from './rate-limit.js'
export { SendPacer } from './pacer.js'
export { HistoryFile, type HistoryEntry } from './history-file.js'
export { describeServerEvent, EventLineLimiter, type EventLineLimiterOptions } from './event-lines.js'
export { TerminalView, type Key, type KeyResult, type TerminalViewOptions } from './terminal.js'
