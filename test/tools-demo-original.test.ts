// `noise-chat demo --original DIR` against the real original chat room
// (TomPrograms/Python-Internet-Chat-Room), unmodified. It is found in
// $NOISE_CHAT_ORIGINAL_DIR, or in ../shared/original-chat beside the
// repository (where CI puts a copy of shared/). Without it, or without
// python3, these tests fail: they never skip.
import test from 'brittle'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import net from 'node:net'
import { PassThrough, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { runOriginalDemo } from '../lib/tools/demo-original.js'
import { SAID_BY_ALICE, SAID_BY_BOBBY } from '../lib/tools/demo.js'
import { cli, tempHome } from './helpers/tool-procs.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const ORIGINAL = process.env.NOISE_CHAT_ORIGINAL_DIR ?? resolve(REPO, '..', 'shared', 'original-chat')

function originalDir (t: { fail: (message: string) => void }): string {
  if (!existsSync(join(ORIGINAL, 'server.py')) || !existsSync(join(ORIGINAL, 'client.py'))) {
    t.fail(`the original chat room is not at ${ORIGINAL} (no server.py and client.py): put a copy of shared/ ` +
      'beside the repository, or set NOISE_CHAT_ORIGINAL_DIR to the folder that holds them')
  }
  return ORIGINAL
}

function emptyDir (t: { teardown: (fn: () => unknown) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'noise-chat-original-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('demo --original: the eavesdropper reads the names, messages and join notice of the real original in plaintext', { timeout: 60_000 }, async (t) => {
  const dir = originalDir(t)
  const { env } = tempHome(t)
  const demo = cli(t, ['demo', '--original', dir], { env })
  t.is(await demo.exited, 0, demo.stderr())
  const out = demo.stdout()
  t.ok(out.includes("What the eavesdropper saw (the tap's report"), 'it prints the tap\'s report')
  // The hexdump's ASCII column, as the tap printed it: the first send of each connection is the bare name.
  t.ok(/\[#1 ->\] 5 bytes\n {4}0x0000: {2}616c 6963 65 +alice\n/.test(out), "alice's username, alone, in plaintext")
  t.ok(/\[#2 ->\] 5 bytes\n {4}0x0000: {2}626f 6262 79 +bobby\n/.test(out), "bobby's username, alone, in plaintext")
  t.ok(out.includes('4e65 7720 7065 7273 6f6e 206a 6f69 6e65  New person joine'), 'the join notice in plaintext')
  t.ok(out.includes('616c 6963 6520 2d20 7468 6520 7370 6172  alice - the spar'), "alice's message with her name")
  t.ok(out.includes('626f 6262 7920 2d20 7468 616e 6b73 2c20  bobby - thanks, '), "bobby's message with his name")
  t.ok(/(\d+) of \1 claims hold\.\n$/.test(out), out.split('\n').slice(-2).join(' '))
  t.absent(out.includes('[FAILED]'), 'no claim failed')
})

test('demo --original: the captured bytes are the plain text, unframed, both ways', { timeout: 60_000 }, async (t) => {
  const dir = originalDir(t)
  const output = new PassThrough()
  output.resume()
  const result = await runOriginalDemo({ dir, output })
  for (const c of result.claims) t.ok(c.ok, `${c.text}${c.detail === undefined ? '' : ` (${c.detail})`}`)
  const [alice, bobby] = result.connections
  const text = (chunks: Buffer[] | undefined): string => Buffer.concat(chunks ?? []).toString('utf8')
  t.is(text(alice?.chunks['client-to-server']), `alicealice - ${SAID_BY_ALICE}alice - bobby, are you still there?`)
  t.is(text(bobby?.chunks['client-to-server']), `bobbybobby - ${SAID_BY_BOBBY}`)
  t.is(text(alice?.chunks['server-to-client']), `New person joined the room. Username: bobbybobby - ${SAID_BY_BOBBY}`)
  t.is(text(bobby?.chunks['server-to-client']), `alice - ${SAID_BY_ALICE}alice - bobby, are you still there?`)
})

test('demo --original, aborted: the original\'s server is killed, not left running', { timeout: 60_000 }, async (t) => {
  const dir = originalDir(t)
  const controller = new AbortController()
  let narration = ''
  // Abort as the narration starts: the server is up, the conversation not yet begun.
  const output = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      narration += chunk.toString()
      controller.abort()
      callback()
    }
  })
  const result = await runOriginalDemo({ dir, output, signal: controller.signal })
  t.ok(result.claims.some((c) => !c.ok), 'the interrupted run does not claim success')
  const port = Number(/bound 127\.0\.0\.1:(\d+)\./.exec(narration)?.[1])
  t.ok(port > 0, `the narration named the server's port (${port})`)
  const refused = await new Promise<string>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.on('connect', () => { socket.destroy(); resolve('connected') })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
  t.is(refused, 'ECONNREFUSED', 'nothing listens on its port any more')
})

test('demo --original with a folder that lacks the original: ERR_ORIGINAL_NOT_FOUND, naming what is missing', { timeout: 30_000 }, async (t) => {
  const { env } = tempHome(t)
  const empty = emptyDir(t)
  const none = cli(t, ['demo', '--original', empty], { env })
  t.is(await none.exited, 1)
  t.ok(none.stderr().includes(`'${empty}' has no server.py and no client.py`), none.stderr())
  t.ok(none.stderr().trimEnd().endsWith('(ERR_ORIGINAL_NOT_FOUND)'), none.stderr())
  t.is(none.stdout(), '', 'nothing ran')

  writeFileSync(join(empty, 'server.py'), '')
  const half = cli(t, ['demo', '--original', empty], { env })
  t.is(await half.exited, 1)
  t.ok(half.stderr().includes('has no client.py:'), half.stderr())
  t.ok(half.stderr().includes('(ERR_ORIGINAL_NOT_FOUND)'))

  const missing = cli(t, ['demo', '--original', join(empty, 'nowhere')], { env })
  t.is(await missing.exited, 1)
  t.ok(missing.stderr().includes('(ERR_ORIGINAL_NOT_FOUND)'), missing.stderr())
})

test('demo --original without python3 on PATH: ERR_PYTHON_NOT_FOUND', { timeout: 30_000 }, async (t) => {
  const dir = originalDir(t)
  const { env } = tempHome(t)
  const demo = cli(t, ['demo', '--original', dir], { env: { ...env, PATH: emptyDir(t) } })
  t.is(await demo.exited, 1)
  t.ok(demo.stderr().includes('python3 was not found on PATH'), demo.stderr())
  t.ok(demo.stderr().trimEnd().endsWith('(ERR_PYTHON_NOT_FOUND)'), demo.stderr())
})

test('demo --original whose server exits at once: ERR_ORIGINAL_FAILED with its stderr', { timeout: 30_000 }, async (t) => {
  const { env } = tempHome(t)
  const dir = emptyDir(t)
  writeFileSync(join(dir, 'server.py'), 'import sys\nsys.stderr.write("no such room\\n")\nsys.exit(3)\n')
  writeFileSync(join(dir, 'client.py'), '')
  const demo = cli(t, ['demo', '--original', dir], { env })
  t.is(await demo.exited, 1)
  t.ok(demo.stderr().includes("the original's server ended (exit status 3)"), demo.stderr())
  t.ok(demo.stderr().includes('no such room'), 'the end of its stderr is shown')
  t.ok(demo.stderr().trimEnd().endsWith('(ERR_ORIGINAL_FAILED)'), demo.stderr())
})

test('demo --original with no folder is a usage error', async (t) => {
  const { env } = tempHome(t)
  const demo = cli(t, ['demo', '--original'], { env })
  t.is(await demo.exited, 2)
  t.ok(demo.stderr().includes('--original'), demo.stderr())
})
