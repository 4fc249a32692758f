import test from 'brittle'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as errors from '../lib/errors.js'
import * as constants from '../lib/constants.js'
import { COMMANDS } from '../lib/cli/commands.js'

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')

test('every error code is documented in the README', (t) => {
  const tables = Object.entries(errors).filter(([name, value]) => name.endsWith('_CODES') && typeof value === 'object')
  t.ok(tables.length >= 3, `found ${tables.length} code tables`)
  for (const [name, table] of tables) {
    for (const code of Object.keys(table as object)) t.ok(README.includes('`' + code + '`'), `${name}.${code} is in the README`)
  }
})

test('every exit code is documented in the README', (t) => {
  const exits = Object.entries(constants).filter(([name]) => name.startsWith('EXIT_'))
  for (const [name, value] of exits) t.ok(new RegExp(`^\\| ${value as number} \\|`, 'm').test(README), `${name} = ${String(value)}`)
})

test('every command is shown in the README', (t) => {
  for (const c of COMMANDS) t.ok(README.includes(`noise-chat ${c.name}`), c.name)
})

test('the README shows the set-up commands', (t) => {
  t.ok(README.includes('npm install'))
  t.ok(README.includes('npm test'))
  t.ok(README.includes('npx noise-chat --help'))
})
