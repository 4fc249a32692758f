/**
 * Node's system errors ("connect ECONNREFUSED 127.0.0.1:7000", "listen
 * EADDRINUSE: address already in use :::7373") as one plain sentence, so
 * every command words a failure the same way. The code stays on the error
 * (and so the exit code and the "(ECONNREFUSED)" suffix).
 */

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved right now',
  ETIMEDOUT: 'timed out',
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'the address is not on this machine',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device'
}

/** What a file system call was doing, for "cannot VERB 'PATH'". */
const FILE_VERBS: Record<string, string> = {
  mkdir: 'create the folder',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'rename',
  unlink: 'remove',
  chmod: 'change the mode of',
  stat: 'look at',
  lstat: 'look at',
  access: 'use'
}

interface SystemError extends Error {
  code: string
  syscall: string
  address?: string
  port?: number
  hostname?: string
  path?: string
}

/** The plain sentence for a Node system error from connect, listen, a name lookup or a file; undefined for anything else. */
export function plainSystemMessage (err: unknown): string | undefined {
  if (!isSystemError(err)) return undefined
  const reason = REASONS[err.code]
  if (reason === undefined) return undefined
  if (typeof err.path === 'string') return `cannot ${FILE_VERBS[err.syscall] ?? err.syscall} '${err.path}': ${reason}`
  const where = err.address === undefined ? err.hostname : hostPort(err.address, err.port)
  if (where === undefined) return undefined
  if (err.syscall === 'connect') return connectSentence(where, reason)
  if (err.syscall === 'listen' || err.syscall === 'bind') return `could not listen on ${where}: ${reason}`
  if (err.syscall === 'getaddrinfo') return `could not look up '${where}': ${reason}`
  return undefined
}

/**
 * The same sentence for any socket failure of a connection to `where`, as
 * the user named it (a host name, not the address it resolved to), also
 * when the failure came after connect (a reset in the handshake) or in
 * the name lookup; undefined for anything else.
 */
export function plainConnectMessage (err: unknown, where: string): string | undefined {
  if (!isSystemError(err) || typeof err.path === 'string') return undefined
  const reason = REASONS[err.code]
  return reason === undefined ? undefined : connectSentence(where, reason)
}

function connectSentence (where: string, reason: string): string {
  return `could not connect to ${where}: ${reason}`
}

function isSystemError (err: unknown): err is SystemError {
  if (!(err instanceof Error)) return false
  const e = err as Partial<SystemError>
  return typeof e.code === 'string' && typeof e.syscall === 'string'
}

function hostPort (address: string, port: number | undefined): string {
  const host = address.includes(':') ? `[${address}]` : address
  return port === undefined ? host : `${host}:${port}`
}
