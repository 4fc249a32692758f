import test from 'brittle'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodePublicKey, generateKeyPair } from '../lib/secure/keypair.js'
import { cli, tempHome } from './helpers/tool-procs.js'

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')

/** A port on 127.0.0.1 that nobody listens on (bound, then closed). */
async function closedPort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** The lines a command wrote to stderr. */
function lines (text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}

test('an explicit --key that does not exist is an error for every command, offering keygen, and creates nothing', async (t) => {
  const { dir, env } = tempHome(t)
  const missing = join(dir, 'typo', 'me.key')
  const commands = [
    ['connect', '127.0.0.1:1', '--accept-new'],
    ['pipe', '127.0.0.1:1', '--accept-new'],
    ['server', '--host', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'state')],
    ['listen', '127.0.0.1:0'],
    ['tunnel', 'client', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--accept-new'],
    ['tunnel', 'server', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1']
  ]
  for (const args of commands) {
    const run = cli(t, [...args, '--key', missing], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const code = await run.exited
    const what = args.slice(0, args[0] === 'tunnel' ? 2 : 1).join(' ')
    t.is(code, 1, `${what}: exit 1`)
    t.ok(run.stderr().includes(`no key file at '${missing}'`) && run.stderr().includes(`noise-chat keygen -f '${missing}'`), `${what}: ${run.stderr()}`)
    t.ok(run.stderr().includes('(ERR_KEY_FILE_MISSING)'), `${what}: the code`)
    t.is(lines(run.stderr()).length, 1, `${what}: one line`)
  }
  t.absent(existsSync(join(dir, 'typo')), 'no key and no folder were created')
})

test('only the default key is created on first use, saying where', async (t) => {
  const { dir, env } = tempHome(t)
  const port = await closedPort()
  const run = cli(t, ['pipe', `127.0.0.1:${port}`, '--accept-new'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.is(await run.exited, 3)
  const created = join(dir, 'noise-chat', 'id_x25519')
  t.ok(run.stderr().includes(`Created a new key pair in ${created}`), run.stderr())
  t.ok(existsSync(created), 'the default key exists now')
})

test('connection refused has one wording in every command: connect, pipe', async (t) => {
  const { env } = tempHome(t)
  const port = await closedPort()
  for (const command of ['connect', 'pipe']) {
    const run = cli(t, [command, `127.0.0.1:${port}`, '--accept-new'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    run.child.stdin!.end()
    t.is(await run.exited, 3, `${command}: exit 3`)
    const failure = lines(run.stderr()).filter((l) => !l.startsWith('Created a new key'))
    t.alike(failure, [`noise-chat ${command}: could not connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED)`], command)
  }
})

test('option errors are our own one-line usage errors, naming the option and the fix', async (t) => {
  const { env } = tempHome(t)
  const cases: Array<{ args: string[], says: string }> = [
    { args: ['server', '--port'], says: "noise-chat server: --port needs a value: give it as --port VALUE (see 'noise-chat server --help')" },
    { args: ['server', '--history', '-5'], says: "noise-chat server: --history '-5' must be a whole number from 0 to" },
    { args: ['server', '--bogus'], says: "noise-chat server: unknown option '--bogus' (see 'noise-chat server --help')" },
    { args: ['pipe', '127.0.0.1:1', '--strict=yes'], says: "noise-chat pipe: --strict takes no value (give '--strict' alone, not '--strict=yes')" },
    { args: ['connect', '127.0.0.1:1', '--nick', '--strict'], says: 'noise-chat connect: --nick needs a value, but it is followed by the option --strict' },
    { args: ['keygen', '-f'], says: 'noise-chat keygen: -f needs a value: give it as -f or --file VALUE' }
  ]
  for (const c of cases) {
    const run = cli(t, c.args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    t.is(await run.exited, 2, `${c.args.join(' ')}: exit 2`)
    const said = lines(run.stderr())
    t.is(said.length, 1, `${c.args.join(' ')}: one line: ${run.stderr()}`)
    t.ok(said[0]?.startsWith(c.says), `${c.args.join(' ')}: ${said[0] ?? ''}`)
    t.absent(run.stderr().includes("Option '"), 'nothing of node\'s parser wording')
  }
})

test('the recipe to recompute a fingerprint (README and fingerprint --help) prints exactly what noise-chat prints', async (t) => {
  const { env } = tempHome(t)
  const help = cli(t, ['fingerprint', '--help'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.is(await help.exited, 0)
  const recipe = (text: string): string | undefined => text.split('\n').map((l) => l.trim()).find((l) => l.includes('base64 -d') && l.includes('KEY'))
  const fromHelp = recipe(help.stdout())
  const fromReadme = recipe(README)
  t.ok(fromHelp !== undefined && fromReadme !== undefined, 'both show a recipe')
  t.is(fromHelp, fromReadme, 'the same recipe in both places')
  for (let i = 0; i < 3; i++) {
    const key = encodePublicKey(generateKeyPair().publicKey)
    const shell = execFileSync('sh', ['-c', fromHelp!.replace('KEY', key)], { encoding: 'utf8' }).trim()
    const shown = cli(t, ['fingerprint', key], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    t.is(await shown.exited, 0)
    const ours = /^fingerprint: (\S+)$/m.exec(shown.stdout())?.[1]
    t.is(shell, ours, `the shell prints ${shell}`)
  }
})

test('an address in use has one wording in every listening command: server, listen, tap, tunnel', async (t) => {
  const { dir, env } = tempHome(t)
  const busy = net.createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())))
  const port = (busy.address() as net.AddressInfo).port
  const commands = [
    ['server', '--host', '127.0.0.1', '--port', String(port), '--state-dir', join(dir, 'state')],
    ['listen', `127.0.0.1:${port}`],
    ['tap', '--listen', `127.0.0.1:${port}`, '--to', '127.0.0.1:1'],
    ['tunnel', 'client', '--listen', `127.0.0.1:${port}`, '--to', '127.0.0.1:1', '--accept-new']
  ]
  for (const args of commands) {
    const run = cli(t, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    t.is(await run.exited, 3, `${args[0]!}: exit 3`)
    const failure = lines(run.stderr()).filter((l) => l.startsWith('noise-chat '))
    t.alike(failure, [`noise-chat ${args[0]!}: could not listen on 127.0.0.1:${port}: the address is already in use (EADDRINUSE)`], args[0])
  }
})
