import { readFileSync, writeFileSync } from 'node:fs'

/**
 * The body of the render scripts (bench/render.ts, bench/chat/render.ts):
 * read a run's JSON from the command line, write its Markdown with the
 * current report code. For a change to the report, not to the
 * measurements: the Markdown still names the run's own date and commit.
 */
export function rerender<T> (usage: string, defaultOut: string, toMarkdown: (results: T) => string): void {
  const [json, out = defaultOut] = process.argv.slice(2)
  if (json === undefined || json === '--help') {
    process.stderr.write(`${usage}\n`)
    process.exitCode = json === undefined ? 2 : 0
    return
  }
  writeFileSync(out, toMarkdown(JSON.parse(readFileSync(json, 'utf8')) as T))
  process.stdout.write(`Wrote ${out}\n`)
}
