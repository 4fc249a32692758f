/**
 * A port free on 127.0.0.1 right now, for a program that must be given
 * its port (redis-server, ngircd) rather than report the one it bound:
 * taken from the kernel (port 0), read and released.
 */
import { once } from 'node:events'
import net from 'node:net'

/** A TCP port nothing listens on at this moment on 127.0.0.1. */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  server.close()
  await once(server, 'close')
  return port
}
