import {
  EXIT_CONNECT_FAILED, EXIT_FAILURE, EXIT_HANDSHAKE, EXIT_HOST_KEY,
  EXIT_KEY_REFUSED, EXIT_STREAM_BROKEN, EXIT_USAGE
} from '../constants.js'

/** Error code -> exit code: every command maps failures the same way. */
const EXIT_BY_CODE: Record<string, number> = {
  ERR_USAGE: EXIT_USAGE,
  ECONNREFUSED: EXIT_CONNECT_FAILED,
  ECONNRESET: EXIT_CONNECT_FAILED,
  EHOSTUNREACH: EXIT_CONNECT_FAILED,
  ENETUNREACH: EXIT_CONNECT_FAILED,
  ENOTFOUND: EXIT_CONNECT_FAILED,
  EADDRINUSE: EXIT_CONNECT_FAILED,
  EADDRNOTAVAIL: EXIT_CONNECT_FAILED,
  ETIMEDOUT: EXIT_CONNECT_FAILED,
  ERR_CONNECT_TIMEOUT: EXIT_CONNECT_FAILED,
  EACCES: EXIT_FAILURE,
  ERR_HOST_KEY_CHANGED: EXIT_HOST_KEY,
  ERR_HOST_KEY_UNKNOWN: EXIT_HOST_KEY,
  ERR_HOST_KEY_MISMATCH: EXIT_HOST_KEY,
  ERR_HOST_KEY_DECLINED: EXIT_HOST_KEY,
  ERR_PEER_KEY_IS_OURS: EXIT_HOST_KEY,
  ERR_LOCAL_KEY_REJECTED: EXIT_KEY_REFUSED,
  ERR_HANDSHAKE_TIMEOUT: EXIT_HANDSHAKE,
  ERR_HANDSHAKE_FAILED: EXIT_HANDSHAKE,
  ERR_HANDSHAKE_INCOMPLETE: EXIT_HANDSHAKE,
  ERR_NOT_NOISE_PEER: EXIT_HANDSHAKE,
  ERR_TRUNCATED: EXIT_STREAM_BROKEN,
  ERR_PEER_ABORTED: EXIT_STREAM_BROKEN,
  ERR_BAD_FRAME: EXIT_STREAM_BROKEN,
  ERR_UNEXPECTED_FRAME: EXIT_STREAM_BROKEN,
  ERR_DECRYPT_FAILED: EXIT_STREAM_BROKEN,
  ERR_IDLE_TIMEOUT: EXIT_STREAM_BROKEN,
  ERR_NONCE_EXHAUSTED: EXIT_STREAM_BROKEN
}

/**
 * The exit code for an error. A rejected remote key is reported by the
 * cause's code when there is one (a changed host key is a host key problem,
 * whatever layer noticed it).
 */
export function exitCodeFor (err: unknown): number {
  const code = codeOf(err)
  if (code === 'ERR_REMOTE_KEY_REJECTED') return EXIT_BY_CODE[reportedCode(err)] ?? EXIT_HOST_KEY
  return EXIT_BY_CODE[code] ?? EXIT_FAILURE
}

/**
 * The code to show the user for an error: its own, except that a rejected
 * remote key (ERR_REMOTE_KEY_REJECTED, the secure stream's code for "our
 * verify said no") shows the code of the decision that said no
 * (ERR_HOST_KEY_CHANGED, ERR_HOST_KEY_UNKNOWN, ...), carried as its cause.
 */
export function reportedCode (err: unknown): string {
  const code = codeOf(err)
  if (code !== 'ERR_REMOTE_KEY_REJECTED') return code
  return codeOf((err as { cause?: unknown }).cause) || code
}

function codeOf (err: unknown): string {
  if (err === null || typeof err !== 'object') return ''
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : ''
}
