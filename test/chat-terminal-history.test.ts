import test from 'brittle'
import { join } from 'node:path'
import { canRunOnTerminal, terminalClient } from '../reliability/lib/terminal-client.js'
import { bannerOf, cli, tempHome } from './helpers/tool-procs.js'

test('on a terminal (a pty), the history replayed on joining is marked as history', async (t) => {
  if (!await canRunOnTerminal()) {
    t.fail('util-linux script is needed to give the client a terminal')
    return
  }
  const { dir, env } = tempHome(t)
  const server = cli(t, ['server', '--host', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'state'), '--quiet', '--ready-json'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { port, key } = await bannerOf(server, 'stdout')
  const alice = cli(t, ['connect', `127.0.0.1:${port}`, '--server-key', key, '--nick', 'alice'], { env })
  alice.child.stdin!.end('before you came\n')
  t.is(await alice.exited, 0)

  const bob = terminalClient({ dir, env, remove: () => {} }, [`127.0.0.1:${port}`, '--server-key', key, '--nick', 'bob'])
  t.teardown(() => { if (bob.child.exitCode === null) bob.child.kill('SIGKILL') })
  const deadline = Date.now() + 20_000
  while (!bob.screen().includes('in the room:')) {
    if (Date.now() > deadline || bob.child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const screen = bob.screen()
  const history = screen.indexOf('-- history: the last 1 message said here')
  const line = screen.search(/\d\d:\d\d <alice> before you came/)
  const end = screen.indexOf('-- end of history')
  t.ok(history !== -1 && line > history && end > line, `history, its line, its end, in order:\n${screen}`)
  bob.type('/quit')
  t.is(await bob.exited, 0, '/quit leaves cleanly')
})
