/**
 * Re-render bench/RESULTS.md from the JSON a run wrote (`npm run bench --
 * --json FILE`), with the current report code (see bench/rerender.ts).
 *
 *   node dist/bench/render.js RUN.json [OUT.md]
 */
import { fileURLToPath } from 'node:url'
import { resultsMarkdown } from './markdown.js'
import { rerender } from './rerender.js'
import type { BenchResults } from './results.js'

rerender<BenchResults>(
  'usage: node dist/bench/render.js RUN.json [OUT.md]   (RUN.json from npm run bench -- --json RUN.json)',
  fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url)),
  resultsMarkdown
)
