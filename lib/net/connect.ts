import net from 'node:net'
import { toolError } from '../errors.js'
import { formatHostPort, type HostPort } from './host-port.js'

/**
 * Open a TCP connection, failing with ERR_CONNECT_TIMEOUT if it is not
 * established within `timeoutMs` (0 waits as long as the OS does). The
 * socket allows half-open connections, so each direction can end on its
 * own (the pipe and the tunnel pass a half-close on). Errors keep Node's
 * codes (ECONNREFUSED, ...), which the CLI maps to exit codes.
 */
export function connectTcp (target: HostPort, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true })
    const timer = timeoutMs > 0
      ? setTimeout(() => fail(toolError('ERR_CONNECT_TIMEOUT', `could not connect to ${formatHostPort(target)} within ${timeoutMs} ms`)), timeoutMs)
      : null
    const onAbort = (): void => fail(signal?.reason instanceof Error ? signal.reason : toolError('ERR_CONNECT_CANCELLED', 'connect cancelled'))
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
