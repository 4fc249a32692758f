#!/usr/bin/env node
// Marks the `noise-chat` command (dist/bin/noise-chat.js) executable after a
// build. npm sets the bit when it links a package's bin, but `npx
// noise-chat` in a checkout reuses the link it made the first time, so a
// rebuilt dist/ (a fresh clone in the same place, `rm -rf dist`) would be
// refused with "Permission denied". Run by `npm run build`, `prepare` and
// scripts/test.mjs.
import { chmodSync, statSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin', 'noise-chat.js')
chmodSync(bin, statSync(bin).mode | 0o111)
