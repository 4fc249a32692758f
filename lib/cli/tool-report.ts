import type { Socket } from 'node:net'
import type { HostPort } from './address.js'
import { plainSystemMessage } from './system-error.js'

/**
 * One line about why a connection failed, for the logs of listen and
 * tunnel: the message and its code; for a key we rejected, the reason our
 * verifier gave (its message is already written for people).
 */
export function describeFailure (err: Error): string {
  const code = codeOf(err)
  const cause = (err as { cause?: unknown }).cause
  if (code === 'ERR_REMOTE_KEY_REJECTED' && cause instanceof Error) {
    const causeCode = codeOf(cause)
    return `${firstLine(cause.message)} (${causeCode === '' ? code : causeCode})`
  }
  // The initiator checks our key after msg2 and, if it does not trust it, just closes: that lands here.
  const hint = code === 'ERR_HANDSHAKE_INCOMPLETE' ? '; a client that does not trust this key closes at this point' : ''
  const message = plainSystemMessage(err) ?? firstLine(err.message)
  return code === '' ? message : `${message}${hint} (${code})`
}

/** The remote end of a socket, for logs. */
export function remoteOf (socket: Socket): HostPort {
  return { host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 }
}

function codeOf (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}

function firstLine (text: string): string {
  const i = text.indexOf('\n')
  return i === -1 ? text : text.slice(0, i)
}
