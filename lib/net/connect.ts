import net from 'node:net'
import { toolError } from '../errors.js'

/** Where to connect. */
export interface Endpoint {
  host: string
  port: number
}

/**
 * Open a TCP connection, failing with ERR_CONNECT_TIMEOUT if it is not
 * established within `timeoutMs` (0 waits as long as the OS does). The
 * socket allows half-open connections, so each direction can end on its
 * own (the pipe and the tunnel pass a half-close on). Errors keep Node's
 * codes (ECONNREFUSED, ...), which the CLI maps to exit codes.
 */
export function connectTcp (target: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true })
    const timer = timeoutMs > 0
      ? setTimeout(() => fail(toolError('ERR_CONNECT_TIMEOUT', `could not connect to ${formatEndpoint(target)} within ${timeoutMs} ms`)), timeoutMs)
      : null
    const onAbort = (): void => fail(signal?.reason instanceof Error ? signal.reason : new Error('connect cancelled'))
    signal?.addEventListener('abort', onAbort, { once: true })
    const cleanup = (): void => {
      if (timer !== null) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      socket.removeListener('error', fail)
      socket.removeListener('connect', onConnect)
    }
    function fail (err: Error): void {
      cleanup()
      socket.destroy()
      reject(err)
    }
    function onConnect (): void {
      cleanup()
      resolve(socket)
    }
    socket.once('error', fail)
    socket.once('connect', onConnect)
    if (signal?.aborted === true) onAbort()
  })
}

/** `host:port`, IPv6 in brackets. */
export function formatEndpoint (endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`
}
