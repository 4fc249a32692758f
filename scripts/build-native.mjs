#!/usr/bin/env node
// Builds the native ChaCha20-Poly1305 addon (native/aead.c, binding.gyp)
// with node-gyp, against the headers of the Node that runs npm. It runs on
// `npm install`. Where it cannot build (no python3, make or C compiler), the
// install goes on and the streams use libsodium: slower, same bytes on the
// wire. The test suite checks that the addon is loaded, so a machine that
// runs the tests cannot fall back unnoticed.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function nodeGyp () {
  // npm tells its lifecycle scripts where its own node-gyp is.
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp
  const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm')
  try {
    return createRequire(join(npmDir, 'package.json')).resolve('node-gyp/bin/node-gyp.js')
  } catch {
    return null
  }
}

const gyp = nodeGyp()
if (gyp === null) {
  console.warn('noise-chat: node-gyp not found; the native cipher was not built, the streams will use libsodium')
  process.exit(0)
}
const run = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
if (run.status !== 0) {
  console.warn('noise-chat: the native cipher did not build (it needs python3, make and a C compiler); the streams will use libsodium')
}
