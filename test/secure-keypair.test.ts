import test from 'brittle'
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { inspect } from 'node:util'
import { encodePublicKey, fingerprint, generateKeyPair, isFingerprint, parsePublicKey, shortFingerprint } from '../lib/secure/keypair.js'
import { configDir, defaultPaths } from '../lib/identity/paths.js'

test('fingerprint is SHA256: and the unpadded base64 of SHA-256 of the raw 32 key bytes', (t) => {
  const { publicKey } = generateKeyPair()
  const digest = createHash('sha256').update(publicKey).digest()
  const expected = 'SHA256:' + digest.toString('base64').replace(/=+$/, '')
  t.is(fingerprint(publicKey), expected)
  t.is(fingerprint(publicKey).length, 'SHA256:'.length + 43, '43 characters of base64, no padding')
  t.ok(isFingerprint(fingerprint(publicKey)))
  t.ok(fingerprint(publicKey).includes(shortFingerprint(publicKey)), 'the short form is a prefix of the full one')
})

test('fingerprint can be recomputed with coreutils (base64 -d | sha256sum)', (t) => {
  const probe = spawnSync('sh', ['-c', 'command -v base64 && command -v sha256sum'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    t.comment('coreutils base64/sha256sum not present: checked with node:crypto only')
    t.pass('skipped the coreutils cross-check')
    return
  }
  const { publicKey } = generateKeyPair()
  const r = spawnSync('sh', ['-c', 'printf %s "$1" | base64 -d | sha256sum', 'sh', encodePublicKey(publicKey)], { encoding: 'utf8' })
  t.is(r.status, 0)
  const hexDigest = r.stdout.split(/\s+/)[0]!
  t.is('SHA256:' + Buffer.from(hexDigest, 'hex').toString('base64').replace(/=+$/, ''), fingerprint(publicKey))
})

test('a public key round-trips through its base64 text and nothing else is accepted', (t) => {
  const { publicKey } = generateKeyPair()
  t.ok(parsePublicKey(encodePublicKey(publicKey)).equals(publicKey))
  for (const bad of ['', 'abc', encodePublicKey(publicKey).slice(0, -2), Buffer.alloc(33).toString('base64')]) {
    t.exception(() => parsePublicKey(bad), /not a public key/, `refuses '${bad}'`)
  }
})

test('KeyPair inspect, toString and JSON never contain the secret key', (t) => {
  const kp = generateKeyPair()
  const secretForms = [kp.secretKey.toString('base64'), kp.secretKey.toString('hex'), kp.secretKey.toString('base64url')]
  const shown = [inspect(kp), String(kp), JSON.stringify(kp), inspect({ nested: kp }, { depth: 5 })]
  for (const text of shown) {
    for (const secret of secretForms) t.absent(text.includes(secret), 'no secret in ' + text.slice(0, 40))
  }
  t.ok(JSON.stringify(kp).includes(encodePublicKey(kp.publicKey)), 'JSON carries the public key')
})

test('config folder follows XDG_CONFIG_HOME, else HOME/.config', (t) => {
  t.is(configDir({ XDG_CONFIG_HOME: '/x/conf', HOME: '/home/a' }), '/x/conf/noise-chat')
  t.is(configDir({ HOME: '/home/a' }), '/home/a/.config/noise-chat')
  t.is(configDir({ XDG_CONFIG_HOME: 'relative/dir', HOME: '/home/a' }), '/home/a/.config/noise-chat', 'a relative XDG_CONFIG_HOME is ignored, as the spec says')
  t.alike(defaultPaths({ XDG_CONFIG_HOME: '/c' }), {
    dir: '/c/noise-chat',
    keyFile: '/c/noise-chat/id_x25519',
    publicKeyFile: '/c/noise-chat/id_x25519.pub',
    knownHostsFile: '/c/noise-chat/known_hosts',
    authorizedKeysFile: '/c/noise-chat/authorized_keys'
  })
})
