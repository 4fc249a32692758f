/**
 * Re-render bench/CHAT-RESULTS.md from the JSON a run wrote (`npm run
 * bench:chat -- --json FILE`), with the current report code (see
 * bench/rerender.ts).
 *
 *   node dist/bench/chat/render.js RUN.json [OUT.md]
 */
import { fileURLToPath } from 'node:url'
import { rerender } from '../rerender.js'
import { resultsMarkdown } from './report.js'
import type { ChatBenchResults } from './results.js'

rerender<ChatBenchResults>(
  'usage: node dist/bench/chat/render.js RUN.json [OUT.md]   (RUN.json from npm run bench:chat -- --json RUN.json)',
  fileURLToPath(new URL('../../../bench/CHAT-RESULTS.md', import.meta.url)),
  resultsMarkdown
)
