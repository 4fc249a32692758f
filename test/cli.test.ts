import test from 'brittle'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../bin/noise-chat.js', import.meta.url))

function run (...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' })
}

test('--help lists every command and exits 0', async (t) => {
  const { COMMANDS } = await import('../lib/cli/commands.js')
  const r = run('--help')
  t.is(r.status, 0)
  t.ok(r.stdout.includes('Usage: noise-chat <command>'))
  for (const c of COMMANDS) t.ok(r.stdout.includes(c.name), `lists ${c.name}`)
})

test('an unknown command is a usage error naming it', (t) => {
  const r = run('frobnicate')
  t.is(r.status, 2)
  t.ok(r.stderr.includes("unknown command 'frobnicate'"))
  t.is(r.stdout, '')
})

test('--version prints the package version', (t) => {
  const r = run('--version')
  t.is(r.status, 0)
  t.ok(/^noise-chat \d+\.\d+\.\d+\n$/.test(r.stdout))
})

test('the built command runs by itself, as npx runs it: executable, with a node shebang', (t) => {
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8' })
  t.is(r.error, undefined, 'it could be executed (no EACCES)')
  t.is(r.status, 0)
  t.ok(r.stdout.startsWith('noise-chat '), 'it printed the version')
})
