import test from 'brittle'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readCrashFile } from '../fuzz/crash-file.js'
import { runCase } from '../fuzz/engine.js'
import { findTarget } from '../fuzz/targets/index.js'

/**
 * Every input kept in test/fixtures/fuzz-regressions/ (a crash file of
 * `npm run fuzz`, with a note on what it found) replayed exactly, under the
 * same oracles as the fuzzer: each must now pass.
 */

const DIR = fileURLToPath(new URL('../../test/fixtures/fuzz-regressions/', import.meta.url))
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()

test('regression inputs are kept', (t) => {
  t.ok(FILES.length > 0, `${FILES.length} files in test/fixtures/fuzz-regressions/`)
})

for (const name of FILES) {
  const file = readCrashFile(DIR + name)
  test(`fuzz regression ${name}: ${file.note ?? file.message.split('\n')[0]}`, async (t) => {
    const target = findTarget(file.target)
    t.ok(target !== undefined, `target ${file.target} exists`)
    const outcome = await runCase(target!, file.case)
    t.is(outcome.failure, undefined, outcome.failure === undefined ? 'passes' : `${outcome.failure.kind}: ${outcome.failure.message}`)
    t.comment(`ended: ${outcome.labels.join(', ')}`)
  })
}
