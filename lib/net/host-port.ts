import { isIPv6 } from 'node:net'
import { UsageError } from '../errors.js'

/*
 * Host and port as text, the one grammar of the command line, known_hosts
 * and every message: `example.org:7777`, `127.0.0.1:7777`, `[::1]:7777`
 * (brackets around an IPv6 address, as in URLs). Hosts are compared after
 * normalizeHost, so `EXAMPLE.org` and `example.org`, or `[::0001]` and
 * `[::1]`, are one host.
 */

/** A TCP endpoint: where to connect, where to listen, where a peer came from. */
export interface HostPort {
  host: string
  port: number
}

/** A host with or without a port (a known_hosts entry, or `forget HOST` for every port). */
export interface HostMaybePort {
  host: string
  port: number | undefined
}

const HOST_NAME = /^[A-Za-z0-9_.-]+$/

/** Lower-case a host name; write an IPv6 address in its canonical short form; drop brackets. */
export function normalizeHost (host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (isIPv6(bare)) {
    try {
      return new URL(`http://[${bare}]/`).hostname.slice(1, -1)
    } catch {
      return bare.toLowerCase() // zone ids (fe80::1%eth0) are not URL hosts; keep them as written
    }
  }
  return bare.toLowerCase()
}

/** `host:port`, the host normalised and in brackets when it is IPv6. Takes an endpoint, or a host and a port. */
export function formatHostPort (address: HostPort): string
export function formatHostPort (host: string, port: number): string
export function formatHostPort (address: HostPort | string, port?: number): string {
  const endpoint = typeof address === 'string' ? { host: address, port: port! } : address
  return `${formatHost(endpoint.host)}:${endpoint.port}`
}

/** `host` alone, bracketed when it is IPv6 (how forget and messages show a host without a port). */
export function formatHost (host: string): string {
  const h = normalizeHost(host)
  return h.includes(':') ? `[${h}]` : h
}

/** True for an address of this machine's loopback interface: 127.0.0.0/8, ::1, and 127.x written IPv4-mapped. */
export function isLoopback (address: string): boolean {
  const v4 = /^(?:::ffff:)?(\d+)\.\d+\.\d+\.\d+$/i.exec(address)
  if (v4 !== null) return v4[1] === '127'
  return isIPv6(address) && normalizeHost(address) === '::1'
}

/**
 * Parse `HOST`, `HOST:PORT`, `[IPV6]`, `[IPV6]:PORT` or a bare IPv6
 * address (several colons, no brackets: all host, no port), as known_hosts
 * and `forget` write them. The host is normalised. Throws a UsageError
 * quoting the text and saying what form is expected; callers that read
 * files rewrap it with the file and line.
 */
export function parseHostPort (text: string): HostMaybePort {
  const input = text.trim()
  const bad = (why: string): UsageError => new UsageError(`'${text}' is not HOST, HOST:PORT or [IPV6]:PORT: ${why}`)
  let hostPart: string
  let portPart: string | undefined
  if (input.startsWith('[')) {
    const close = input.indexOf(']')
    if (close === -1) throw bad('an opening [ without its ]')
    hostPart = input.slice(1, close)
    const rest = input.slice(close + 1)
    if (rest !== '' && !rest.startsWith(':')) throw bad(`unexpected '${rest}' after ]`)
    portPart = rest === '' ? undefined : rest.slice(1)
    if (!isIPv6(hostPart)) throw bad(`'${hostPart}' inside [ ] is not an IPv6 address`)
  } else if (input.indexOf(':') !== input.lastIndexOf(':')) {
    if (!isIPv6(input)) throw bad('several colons but not an IPv6 address (write IPv6 with a port as [ADDRESS]:PORT)')
    hostPart = input
  } else {
    const colon = input.indexOf(':')
    hostPart = colon === -1 ? input : input.slice(0, colon)
    portPart = colon === -1 ? undefined : input.slice(colon + 1)
    if (!HOST_NAME.test(hostPart)) throw bad(hostPart === '' ? 'no host' : `'${hostPart}' is not a host name or address`)
  }
  return { host: normalizeHost(hostPart), port: portPart === undefined ? undefined : parsePort(portPart, text) }
}

/** Parse a TCP port: decimal digits, 1..65535. */
export function parsePort (text: string, whole: string = text): number {
  const port = portNumber(text)
  if (port === undefined || port === 0) throw new UsageError(`'${whole}' is not HOST, HOST:PORT or [IPV6]:PORT: port '${text}' is not a number from 1 to 65535`)
  return port
}

/**
 * Parse `HOST:PORT` (a target to connect to). IPv6 hosts go in brackets:
 * `[::1]:7000`. Port 0 is refused: there is nothing to connect to there.
 * `what` names the option in the error (`--to`).
 */
export function parseTarget (text: string, what = 'target'): HostPort {
  const parsed = splitCommandLine(text, what)
  if (parsed.host === undefined) {
    throw new UsageError(`${what} '${text}' needs a host and a port, like 127.0.0.1:7000 or [::1]:7000`)
  }
  const port = commandLinePort(parsed.port, text, what)
  if (port === 0) throw new UsageError(`${what} '${text}' has port 0; give the port to connect to`)
  return { host: normalizeHost(parsed.host), port }
}

/**
 * Parse `[HOST:]PORT` (an address to listen on). Without a host the
 * default is used (callers pass 127.0.0.1 or 0.0.0.0 as they document).
 * Port 0 asks the system for a free port.
 */
export function parseListen (text: string, defaultHost: string, what = 'listen address'): HostPort {
  const parsed = splitCommandLine(text, what)
  return { host: parsed.host === undefined ? defaultHost : normalizeHost(parsed.host), port: commandLinePort(parsed.port, text, what) }
}

/** The command line's forms: `PORT`, `HOST:PORT`, `[IPV6]:PORT` (a bare IPv6 address would be ambiguous with a port). */
function splitCommandLine (text: string, what: string): { host: string | undefined, port: string } {
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(text)
  if (bracketed !== null) {
    if (!isIPv6(bracketed[1]!)) throw new UsageError(`${what} '${text}': '${bracketed[1]!}' inside [ ] is not an IPv6 address`)
    return { host: bracketed[1]!, port: bracketed[2]! }
  }
  const colon = text.lastIndexOf(':')
  if (colon === -1) return { host: undefined, port: text }
  const host = text.slice(0, colon)
  if (host.includes(':')) throw new UsageError(`${what} '${text}': put an IPv6 host in brackets, like [::1]:7000`)
  if (host === '') throw new UsageError(`${what} '${text}' has an empty host before ':'`)
  if (!HOST_NAME.test(host)) throw new UsageError(`${what} '${text}': '${host}' is not a host name or address`)
  return { host, port: text.slice(colon + 1) }
}

function commandLinePort (port: string, text: string, what: string): number {
  const n = portNumber(port)
  if (n === undefined) throw new UsageError(`${what} '${text}' has no valid port (a number from 0 to 65535 after the last ':')`)
  return n
}

/** Decimal digits 0..65535, or undefined. */
function portNumber (text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined
  const n = Number(text)
  return n <= 65535 ? n : undefined
}
