import test from 'brittle'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connectChat } from '../lib/chat/client.js'
import { NickRegistry, type Binding } from '../lib/chat/nick-registry.js'
import type { ChatServerLogEvent } from '../lib/chat/server.js'
import { encodePublicKey, generateKeyPair, parsePublicKey, samePublicKey, type KeyPair } from '../lib/secure/keypair.js'
import { TestMember, startServer, join as joinServer, tempDir } from './helpers/chat-net.js'
import { bannerOf, cli, tempHome, type Proc } from './helpers/tool-procs.js'

type T = Parameters<typeof tempHome>[0]

/** `noise-chat server` with an authorized keys file; resolves once its banner is out. */
async function serverWith (t: T, dir: string, env: NodeJS.ProcessEnv, authorized: string): Promise<{ proc: Proc, port: number, key: Buffer }> {
  const proc = cli(t, ['server', '--host', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'state'), '--authorized-keys', authorized, '--rate', '0', '--ready-json'], { env })
  const { port, key } = await bannerOf(proc, 'stdout')
  return { proc, port, key: parsePublicKey(key) }
}

/** A member over a real connection, trusting exactly `serverKey`; resolves once it joined. */
async function member (t: T, port: number, serverKey: Buffer, keyPair: KeyPair, nick: string): Promise<TestMember> {
  const connection = await connectChat({ host: '127.0.0.1', port, keyPair, nick, verify: (k) => samePublicKey(k, serverKey) })
  t.teardown(() => connection.abort('test over'))
  const m = new TestMember(connection)
  await m.waitFor(/^-- your nick is /)
  return m
}

function line (keyPair: KeyPair, comment: string): string {
  return `${encodePublicKey(keyPair.publicKey)} ${comment}\n`
}

test('every key listed under one name in authorized_keys may use that nick, shown verified; other keys may not', async (t) => {
  const { dir, env } = tempHome(t)
  const laptop = generateKeyPair()
  const phone = generateKeyPair()
  const bob = generateKeyPair()
  const file = join(dir, 'authorized_keys')
  writeFileSync(file, line(laptop, 'alice@laptop') + line(phone, 'alice@phone') + line(bob, 'bob'), { mode: 0o600 })
  const server = await serverWith(t, dir, env, file)

  const fromLaptop = await member(t, server.port, server.key, laptop, 'alice')
  t.ok(fromLaptop.lines.includes('-- your nick is alice'), 'the first key listed gets alice')
  fromLaptop.connection.end()
  await fromLaptop.connection.done
  const fromPhone = await member(t, server.port, server.key, phone, 'alice')
  t.ok(fromPhone.lines.includes('-- your nick is alice'), 'the second key listed under alice gets it too')
  await fromPhone.waitFor(/^-- alice✓ joined/)
  fromPhone.connection.end()
  await fromPhone.connection.done
  const b = await member(t, server.port, server.key, bob, 'bob')
  b.send('/nick alice')
  t.ok(await b.waitFor(/\(ERR_NICK_RESERVED\)$/), 'a key not listed under alice is still refused')
})

test('SIGHUP revokes: a member whose key was removed from authorized_keys, or is now banned, is disconnected with a reason', async (t) => {
  const { dir, env } = tempHome(t)
  const alice = generateKeyPair()
  const bob = generateKeyPair()
  const carol = generateKeyPair()
  const file = join(dir, 'authorized_keys')
  writeFileSync(file, line(alice, 'alice') + line(bob, 'bob') + line(carol, 'carol'), { mode: 0o600 })
  const server = await serverWith(t, dir, env, file)
  const a = await member(t, server.port, server.key, alice, 'alice')
  const b = await member(t, server.port, server.key, bob, 'bob')
  const c = await member(t, server.port, server.key, carol, 'carol')

  writeFileSync(file, line(bob, 'bob') + line(carol, 'carol'))
  server.proc.child.kill('SIGHUP')
  const err = await a.connection.done.then(() => null, (e: Error & { code?: string }) => e)
  t.is(err?.code, 'ERR_PEER_ABORTED', 'alice is cut off')
  t.ok(err?.message.includes('your key is no longer authorized on this server'), 'and told why')
  t.ok(await c.waitFor('-- alice left: no longer authorized (2 connected)'), 'the room is told (her nick is no longer reserved, so no mark)')
  await server.proc.waitStderr(/disconnected alice \(SHA256:\S+\): no longer authorized/)

  const bans = { version: 1, bans: [{ key: encodePublicKey(bob.publicKey), nick: 'bob', reason: 'spam', by: 'operator', at: new Date().toISOString(), until: null }] }
  writeFileSync(join(dir, 'state', 'bans.json'), JSON.stringify(bans))
  server.proc.child.kill('SIGHUP')
  const banned = await b.connection.done.then(() => null, (e: Error) => e)
  t.ok(banned?.message.includes('your key is banned from this server: spam'), 'a key banned by editing the bans file is cut off on SIGHUP')
  t.ok(await c.waitFor('-- bob✓ left: banned (1 connected)'))
  c.send('/names')
  t.ok(await c.waitFor(/carol/), 'carol stays')
  t.absent(c.connection.stream.destroyed)
})

test('past the nick-binding cap the least recently used binding not online is evicted, and told', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'nicks.json')
  const evicted: Binding[] = []
  const registry = await NickRegistry.open(file, { maxNicks: 3, onEvict: (b) => evicted.push(b) })
  const keys = Array.from({ length: 5 }, () => generateKeyPair().publicKey)
  registry.bind('n0', keys[0]!, 1000)
  registry.bind('n1', keys[1]!, 2000)
  registry.bind('n2', keys[2]!, 3000)
  registry.bind('n0', keys[0]!, 4000) // n0 used again: n1 is now the oldest
  registry.isInUse = (k) => k === 'n1' // ... but a member online holds it
  registry.bind('n3', keys[3]!, 5000)
  t.alike(evicted.map((b) => b.nick), ['n2'], 'the oldest binding not in use went')
  t.is(registry.size, 3)
  t.ok(registry.check('n2', keys[4]!) === undefined, 'its nick is free again')
  t.is(registry.check('n1', keys[4]!)?.code, 'ERR_NICK_BOUND', 'the online one stays bound')
  registry.isInUse = () => true
  registry.bind('n4', keys[4]!, 6000)
  t.is(registry.size, 3, 'when every binding is in use, the new nick is not bound')
  await registry.flush()
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { nicks: Array<{ nick: string }> }
  t.alike(saved.nicks.map((n) => n.nick).sort(), ['n0', 'n1', 'n3'], 'the state file has what is left')
  const reopened = await NickRegistry.open(file, { maxNicks: 3, onEvict: (b) => evicted.push(b) })
  reopened.bind('n5', keys[4]!, 7000)
  t.is(evicted.at(-1)!.nick, 'n1', 'after a restart the order of last use is kept (n1 last used at 2000)')
  // The bind above scheduled a write of the state file: let it land before the teardown removes the folder.
  await reopened.flush()
})

test('the chat server logs each nick it evicts at the cap', async (t) => {
  const { server, port, keyPair } = await startServer(t, { maxBoundNicks: 2 })
  const logged: ChatServerLogEvent[] = []
  server.on('log', (e: ChatServerLogEvent) => logged.push(e))
  for (const nick of ['first', 'second', 'third']) {
    const m = await joinServer(port, keyPair, nick)
    m.connection.end()
    await m.connection.done
  }
  const evictions = logged.filter((e) => e.event === 'nick-evicted')
  t.is(evictions.length, 1)
  t.is(evictions[0]!.nick, 'first', 'the least recently used')
  t.ok(evictions[0]!.detail?.includes('least recently used'))
  t.is(server.room.registry.size, 2)
})
