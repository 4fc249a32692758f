import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodePublicKey, generateKeyPair } from '../lib/secure/keypair.js'
import { addKnownHost, readKnownHosts } from '../lib/identity/known-hosts.js'
import { hostKeyVerifier } from '../lib/identity/host-key-verifier.js'

const BIN = fileURLToPath(new URL('../bin/noise-chat.js', import.meta.url))
const INFO = { isInitiator: true, handshakeHash: Buffer.alloc(64) }

function setup (t: { teardown: (fn: () => void) => void }) {
  const config = mkdtempSync(join(tmpdir(), 'noise-chat-cli-forget-'))
  t.teardown(() => rmSync(config, { recursive: true, force: true }))
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: config } })
  return { config, run, knownHosts: join(config, 'noise-chat', 'known_hosts') }
}

test('the forget command printed by a changed-key error removes the entry, and accept-new then records the new key', async (t) => {
  const { run, config } = setup(t)
  const file = join(config, "my known hosts")
  const old = generateKeyPair().publicKey
  const fresh = generateKeyPair().publicKey
  await addKnownHost(file, '::1', 7777, old)
  await addKnownHost(file, 'other', 1, old)
  const verify = hostKeyVerifier({ host: '::1', port: 7777, policy: { mode: 'accept-new' }, knownHostsFile: file })
  let message = ''
  try {
    await verify(fresh, INFO)
  } catch (err) {
    message = (err as Error).message
  }
  const command = /noise-chat forget .*/.exec(message)?.[0]
  t.ok(command, 'the error names the command')
  t.is(command, `noise-chat forget '[::1]:7777' --known-hosts '${file}'`)
  // Run it through a shell exactly as printed, to prove the quoting.
  const shell = spawnSync('sh', ['-c', command!.replace(/^noise-chat/, `"${process.execPath}" "${BIN}"`)], { encoding: 'utf8' })
  t.is(shell.status, 0, shell.stderr)
  t.ok(shell.stdout.includes(`Removed this entry for [::1]:7777 from ${file}`), shell.stdout)
  t.ok(shell.stdout.includes(`line 1: [::1]:7777 ${encodePublicKey(old)}`))
  t.is(await verify(fresh, INFO), true, 'accept-new records the new key')
  const entries = await readKnownHosts(file)
  t.ok(entries.find((e) => e.host === '::1')!.publicKey.equals(fresh))
  t.ok(entries.find((e) => e.host === 'other'), 'other hosts kept')
  t.is(run('forget', '[::1]:7777', '--known-hosts', file).status, 0)
})

test('forget uses the default known hosts, removes every port without one, and exits 1 when there is nothing', async (t) => {
  const { run, knownHosts } = setup(t)
  const k = generateKeyPair().publicKey
  await addKnownHost(knownHosts, 'chat.example.org', 1, k)
  await addKnownHost(knownHosts, 'chat.example.org', 2, k)
  await addKnownHost(knownHosts, 'keep.example.org', 1, k)
  const r = run('forget', 'CHAT.example.org')
  t.is(r.status, 0, r.stderr)
  t.ok(r.stdout.includes('Removed 2 entries for chat.example.org'))
  t.is(readFileSync(knownHosts, 'utf8').trim().split('\n').length, 1)
  const again = run('forget', 'chat.example.org:1')
  t.is(again.status, 1)
  t.ok(again.stderr.includes('chat.example.org:1 is not in'), again.stderr)
  t.is(again.stdout, '')
})

test('forget with a bad or missing host is a usage error quoting it', (t) => {
  const { run } = setup(t)
  const missing = run('forget')
  t.is(missing.status, 2)
  t.ok(missing.stderr.includes('HOST[:PORT]'), missing.stderr)
  const bad = run('forget', 'host:99999')
  t.is(bad.status, 2)
  t.ok(bad.stderr.includes("'host:99999'"), bad.stderr)
  const help = run('forget', '--help')
  t.is(help.status, 0)
  t.ok(help.stdout.includes('Examples:'))
})
