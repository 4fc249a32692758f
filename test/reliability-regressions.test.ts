import test from 'brittle'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import v8 from 'node:v8'
import vm from 'node:vm'
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { NickRegistry } from '../lib/chat/nick-registry.js'
import { JsonStateFile } from '../lib/chat/state-file.js'
import { cliProbe } from '../reliability/lib/probe.js'
import { secureTcpPair } from './helpers/streams.js'
import { BIN, ServerProcess, sandbox } from '../reliability/lib/server-process.js'

/*
 * Defects the reliability scripts found in the real server process, each
 * kept here so that it stays fixed (docs/RELIABILITY.md, "Faults").
 */

type Teardown = { teardown: (fn: () => unknown) => void }

interface Ran { code: number | null, stdout: string, stderr: string }

/** Assert that `text` holds `part`; show all of it when it does not. */
function says (t: { ok: (v: unknown, m?: string) => void }, text: string, part: string): void {
  t.ok(text.includes(part), text.includes(part) ? `says: ${part}` : `expected "${part}" in:\n${text}`)
}

/** Run `noise-chat server ARGS` on 127.0.0.1:0 until it exits (or 15 s, then SIGKILL). */
async function serverRun (env: NodeJS.ProcessEnv, args: string[], uid?: number): Promise<Ran> {
  const options = uid === undefined ? { env } : { env, uid, gid: uid }
  const child = spawn(process.execPath, [BIN, 'server', '--host', '127.0.0.1', '--port', '0', ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

function box (t: Teardown): ReturnType<typeof sandbox> & { file: string } {
  const b = sandbox('nc-regress-')
  t.teardown(() => b.remove())
  // A regular file: any path "under" it cannot be created, whoever we are (root included).
  const file = join(b.dir, 'a-file')
  writeFileSync(file, 'not a folder\n')
  return { ...b, file }
}

test('a log file that cannot be opened is one clear line and exit 1, before the server listens', async (t) => {
  const b = box(t)
  const ran = await serverRun(b.env, ['--state-dir', join(b.dir, 'state'), '--log', join(b.file, 'server.log')])
  t.is(ran.code, 1)
  says(t, ran.stderr, `cannot write the log file '${join(b.file, 'server.log')}': not a directory`)
  t.absent(ran.stderr.includes('Unhandled'), 'no stack trace')
  t.absent(ran.stdout.includes('listening'), 'it never listened')
})

test('a state directory that cannot be written is one clear line and exit 1 at start, not a surprise later', async (t) => {
  const b = box(t)
  const ran = await serverRun(b.env, ['--state-dir', join(b.file, 'state')])
  t.is(ran.code, 1)
  says(t, ran.stderr, `cannot write the state directory '${join(b.file, 'state')}': not a directory`)
  t.absent(ran.stdout.includes('listening'), 'it never listened')
})

test('a log whose writes fail (a full disk: /dev/full) stops the log with one line; the server goes on serving', async (t) => {
  const b = box(t)
  const server = await ServerProcess.start({ box: b, args: ['--log', '/dev/full'] })
  t.teardown(() => server.stop())
  const target = { port: server.port, key: server.key, publicKey: server.publicKey }
  const first = await cliProbe(target, b, 'first')
  const second = await cliProbe(target, b, 'second')
  t.ok(first.served && second.served, 'members are served after the log failed')
  t.ok(server.alive, 'the server is still running')
  says(t, server.stderr, "could not write the log file '/dev/full': no space left on device; logging stopped")
  t.is(await server.stop(), 0, 'and it shuts down cleanly')
})

test('a key file that cannot be created is named in the error, and nothing is left beside it', async (t) => {
  const b = box(t)
  const locked = join(b.dir, 'locked')
  mkdirSync(locked)
  chmodSync(locked, 0o555)
  t.teardown(() => { try { chmodSync(locked, 0o755) } catch {} })
  // Root writes anywhere: run the server as nobody then, if nobody can run it here.
  const asRoot = process.getuid?.() === 0
  const nobody = 65534
  if (asRoot) chownSync(b.dir, nobody, nobody)
  const canDrop = !asRoot || spawnSync(process.execPath, [BIN, '--version'], { uid: nobody, gid: nobody }).status === 0
  // Only the default key is created on first use (a --key FILE must exist): put the config folder where it cannot be written.
  const configHome = canDrop ? locked : b.file
  const ran = await serverRun({ ...b.env, XDG_CONFIG_HOME: configHome }, ['--state-dir', join(b.dir, 'state')], asRoot && canDrop ? nobody : undefined)
  t.is(ran.code, 1)
  if (canDrop) says(t, ran.stderr, `cannot create the folder '${join(locked, 'noise-chat')}': permission denied (EACCES)`)
  else says(t, ran.stderr, configHome)
  t.alike(readdirSync(locked), [], 'no key and no temporary file')
})

test('--max-handshakes takes N or N:PER_ADDRESS; anything else is a usage error', async (t) => {
  const b = box(t)
  for (const bad of ['0', '10:20', 'many', '5:0']) {
    const ran = await serverRun(b.env, ['--state-dir', join(b.dir, 'state'), '--max-handshakes', bad])
    t.is(ran.code, 2, `--max-handshakes ${bad}`)
    says(t, ran.stderr, `--max-handshakes '${bad}' must be N or N:PER_ADDRESS`)
  }
})

test('a secure stream that ended cleanly (END both ways) with keep-alive on leaves no timer holding it', async (t) => {
  // Found by the soak: every chat member that left cleanly stayed in memory for good (about 7 KiB each),
  // held by its keep-alive interval, because a clean end destroys the stream without _predestroy.
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as () => void
  const refs = await (async () => {
    const pair = await secureTcpPair({ keepAlive: 200, idleTimeout: 60_000 }, { keepAlive: 200, idleTimeout: 60_000 })
    const closed = Promise.all([once(pair.initiator, 'close'), once(pair.responder, 'close')])
    pair.initiator.resume()
    pair.responder.resume()
    pair.initiator.end()
    pair.responder.end()
    await closed
    return [new WeakRef(pair.initiator), new WeakRef(pair.responder)]
  })()
  // Long enough for a keep-alive to come due: a live interval would run (and keep its stream).
  await new Promise((resolve) => setTimeout(resolve, 500))
  gc()
  await new Promise((resolve) => setImmediate(resolve))
  gc()
  t.is(refs.filter((r) => r.deref() !== undefined).length, 0, 'both streams were collected')
})

test('a burst of saves to a state file is serialised and written once per interval, the latest data winning', async (t) => {
  // Found by the nick-registry-churn attack: each join serialised the whole registry (40 ms at 28,000 nicks),
  // so 16 joiners at a time held the server at 17 joins a second and the legitimate client waited 6 times longer.
  const b = box(t)
  const file = new JsonStateFile(join(b.dir, 'state.json'), undefined, 60_000)
  let built = 0
  for (let n = 0; n < 100; n++) file.save(() => { built++; return { n } })
  await file.flush()
  t.ok(built <= 2, `the data was built ${built} times for 100 saves`)
  t.alike(JSON.parse(readFileSync(join(b.dir, 'state.json'), 'utf8')), { n: 99 }, 'the file holds the latest')
  file.save({ n: 100 })
  await file.flush()
  t.alike(JSON.parse(readFileSync(join(b.dir, 'state.json'), 'utf8')), { n: 100 }, 'flush writes at once, without waiting out the interval')
})

test('a nick registry bigger than 4 MiB is written and loaded again (a busy server can restart)', async (t) => {
  // Found by the nick-registry-churn attack: past about 28,000 nicks the server wrote a nicks.json that the
  // 4 MiB bound of the trust files then refused at the next start (ERR_STATE_FILE_INVALID): it could not restart.
  const b = box(t)
  const path = join(b.dir, 'nicks.json')
  const registry = await NickRegistry.open(path)
  const count = 32_000
  for (let i = 0; i < count; i++) registry.bind(`n${i}`, randomBytes(32), Date.now())
  await registry.flush()
  t.ok(statSync(path).size > 4 * 1024 * 1024, `nicks.json is ${statSync(path).size} bytes`)
  const again = await NickRegistry.open(path)
  t.is(again.size, count, 'every binding loads again')
})
