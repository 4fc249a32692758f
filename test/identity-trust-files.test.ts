import test from 'brittle'
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodePublicKey, generateKeyPair } from '../lib/secure/keypair.js'
import { AuthorizedKeys } from '../lib/identity/authorized-keys.js'
import { checkTrustFileMode } from '../lib/identity/files.js'
import { hostKeyCheck } from '../lib/identity/host-key-verifier.js'
import { forgetKnownHost, readKnownHosts } from '../lib/identity/known-hosts.js'
import { cli, tempHome } from './helpers/tool-procs.js'

type T = { teardown: (fn: () => unknown) => void }

function folder (t: T): string {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-trust-files-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A file with `text`, given exactly `mode` (whatever the umask). */
function fileWith (dir: string, name: string, text: string, mode: number): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  chmodSync(path, mode)
  return path
}

async function codeOf (work: () => Promise<unknown>): Promise<{ code: string, message: string } | null> {
  try {
    await work()
    return null
  } catch (err) {
    return { code: (err as { code?: string }).code ?? '', message: (err as Error).message }
  }
}

const INFO = { isInitiator: true, handshakeHash: Buffer.alloc(64) }

test('authorized keys (and admins) writable by group or others are refused with the chmod that fixes them', async (t) => {
  const dir = folder(t)
  const line = `${encodePublicKey(generateKeyPair().publicKey)} alice\n`
  for (const mode of [0o666, 0o620, 0o602]) {
    const file = fileWith(dir, `authorized_keys_${mode.toString(8)}`, line, mode)
    const refused = await codeOf(() => AuthorizedKeys.load(file))
    t.is(refused?.code, 'ERR_TRUST_FILE_PERMISSIONS', mode.toString(8))
    t.ok(refused?.message.includes(`permissions 0${mode.toString(8)} for trust file '${file}' are too open`))
    t.ok(refused?.message.includes(`Fix it with: chmod go-w '${file}'`))
  }
  const fine = fileWith(dir, 'readable_by_all', line, 0o644)
  t.is((await AuthorizedKeys.load(fine)).size, 1, 'readable by others is fine: only writing matters')
})

test('a reload keeps the old authorized keys when the file became writable by others', async (t) => {
  const dir = folder(t)
  const a = generateKeyPair().publicKey
  const file = fileWith(dir, 'authorized_keys', `${encodePublicKey(a)} alice\n`, 0o600)
  const keys = await AuthorizedKeys.load(file)
  writeFileSync(file, `${encodePublicKey(generateKeyPair().publicKey)} mallory\n`)
  chmodSync(file, 0o666)
  t.is((await codeOf(() => keys.reload()))?.code, 'ERR_TRUST_FILE_PERMISSIONS')
  t.ok(keys.has(a), 'the old set stays')
})

test('known hosts writable by others is refused by the host key check and by forget', async (t) => {
  const dir = folder(t)
  const server = generateKeyPair().publicKey
  const file = fileWith(dir, 'known_hosts', `h:1 ${encodePublicKey(server)}\n`, 0o606)
  const check = hostKeyCheck({ host: 'h', port: 1, policy: { mode: 'strict' }, knownHostsFile: file })
  t.is((await codeOf(async () => check(server, INFO)))?.code, 'ERR_TRUST_FILE_PERMISSIONS', 'not trusted, even for a key it lists')
  t.is((await codeOf(() => forgetKnownHost(file, 'h')))?.code, 'ERR_TRUST_FILE_PERMISSIONS')
  chmodSync(file, 0o600)
  t.is((await readKnownHosts(file)).length, 1, 'after chmod it loads')
})

test('a trust file owned by another user is refused with the chown that fixes it', async (t) => {
  const me = process.getuid!()
  if (me === 0) {
    // As root: a real file given to another user (nobody).
    const dir = folder(t)
    const file = fileWith(dir, 'known_hosts', `h:1 ${encodePublicKey(generateKeyPair().publicKey)}\n`, 0o644)
    chownSync(file, 65534, 65534)
    const refused = await codeOf(() => readKnownHosts(file))
    t.is(refused?.code, 'ERR_TRUST_FILE_PERMISSIONS')
    t.ok(refused?.message.includes('is owned by user 65534'))
    t.ok(refused?.message.includes(`Fix it with: chown 0 '${file}'`))
  } else {
    // Without root no file of another user can be made: check the rule on a stat as the file system would give it.
    const stat = { mode: 0o100644, uid: me + 1 }
    t.exception(() => checkTrustFileMode(stat, '/f'), /is owned by user/)
  }
  t.execution(() => checkTrustFileMode({ mode: 0o100644, uid: 0 }, '/f'), 'owned by root is fine')
  t.execution(() => checkTrustFileMode({ mode: 0o100600, uid: me }, '/f'), 'owned by us is fine')
})

test('noise-chat server refuses a world-writable --authorized-keys or --admins file at start', async (t) => {
  const { dir, env } = tempHome(t)
  const line = `${encodePublicKey(generateKeyPair().publicKey)} alice\n`
  for (const flag of ['--authorized-keys', '--admins']) {
    const file = fileWith(dir, `${flag.slice(2)}_file`, line, 0o666)
    const proc = cli(t, ['server', '--host', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'state'), flag, file], { env })
    t.is(await proc.exited, 1, flag)
    t.ok(proc.stderr().includes(`Fix it with: chmod go-w '${file}'`), 'the fix is shown')
    t.ok(proc.stderr().includes('(ERR_TRUST_FILE_PERMISSIONS)'))
    t.is(statSync(file).mode & 0o777, 0o666, 'the file is left as it is')
  }
})
