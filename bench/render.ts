/**
 * Re-render bench/RESULTS.md from the JSON a run wrote (`npm run bench --
 * --json FILE`): the same measurements, judged and laid out by the current
 * report code. For a change to the report, not to the measurements: the
 * Markdown still names the run's own date and commit.
 *
 *   node dist/bench/render.js RUN.json [OUT.md]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { resultsMarkdown } from './markdown.js'
import type { BenchResults } from './results.js'

const DEFAULT_OUT = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url))

const [json, out = DEFAULT_OUT] = process.argv.slice(2)
if (json === undefined || json === '--help') {
  process.stderr.write('usage: node dist/bench/render.js RUN.json [OUT.md]   (RUN.json from npm run bench -- --json RUN.json)\n')
  process.exitCode = json === undefined ? 2 : 0
} else {
  const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults
  writeFileSync(out, resultsMarkdown(results))
  process.stdout.write(`Wrote ${out}\n`)
}
