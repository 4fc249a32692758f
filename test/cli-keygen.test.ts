import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadKeyPair } from '../lib/identity/key-file.js'
import { encodePublicKey, fingerprint } from '../lib/secure/keypair.js'

const BIN = fileURLToPath(new URL('../bin/noise-chat.js', import.meta.url))

function setup (t: { teardown: (fn: () => void) => void }) {
  const config = mkdtempSync(join(tmpdir(), 'noise-chat-cli-keygen-'))
  t.teardown(() => rmSync(config, { recursive: true, force: true }))
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: config,
    env: { ...process.env, XDG_CONFIG_HOME: config, USER: 'tester' }
  })
  return { config, run, keyFile: join(config, 'noise-chat', 'id_x25519') }
}

test('keygen writes the default key 0600 with its .pub and prints where, the public key and the fingerprint', async (t) => {
  const { run, keyFile } = setup(t)
  const r = run('keygen')
  t.is(r.status, 0, r.stderr)
  const kp = await loadKeyPair(keyFile)
  t.ok(r.stdout.includes(keyFile), 'says where')
  t.ok(r.stdout.includes(keyFile + '.pub'))
  t.ok(r.stdout.includes(`public key:  ${encodePublicKey(kp.publicKey)}`))
  t.ok(r.stdout.includes(`fingerprint: ${fingerprint(kp.publicKey)}`))
  t.absent(r.stdout.includes(kp.secretKey.toString('base64')), 'never prints the secret key')
  if (process.platform !== 'win32') t.is(statSync(keyFile).mode & 0o777, 0o600)
  t.ok(readFileSync(keyFile + '.pub', 'utf8').startsWith(encodePublicKey(kp.publicKey) + ' tester@'), 'default comment USER@HOST')
})

test('keygen refuses to overwrite an existing key without --force, and replaces it with', async (t) => {
  const { run, keyFile } = setup(t)
  t.is(run('keygen').status, 0)
  const before = await loadKeyPair(keyFile)
  const refused = run('keygen')
  t.is(refused.status, 1)
  t.ok(refused.stderr.includes(`a key already exists at '${keyFile}'`), refused.stderr)
  t.ok(refused.stderr.includes('--force'), 'says how to replace it')
  t.ok(refused.stderr.includes('ERR_KEY_FILE_EXISTS'))
  t.is(refused.stdout, '')
  t.ok((await loadKeyPair(keyFile)).publicKey.equals(before.publicKey), 'the key is unchanged')
  const forced = run('keygen', '--force')
  t.is(forced.status, 0, forced.stderr)
  t.absent((await loadKeyPair(keyFile)).publicKey.equals(before.publicKey), 'replaced')
})

test('keygen -f FILE -C COMMENT writes there with that comment (relative paths from the working folder)', async (t) => {
  const { run, config } = setup(t)
  const r = run('keygen', '-f', 'keys/server.key', '-C', 'chat server')
  t.is(r.status, 0, r.stderr)
  const path = join(config, 'keys', 'server.key')
  const kp = await loadKeyPair(path)
  t.is(readFileSync(path + '.pub', 'utf8'), `${encodePublicKey(kp.publicKey)} chat server\n`)
})

test('keygen with a bad option is a usage error quoting it', (t) => {
  const { run } = setup(t)
  const r = run('keygen', '--colour')
  t.is(r.status, 2)
  t.ok(r.stderr.includes("'--colour'"), r.stderr)
  t.ok(r.stderr.includes('noise-chat keygen --help'))
  const extra = run('keygen', 'stray')
  t.is(extra.status, 2)
  t.ok(extra.stderr.includes("'stray'"))
})

test('keygen --help shows options and examples', (t) => {
  const { run } = setup(t)
  const r = run('keygen', '--help')
  t.is(r.status, 0)
  for (const s of ['-f, --file FILE', '-C, --comment', '--force', 'Examples:']) t.ok(r.stdout.includes(s), s)
})

test('a key made readable by others is refused by the next command with the chmod fix', { skip: process.platform === 'win32' }, (t) => {
  const { run, keyFile } = setup(t)
  t.is(run('keygen').status, 0)
  chmodSync(keyFile, 0o644)
  const r = run('fingerprint')
  t.is(r.status, 1)
  t.ok(r.stderr.includes('permissions 0644'), r.stderr)
  t.ok(r.stderr.includes(`chmod 600 '${keyFile}'`))
  t.ok(r.stderr.includes('ERR_KEY_FILE_PERMISSIONS'))
})
