import test from 'brittle'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isGuestNick, nickProblem, sameNick } from '../lib/chat/nick.js'
import { NickRegistry } from '../lib/chat/nick-registry.js'
import { randomKey } from './helpers/chat-fakes.js'

test('nicks are 1 to 16 of A-Z a-z 0-9 _ . -', (t) => {
  for (const ok of ['a', 'alice', 'Bob_2', 'x.y-z', '0123456789abcdef']) t.is(nickProblem(ok), undefined, ok)
  for (const bad of ['', '0123456789abcdefg', 'al ice', 'ali\x1b[31m', 'émile', 'a/b', 'a@b', '<x>']) {
    t.is(nickProblem(bad)?.code, 'ERR_NICK_INVALID', JSON.stringify(bad))
  }
})

test('GuestN names are the server\'s, whatever the case', (t) => {
  t.ok(isGuestNick('Guest12'))
  t.ok(isGuestNick('guest3'))
  t.absent(isGuestNick('Guesthouse'))
  t.is(nickProblem('GUEST7')?.code, 'ERR_NICK_INVALID')
})

test('nick comparison ignores ASCII case', (t) => {
  t.ok(sameNick('Alice', 'aLICE'))
  t.absent(sameNick('alice', 'alice2'))
})

test('a nick is bound to the first key that used it; another key is refused with the reason', (t) => {
  const r = new NickRegistry()
  const a = randomKey()
  const b = randomKey()
  t.is(r.check('alice', a), undefined)
  r.bind('alice', a, 1)
  t.is(r.check('alice', a), undefined, 'the owner may use it again')
  t.is(r.check('ALICE', a), undefined, 'in any case')
  const refusal = r.check('Alice', b)
  t.is(refusal?.code, 'ERR_NICK_BOUND')
  t.ok(refusal?.message.includes('belongs to another key'))
})

test('a reserved nick belongs to its key whatever the bindings say, and marks it verified', (t) => {
  const r = new NickRegistry()
  const owner = randomKey()
  const squatter = randomKey()
  r.bind('root', squatter, 1)
  r.setReserved([{ nick: 'root', publicKey: owner }])
  t.is(r.check('root', squatter)?.code, 'ERR_NICK_RESERVED')
  t.is(r.check('root', owner), undefined)
  t.ok(r.isReservedFor('ROOT', owner))
  t.absent(r.isReservedFor('root', squatter))
  r.bind('root', owner, 2)
  r.setReserved([])
  t.is(r.check('root', squatter)?.code, 'ERR_NICK_BOUND', 'the reserved owner used it, so it stays theirs')
})

test('a returning key is offered its reserved nick, else its last used one', (t) => {
  const r = new NickRegistry()
  const k = randomKey()
  t.is(r.preferredNick(k), undefined)
  r.bind('first', k, 1)
  r.bind('second', k, 2)
  t.is(r.preferredNick(k), 'second')
  r.bind('first', k, 3)
  t.is(r.preferredNick(k), 'first')
  r.setReserved([{ nick: 'Boss', publicKey: k }])
  t.is(r.preferredNick(k), 'Boss')
})

test('a key binds at most maxPerKey nicks: the least recently used is released', (t) => {
  const r = new NickRegistry(undefined, { maxPerKey: 2 })
  const k = randomKey()
  const other = randomKey()
  r.bind('one', k, 1)
  r.bind('two', k, 2)
  r.bind('three', k, 3)
  t.is(r.size, 2)
  t.is(r.check('one', other), undefined, 'released')
  t.is(r.check('two', other)?.code, 'ERR_NICK_BOUND')
})

test('Guest names are never bound', (t) => {
  const r = new NickRegistry()
  r.bind('Guest1', randomKey(), 1)
  t.is(r.size, 0)
  t.is(r.check('Guest1', randomKey()), undefined)
})

test('bindings persist atomically to a JSON file and load back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nc-nicks-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'state', 'nicks.json')
  const k = randomKey()
  const r = await NickRegistry.open(file)
  r.bind('alice', k, Date.UTC(2024, 0, 1))
  await r.flush()
  const doc = JSON.parse(await readFile(file, 'utf8'))
  t.is(doc.version, 1)
  t.is(doc.nicks[0].nick, 'alice')
  t.is((await stat(file)).mode & 0o777, 0o600, 'owner only')
  const again = await NickRegistry.open(file)
  t.is(again.check('alice', randomKey())?.code, 'ERR_NICK_BOUND')
  t.is(again.preferredNick(k), 'alice')
})

test('a corrupt registry file is refused by name', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nc-nicks-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'nicks.json')
  await writeFile(file, '{"version":1,"nicks":[{"nick":1}]}')
  await t.exception(NickRegistry.open(file), /nicks\.json/)
  await writeFile(file, 'not json')
  try {
    await NickRegistry.open(file)
    t.fail('should refuse')
  } catch (err) {
    t.is((err as { code?: string }).code, 'ERR_STATE_FILE_INVALID')
  }
})
