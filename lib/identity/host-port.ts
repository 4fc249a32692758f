import { isIPv6 } from 'node:net'
import { UsageError } from '../errors.js'

/**
 * Host and port as text, the way known_hosts and the command line write
 * them: `example.org:7777`, `127.0.0.1:7777`, `[::1]:7777` (brackets
 * around an IPv6 address, as in URLs). Hosts are compared after
 * normalizeHost, so `EXAMPLE.org` and `example.org`, or `[::0001]` and
 * `[::1]`, are one host.
 */

/** A host with an optional port. */
export interface HostPort {
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

/** `host:port`, with brackets around an IPv6 address. */
export function formatHostPort (host: string, port: number): string {
  const h = normalizeHost(host)
  return (h.includes(':') ? `[${h}]` : h) + ':' + port
}

/** `host` alone, bracketed when it is IPv6 (how forget and messages show a host without a port). */
export function formatHost (host: string): string {
  const h = normalizeHost(host)
  return h.includes(':') ? `[${h}]` : h
}

/**
 * Parse `HOST`, `HOST:PORT`, `[IPV6]`, `[IPV6]:PORT` or a bare IPv6
 * address (several colons, no brackets: all host, no port). The host is
 * normalised. Throws a UsageError quoting the text and saying what form is
 * expected; callers that read files rewrap it with the file and line.
 */
export function parseHostPort (text: string): HostPort {
  const input = text.trim()
  let hostPart: string
  let portPart: string | undefined
  if (input.startsWith('[')) {
    const close = input.indexOf(']')
    if (close === -1) throw bad(text, 'an opening [ without its ]')
    hostPart = input.slice(1, close)
    const rest = input.slice(close + 1)
    if (rest !== '' && !rest.startsWith(':')) throw bad(text, `unexpected '${rest}' after ]`)
    portPart = rest === '' ? undefined : rest.slice(1)
    if (!isIPv6(hostPart)) throw bad(text, `'${hostPart}' inside [ ] is not an IPv6 address`)
  } else if (input.indexOf(':') !== input.lastIndexOf(':')) {
    if (!isIPv6(input)) throw bad(text, 'several colons but not an IPv6 address (write IPv6 with a port as [ADDRESS]:PORT)')
    hostPart = input
  } else {
    const colon = input.indexOf(':')
    hostPart = colon === -1 ? input : input.slice(0, colon)
    portPart = colon === -1 ? undefined : input.slice(colon + 1)
    if (!HOST_NAME.test(hostPart)) throw bad(text, hostPart === '' ? 'no host' : `'${hostPart}' is not a host name or address`)
  }
  return { host: normalizeHost(hostPart), port: portPart === undefined ? undefined : parsePort(portPart, text) }
}

/** Parse a TCP port: decimal digits, 1..65535. */
export function parsePort (text: string, whole: string = text): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN
  if (!(port >= 1 && port <= 65535)) throw bad(whole, `port '${text}' is not a number from 1 to 65535`)
  return port
}

function bad (text: string, why: string): UsageError {
  return new UsageError(`'${text}' is not HOST, HOST:PORT or [IPV6]:PORT: ${why}`)
}
