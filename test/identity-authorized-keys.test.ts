import test from 'brittle'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodePublicKey, fingerprint, generateKeyPair } from '../lib/secure/keypair.js'
import { AuthorizedKeys, authorizedKeysVerifier, parseAuthorizedKeys } from '../lib/identity/authorized-keys.js'

const INFO = { isInitiator: false, handshakeHash: Buffer.alloc(64) }
const key = () => generateKeyPair().publicKey
const line = (k: Buffer, comment = '') => encodePublicKey(k) + (comment === '' ? '' : ' ' + comment)

function tempFile (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-authorized-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'authorized_keys')
}

async function verdict (verify: ReturnType<typeof authorizedKeysVerifier>, k: Buffer): Promise<true | { code: string, message: string }> {
  try {
    return (await verify(k, INFO)) === true ? true : { code: 'NOT_TRUE', message: '' }
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message }
  }
}

test('authorized keys parse with owner names taken from the comment', (t) => {
  const [a, b, c] = [key(), key(), key()]
  const entries = parseAuthorizedKeys(`# team\n\n${line(a, 'alice@laptop')}\n${line(b, 'Bob the builder')}\n${line(c)}\n`, '/ak')
  t.is(entries.length, 3)
  t.is(entries[0]!.name, 'alice', "up to '@': a pasted .pub line names its owner")
  t.is(entries[0]!.comment, 'alice@laptop')
  t.is(entries[0]!.line, 3)
  t.is(entries[0]!.fingerprint, fingerprint(a))
  t.is(entries[1]!.name, 'Bob', 'the first word of the comment')
  t.is(entries[1]!.comment, 'Bob the builder')
  t.is(entries[2]!.name, undefined, 'no comment, no name')
})

test('a bad or duplicated authorized keys line is an error naming the file and line', (t) => {
  const a = key()
  for (const [text, where, pattern] of [
    [`${line(a, 'x')}\nnot-a-key alice\n`, '/ak:2', /not a public key/],
    [`# c\n${line(a, 'x')}\n${line(a, 'y')}\n`, '/ak:3', /already listed on line 2/]
  ] as const) {
    try {
      parseAuthorizedKeys(text, '/ak')
      t.fail('accepted')
    } catch (err) {
      t.is((err as { code?: string }).code, 'ERR_TRUST_FILE_INVALID')
      t.ok((err as Error).message.startsWith(where + ': '), (err as Error).message)
      t.ok(pattern.test((err as Error).message))
    }
  }
})

test('an authorized key is accepted; another is refused with a reason fit for the client', async (t) => {
  const file = tempFile(t)
  const alice = key()
  const mallory = key()
  writeFileSync(file, line(alice, 'alice') + '\n')
  const keys = await AuthorizedKeys.load(file)
  const verify = keys.verifier()
  t.is(await verdict(verify, alice), true)
  t.is(keys.nameOf(alice), 'alice')
  t.ok(keys.has(alice))
  const refused = await verdict(verify, mallory)
  t.not(refused, true)
  if (refused === true) return
  t.is(refused.code, 'ERR_CLIENT_KEY_UNAUTHORIZED')
  t.ok(refused.message.startsWith(`your key ${fingerprint(mallory)} is not authorized on this server`))
  t.absent(refused.message.includes(file), 'the server file path is not told to the client')
  t.ok(Buffer.byteLength(refused.message) <= 1024, 'fits in an ABORT reason')
})

test('reload adds and removes keys, and the verifier made before sees the new set', async (t) => {
  const file = tempFile(t)
  const [a, b, c] = [key(), key(), key()]
  writeFileSync(file, `${line(a, 'a')}\n${line(b, 'b')}\n`)
  const keys = await AuthorizedKeys.load(file)
  const verify = keys.verifier()
  t.not(await verdict(verify, c), true, 'c not yet authorized')
  writeFileSync(file, `${line(b, 'b')}\n${line(c, 'carol')}\n`)
  const change = await keys.reload()
  t.alike(change.added.map((e) => e.name), ['carol'])
  t.alike(change.removed.map((e) => e.name), ['a'])
  t.is(await verdict(verify, c), true, 'c authorized after reload')
  t.not(await verdict(verify, a), true, 'a refused after reload')
  t.is(await verdict(verify, b), true, 'b still authorized')
  t.is(keys.size, 2)
})

test('a broken reload keeps the old set and reports file:line', async (t) => {
  const file = tempFile(t)
  const [a, b] = [key(), key()]
  writeFileSync(file, `${line(a, 'a')}\n`)
  const keys = await AuthorizedKeys.load(file)
  writeFileSync(file, `${line(b, 'b')}\nbroken line here\n`)
  try {
    await keys.reload()
    t.fail('reload accepted a broken file')
  } catch (err) {
    t.is((err as { code?: string }).code, 'ERR_TRUST_FILE_INVALID')
    t.ok((err as Error).message.includes(`${file}:2`))
  }
  t.ok(keys.has(a), 'old key still authorized')
  t.absent(keys.has(b), 'nothing from the broken file was taken')
  rmSync(file)
  await t.exception(keys.reload(), /no authorized keys file/)
  t.ok(keys.has(a), 'a vanished file keeps the old set too')
})

test('a missing authorized keys file is an error unless allowed, then it is empty', async (t) => {
  const file = tempFile(t)
  try {
    await AuthorizedKeys.load(file)
    t.fail('loaded a missing file')
  } catch (err) {
    t.is((err as { code?: string }).code, 'ERR_KEY_FILE_MISSING')
    t.ok((err as Error).message.includes(file))
  }
  const empty = await AuthorizedKeys.load(file, { allowMissing: true })
  t.is(empty.size, 0)
  const a = key()
  writeFileSync(file, line(a, 'a') + '\n')
  await empty.reload()
  t.ok(empty.has(a), 'a file created later is picked up by reload')
})

test('keysNamed finds every key allowed to use a name, case-insensitively', async (t) => {
  const [a1, a2, b] = [key(), key(), key()]
  const keys = new AuthorizedKeys('/mem', parseAuthorizedKeys(`${line(a1, 'alice@laptop')}\n${line(a2, 'Alice@phone')}\n${line(b, 'bob')}\n`, '/mem'))
  t.alike(keys.keysNamed('ALICE').map((e) => e.line), [1, 2])
  t.alike(keys.keysNamed('carol'), [])
})

test('concurrent reloads settle on the last file written', async (t) => {
  const file = tempFile(t)
  const ks = Array.from({ length: 5 }, key)
  writeFileSync(file, line(ks[0]!, 'k0') + '\n')
  const keys = await AuthorizedKeys.load(file)
  const reloads: Promise<unknown>[] = []
  for (let i = 1; i < ks.length; i++) {
    writeFileSync(file, line(ks[i]!, `k${i}`) + '\n')
    reloads.push(keys.reload())
  }
  await Promise.all(reloads)
  t.alike(keys.entries.map((e) => e.name), ['k4'])
})
