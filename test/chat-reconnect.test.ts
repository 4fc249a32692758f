import test from 'brittle'
import { reconnectDelay, ReconnectingChat } from '../lib/chat/client.js'
import { RECONNECT_JITTER_RATIO } from '../lib/constants.js'
import { generateKeyPair, samePublicKey } from '../lib/secure/keypair.js'
import { join, startServer } from './helpers/chat-net.js'
import { parseRedisUrl } from '../lib/chat/redis-url.js'

test('reconnect backoff: doubling up to the maximum, each wait drawn between the jitter share and all of it', (t) => {
  t.is(reconnectDelay(0, 1000, 30_000, () => 0), 1000 * RECONNECT_JITTER_RATIO)
  t.is(reconnectDelay(0, 1000, 30_000, () => 0.999999), 1000)
  t.is(reconnectDelay(3, 1000, 30_000, () => 0.999999), 8000)
  t.is(reconnectDelay(20, 1000, 30_000, () => 0.999999), 30_000)
  const draws = new Set(Array.from({ length: 50 }, () => reconnectDelay(2, 1000, 30_000)))
  t.ok(draws.size > 1, 'Math.random by default: the waits differ')
  for (const d of draws) t.ok(d >= 4000 * RECONNECT_JITTER_RATIO && d <= 4000, `${d} within [${4000 * RECONNECT_JITTER_RATIO}, 4000]`)
})

test('a client with several addresses starts on the first that answers and moves to another after a loss, keeping its nick', async (t) => {
  const serverKey = generateKeyPair()
  const a = await startServer(t, { keyPair: serverKey })
  const b = await startServer(t, { keyPair: serverKey })
  const watcher = await join(b.port, serverKey, 'watcher')
  t.teardown(() => watcher.connection.abort('done'))
  // A port nothing listens on comes first: refused, so the next one is tried.
  const dead = await startServer(t, { keyPair: serverKey })
  await dead.server.close()
  const chat = new ReconnectingChat({
    host: '127.0.0.1',
    port: dead.port,
    addresses: [{ host: '127.0.0.1', port: dead.port }, { host: '127.0.0.1', port: a.port }, { host: '127.0.0.1', port: b.port }],
    keyPair: generateKeyPair(),
    nick: 'rover',
    verify: (key) => samePublicKey(key, serverKey.publicKey),
    reconnectInitialMs: 20,
    reconnectMaxMs: 100
  })
  const statuses: string[] = []
  chat.on('status', (s: string) => statuses.push(s))
  t.teardown(() => chat.end())
  await chat.start()
  t.is(chat.address.port, a.port, 'the refused address was passed over')
  await a.server.close()
  await watcher.waitFor('-- rover joined (2 connected)')
  t.is(chat.address.port, b.port, 'moved on to the next server (a clean END from one of several moves the client on)')
  t.ok(statuses.some((s) => s.includes(`reconnecting to 127.0.0.1:`)), statuses.join('; '))
})

test('--redis URLs: checked, and the password never shown', (t) => {
  t.is(parseRedisUrl('redis://127.0.0.1:6379/0').shown, 'redis://127.0.0.1:6379/0')
  t.is(parseRedisUrl('redis://chat:s3cret@10.0.0.5:6379/2').shown, 'redis://chat:***@10.0.0.5:6379/2')
  t.is(parseRedisUrl('rediss://:s3cret@redis.internal').shown, 'rediss://:***@redis.internal')
  for (const bad of ['127.0.0.1:6379', 'http://127.0.0.1:6379', 'redis://127.0.0.1:6379/db', 'redis://:pw@']) {
    t.exception(() => parseRedisUrl(bad), /ERR_REDIS_URL_INVALID|redis|URL|host/i, bad)
    try {
      parseRedisUrl(bad)
    } catch (err) {
      t.is((err as { code?: string }).code, 'ERR_REDIS_URL_INVALID')
      t.absent((err as Error).message.includes('pw@'), 'no password in the message')
    }
  }
})
