import test from 'brittle'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as errors from '../lib/errors.js'
import * as constants from '../lib/constants.js'
import { COMMANDS } from '../lib/cli/commands.js'

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')
/** The README keeps the front door; the full lists of codes live in docs/ERRORS.md, which it links. */
const ERRORS = readFileSync(fileURLToPath(new URL('../../docs/ERRORS.md', import.meta.url)), 'utf8')

test('the README points to the lists of error and exit codes', (t) => {
  t.ok(README.includes('(docs/ERRORS.md)'))
})

test('every error code is documented in docs/ERRORS.md', (t) => {
  const tables = Object.entries(errors).filter(([name, value]) => name.endsWith('_CODES') && typeof value === 'object')
  t.ok(tables.length >= 3, `found ${tables.length} code tables`)
  for (const [name, table] of tables) {
    for (const code of Object.keys(table as object)) t.ok(ERRORS.includes('`' + code + '`'), `${name}.${code} is in docs/ERRORS.md`)
  }
})

test('every exit code is documented in docs/ERRORS.md', (t) => {
  const exits = Object.entries(constants).filter(([name]) => name.startsWith('EXIT_'))
  for (const [name, value] of exits) t.ok(new RegExp(`^\\| ${value as number} \\|`, 'm').test(ERRORS), `${name} = ${String(value)}`)
})

test('every command is shown in the README', (t) => {
  for (const c of COMMANDS) t.ok(README.includes(`noise-chat ${c.name}`), c.name)
})

test('the README shows the set-up commands', (t) => {
  t.ok(README.includes('npm install'))
  t.ok(README.includes('npm test'))
  t.ok(README.includes('npx noise-chat --help'))
})
