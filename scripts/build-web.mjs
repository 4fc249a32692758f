#!/usr/bin/env node
// Builds the page of `noise-chat connect --web` into dist/lib/web/static:
// its TypeScript (compiled for the browser, with the DOM types the Node
// build does not have) and its HTML, CSS and icon, copied. Run by
// `npm run build` and by scripts/test.mjs after the main tsc.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const page = join(root, 'lib', 'web', 'page')
const out = join(root, 'dist', 'lib', 'web', 'static')

const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', page], { stdio: 'inherit' })
if (tsc.status !== 0) process.exit(tsc.status ?? 1)
mkdirSync(out, { recursive: true })
for (const name of readdirSync(page)) {
  if (/\.(html|css|svg)$/.test(name)) copyFileSync(join(page, name), join(out, name))
}
