#!/usr/bin/env node
// The project's test command. It type-checks and builds with tsc, runs every
// brittle test file (each in its own process, two at a time for the two cores
// we plan for), and ends with one line: "N passed, N failed", counted from
// brittle's top-level test results. A type error, or a test file that dies
// without reporting, counts as a failure.
//
//   node scripts/test.mjs                  everything
//   node scripts/test.mjs test/frame.test.ts ...   only these files
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, existsSync } from 'node:fs'
import { join, relative, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import os from 'node:os'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const JOBS = Math.max(1, Math.min(2, os.availableParallelism()))

let passed = 0
let failed = 0

const tsc = spawnSync(bin('tsc'), ['-p', root], { stdio: 'inherit' })
if (tsc.status !== 0) {
  console.log('not ok - type-check (tsc) failed')
  failed++
}
// The web page: its own type-check (browser types) and its files, which the browser tests serve.
const web = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs')], { stdio: 'inherit' })
if (web.status !== 0) {
  console.log('not ok - the web page did not build (scripts/build-web.mjs)')
  failed++
}

// The command, executable as `npm run build` leaves it (npx runs it directly).
const mode = spawnSync(process.execPath, [join(root, 'scripts', 'bin-executable.mjs')], { stdio: 'inherit' })
if (mode.status !== 0) {
  console.log('not ok - dist/bin/noise-chat.js could not be made executable (scripts/bin-executable.mjs)')
  failed++
}

const files = pickFiles(process.argv.slice(2))
if (files.length === 0) {
  console.log('no test files found under dist/test')
  failed++
}

const queue = files.slice()
await Promise.all(Array.from({ length: JOBS }, worker))
console.log(`${passed} passed, ${failed} failed`)
process.exitCode = failed === 0 ? 0 : 1

async function worker () {
  while (queue.length > 0) {
    const file = queue.shift()
    const result = await runFile(file)
    process.stdout.write(`\n# file: ${relative(root, file)}\n${result.output}`)
    passed += result.passed
    failed += result.failed
  }
}

function runFile (file) {
  return new Promise((resolve) => {
    const child = spawn(bin('brittle-node'), [relative(root, file)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => { output += d })
    child.stderr.on('data', (d) => { output += d })
    child.on('close', (code, signal) => {
      let ok = 0
      let notOk = 0
      for (const line of output.split('\n')) {
        if (/^ok \d+/.test(line)) ok++
        else if (/^not ok \d+/.test(line)) notOk++
      }
      const planned = /^1\.\.(\d+)$/m.exec(output)
      if ((code !== 0 || signal) && notOk === 0) {
        output += `not ok - ${relative(root, file)} exited with ${signal || code} before reporting a failure\n`
        notOk++
      } else if (planned && ok + notOk < Number(planned[1])) {
        output += `not ok - ${relative(root, file)} ran ${ok + notOk} of ${planned[1]} tests\n`
        notOk++
      }
      resolve({ output, passed: ok, failed: notOk })
    })
  })
}

function pickFiles (args) {
  const dir = join(root, 'dist', 'test')
  if (args.length > 0) {
    return args.map((a) => join(root, 'dist', a.replace(/\.ts$/, '.js')))
  }
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(dir, f))
}
