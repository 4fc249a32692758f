/**
 * Source addresses for attackers. Every connection goes to 127.0.0.1, but
 * on Linux the whole of 127.0.0.0/8 is this machine, so an attacker can
 * come from 127.0.0.2, 127.0.0.3, ... while the legitimate client comes
 * from 127.0.0.1: that is how a per-address limit is seen to work. Where
 * only 127.0.0.1 exists (macOS without aliases), every attacker shares it.
 */
import net from 'node:net'

let checked: boolean | undefined

/** True when sockets can bind 127.0.0.2 (the rest of 127.0.0.0/8 then works too). */
export async function manyLoopbackAddresses (): Promise<boolean> {
  if (checked !== undefined) return checked
  checked = await new Promise<boolean>((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(0, '127.0.0.2', () => server.close(() => resolve(true)))
  })
  return checked
}

/** `count` attacker source addresses, 127.0.0.2 upwards (never 127.0.0.1, the legitimate client's), or ['127.0.0.1'] where only it exists. */
export async function attackerAddresses (count: number, first = 2): Promise<string[]> {
  if (!(await manyLoopbackAddresses())) return ['127.0.0.1']
  return Array.from({ length: count }, (_, i) => loopback(first + i))
}

/** Address number `i` of 127.0.0.0/8: 1 is 127.0.0.1, 2 is 127.0.0.2, 256 is 127.0.1.0. */
export function loopback (i: number): string {
  return `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
}
