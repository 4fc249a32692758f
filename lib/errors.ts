/**
 * Errors of noise-chat: one class per layer, each with a stable string
 * `code`. Messages are for people and may change; codes are for programs
 * and do not. Every code below is listed in docs/ERRORS.md (a test checks).
 *
 * No error message may contain secret key material: the only keys that
 * ever appear in one are public keys and fingerprints.
 */

/** Codes of the secure stream (lib/secure), one sentence each. */
export const SECURE_STREAM_CODES = {
  ERR_HANDSHAKE_TIMEOUT: 'The handshake did not complete within the time limit.',
  ERR_HANDSHAKE_FAILED: 'A handshake message was malformed or failed to decrypt (for example, the peers use different prologues).',
  ERR_HANDSHAKE_INCOMPLETE: 'The connection closed before the handshake completed.',
  ERR_REMOTE_KEY_REJECTED: "We rejected the peer's static key (the verify callback said no); the cause says why.",
  ERR_LOCAL_KEY_REJECTED: 'The responder refused our static key: it aborted before sending anything else; the message carries its reason.',
  ERR_BAD_FRAME: 'A frame was malformed: zero length, too short for a tag, an unknown type, or a body too long for its type.',
  ERR_UNEXPECTED_FRAME: "A frame arrived after the peer's END.",
  ERR_DECRYPT_FAILED: 'A transport frame failed authentication: it was forged, corrupted, replayed, reordered or dropped in transit.',
  ERR_TRUNCATED: 'The connection closed after the handshake without an END or ABORT from the peer.',
  ERR_PEER_ABORTED: 'The peer aborted the stream; the message carries its reason.',
  ERR_NONCE_EXHAUSTED: 'This direction used its last nonce (2^64 - 2); the stream cannot carry more frames.',
  ERR_SEAL_FAILED: 'OpenSSL failed to seal a frame: a fault of this machine, never caused by the peer; the stream cannot go on.',
  ERR_IDLE_TIMEOUT: 'No frame arrived from the peer within the idle timeout.',
  ERR_CANCELLED: 'The stream was cancelled locally, by its abort signal or by destroy().',
  ERR_INVALID_OPTION: 'An option given to the secure stream has the wrong type or value.',
  ERR_INVALID_ARGUMENT: 'A value passed to the secure stream cannot be used: a write that is not bytes, a key or buffer of the wrong size, a nonce out of range or moving backwards.',
  ERR_INVALID_STATE: 'A secure stream operation was asked for at the wrong time (for example, handshake keys before the handshake completed).'
} as const

/** Codes of the secure server (lib/secure/server.ts): connections it turned away or dropped before their handshake finished. */
export const SECURE_SERVER_CODES = {
  ERR_TOO_MANY_HANDSHAKES: 'The connection was closed before its handshake finished: too many handshakes were in progress from its address, or in all (the oldest is dropped).',
  ERR_TOO_MANY_CONNECTIONS: 'The connection was closed at once: its address already had its share of connections, or the server had its most connections open.'
} as const

/** Codes of identity and trust (lib/identity), one sentence each. */
export const IDENTITY_CODES = {
  ERR_KEY_FILE_PERMISSIONS: 'A private key file can be read by group or others; it is refused until `chmod 600` fixes it.',
  ERR_KEY_FILE_INVALID: 'A key file could not be parsed as a noise-chat key.',
  ERR_KEY_FILE_MISSING: 'A key file that must exist does not.',
  ERR_KEY_FILE_EXISTS: 'A key file already exists where a new key was to be written; it is kept unless overwriting is asked for (keygen --force).',
  ERR_KEY_INVALID: 'A public key or fingerprint given as text is not 32 bytes of base64 or a SHA256: fingerprint.',
  ERR_HOST_KEY_CHANGED: 'The server presented a key different from the one recorded for it in known hosts; only removing the old entry (noise-chat forget) or pinning the new key (--server-key) overrides this.',
  ERR_HOST_KEY_UNKNOWN: 'The server is not in known hosts and the policy (strict) does not allow adding it.',
  ERR_HOST_KEY_MISMATCH: 'The server key differs from the key or fingerprint pinned by the caller, from the fingerprint typed at the prompt, or (on the connection after a yes) from the key accepted at the prompt.',
  ERR_HOST_KEY_DECLINED: "The user (or the caller's ask function) declined an unknown server key.",
  ERR_CLIENT_KEY_UNAUTHORIZED: "The client's key is not in the server's authorized keys (checked at the handshake, and again for members online when the server reloads the file on SIGHUP).",
  ERR_PEER_KEY_IS_OURS: 'The peer presented our own static key: a server and its clients must each have a key of their own.',
  ERR_TRUST_FILE_PERMISSIONS: 'A trust file (authorized keys, admins, known hosts) can be written by group or others, or is owned by another user; it is refused until `chmod` (or `chown`) fixes it.',
  ERR_HOST_INVALID: 'A host given to the known hosts functions is not a host name, an IPv4 or an IPv6 address, or its port is not 1 to 65535; nothing was written.',
  ERR_TRUST_FILE_INVALID: 'A known hosts or authorized keys file has a line that cannot be parsed; the error names the file and line.'
} as const

/** Codes of the chat (lib/chat): what a member is told, in `! message (CODE)` lines or in the reason of a disconnection. */
export const CHAT_CODES = {
  ERR_LINE_TOO_LONG: 'A line longer than MAX_LINE_BYTES (1024 bytes of UTF-8) was refused; nothing of it was delivered.',
  ERR_NICK_INVALID: 'A nick must be 1 to 16 of the characters A-Z a-z 0-9 _ . - and must not be a GuestN name.',
  ERR_NICK_IN_USE: 'Another member online holds the nick; the member keeps (or is given) another one.',
  ERR_NICK_BOUND: 'The nick is bound to the key that first used it on this server; another key cannot take it.',
  ERR_NICK_RESERVED: "The nick is reserved for another key by the server's authorized keys file.",
  ERR_RATE_LIMITED: 'The member sent lines faster than the rate limit; the extra lines were dropped.',
  ERR_FLOODING: 'The member went on sending past the rate limit and was disconnected.',
  ERR_SLOW_READER: "The member's connection could not keep up (its unsent output passed the bound) and was disconnected.",
  ERR_UNKNOWN_COMMAND: 'A line started with / but names no command; /help lists them.',
  ERR_COMMAND_USAGE: "A command's arguments were missing or malformed; the message shows its usage.",
  ERR_NOT_OPERATOR: 'The command is for operators (keys in the --admins file).',
  ERR_NO_SUCH_NICK: 'No member online has that nick.',
  ERR_MUTED: 'An operator muted the member; its messages are not delivered.',
  ERR_BANNED: "The member's key is banned from the server.",
  ERR_KICKED: 'An operator removed the member from the room.',
  ERR_KEY_REVOKED: "The member's key is no longer in the server's authorized keys (the server re-read them on SIGHUP); it was disconnected.",
  ERR_SERVER_FULL: 'The server already has its maximum number of members.',
  ERR_SERVER_SHUTDOWN: 'The server is shutting down.',
  ERR_TOO_MANY_HANDSHAKES: 'The connection was closed before its handshake finished: too many handshakes were in progress from its address, or in all (the oldest is dropped).',
  ERR_STATE_FILE_INVALID: 'A file in the server state directory (nicks or bans) could not be parsed; the error names it.',
  ERR_REDIS_URL_INVALID: 'The --redis URL is not redis://[USER:PASSWORD@]HOST[:PORT][/DB] (or rediss:// for TLS), or the --room name is not 1-64 of A-Z a-z 0-9 _ . -.',
  ERR_REDIS_UNAVAILABLE: 'The server could not reach Redis at start (the message names the URL, its password hidden); it does not start without it.',
  ERR_ROOM_UNAVAILABLE: 'A room shared through Redis cannot reach Redis right now: the message was refused (not queued, not lost); send it again once the room says it is back. Also the reason a member is disconnected when the other servers took its server for dead.'
} as const

/** Codes of the tools (lib/tools): pipe, listen, tunnel, tap and demo. */
export const TOOL_CODES = {
  ERR_CONNECT_TIMEOUT: 'Connecting to the target (or to the tunnel server) took longer than the connect timeout.',
  ERR_PREMATURE_CLOSE: "A local stream (stdin, stdout, or a tunnel's plaintext connection) closed before its end.",
  ERR_TARGET_UNREACHABLE: 'The tunnel server could not connect to the service it forwards to; the message gives the system reason.',
  ERR_INTERRUPTED: 'A transfer was interrupted by SIGINT or SIGTERM; the peer is told so in the ABORT, not that the stream ended.',
  ERR_CONNECT_CANCELLED: 'A connection attempt was cancelled by its abort signal before it was established.',
  ERR_LISTENER_BUSY: 'A `listen` without --keep-open already serves one connection; a second one that finished its handshake at the same moment is turned away.',
  ERR_DEMO_CLAIM_FAILED: 'A claim the demo checks did not hold; the message says which.',
  ERR_WEB_TOKEN: "The web bridge refused a page's WebSocket: its token was missing or wrong (open the exact URL `connect --web` printed).",
  ERR_WEB_HOST: 'The web bridge refused a request whose Host header was not 127.0.0.1:PORT or localhost:PORT (a DNS rebinding attempt, or a proxy).',
  ERR_WEB_ORIGIN: 'The web bridge refused a WebSocket opened by a page of another origin (another site, or another local port).',
  ERR_WEB_ASSETS_MISSING: "The web page's files were not found next to the code: the package was built without `npm run build`.",
  ERR_NOT_NOISE_PEER: "The server's first bytes were text (an HTTP, SSH, SMTP or IRC server, say), not a noise handshake; the message quotes them.",
  ERR_ORIGINAL_NOT_FOUND: 'The folder given to `demo --original` does not hold server.py and client.py of the original chat room.',
  ERR_PYTHON_NOT_FOUND: 'python3, needed to run the original chat room, is not on PATH.',
  ERR_ORIGINAL_FAILED: "A process of the original chat room ended before the demo was done with it; the message shows the end of its stderr."
} as const

/** Codes of the command line (lib/cli). */
export const CLI_CODES = {
  ERR_USAGE: 'The command line was wrong: an unknown command or option, a missing or malformed value; the message quotes it and says how to fix it.'
} as const

export type SecureStreamErrorCode = keyof typeof SECURE_STREAM_CODES
export type SecureServerErrorCode = keyof typeof SECURE_SERVER_CODES
export type IdentityErrorCode = keyof typeof IDENTITY_CODES
export type CliErrorCode = keyof typeof CLI_CODES
export type ChatErrorCode = keyof typeof CHAT_CODES
export type ToolErrorCode = keyof typeof TOOL_CODES

export interface NoiseChatErrorOptions {
  cause?: unknown
}

/** Base of every noise-chat error: an Error with a stable `code`. */
export class NoiseChatError<C extends string = string> extends Error {
  readonly code: C

  constructor (code: C, message: string, options: NoiseChatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }

  override get name (): string {
    return this.constructor.name
  }
}

/** Failures of the secure stream: handshake, framing, decryption, timeouts. */
export class SecureStreamError extends NoiseChatError<SecureStreamErrorCode> {}

/** Connections a secure server turned away or dropped before their handshake finished. */
export class SecureServerError extends NoiseChatError<SecureServerErrorCode> {}

/** Failures of key files, known hosts and authorized keys. */
export class IdentityError extends NoiseChatError<IdentityErrorCode> {}

/** Failures of the chat: refused lines, nicks and commands, and why a member was disconnected. */
export class ChatError extends NoiseChatError<ChatErrorCode> {}

/** Failures of the pipe, tunnel, tap and demo that are not the secure stream's own. */
export class ToolError extends NoiseChatError<ToolErrorCode> {}

/** A wrong command line; the CLI prints the message and exits with EXIT_USAGE. */
export class UsageError extends NoiseChatError<CliErrorCode> {
  constructor (message: string) {
    super('ERR_USAGE', message)
  }
}

/** Make a secure stream error; the message defaults to the code's description. */
export function secureStreamError (code: SecureStreamErrorCode, message?: string, cause?: unknown): SecureStreamError {
  return new SecureStreamError(code, message ?? SECURE_STREAM_CODES[code], { cause })
}

/** Make a secure server error; the message defaults to the code's description. */
export function secureServerError (code: SecureServerErrorCode, message?: string): SecureServerError {
  return new SecureServerError(code, message ?? SECURE_SERVER_CODES[code])
}

/** Make an identity error. */
export function identityError (code: IdentityErrorCode, message: string, cause?: unknown): IdentityError {
  return new IdentityError(code, message, { cause })
}

/** Make a chat error; the message defaults to the code's description. */
export function chatError (code: ChatErrorCode, message?: string, cause?: unknown): ChatError {
  return new ChatError(code, message ?? CHAT_CODES[code], { cause })
}

/** Make a tool error; the message defaults to the code's description. */
export function toolError (code: ToolErrorCode, message?: string, cause?: unknown): ToolError {
  return new ToolError(code, message ?? TOOL_CODES[code], { cause })
}

/** True when `err` is a noise-chat error, with the given code if one is named. */
export function isNoiseChatError (err: unknown, code?: string): err is NoiseChatError {
  if (!(err instanceof NoiseChatError)) return false
  return code === undefined || err.code === code
}
