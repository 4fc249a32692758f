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

/** Poly1305 tag appended to every encrypted body. */
export const TAG_BYTES = 16

/** BLAKE2b hash length: the size of the handshake hash. */
export const HASH_BYTES = 64

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

/** Most plaintext sealed into one socket write: bounds the copy a huge write() costs while keeping syscalls few. */
export const MAX_WRITE_BATCH_BYTES = 16 * MAX_DATA_BYTES

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

/** Characters of the fingerprint's base64 in the short, display-only form: 48 bits, enough to tell members apart on screen. */
export const SHORT_FINGERPRINT_CHARS = 8

/** Largest key or trust file we read: far above any real one, so a wrong path cannot eat memory. */
export const MAX_TRUST_FILE_BYTES = 4 * 1024 * 1024

// ---------------------------------------------------------------------------
// Command line: exit codes shared by every command (documented in the README).
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
