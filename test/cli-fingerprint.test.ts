import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeKeyFile } from '../lib/identity/key-file.js'
import { encodePublicKey, fingerprint, generateKeyPair } from '../lib/secure/keypair.js'
import { createHash } from 'node:crypto'

const BIN = fileURLToPath(new URL('../bin/noise-chat.js', import.meta.url))

function setup (t: { teardown: (fn: () => void) => void }) {
  const config = mkdtempSync(join(tmpdir(), 'noise-chat-cli-fp-'))
  t.teardown(() => rmSync(config, { recursive: true, force: true }))
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: config } })
  return { config, run }
}

/** The fingerprint computed here, independently of lib: SHA-256 of the raw bytes, base64 without padding. */
function independentFingerprint (publicKey: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(publicKey).digest('base64').replace(/=+$/, '')
}

test('fingerprint of the own key, a private key file, a .pub file and a key on the command line agree', async (t) => {
  const { config, run } = setup(t)
  const kp = generateKeyPair()
  const own = join(config, 'noise-chat', 'id_x25519')
  await writeKeyFile(own, kp, { comment: 'me@here' })
  const expected = `fingerprint: ${independentFingerprint(kp.publicKey)}\npublic key:  ${encodePublicKey(kp.publicKey)}\n`
  for (const args of [[], [own], [own + '.pub']]) {
    const r = run('fingerprint', ...args)
    t.is(r.status, 0, r.stderr)
    t.is(r.stdout, expected + 'comment:     me@here\n', `fingerprint ${args.join(' ')}`)
  }
  const direct = run('fingerprint', encodePublicKey(kp.publicKey))
  t.is(direct.status, 0)
  t.is(direct.stdout, expected)
  t.is(fingerprint(kp.publicKey), independentFingerprint(kp.publicKey))
})

test('fingerprint without a key says to run keygen; a wrong argument is a usage error quoting it', (t) => {
  const { run } = setup(t)
  const none = run('fingerprint')
  t.is(none.status, 1)
  t.ok(none.stderr.includes('noise-chat keygen'), none.stderr)
  t.ok(none.stderr.includes('ERR_KEY_FILE_MISSING'))
  const wrong = run('fingerprint', 'no-such-file')
  t.is(wrong.status, 2)
  t.ok(wrong.stderr.includes("'no-such-file'"))
})

test('fingerprint of a corrupt file names the file', (t) => {
  const { config, run } = setup(t)
  const path = join(config, 'bad.pub')
  writeFileSync(path, 'definitely not a key\n')
  const r = run('fingerprint', path)
  t.is(r.status, 1)
  t.ok(r.stderr.includes(path), r.stderr)
  t.ok(r.stderr.includes('ERR_KEY_FILE_INVALID'))
})
