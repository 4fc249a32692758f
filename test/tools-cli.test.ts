import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, tempHome } from './helpers/tool-procs.js'

const BAD_ARGUMENTS: Array<[string[], RegExp]> = [
  [['pipe'], /missing HOST:PORT/],
  [['pipe', 'localhost'], /needs a host and a port/],
  [['pipe', '127.0.0.1:7000', '--bogus'], /--bogus/],
  [['pipe', '127.0.0.1:7000', '--server-key', 'not-a-key'], /--server-key 'not-a-key'/],
  [['pipe', '127.0.0.1:7000', '--accept-new', '--strict'], /contradict/],
  [['pipe', '127.0.0.1:7000', '--connect-timeout', 'soon'], /--connect-timeout 'soon'/],
  [['listen'], /missing \[HOST:\]PORT/],
  [['listen', '70000'], /'70000' has no valid port/],
  [['listen', '7000', '--max-connections', '0'], /--max-connections '0'/],
  [['listen', '7000', 'extra'], /unexpected argument 'extra'/],
  [['tunnel'], /missing client\|server/],
  [['tunnel', 'sideways'], /'client' or 'server', not 'sideways'/],
  [['tunnel', 'client', '--listen', '7000'], /--to HOST:PORT is required/],
  [['tunnel', 'client', '--to', '127.0.0.1:1'], /--listen \[HOST:\]PORT is required/],
  [['tunnel', 'server', '--listen', '1', '--to', '127.0.0.1:2', '--server-key', 'x'], /--server-key is an option of the client end/],
  [['tunnel', 'client', '--listen', '1', '--to', '127.0.0.1:2', '--authorized-keys', 'f'], /--authorized-keys is an option of the server end/],
  [['tap', '--listen', '7001', '--to', 'nowhere'], /--to 'nowhere'/],
  [['demo', 'now'], /unexpected argument 'now'/]
]

test('bad arguments give a usage message and exit 2, never a stack trace or a key file', (t) => {
  const { dir, env } = tempHome(t)
  for (const [args, expected] of BAD_ARGUMENTS) {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 20_000 })
    const what = args.join(' ')
    t.is(r.status, 2, `${what}: exit 2`)
    t.ok(expected.test(r.stderr), `${what}: says what is wrong (${r.stderr.split('\n')[0]})`)
    t.ok(r.stderr.includes(`noise-chat ${args[0]!} --help`), `${what}: points to --help`)
    t.absent(/^\s+at /m.test(r.stderr), `${what}: no stack trace`)
  }
  t.absent(existsSync(join(dir, 'noise-chat')), 'no key was created for a command that could not run')
})

test('each tool command has usage with examples', (t) => {
  for (const name of ['pipe', 'listen', 'tunnel', 'tap', 'demo']) {
    const r = spawnSync(process.execPath, [BIN, name, '--help'], { encoding: 'utf8' })
    t.is(r.status, 0, `${name} --help exits 0`)
    t.ok(r.stdout.startsWith(`Usage: noise-chat ${name}`), `${name} --help shows usage`)
  }
})
