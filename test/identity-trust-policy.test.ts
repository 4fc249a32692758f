import test from 'brittle'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { encodePublicKey, fingerprint, generateKeyPair } from '../lib/secure/keypair.js'
import { chooseHostKeyPolicy, verifierFromTrustOptions } from '../lib/identity/trust-policy.js'
import { askOnTerminal } from '../lib/identity/host-key-prompt.js'
import { readKnownHosts } from '../lib/identity/known-hosts.js'
import type { HostKeyQuestion } from '../lib/identity/host-key-verifier.js'

const ask = () => true
const INFO = { isInitiator: true, handshakeHash: Buffer.alloc(64) }

test('the policy: a pin first, then --accept-new or --strict, then ask on a terminal, else strict', (t) => {
  const k = generateKeyPair().publicKey
  t.alike(chooseHostKeyPolicy({ serverKey: fingerprint(k), acceptNew: true, isTTY: true, ask }), { mode: 'pinned', pin: fingerprint(k) })
  t.alike(chooseHostKeyPolicy({ serverKey: encodePublicKey(k), isTTY: false }), { mode: 'pinned', pin: encodePublicKey(k) })
  t.alike(chooseHostKeyPolicy({ acceptNew: true, isTTY: true, ask }), { mode: 'accept-new' })
  t.alike(chooseHostKeyPolicy({ strict: true, isTTY: true, ask }), { mode: 'strict' })
  t.is(chooseHostKeyPolicy({ isTTY: true, ask }).mode, 'ask')
  t.is(chooseHostKeyPolicy({ isTTY: false, ask }).mode, 'strict', 'no terminal: nobody to ask')
  t.is(chooseHostKeyPolicy({ isTTY: true }).mode, 'strict', 'no ask function: strict')
})

test('contradictory flags and a bad --server-key are usage errors quoting the value', (t) => {
  try {
    chooseHostKeyPolicy({ acceptNew: true, strict: true, isTTY: false })
    t.fail('accepted both')
  } catch (err) {
    t.is((err as { code?: string }).code, 'ERR_USAGE')
    t.ok((err as Error).message.includes('--accept-new and --strict'))
  }
  for (const bad of ['SHA256:abc', 'hello', encodePublicKey(generateKeyPair().publicKey).slice(1)]) {
    try {
      chooseHostKeyPolicy({ serverKey: bad, isTTY: false })
      t.fail(`accepted ${bad}`)
    } catch (err) {
      t.is((err as { code?: string }).code, 'ERR_USAGE')
      t.ok((err as Error).message.includes(`'${bad}'`), 'quotes the bad value')
      t.ok((err as Error).message.includes('noise-chat fingerprint'), 'says where to get a good one')
    }
  }
})

test('verifierFromTrustOptions uses the default known hosts under XDG_CONFIG_HOME', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-trust-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const k = generateKeyPair().publicKey
  const verify = verifierFromTrustOptions({ host: 'h', port: 5, env: { XDG_CONFIG_HOME: dir } }, { acceptNew: true, isTTY: false })
  t.is(await verify(k, INFO), true)
  const entries = await readKnownHosts(join(dir, 'noise-chat', 'known_hosts'))
  t.is(entries.length, 1)
  t.ok(entries[0]!.publicKey.equals(k))
})

function question (): HostKeyQuestion {
  const publicKey = generateKeyPair().publicKey
  return { host: 'h', port: 1, address: 'h:1', fingerprint: fingerprint(publicKey), publicKey, knownHostsFile: '/kh' }
}

test('askOnTerminal shows the fingerprint and takes yes, y or the pasted fingerprint as yes', async (t) => {
  const q = question()
  for (const [answer, expected] of [['yes\n', true], ['Y\n', true], [q.fingerprint + '\n', true], ['no\n', false], ['\n', false], ['SHA256:wrong\n', false]] as const) {
    const input = new PassThrough()
    const output = new PassThrough()
    let shown = ''
    output.on('data', (d: Buffer) => { shown += d })
    const pending = askOnTerminal({ input, output })(q)
    input.write(answer)
    t.is(await pending, expected, JSON.stringify(answer))
    t.ok(shown.includes(q.fingerprint), 'the prompt shows the fingerprint')
    t.ok(shown.includes('/kh'), 'and where it would be recorded')
  }
})

test('askOnTerminal treats the end of input as no', async (t) => {
  const input = new PassThrough()
  const pending = askOnTerminal({ input, output: new PassThrough() })(question())
  input.end()
  t.is(await pending, false)
})
