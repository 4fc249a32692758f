import { UsageError } from '../errors.js'

/** A TCP endpoint as given on the command line. */
export interface HostPort {
  host: string
  port: number
}

/**
 * Parse `HOST:PORT` (a target to connect to). IPv6 hosts go in brackets:
 * `[::1]:7000`. Port 0 is refused: there is nothing to connect to there.
 */
export function parseTarget (text: string, what = 'target'): HostPort {
  const parsed = splitHostPort(text, what)
  if (parsed.host === undefined) {
    throw new UsageError(`${what} '${text}' needs a host and a port, like 127.0.0.1:7000 or [::1]:7000`)
  }
  const port = parsePort(parsed.port, text, what)
  if (port === 0) throw new UsageError(`${what} '${text}' has port 0; give the port to connect to`)
  return { host: parsed.host, port }
}

/**
 * Parse `[HOST:]PORT` (an address to listen on). Without a host the
 * default is used (callers pass 127.0.0.1 or 0.0.0.0 as they document).
 * Port 0 asks the system for a free port.
 */
export function parseListen (text: string, defaultHost: string, what = 'listen address'): HostPort {
  const parsed = splitHostPort(text, what)
  return { host: parsed.host ?? defaultHost, port: parsePort(parsed.port, text, what) }
}

/** `host:port` for display, with IPv6 hosts in brackets. */
export function formatHostPort (address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`
}

function splitHostPort (text: string, what: string): { host: string | undefined, port: string } {
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(text)
  if (bracketed !== null) return { host: bracketed[1]!, port: bracketed[2]! }
  const colon = text.lastIndexOf(':')
  if (colon === -1) return { host: undefined, port: text }
  const host = text.slice(0, colon)
  if (host.includes(':')) {
    throw new UsageError(`${what} '${text}': put an IPv6 host in brackets, like [::1]:7000`)
  }
  if (host === '') throw new UsageError(`${what} '${text}' has an empty host before ':'`)
  return { host, port: text.slice(colon + 1) }
}

function parsePort (port: string, text: string, what: string): number {
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
    throw new UsageError(`${what} '${text}' has no valid port (a number from 0 to 65535 after the last ':')`)
  }
  return Number(port)
}
