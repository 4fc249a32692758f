/**
 * Valid chat traffic to mutate: what members type (commands of every kind,
 * plain text, escapes and controls the sanitizer must remove, multi-byte
 * UTF-8, CRLF), and the tokens worth splicing into it.
 */

/** Lines a member might send, one script per member style. */
export const CHAT_SCRIPTS: readonly string[] = [
  '/nick alice\nhello everyone\n/me waves\n/msg bob hi bob\n/reply thanks\n/names\n/whois bob\n/away lunch\n/back\n/help\n',
  '/nick bob\r\nhi alice\r\n/msg alice psst\r\n/away\r\n/quit see you\r\n',
  '/nick op\n/kick bob flooding\n/ban carol 2h spam\n/unban carol\n/mute alice\n/mute alice\n/motd welcome to the room\n/motd\n',
  'no nick first\n//slash at the start\n/NICK Carol\n/unknown command here\n/msg\n/kick\n/ban\n/whois nobody\n',
  'caf\u00e9 \u{1F600} \u65e5\u672c\u8a9e\n\x1b[31mred\x1b[0m text\n\x1b]0;title\x07after\n\u009b2Jclear\n\u202eevil\u202c\n\ttabbed\t\n',
  '/nick Guest1\n/nick this-nick-is-far-too-long\n/nick bad nick\n/nick ok_nick.2\n/ban AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= 30m\n/unban SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n',
  '/me\n/reply\n/msg nobody text\n/away   spaced   reason  \n   \n\n/quit\n'
]

/** Tokens the mutator inserts: command words, escapes, controls, broken UTF-8, newlines. */
export const CHAT_TOKENS: readonly Buffer[] = [
  '/', '//', '/nick ', '/msg ', '/me ', '/ban ', '/kick ', '/unban ', '/mute ', '/motd ', '/whois ', '/quit', '/names', '/help',
  '\n', '\r\n', '\r', '\t', ' ', '\x00', '\x7f', '\x1b', '\x1b[', '\x1b[2J', '\x1b]8;;http://x\x07', '\x1bP', '\x1b\\', '\x07',
  '\u0085', '\u009b', '\u009d', '\u009c', '\u200e', '\u202e', '\u2028', '\u2066', '\u061c', '\ufeff',
  'alice', 'bob', 'op', 'Guest1', '30m', '7d', '999999w', 'SHA256:', '='
].map((t) => Buffer.from(t)).concat([
  Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x80]), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.from([0x80, 0x80]),
  Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf])
])
