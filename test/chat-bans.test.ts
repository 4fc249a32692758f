import test from 'brittle'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BanList, formatDuration, parseDuration } from '../lib/chat/bans.js'
import { encodePublicKey, fingerprint, shortFingerprint } from '../lib/secure/keypair.js'
import { randomKey } from './helpers/chat-fakes.js'

test('durations: s m h d w', (t) => {
  t.is(parseDuration('30s'), 30_000)
  t.is(parseDuration('10m'), 600_000)
  t.is(parseDuration('2h'), 7_200_000)
  t.is(parseDuration('1d'), 86_400_000)
  t.is(parseDuration('1w'), 604_800_000)
  t.is(parseDuration('0m'), undefined)
  t.is(parseDuration('spam'), undefined)
  t.is(parseDuration('10'), undefined)
  t.is(formatDuration(45_000), '45s')
  t.is(formatDuration(12 * 60_000), '12m')
})

test('a ban holds until it expires', (t) => {
  const bans = new BanList()
  const k = randomKey()
  bans.add(k, { reason: 'spam', by: 'op', nowMs: 0, durationMs: 60_000 })
  t.is(bans.find(k, 59_999)?.reason, 'spam')
  t.is(bans.find(k, 60_000), undefined)
  t.is(bans.list().length, 0, 'an expired ban is dropped')
  t.is(bans.find(randomKey(), 0), undefined)
})

test('unban by key, full or short fingerprint, or the nick it had', (t) => {
  const bans = new BanList()
  const keys = [randomKey(), randomKey(), randomKey(), randomKey()]
  for (const [i, k] of keys.entries()) bans.add(k, { nick: `n${i}`, reason: '', by: 'op', nowMs: 0 })
  t.ok(bans.remove(encodePublicKey(keys[0]!)))
  t.ok(bans.remove(fingerprint(keys[1]!)))
  t.ok(bans.remove(shortFingerprint(keys[2]!)))
  t.ok(bans.remove('N3'))
  t.is(bans.list().length, 0)
  t.is(bans.remove('nobody'), undefined)
})

test('bans persist to the state file and load back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nc-bans-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'bans.json')
  const k = randomKey()
  const bans = await BanList.open(file)
  bans.add(k, { nick: 'troll', reason: 'spam', by: 'op', nowMs: Date.now() })
  await bans.flush()
  const again = await BanList.open(file)
  t.is(again.find(k, Date.now())?.nick, 'troll')
  t.is(again.find(k, Date.now())?.untilMs, undefined, 'for good')
})
