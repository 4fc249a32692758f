import { Redis, type RedisOptions } from 'ioredis'
import { REDIS_CONNECT_TIMEOUT_MS } from '../constants.js'
import { chatError } from '../errors.js'

/** Room names: they become part of Redis key names, so a plain, short set of characters. */
const ROOM_NAME = /^[A-Za-z0-9_.-]{1,64}$/

/** A checked `--redis` URL: what to give the client, and how to show it (without its password). */
export interface RedisAddress {
  url: string
  /** The URL with any password replaced by `***`: for messages and logs. */
  shown: string
}

/** Check `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (or `rediss://`); throws ERR_REDIS_URL_INVALID. */
export function parseRedisUrl (text: string): RedisAddress {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw chatError('ERR_REDIS_URL_INVALID', `--redis '${redact(text)}' is not a URL; use redis://HOST:PORT[/DB], like redis://127.0.0.1:6379/0`)
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw chatError('ERR_REDIS_URL_INVALID', `--redis '${redact(text)}' must start with redis:// (or rediss:// for TLS)`)
  }
  if (url.hostname === '') throw chatError('ERR_REDIS_URL_INVALID', `--redis '${redact(text)}' names no host`)
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d{1,2}$/.test(url.pathname)) {
    throw chatError('ERR_REDIS_URL_INVALID', `--redis '${redact(text)}': the path must be a database number, like /0`)
  }
  return { url: text, shown: redact(text) }
}

/** Check a `--room` name; throws ERR_REDIS_URL_INVALID. */
export function checkRoomName (name: string): string {
  if (!ROOM_NAME.test(name)) throw chatError('ERR_REDIS_URL_INVALID', `--room '${name}' must be 1-64 of A-Z a-z 0-9 _ . -`)
  return name
}

/** The URL with its password (if any) hidden. */
function redact (text: string): string {
  return text.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, '$1***@')
}

/**
 * One attempt to reach Redis (no retries), so that a server started while
 * Redis is down says so at once, naming the URL, instead of retrying
 * silently. Resolves once Redis answered PING.
 */
export async function probeRedis (address: RedisAddress, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  const probe = new Redis(address.url, { ...quietOptions(), lazyConnect: true, retryStrategy: () => null, connectTimeout: timeoutMs, maxRetriesPerRequest: 0 })
  let lastError: Error | undefined
  probe.on('error', (err: Error) => { lastError = err })
  try {
    await probe.connect()
    await probe.ping()
  } catch (err) {
    const reason = (lastError ?? err as Error).message
    throw chatError('ERR_REDIS_UNAVAILABLE', `cannot reach Redis at ${address.shown}: ${reason}`)
  } finally {
    probe.disconnect()
  }
}

/** Options every connection of ours shares: RESP2 replies (the shapes the code reads, on any Redis 5+). */
export function quietOptions (): RedisOptions {
  return { showFriendlyErrorStack: false, enableAutoPipelining: true, protocol: 2 }
}
