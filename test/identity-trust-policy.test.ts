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

/** Ask `q` on a fake terminal, typing `lines`; the answer (or the thrown error) and what was shown. */
async function askLines (q: HostKeyQuestion, lines: string[]): Promise<{ answer: boolean | Error, shown: string }> {
  const input = new PassThrough()
  const output = new PassThrough()
  let shown = ''
  output.on('data', (d: Buffer) => { shown += d })
  const pending = Promise.resolve(askOnTerminal({ input, output })(q)).catch((err: Error) => err)
  for (const line of lines) input.write(line + '\n')
  return { answer: await pending, shown }
}

test('askOnTerminal shows the fingerprint, the command that prints it on the server, and takes yes, y or the pasted fingerprint or key as yes', async (t) => {
  const q = question()
  for (const [answer, expected] of [['yes', true], ['Y', true], [q.fingerprint, true], [encodePublicKey(q.publicKey), true], ['no', false], ['', false]] as const) {
    const { answer: got, shown } = await askLines(q, [answer])
    t.is(got, expected, JSON.stringify(answer))
    t.ok(shown.includes(q.fingerprint), 'the prompt shows the fingerprint')
    t.ok(shown.includes('/kh'), 'and where it would be recorded')
    t.ok(shown.includes("'noise-chat fingerprint --server' prints it"), 'and the command that prints the server fingerprint on the server')
  }
})

test('askOnTerminal: a mistyped fingerprint says it does not match and shows both; other text asks again', async (t) => {
  const q = question()
  const typed = 'SHA256:' + 'A'.repeat(43)
  const { answer } = await askLines(q, [typed])
  t.ok(answer instanceof Error)
  t.is((answer as { code?: string }).code, 'ERR_HOST_KEY_MISMATCH')
  t.ok((answer as Error).message.includes('does not match'), (answer as Error).message)
  t.ok((answer as Error).message.includes(typed), 'shows what was typed')
  t.ok((answer as Error).message.includes(q.fingerprint), "and the server's fingerprint")
  const otherKey = await askLines(q, [encodePublicKey(generateKeyPair().publicKey)])
  t.is((otherKey.answer as { code?: string }).code, 'ERR_HOST_KEY_MISMATCH', 'another public key pasted: a mismatch too')
  const again = await askLines(q, ['maybe', 'yes'])
  t.is(again.answer, true, 'after an unclear answer the next line counts')
  t.ok(again.shown.includes("Please type 'yes', 'no' or the fingerprint"))
})

test('askOnTerminal treats the end of input as no', async (t) => {
  const input = new PassThrough()
  const pending = askOnTerminal({ input, output: new PassThrough() })(question())
  input.end()
  t.is(await pending, false)
})
