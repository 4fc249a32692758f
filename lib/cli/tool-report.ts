import type { Socket } from 'node:net'
import { REFUSAL_LOG_INTERVAL_MS } from '../constants.js'
import { formatHostPort, type HostPort } from '../net/host-port.js'
import { RefusalLog } from '../secure/refusal-log.js'
import type { AcceptFailure } from '../secure/server.js'
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

/**
 * The refusal lines of listen and tunnel server, rate-limited per code:
 * `refused HOST:PORT: reason (CODE)` as they happen, and under a flood one
 * `refused N more like this in the last 10 s, the last from HOST:PORT: ...`
 * per code and interval. Call flush() on the way out.
 */
export function refusalLogger (write: (line: string) => void): { add: (failure: AcceptFailure) => void, flush: () => void } {
  const log = new RefusalLog<AcceptFailure>(REFUSAL_LOG_INTERVAL_MS, (f, count) => {
    const from = formatHostPort(f.remote)
    write(count === 1
      ? `refused ${from}: ${describeFailure(f.error)}`
      : `refused ${count} more like this in the last ${REFUSAL_LOG_INTERVAL_MS / 1000} s, the last from ${from}: ${describeFailure(f.error)}`)
  })
  return { add: (f) => log.add(codeOf(f.error) || 'error', f), flush: () => log.flush() }
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
