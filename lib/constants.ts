/**
 * Every limit and default of noise-chat, in one place. Units are in the
 * names; each value says why it is that number. Wire-format values cite
 * docs/PROTOCOL.md (the project's reading of shared/PROTOCOL.md).
 */

// ---------------------------------------------------------------------------
// Wire format (PROTOCOL.md sections 1-7): fixed by the spec, not tunable.
// ---------------------------------------------------------------------------

/** Noise protocol name; the handshake hashes it first (PROTOCOL.md 1). */
export const PROTOCOL_NAME = 'Noise_XX_25519_ChaChaPoly_BLAKE2b'

/** Default prologue: binds both peers to this application and version (PROTOCOL.md 1). */
export const DEFAULT_PROLOGUE = 'noise-chat/1'

/** Bytes of the big-endian length prefix in front of every frame (PROTOCOL.md 2). */
export const FRAME_HEADER_BYTES = 2

/** Largest frame body: what a uint16 length can say (PROTOCOL.md 2). */
export const MAX_FRAME_BODY_BYTES = 65535

/** X25519 public and secret keys are 32 bytes. */
export const KEY_BYTES = 32

/** ChaCha20-Poly1305-IETF nonce: 4 zero bytes, then the 64-bit frame counter (PROTOCOL.md 4). */
export const NONCE_BYTES = 12

/** Poly1305 tag appended to every encrypted body. */
export const TAG_BYTES = 16

/** BLAKE2b hash length: the size of the handshake hash. */
export const HASH_BYTES = 64

/** BLAKE2b's block size: HMAC pads its key to one block (RFC 2104). */
export const HASH_BLOCK_BYTES = 128

/** msg1 body: the initiator's ephemeral key alone (PROTOCOL.md 3). */
export const MSG1_BYTES = 32

/** Smallest msg2 body: e (32) + encrypted s (32 + 16) + empty payload tag (16). */
export const MSG2_MIN_BYTES = 96

/** Smallest msg3 body: encrypted s (32 + 16) + empty payload tag (16). */
export const MSG3_MIN_BYTES = 64

/** Plaintext type byte in front of every transport body (PROTOCOL.md 4). */
export const TYPE_BYTES = 1

/** Per-frame overhead on the wire: length + type + tag = 19 (PROTOCOL.md 7). */
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + TYPE_BYTES + TAG_BYTES

/** Smallest transport frame body: a type byte and a tag. */
export const MIN_TRANSPORT_BODY_BYTES = TYPE_BYTES + TAG_BYTES

/** Largest DATA payload in one frame: 65535 - 1 - 16 = 65518 (PROTOCOL.md 4). */
export const MAX_DATA_BYTES = MAX_FRAME_BODY_BYTES - TYPE_BYTES - TAG_BYTES

/** Longest ABORT reason, in bytes of UTF-8 (PROTOCOL.md 4). */
export const MAX_ABORT_REASON_BYTES = 1024

/** Frames per key: REKEY before every positive multiple of this nonce (PROTOCOL.md 5). */
export const REKEY_INTERVAL_FRAMES = 65536

/** Transport frame types (PROTOCOL.md 4). */
export const FRAME_DATA = 0x00
export const FRAME_END = 0x01
export const FRAME_PING = 0x02
export const FRAME_ABORT = 0x03

// ---------------------------------------------------------------------------
// Secure stream defaults: tunable per stream through options.
// ---------------------------------------------------------------------------

/** Handshake deadline: the spec's default; ample for a loopback or WAN RTT, short enough to shed stuck peers (PROTOCOL.md 3). */
export const HANDSHAKE_TIMEOUT_MS = 10_000

/** After sending ABORT, how long we drain the peer's bytes so closing does not reset the connection and lose the ABORT (PROTOCOL.md 3). */
export const ABORT_GRACE_MS = 2_000

/** Keep-alive off by default: a library should not add traffic the caller did not ask for (the chat turns it on). */
export const DEFAULT_KEEP_ALIVE_MS = 0

/** Idle timeout off by default, like a TCP socket; the chat and tunnel set one. */
export const DEFAULT_IDLE_TIMEOUT_MS = 0

/** Writable buffer before write() says "wait": four full frames, enough to batch small writes into full frames. */
export const STREAM_HIGH_WATER_MARK_BYTES = 4 * 65536

/** Most plaintext sealed into one socket write: 16 full frames (about 1 MiB) bounds the reused output buffer while keeping system calls few. */
export const MAX_WRITE_BATCH_BYTES = 16 * MAX_DATA_BYTES

/** Smallest batch for which a stream keeps its output buffer between batches: below it Buffer.allocUnsafe takes a slice of Node's shared pool (up to 4 KiB), as cheap as reuse, and an idle connection keeps no buffer. */
export const KEEP_OUTPUT_BUFFER_MIN_BYTES = 4096

/**
 * With the native addon, frames are sealed by it from this many plaintext bytes up, and opened by it from NATIVE_MIN_OPEN_BYTES of body up; smaller ones go to libsodium.
 * Measured per call, best of 7 (node 20, this machine): seal 512 B native 0.84 us vs libsodium 0.76, 1 KiB 0.91 vs 1.03, 4 KiB 1.62 vs 2.74, 8 KiB 2.50 vs 4.95.
 * Below it the addon's fixed cost per frame (key and nonce into the EVP context) outweighs its faster cipher.
 */
export const NATIVE_MIN_SEAL_BYTES = 1024

/** See NATIVE_MIN_SEAL_BYTES. Open (the plaintext allocated, the tag split off in JavaScript): 2 KiB native 2.02 us vs libsodium 1.82, 4 KiB 3.04 vs 3.32, 8 KiB 4.15 vs 6.28. */
export const NATIVE_MIN_OPEN_BYTES = 4096

/** Most pieces native/aead.c opens in place in one call (its MAX_IN_PLACE_PIECES): a stream's frames come in at most MAX_FRAME_PIECES; more go to the copying open. */
export const NATIVE_MAX_IN_PLACE_PIECES = 64

/** Environment variable that, set to `libsodium`, keeps the streams off the native OpenSSL addon (for comparison, or where a build misbehaves); anything else is ignored. */
export const AEAD_BACKEND_ENV = 'NOISE_CHAT_AEAD'

/**
 * Without the native addon (lib/secure/native-aead.ts), received frame bodies at least this large are decrypted by node:crypto's OpenSSL, reading each chunk they arrived in where it lies; smaller ones by libsodium (joined first when split).
 * Measured break-even, CPU per frame on this machine (node 20): whole in one chunk, 8 KiB libsodium 8.2 us vs OpenSSL 9.1, 16 KiB 12.4 vs 10.9, 64 KiB 48 vs 28;
 * split in two chunks, 8 KiB 8.5 vs 10.0, 16 KiB 14.1 vs 13.2. Below it OpenSSL's per-frame cipher object costs more than its faster decryption saves.
 */
export const OPENSSL_MIN_OPEN_BYTES = 16 * 1024

/** A received frame spanning more socket chunks than this is gathered into one buffer: bounds what a peer dribbling bytes can make us hold. */
export const MAX_FRAME_PIECES = 8

/** Reason sent in ABORT when the stream is destroyed without an error. */
export const DEFAULT_ABORT_REASON = 'stream destroyed'

// ---------------------------------------------------------------------------
// Identity and trust.
// ---------------------------------------------------------------------------

/** Folder name under $XDG_CONFIG_HOME (or ~/.config) for keys and trust files. */
export const CONFIG_DIR_NAME = 'noise-chat'

/** File name of the user's own private key, beside it NAME.pub (like ~/.ssh/id_ed25519). */
export const DEFAULT_KEY_FILE = 'id_x25519'

/** File name of the initiator's known hosts. */
export const KNOWN_HOSTS_FILE = 'known_hosts'

/** File name of the responder's authorized keys. */
export const AUTHORIZED_KEYS_FILE = 'authorized_keys'

/** Mode of a private key file: owner read/write only, as OpenSSH insists. */
export const PRIVATE_KEY_FILE_MODE = 0o600

/** Mode of folders we create for keys: owner only. */
export const CONFIG_DIR_MODE = 0o700

/** Permission bits that make a private key file unsafe to load (any group/other access). */
export const PRIVATE_KEY_FORBIDDEN_MODE_BITS = 0o077

/** Permission bits that make a trust file (authorized keys, admins, known hosts) unsafe to load: write by group or others, who could add their keys (as sshd's StrictModes). */
export const TRUST_FILE_FORBIDDEN_MODE_BITS = 0o022

/** Characters of the fingerprint's base64 in the short, display-only form: 48 bits, enough to tell members apart on screen. */
export const SHORT_FINGERPRINT_CHARS = 8

/** Largest key or trust file we read: far above any real one, so a wrong path cannot eat memory. */
export const MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024

/** Suffix of the public key file written beside a private key (like OpenSSH's id_ed25519.pub). */
export const PUBLIC_KEY_FILE_SUFFIX = '.pub'

/** Mode of a .pub file: a public key is meant to be shared. */
export const PUBLIC_KEY_FILE_MODE = 0o644

/** Mode of known_hosts when we create it: owner only, since the list of hosts you talk to is nobody else's business. */
export const TRUST_FILE_MODE = 0o600

/** First line of a private key file: names the format and its version, so any other file is refused by name. */
export const PRIVATE_KEY_FILE_MAGIC = 'noise-chat-private-key-v1'

// ---------------------------------------------------------------------------
// Command line: exit codes shared by every command (documented in docs/ERRORS.md).
// ---------------------------------------------------------------------------

/** Success; for pipe and listen also "the peer's END arrived, the transfer is complete". */
export const EXIT_OK = 0
/** Any failure without a more specific code below. */
export const EXIT_FAILURE = 1
/** Bad arguments: the message says what and how to fix it (like sysexits' EX_USAGE in spirit, 2 like most CLIs). */
export const EXIT_USAGE = 2
/** Could not connect or listen (refused, unreachable, address in use). */
export const EXIT_CONNECT_FAILED = 3
/** The server key was not the expected one: changed, unknown under --strict, pin mismatch, or declined. */
export const EXIT_HOST_KEY = 4
/** The peer refused our key (not authorized); its reason is printed. */
export const EXIT_KEY_REFUSED = 5
/** The handshake timed out or failed (wrong protocol or prologue, closed midway). */
export const EXIT_HANDSHAKE = 6
/** The stream ended without the peer's END: truncated, aborted, idle timeout or a bad frame. */
export const EXIT_STREAM_BROKEN = 7

// ---------------------------------------------------------------------------
// Chat: the room, its members and the line wire (docs/CHAT.md).
// ---------------------------------------------------------------------------

/** Default TCP port of `noise-chat server`: above 1024 so no root is needed, and no service in /etc/services claims it. */
export const DEFAULT_CHAT_PORT = 7373

/** Default listen address: all interfaces, as ssh-chat and IRC servers do; `--host 127.0.0.1` keeps it local. */
export const DEFAULT_CHAT_HOST = '::'

/** Longest line a member may send, in UTF-8 bytes without the newline: a long paragraph, never an unbounded buffer. */
export const MAX_LINE_BYTES = 1024

/** Longest line the client accepts from the server: room for a full member line plus nick, time and markers, with a wide margin. */
export const MAX_SERVER_LINE_BYTES = 16 * 1024

/** Messages replayed to a joining member by default: enough to catch up on a conversation, as ssh-chat does. */
export const DEFAULT_HISTORY_LINES = 20

/** Most history `--history` may keep: each line is at most ~1 KiB, so history stays under a few MiB. */
export const MAX_HISTORY_LINES = 1000

/** Shortest nick. */
export const NICK_MIN_CHARS = 1

/** Longest nick: fits a names column and a prompt, as in ssh-chat and classic IRC. */
export const NICK_MAX_CHARS = 16

/** Characters a nick may use: ASCII letters, digits and `_ . -`, so no nick can hide escapes, spaces or look-alike letters. */
export const NICK_PATTERN = /^[A-Za-z0-9_.-]{1,16}$/

/** Prefix of the fallback nick GuestN; members cannot pick such names themselves, so a Guest is always a fallback. */
export const GUEST_NICK_PREFIX = 'Guest'

/** Token bucket refill, lines per second: a fast typist sends about one line a second, twice that is never reached by hand. */
export const RATE_LIMIT_LINES_PER_SEC = 2

/** Token bucket size: lets a pasted paragraph of 20 lines through at once. */
export const RATE_LIMIT_BURST_LINES = 20

/** Lines refused in a row (without the bucket refilling) before a member is disconnected for flooding: one more burst's worth. */
export const FLOOD_DISCONNECT_LINES = 20

/** A member's unsent output (stream + socket buffers) past this is a reader that cannot keep up: ~2500 typical lines, and 1000 stuck members cost at most 256 MiB. */
export const MAX_OUTBOUND_BYTES = 256 * 1024

/** How long the server waits after the handshake for a first `/nick` line before joining the member under its default nick: the client sends it at once, so it normally arrives with the handshake's last flight. */
export const JOIN_NICK_WAIT_MS = 500

/** Default most simultaneous members: far above a human room; each costs a socket and at most MAX_OUTBOUND_BYTES. */
export const DEFAULT_MAX_CLIENTS = 1000

/** Chat keep-alive: a PING after 15 s of silence keeps NAT mappings and lets the peer's idle timer see us. */
export const CHAT_KEEP_ALIVE_MS = 15_000

/** Chat idle timeout: three missed keep-alives, so a vanished member leaves within 45 s. */
export const CHAT_IDLE_TIMEOUT_MS = 45_000

/** On shutdown, how long the server waits for members' END after sending its own before closing their sockets: "exit within a few seconds". */
export const CHAT_SHUTDOWN_GRACE_MS = 2_000

/** Nicks one key may hold bound at once; binding another releases its least recently used one, so a single key cannot squat the namespace. */
export const MAX_NICKS_PER_KEY = 4

/** Bound nicks the registry keeps at most: bounds the state file (about 100 bytes each, ~10 MB). */
export const MAX_BOUND_NICKS = 100_000

/** Mode of the state files (nicks, bans): they name who talks on the server, nobody else's business. */
export const STATE_FILE_MODE = 0o600

/** Mode of the state directory when the server creates it: owner only, like the files in it. */
export const STATE_DIR_MODE = 0o700

/** Longest a disconnection (kick, ban, flooding) waits for the notice queued before it to reach the socket: the notice explains the ABORT, but a member that does not read must not hold the server. */
export const ABORT_FLUSH_MS = 500

/** File name of the nick registry in the server's state directory. */
export const NICK_REGISTRY_FILE = 'nicks.json'

/** File name of the ban list in the server's state directory. */
export const BANS_FILE = 'bans.json'

/** Folder name of the server's state directory under $XDG_STATE_HOME (or ~/.local/state), where nicks and bans persist. */
export const STATE_DIR_NAME = 'noise-chat'

/** File name of the server's own key in the config folder when --key is not given. */
export const DEFAULT_SERVER_KEY_FILE = 'server_x25519'

/** Client reconnect: first wait after a lost connection. */
export const RECONNECT_INITIAL_MS = 1_000

/** Client reconnect: the wait doubles up to this, so a long outage costs one attempt a half-minute. */
export const RECONNECT_MAX_MS = 30_000

/** Client reconnect: each wait is drawn between this share of the backoff and all of it, so that the members of a node that died do not all come back at the same instant. */
export const RECONNECT_JITTER_RATIO = 0.5

/** Client: after a reconnect gave it another nick (its own is still held by its ghost on a dead server of a shared room, until the others time that server out), ask for it again this often... */
export const NICK_RECLAIM_INTERVAL_MS = 2_000

/** ...this many times: together longer than REDIS_NODE_TIMEOUT_MS, after which the ghost is gone. */
export const NICK_RECLAIM_ATTEMPTS = 10

/** Client: lines of typed input remembered for the up/down keys. */
export const INPUT_HISTORY_LINES = 100

// ---------------------------------------------------------------------------
// The web client (connect --web): a local page over one WebSocket.
// ---------------------------------------------------------------------------

/** Random bytes in the page's URL token: 256 bits, as a session key, so guessing it is hopeless. */
export const WEB_TOKEN_BYTES = 32

/** Lines the bridge keeps for a page that opens (or reloads) later: a screenful or ten, not the whole day. */
export const WEB_BACKLOG_LINES = 500

/** Largest WebSocket message the bridge accepts from a page: a typed line is at most 1 KiB; 64 KiB leaves room and refuses floods. */
export const WEB_MAX_MESSAGE_BYTES = 64 * 1024

/** Address the bridge listens on: loopback only, since whoever reaches it reads and speaks in the room. */
export const WEB_HOST = '127.0.0.1'

// ---------------------------------------------------------------------------
// A room shared by several servers through Redis (docs/SCALING.md).
// ---------------------------------------------------------------------------

/** Room name when --redis is given without --room. */
export const DEFAULT_REDIS_ROOM = 'lobby'

/** Entries a room's stream keeps (XADD MAXLEN ~, so Redis may keep a few more). An entry is one node's batch of one event-loop turn, so at least this many lines (a quiet room: one line per entry, under 1 MiB of Redis memory) and more under load, when entries fill up (at most REDIS_BATCH_MAX_BYTES each: 80 MiB if every one were full); minutes of slack either way for a node that lost Redis to resume without a gap. */
export const REDIS_STREAM_MAX_ENTRIES = 5_000

/** A batch (one stream entry) is sealed once it holds this many bytes and the next line opens another: bounds an entry, a reply and the stream's memory, while one full turn of a busy node still fits in one or two entries. */
export const REDIS_BATCH_MAX_BYTES = 16 * 1024

/** Least time between two XADDs of one node, and between two XREADs: in a busy room each command, and each write to a member, carries 10 ms of lines (a Redis round trip costs a node as much CPU as several member writes). Measured on redis-3 at 1000 msg/s, node CPU per 1000 deliveries: 5 ms 0.0136 s (p99 15 ms), 10 ms 0.0098 s (p99 22 ms), 20 ms 0.0080 s (p99 42 ms); 10 keeps most of the gain and p99 far below 100 ms. A quiet room's line goes at once. */
export const REDIS_LINGER_MS = 10

/** Entries a node asks for in one XREAD: up to 4 MiB of batches, enough to catch up after an outage in a few round trips, small enough that one reply does not stall the event loop. */
export const REDIS_READ_BATCH_ENTRIES = 256

/** XREAD BLOCK timeout: the reader wakes at least this often even in a silent room. */
export const REDIS_READ_BLOCK_MS = 5_000

/** Entries read back from the stream at start to find the history for newcomers (the history lines are among the latest entries, between joins and leaves). */
export const REDIS_HISTORY_SCAN_ENTRIES = 5_000

/** How often a node refreshes its heartbeat key and checks the others'. */
export const REDIS_HEARTBEAT_INTERVAL_MS = 2_000

/** A node whose heartbeat is older than this is taken for dead: another node announces its members as leaving. Five missed beats, so one slow GC or a loaded machine is no false alarm. */
export const REDIS_NODE_TIMEOUT_MS = 10_000

/** Longest wait between two attempts to reconnect to Redis: short, since the room refuses messages until it is back. */
export const REDIS_RECONNECT_MAX_MS = 1_000

/** Connecting to Redis at start must succeed within this, or the server exits with an error naming the URL. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000

/** On shutdown, how long a node waits for Redis to take its last entries (its members leaving) before it disconnects anyway. */
export const REDIS_CLOSE_TIMEOUT_MS = 2_000

// ---------------------------------------------------------------------------
// Tools: pipe, listen, tunnel, tap and demo.
// ---------------------------------------------------------------------------

/** Most connections a tunnel end (or `listen --keep-open`) serves at once: spiped's default, and a bound on sockets and buffers under a connection flood. */
export const TOOL_MAX_CONNECTIONS = 100

/** Connecting to a target or a tunnel server must succeed within this: the handshake's own bound, so a stuck target cannot hold a slot for minutes. */
export const TOOL_CONNECT_TIMEOUT_MS = 10_000

/** On SIGTERM a tunnel end stops accepting and lets open connections finish this long, then cuts them: well under systemd's 90 s stop timeout. */
export const TUNNEL_DRAIN_TIMEOUT_MS = 30_000

/** Listen host of `listen` given only a port: it authenticates and serves one transfer the user is watching, so it may face the network, as nc -l does. */
export const SECURE_LISTEN_HOST = '0.0.0.0'

/** Listen host of the tunnel server given only a port: this machine only. A tunnel server hands whoever passes its key check a connection to the service behind it, and without --authorized-keys any key passes; facing the network is a decision, written out as --listen 0.0.0.0:PORT (spiped, too, has no default address). */
export const TUNNEL_SERVER_LISTEN_HOST = '127.0.0.1'

/** Listen host of the plaintext ends (tunnel client, tap) given only a port: plaintext must not leave the machine unless asked. */
export const PLAINTEXT_LISTEN_HOST = '127.0.0.1'

/** A joining member is told the nicks present up to this many members; past it only their number (one line, not a screenful). */
export const NAMES_ON_JOIN_MAX = 50

/** Longest the demo waits for any one step on 127.0.0.1: far above what loopback needs, so only a broken step hits it, and the demo fails instead of hanging. */
export const DEMO_STEP_TIMEOUT_MS = 10_000

/** The interpreter `demo --original` runs the original chat room with (a Python 3 program), looked up on PATH. */
export const PYTHON_COMMAND = 'python3'

/** Output of one process of the original kept by `demo --original`: a screenful or two is all it prints, but its client, once its server is gone, prints empty lines without end. */
export const ORIGINAL_OUTPUT_MAX_CHARS = 64 * 1024

/** How often `demo --original` looks at the original server's thread count (a thread's start gives no event): often enough to add no visible wait, rarely enough to cost nothing. */
export const ORIGINAL_POLL_MS = 10

// ---------------------------------------------------------------------------
// Under attack: what connections that never finish may hold (docs/RELIABILITY.md).
// ---------------------------------------------------------------------------

/** Handshakes in progress at once, in all: each holds a socket and at most one frame (64 KiB), so a crowd of stalled ones costs under 10 MiB; past it the oldest is dropped. */
export const MAX_PENDING_HANDSHAKES = 128

/** Handshakes in progress at once from one address (IPv6: one /64): a host reconnecting after a restart needs a few; an attacker holding hundreds gets only this many. */
export const MAX_PENDING_HANDSHAKES_PER_ADDRESS = 16

/** Connections (handshaking or open) a secure server holds at once by default: a bound on sockets and buffers for library users who set none (each costs a socket and at most a frame or two of buffers). */
export const SECURE_SERVER_MAX_CONNECTIONS = 1000

/** Refusals of one kind (one code) are logged at most once per this interval, the others counted into one summary line at its end: a flood of a thousand a second becomes a line every 10 s, while a rare refusal is still logged at once and in full. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000

/** Default most members from one address (an IPv6 /64): ngircd's MaxConnectionsIP is 5 too; a household or small office behind one NAT fits, while one host cannot take the room. Not applied to loopback addresses unless --max-clients-per-address is given, since a peer there is this machine's own user or a local proxy (stunnel, Tor) that carries many people under one address. 0 = no limit. */
export const DEFAULT_MAX_CLIENTS_PER_ADDRESS = 5

/** Default most connections a tunnel server (or listen --keep-open) holds from one address (IPv6: one /64): half the slots, so one address never holds all of them, while a tunnel client, which carries all its application's connections from one address, still gets many. 0 = no limit. */
export const TOOL_MAX_CONNECTIONS_PER_ADDRESS = TOOL_MAX_CONNECTIONS / 2

/** Tunnel keep-alive: both ends PING after 15 s of silence, as the chat does, so an idle tunnelled connection is never taken for a dead one. */
export const TUNNEL_KEEP_ALIVE_MS = 15_000

/** Tunnel idle timeout: three missed keep-alives; a peer that vanished, or that sent half a frame and stopped, frees its slot (and its connection to the service) within 45 s. */
export const TUNNEL_IDLE_TIMEOUT_MS = 45_000

/** Largest state file (nicks, bans) the server reads: MAX_BOUND_NICKS bindings of at most ~200 bytes of JSON each, with room to spare. (The trust files' 4 MiB held only ~28,000 nicks: a busy server wrote a registry it then refused to load.) */
export const MAX_STATE_FILE_BYTES = 32 * 1024 * 1024

/** The nick registry is written at most this often; bindings made in between go out in the next write. Serialising it costs time in its size (40 ms at 28,000 nicks), so writing it on every join let a stream of fresh keys pin the CPU. A crash loses at most the last second's bindings. */
export const STATE_SAVE_INTERVAL_MS = 1_000

// ---------------------------------------------------------------------------
// What a new user meets (issue 13): the server's human log, pacing, history.
// ---------------------------------------------------------------------------

/** The chat server prints at most this many human event lines on stderr per SERVER_EVENT_LINES_INTERVAL_MS: a person can read that many, and an attack of thousands of refusals a second cannot flood the terminal (or a journal) with them. */
export const SERVER_EVENT_LINES_PER_INTERVAL = 20

/** The interval of SERVER_EVENT_LINES_PER_INTERVAL; past the limit one line says how many more events there were (all of them are in --log). */
export const SERVER_EVENT_LINES_INTERVAL_MS = 10_000

/** A pacing client keeps this much of the server's rate in hand (sends at 90 % of it): its clock and the server's drift a little, and a line the server refuses is lost. */
export const PACE_RATE_FRACTION = 0.9

/** A pacing client leaves this many milliseconds' worth of the server's rate unused in the burst: lines delayed on the way and then delivered together (TCP, a busy server) must still fit in the server's bucket. */
export const PACE_JITTER_ALLOWANCE_MS = 500

/** Lines a piped client queues while pacing itself before it stops reading stdin (backpressure, not memory, holds a large file). */
export const PACE_QUEUE_MAX_LINES = 256

/** The room's history is written to the state directory at most this often: a restart loses at most this much of what was said. */
export const HISTORY_SAVE_INTERVAL_MS = 1_000

/** History file in the server's state directory. */
export const HISTORY_FILE = 'history.json'
