import test from 'brittle'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodePublicKey, fingerprint, generateKeyPair } from '../lib/secure/keypair.js'
import {
  addKnownHost, forgetKnownHost, formatKnownHostLine, matchKnownHost, parseKnownHosts, readKnownHosts
} from '../lib/identity/known-hosts.js'
import { askableQuestion, hostKeyCheck, hostKeyVerifier, recordHostKey } from '../lib/identity/host-key-verifier.js'
import type { HostKeyPolicy } from '../lib/identity/host-key-verifier.js'

const INFO = { isInitiator: true, handshakeHash: Buffer.alloc(64) }

function tempFile (t: { teardown: (fn: () => void) => void }, name = 'known_hosts'): string {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-known-hosts-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'cfg', name)
}

/** Run a verifier and return its verdict: true, or the thrown error's code and message. */
async function verdict (verify: ReturnType<typeof hostKeyVerifier>, key: Buffer): Promise<true | { code: string, message: string }> {
  try {
    const ok = await verify(key, INFO)
    return ok === true ? true : { code: 'NOT_TRUE', message: String(ok) }
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message }
  }
}

const key = () => generateKeyPair().publicKey

test('known hosts lines parse with comments, blank lines, IPv6 brackets and a free comment', (t) => {
  const a = key()
  const b = key()
  const text = [
    '# my servers',
    '',
    `chat.Example.org:7777 ${encodePublicKey(a)} work chat, added by hand`,
    `  [::1]:9000 ${encodePublicKey(b)}  `,
    ''
  ].join('\n')
  const entries = parseKnownHosts(text, '/f')
  t.is(entries.length, 2)
  t.is(entries[0]!.host, 'chat.example.org', 'host names are lower-cased')
  t.is(entries[0]!.port, 7777)
  t.is(entries[0]!.comment, 'work chat, added by hand')
  t.is(entries[0]!.line, 3)
  t.is(entries[1]!.host, '::1')
  t.is(entries[1]!.port, 9000)
  t.is(entries[1]!.line, 4)
  t.is(formatKnownHostLine('::1', 9000, b), `[::1]:9000 ${encodePublicKey(b)}`)
  t.alike(parseKnownHosts(formatKnownHostLine('::1', 9000, b, 'c d'), '/f')[0]!.publicKey, b, 'formatted lines parse back')
})

test('a bad known hosts line is an error naming the file and line', (t) => {
  const good = `h:1 ${encodePublicKey(key())}`
  const cases = [
    ['h', /no port/],
    ['h:1', /has no key/],
    ['h:99999 ' + encodePublicKey(key()), /port '99999'/],
    ['h:1 notakey', /not a public key/],
    ['[::1 ' + encodePublicKey(key()), /without its \]/]
  ] as const
  for (const [line, pattern] of cases) {
    try {
      parseKnownHosts(`# c\n${good}\n${line}\n`, '/etc/kh')
      t.fail(`accepted '${line}'`)
    } catch (err) {
      t.is((err as { code?: string }).code, 'ERR_TRUST_FILE_INVALID')
      t.ok((err as Error).message.startsWith('/etc/kh:3: '), 'file:line first')
      t.ok(pattern.test((err as Error).message), (err as Error).message)
    }
  }
})

test('matchKnownHost: known, unknown, changed, per host and port', (t) => {
  const a = key()
  const b = key()
  const entries = parseKnownHosts(`h:1 ${encodePublicKey(a)}\nh:2 ${encodePublicKey(b)}\n`, '/f')
  t.is(matchKnownHost(entries, 'H', 1, a).status, 'known')
  t.is(matchKnownHost(entries, 'h', 3, a).status, 'unknown', 'another port is another server')
  t.is(matchKnownHost(entries, 'other', 1, a).status, 'unknown')
  const changed = matchKnownHost(entries, 'h', 1, b)
  t.is(changed.status, 'changed')
  if (changed.status === 'changed') t.is(changed.entries[0]!.line, 1)
})

test('accept-new records an unknown host on first use and accepts it afterwards', async (t) => {
  const file = tempFile(t)
  const server = key()
  const recorded: string[] = []
  const verify = hostKeyVerifier({ host: '127.0.0.1', port: 7000, policy: { mode: 'accept-new' }, knownHostsFile: file, onRecord: (r) => recorded.push(r.address + ' ' + r.fingerprint) })
  t.is(await verdict(verify, server), true, 'first use accepted')
  t.alike(recorded, [`127.0.0.1:7000 ${fingerprint(server)}`], 'told what was recorded')
  const entries = await readKnownHosts(file)
  t.is(entries.length, 1)
  t.ok(entries[0]!.publicKey.equals(server))
  if (process.platform !== 'win32') t.is(statSync(file).mode & 0o777, 0o600, 'known_hosts created 0600')
  t.is(await verdict(verify, server), true, 'second use accepted')
  t.is((await readKnownHosts(file)).length, 1, 'not recorded twice')
  const strict = hostKeyVerifier({ host: '127.0.0.1', port: 7000, policy: { mode: 'strict' }, knownHostsFile: file })
  t.is(await verdict(strict, server), true, 'strict accepts a host recorded earlier')
})

test('strict refuses an unknown host, says which flags to use and records nothing', async (t) => {
  const file = tempFile(t)
  const server = key()
  const result = await verdict(hostKeyVerifier({ host: 'h', port: 1, policy: { mode: 'strict' }, knownHostsFile: file }), server)
  t.not(result, true)
  if (result === true) return
  t.is(result.code, 'ERR_HOST_KEY_UNKNOWN')
  t.ok(result.message.includes('--accept-new'))
  t.ok(result.message.includes(`--server-key ${fingerprint(server)}`))
  t.alike(await readKnownHosts(file), [])
})

test('a changed key fails under strict, accept-new and ask (even a yes) with both fingerprints, file:line and the forget command', async (t) => {
  const file = tempFile(t)
  const old = key()
  const presented = key()
  await addKnownHost(file, 'other', 5, key())
  await addKnownHost(file, 'chat.example.org', 7777, old)
  const asked: unknown[] = []
  const policies: HostKeyPolicy[] = [
    { mode: 'strict' },
    { mode: 'accept-new' },
    { mode: 'ask', ask: (q) => { asked.push(q); return true } }
  ]
  for (const policy of policies) {
    const result = await verdict(hostKeyVerifier({ host: 'chat.example.org', port: 7777, policy, knownHostsFile: file }), presented)
    t.not(result, true, policy.mode)
    if (result === true) continue
    t.is(result.code, 'ERR_HOST_KEY_CHANGED', policy.mode)
    t.ok(result.message.includes('HAS CHANGED'))
    t.ok(result.message.includes(fingerprint(old)), 'recorded fingerprint')
    t.ok(result.message.includes(fingerprint(presented)), 'presented fingerprint')
    t.ok(result.message.includes(`${file}:2`), 'file and line of the old entry')
    t.ok(result.message.includes(`noise-chat forget 'chat.example.org:7777' --known-hosts '${file}'`), 'the command that removes it')
    t.ok(result.message.startsWith('the key of chat.example.org:7777 has changed; the connection was refused.\n@@@'), 'a plain first line, then the banner')
    t.ok(result.message.includes('--server-key FINGERPRINT'), 'names the explicit pin, the other override')
    t.absent(result.message.includes('Nothing else overrides'), 'no claim that nothing else overrides it')
    t.ok(result.message.includes("'noise-chat fingerprint --server' prints it"), 'the command that prints the server fingerprint')
  }
  t.is(asked.length, 0, 'ask is never consulted about a changed key')
  const entries = await readKnownHosts(file)
  t.is(entries.length, 2, 'nothing recorded')
  t.ok(entries[1]!.publicKey.equals(old), 'the old entry is untouched')
})

test('after forget, accept-new records the new key', async (t) => {
  const file = tempFile(t)
  const old = key()
  const fresh = key()
  await addKnownHost(file, 'h', 1, old)
  await addKnownHost(file, 'h', 2, old)
  const verify = hostKeyVerifier({ host: 'h', port: 1, policy: { mode: 'accept-new' }, knownHostsFile: file })
  t.is((await verdict(verify, fresh) as { code: string }).code, 'ERR_HOST_KEY_CHANGED')
  const removed = await forgetKnownHost(file, 'h', 1)
  t.is(removed.length, 1)
  t.is(removed[0]!.line, 1)
  t.is(await verdict(verify, fresh), true)
  const entries = await readKnownHosts(file)
  t.is(entries.length, 2)
  t.ok(entries.find((e) => e.port === 1)!.publicKey.equals(fresh), 'the new key is recorded')
  t.ok(entries.find((e) => e.port === 2)!.publicKey.equals(old), 'the other port is kept')
})

test('forget keeps comments and other lines, keeps the mode, and without a port removes every port', async (t) => {
  const file = tempFile(t)
  const a = encodePublicKey(key())
  await addKnownHost(file, 'keep.me', 1, key())
  const text = `# header comment\nh:1 ${a}\nkeep.me:1 ${a}\n[::1]:3 ${a}\nH:2 ${a} second\nnot a valid line at all\n`
  writeFileSync(file, text)
  chmodSync(file, 0o640)
  const removed = await forgetKnownHost(file, 'h')
  t.alike(removed.map((r) => r.line), [2, 5])
  t.is(readFileSync(file, 'utf8'), `# header comment\nkeep.me:1 ${a}\n[::1]:3 ${a}\nnot a valid line at all\n`)
  if (process.platform !== 'win32') t.is(statSync(file).mode & 0o777, 0o640, 'mode kept')
  t.alike((await forgetKnownHost(file, '::1', 3)).map((r) => r.line), [3], 'IPv6 by address')
  t.alike(await forgetKnownHost(file, 'absent'), [], 'nothing to remove')
  t.alike(await forgetKnownHost(file + '.missing', 'h'), [], 'a missing file holds nothing')
})

test('pinned by key or by fingerprint accepts only that key, without known hosts', async (t) => {
  const file = tempFile(t)
  const server = key()
  const other = key()
  for (const pin of [encodePublicKey(server), fingerprint(server), server]) {
    const verify = hostKeyVerifier({ host: 'h', port: 1, policy: { mode: 'pinned', pin }, knownHostsFile: file })
    t.is(await verdict(verify, server), true)
    const miss = await verdict(verify, other)
    t.not(miss, true)
    if (miss === true) continue
    t.is(miss.code, 'ERR_HOST_KEY_MISMATCH')
    t.ok(miss.message.includes(`expected:  ${fingerprint(server)}`), 'shows the expected fingerprint')
    t.ok(miss.message.includes(`presented: ${fingerprint(other)}`), 'shows the presented fingerprint')
  }
  t.alike(await readKnownHosts(file), [], 'a pin records nothing')
})

test('an explicit pin of the new key is the one thing that gets past a changed key', async (t) => {
  const file = tempFile(t)
  const fresh = key()
  await addKnownHost(file, 'h', 1, key())
  const verify = hostKeyVerifier({ host: 'h', port: 1, policy: { mode: 'pinned', pin: fingerprint(fresh) }, knownHostsFile: file })
  t.is(await verdict(verify, fresh), true)
})

test('a bad pin is refused before any connection', (t) => {
  for (const pin of ['SHA256:short', 'nonsense', Buffer.alloc(31)]) {
    try {
      hostKeyVerifier({ host: 'h', port: 1, policy: { mode: 'pinned', pin }, knownHostsFile: '/nowhere' })
      t.fail('accepted a bad pin')
    } catch (err) {
      t.is((err as { code?: string }).code, 'ERR_KEY_INVALID')
    }
  }
})

test('ask: an unknown key is refused at once with the question to ask afterwards; recordHostKey records it once', async (t) => {
  const file = tempFile(t)
  const server = key()
  let asked = false
  const policy: HostKeyPolicy = { mode: 'ask', ask: () => { asked = true; return true } }
  const refused = await Promise.resolve().then(() => hostKeyCheck({ host: '[::1]', port: 9, knownHostsFile: file, policy })(server, INFO)).then(() => undefined, (err: Error) => err)
  t.is((refused as { code?: string } | undefined)?.code, 'ERR_HOST_KEY_UNKNOWN', 'refused inside the handshake')
  t.absent(asked, 'nobody is asked while a handshake runs')
  const q = askableQuestion(refused)!
  t.is(q.address, '[::1]:9')
  t.is(q.host, '::1')
  t.is(q.fingerprint, fingerprint(server))
  t.ok(q.publicKey.equals(server))
  t.is(q.knownHostsFile, file)
  t.alike(await readKnownHosts(file), [], 'nothing recorded')
  t.is(askableQuestion(new Error('other')), undefined)

  const recorded: string[] = []
  const options = { host: '::1', port: 9, knownHostsFile: file, policy, onRecord: (r: { address: string }) => recorded.push(r.address) }
  t.ok(await recordHostKey(options, server))
  t.is(await recordHostKey(options, server), undefined, 'a key already there is not recorded twice')
  t.alike(recorded, ['[::1]:9'])
  t.is(readFileSync(file, 'utf8').trim().split('\n').length, 1)
  t.is(readFileSync(file, 'utf8').split(' ')[0], '[::1]:9', 'recorded with brackets')
  t.is(await hostKeyCheck({ host: '::1', port: 9, knownHostsFile: file, policy })(server, INFO), true, 'a recorded host is accepted without asking')
  t.absent(asked)
})

test('concurrent first uses append whole lines and lose none', async (t) => {
  const file = tempFile(t)
  const keys = Array.from({ length: 40 }, key)
  await Promise.all(keys.map((k, i) => addKnownHost(file, `host${i}`, 1000 + i, k)))
  const entries = await readKnownHosts(file)
  t.is(entries.length, keys.length, 'every line is there and parses')
  for (let i = 0; i < keys.length; i++) t.ok(entries.find((e) => e.host === `host${i}`)!.publicKey.equals(keys[i]!))
})

test('a hand-edited file without a final newline gets a whole new line', async (t) => {
  const file = tempFile(t)
  const a = key()
  const b = key()
  await addKnownHost(file, 'a', 1, a)
  writeFileSync(file, readFileSync(file, 'utf8').trimEnd())
  await addKnownHost(file, 'b', 2, b)
  const entries = await readKnownHosts(file)
  t.is(entries.length, 2)
  t.ok(entries[1]!.publicKey.equals(b))
})

test('an invalid known hosts file makes verification fail with file:line instead of trusting', async (t) => {
  const file = tempFile(t)
  await addKnownHost(file, 'h', 1, key())
  writeFileSync(file, 'garbage line\n', { flag: 'a' })
  const result = await verdict(hostKeyVerifier({ host: 'new', port: 1, policy: { mode: 'accept-new' }, knownHostsFile: file }), key())
  t.is((result as { code: string }).code, 'ERR_TRUST_FILE_INVALID')
  t.ok((result as { message: string }).message.includes(`${file}:2`))
})

test('several processes recording hosts at once lose no line', async (t) => {
  const file = tempFile(t)
  const moduleUrl = new URL('../lib/identity/known-hosts.js', import.meta.url).href
  const script = `
    const { addKnownHost } = await import(${JSON.stringify(moduleUrl)})
    const { randomBytes } = await import('node:crypto')
    const [file, id] = process.argv.slice(1)
    await Promise.all(Array.from({ length: 25 }, (_, i) => addKnownHost(file, 'p' + id + '-' + i, 1000 + i, randomBytes(32))))
  `
  const children = Array.from({ length: 4 }, (_, id) => spawn(process.execPath, ['--input-type=module', '-e', script, file, String(id)], { stdio: 'inherit' }))
  const codes = await Promise.all(children.map((c) => once(c, 'exit').then(([code]) => code)))
  t.alike(codes, [0, 0, 0, 0])
  const entries = await readKnownHosts(file)
  t.is(entries.length, 100, 'every line of every process is there, whole')
  t.is(new Set(entries.map((e) => e.host)).size, 100)
})

test('the library refuses hosts that cannot be a known hosts entry (ERR_HOST_INVALID) and writes nothing', async (t) => {
  const file = tempFile(t)
  const k = key()
  await addKnownHost(file, 'good.example', 1, k)
  const before = readFileSync(file, 'utf8')
  const bad: Array<[string, number]> = [['evil\nother:1 ' + encodePublicKey(k), 7], ['two words', 7], ['', 7], ['#comment', 7], ['h', 0], ['h', 70000], ['h', 1.5], ['[::1', 7]]
  for (const [host, port] of bad) {
    const err = await addKnownHost(file, host, port, k).then(() => null, (e: Error) => e)
    t.is((err as { code?: string } | null)?.code, 'ERR_HOST_INVALID', JSON.stringify(host) + ' ' + port)
    let thrown: unknown
    try {
      hostKeyCheck({ host, port, policy: { mode: 'accept-new' }, knownHostsFile: file })
    } catch (e) {
      thrown = e
    }
    t.is((thrown as { code?: string } | undefined)?.code, 'ERR_HOST_INVALID', 'the verifier refuses it before any connection')
  }
  t.is(readFileSync(file, 'utf8'), before, 'the file is unchanged')
  t.is((await readKnownHosts(file)).length, 1, 'and still parses')
  for (const host of ['example.org', 'EXAMPLE.org', '127.0.0.1', '::1', '[::1]', 'fe80::1%eth0']) {
    await addKnownHost(file, host, 9, k)
  }
  t.is((await readKnownHosts(file)).length, 7, 'names, IPv4, IPv6 (bracketed or not, with a zone) are written and read back')
})
