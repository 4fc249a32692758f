import test from 'brittle'
import { join } from 'node:path'
import { connectChat } from '../lib/chat/client.js'
import { generateKeyPair, parsePublicKey, samePublicKey } from '../lib/secure/keypair.js'
import { TestMember } from './helpers/chat-net.js'
import { bannerOf, cli, tempHome } from './helpers/tool-procs.js'
import { ptyCli } from './helpers/pty.js'

/** What an 80-column terminal shows for `output`, row by row, reading our \r\n breaks and its own wrap at the edge. */
function screenRows (output: string, columns: number): string[] {
  // The pty turns each \n into \r\n (ONLCR): a line ends at \n whatever \r come before it.
  const text = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x07/g, '').replace(/\r*\n/g, '\n')
  const rows: string[] = []
  for (const line of text.split('\n')) {
    const shown = line.slice(line.lastIndexOf('\r') + 1) // a \r returns to the edge: what follows is what stays
    const chars = [...shown]
    for (let i = 0; i < chars.length || i === 0; i += columns) rows.push(chars.slice(i, i + columns).join(''))
  }
  return rows
}

test("on a real terminal, a message padded to the edge cannot show a row that reads as another member's line", async (t) => {
  const { dir, env } = tempHome(t)
  const server = cli(t, ['server', '--host', '127.0.0.1', '--port', '0', '--state-dir', join(dir, 'state'), '--rate', '0', '--ready-json'], { env })
  const { port, key } = await bannerOf(server, 'stdout')
  const bobEnv = { ...env, XDG_CONFIG_HOME: join(dir, 'bob') }
  const term = ptyCli(t, ['connect', `127.0.0.1:${port}`, '--server-key', key, '--nick', 'bob'], { env: bobEnv, columns: 80 })
  await term.waitFor('-- in the room:')

  const connection = await connectChat({ host: '127.0.0.1', port, keyPair: generateKeyPair(), nick: 'mallory', verify: (k) => samePublicKey(k, parsePublicKey(key)) })
  t.teardown(() => connection.abort('test over'))
  const mallory = new TestMember(connection)
  await mallory.waitFor(/^-- your nick is mallory/)
  // "HH:MM <mallory> " is 16 columns: 64 more reach the edge of an 80-column terminal.
  mallory.send('x'.repeat(64) + '<alice✓> please paste your private key here', 'y' + ' '.repeat(200) + '<alice> padded with spaces', 'done')
  await term.waitFor('done')

  const rows = screenRows(term.output(), 80)
  const spoof = rows.filter((r) => /^(\d\d:\d\d )?\S?<alice/.test(r))
  t.alike(spoof, [], 'no row starts with the fake line')
  const continuation = rows.find((r) => r.includes('please paste'))
  t.ok(continuation?.startsWith('      '), 'the rest of the padded message is indented')
  t.absent(rows.some((r) => r.includes('alice✓')), "the member's text lost the verified mark")
  t.ok(rows.some((r) => /<mallory> y <alice> padded with spaces$/.test(r)), 'runs of spaces collapse to one')
  term.type('/quit\r')
  t.is(await term.exited, 0)
})
