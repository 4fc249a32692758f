import test from 'brittle'
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodePublicKey, generateKeyPair } from '../lib/secure/keypair.js'
import {
  formatPrivateKeyFile, loadKeyFile, loadKeyPair, loadOrCreateKeyPair, readPublicKeyFile, writeKeyFile
} from '../lib/identity/key-file.js'

function tempDir (t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-keyfile-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const posix = process.platform !== 'win32'

test('a key file is written with mode 0600 in a 0700 folder, with its .pub beside it', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'nested', 'deeper', 'id_x25519')
  const kp = generateKeyPair()
  const written = await writeKeyFile(path, kp, { comment: 'alice@laptop' })
  t.is(written.publicKeyPath, path + '.pub')
  if (posix) {
    t.is(statSync(path).mode & 0o777, 0o600, 'private key 0600')
    t.is(statSync(join(dir, 'nested')).mode & 0o777, 0o700, 'created folders 0700')
    t.is(statSync(join(dir, 'nested', 'deeper')).mode & 0o777, 0o700)
  }
  t.is(readFileSync(path + '.pub', 'utf8'), `${encodePublicKey(kp.publicKey)} alice@laptop\n`)
  t.alike(readdirSync(join(dir, 'nested', 'deeper')).sort(), ['id_x25519', 'id_x25519.pub'], 'no temporary file left behind')
})

test('a key file round-trips: same key pair and comment', async (t) => {
  const path = join(tempDir(t), 'key')
  const kp = generateKeyPair()
  await writeKeyFile(path, kp, { comment: 'bob' })
  const loaded = await loadKeyFile(path)
  t.ok(loaded.keyPair.publicKey.equals(kp.publicKey))
  t.ok(loaded.keyPair.secretKey.equals(kp.secretKey))
  t.is(loaded.comment, 'bob')
  const pub = await readPublicKeyFile(path + '.pub')
  t.ok(pub.publicKey.equals(kp.publicKey))
  t.is(pub.comment, 'bob')
})

test('an existing key is not overwritten unless asked', async (t) => {
  const path = join(tempDir(t), 'key')
  const first = generateKeyPair()
  await writeKeyFile(path, first)
  await t.exception(writeKeyFile(path, generateKeyPair()), /already exists/)
  t.ok((await loadKeyPair(path)).publicKey.equals(first.publicKey), 'the old key is intact')
  const second = generateKeyPair()
  await writeKeyFile(path, second, { overwrite: true })
  t.ok((await loadKeyPair(path)).publicKey.equals(second.publicKey), 'replaced with overwrite')
  try {
    await writeKeyFile(path, generateKeyPair())
    t.fail('should refuse')
  } catch (err) {
    t.is((err as { code?: string }).code, 'ERR_KEY_FILE_EXISTS')
  }
})

test('a key file group or others can read is refused with the octal mode, the path and the chmod that fixes it', { skip: !posix }, async (t) => {
  const path = join(tempDir(t), "it's key")
  await writeKeyFile(path, generateKeyPair())
  for (const mode of [0o640, 0o604, 0o644, 0o660]) {
    chmodSync(path, mode)
    try {
      await loadKeyPair(path)
      t.fail(`mode ${mode.toString(8)} accepted`)
    } catch (err) {
      const e = err as { code?: string, message: string }
      t.is(e.code, 'ERR_KEY_FILE_PERMISSIONS')
      t.ok(e.message.includes('0' + mode.toString(8)), 'shows the octal mode')
      t.ok(e.message.includes(path), 'names the file')
      t.ok(e.message.includes(`chmod 600 '${path.replace(/'/g, "'\\''")}'`), 'gives the exact, shell-quoted fix')
    }
  }
  chmodSync(path, 0o600)
  t.ok(await loadKeyPair(path), 'loads again once fixed')
  chmodSync(path, 0o400)
  t.ok(await loadKeyPair(path), 'read-only for the owner is fine too')
})

test('a corrupt key file is an error that names the file, and never quotes the secret', async (t) => {
  const dir = tempDir(t)
  const kp = generateKeyPair()
  const good = formatPrivateKeyFile(kp, 'x')
  const cases: Array<[string, string, RegExp]> = [
    ['not-a-key', 'hello\n', /is not a noise-chat private key file/],
    ['truncated', good.split('\n').filter((l) => !l.startsWith('secret-key')).join('\n'), /has no 'secret-key:' line/],
    ['bad-base64', good.replace(/secret-key: .*/, 'secret-key: abc'), /line \d+: 'secret-key' is not 32 bytes of base64/],
    ['mismatch', good.replace(/public-key: .*/, `public-key: ${encodePublicKey(generateKeyPair().publicKey)}`), /is not the public key of its secret-key/],
    ['unknown-field', good + 'colour: blue\n', /line \d+: expected/],
    ['pub-file', encodePublicKey(kp.publicKey) + ' x\n', /is not a noise-chat private key file/]
  ]
  for (const [name, text, pattern] of cases) {
    const path = join(dir, name)
    writeFileSync(path, text, { mode: 0o600 })
    try {
      await loadKeyPair(path)
      t.fail(`${name} accepted`)
    } catch (err) {
      const e = err as { code?: string, message: string }
      t.is(e.code, 'ERR_KEY_FILE_INVALID', name)
      t.ok(e.message.includes(path), `${name}: names the file`)
      t.ok(pattern.test(e.message), `${name}: ${e.message}`)
      t.absent(e.message.includes(kp.secretKey.toString('base64')), `${name}: no secret in the message`)
    }
  }
})

test('a missing key file says how to create one', async (t) => {
  const path = join(tempDir(t), 'absent')
  try {
    await loadKeyPair(path)
    t.fail('loaded a missing file')
  } catch (err) {
    t.is((err as { code?: string }).code, 'ERR_KEY_FILE_MISSING')
    t.ok((err as Error).message.includes(`noise-chat keygen -f '${path}'`))
  }
})

test('loadOrCreateKeyPair creates a missing key once, says where, and loads it afterwards', async (t) => {
  const path = join(tempDir(t), 'cfg', 'id_x25519')
  const created: string[] = []
  const first = await loadOrCreateKeyPair(path, { onCreate: (c) => created.push(c.path), comment: 'me' })
  t.alike(created, [path], 'told where the new key is')
  if (posix) t.is(statSync(path).mode & 0o777, 0o600)
  const again = await loadOrCreateKeyPair(path, { onCreate: (c) => created.push(c.path) })
  t.ok(again.publicKey.equals(first.publicKey), 'same key on the second use')
  t.is(created.length, 1, 'not created twice')
})

test('two processes creating the same key at once end up with one key', async (t) => {
  const path = join(tempDir(t), 'id')
  const pairs = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKeyPair(path)))
  const onDisk = await loadKeyPair(path)
  for (const kp of pairs) t.ok(kp.publicKey.equals(onDisk.publicKey))
})

test('loadOrCreateKeyPair does not replace a key it cannot read', { skip: !posix }, async (t) => {
  const path = join(tempDir(t), 'id')
  const kp = generateKeyPair()
  await writeKeyFile(path, kp)
  chmodSync(path, 0o644)
  await t.exception(loadOrCreateKeyPair(path), /too open/)
  chmodSync(path, 0o600)
  t.ok((await loadKeyPair(path)).publicKey.equals(kp.publicKey), 'the original key is still there')
})
