/**
 * A frozen copy of the built code for the length of one bench run. dist/ is
 * shared: anyone's `tsc -p .` rewrites it, and a run lasts minutes, so
 * without a copy the later measurements could load different code than the
 * earlier ones. The copy lives under node_modules/.cache so the packages it
 * imports still resolve from the project's node_modules.
 */
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

/** The native cipher addon, where node-gyp puts it; lib/secure/native-aead.ts finds it at the same place under the copy. */
const ADDON = join('build', 'Release', 'noise_chat_aead.node')

export interface Snapshot {
  /** Root of the copy: holds bench/ and lib/ as dist/ does. */
  dir: string
  /** The worker entry point inside the copy. */
  worker: string
  /** First 12 hex digits of SHA-256 over the copied lib/ (paths and contents): names the code measured. */
  libHash: string
  remove (): void
}

/** Copy dist/bench (without other benches' folders), dist/lib and the native addon (into lib/, so the hash covers it) from `distDir` into node_modules/.cache. */
export function snapshotBuild (projectRoot: string, distDir: string): Snapshot {
  const dir = join(projectRoot, 'node_modules', '.cache', 'noise-chat-bench', `run-${process.pid}-${Date.now()}`)
  mkdirSync(dir, { recursive: true })
  const onlyJs = (src: string): boolean => !src.endsWith('.map') && !src.endsWith('.d.ts')
  const benchDir = join(distDir, 'bench')
  const ownBenchDirs = new Set(['impls'])
  cpSync(benchDir, join(dir, 'bench'), {
    recursive: true,
    // Another bench's sub-folder (e.g. bench/chat) is not ours to run.
    filter: (src) => onlyJs(src) && (src === benchDir || !relative(benchDir, src).includes(sep) || ownBenchDirs.has(relative(benchDir, src).split(sep)[0]))
  })
  cpSync(join(distDir, 'lib'), join(dir, 'lib'), { recursive: true, filter: onlyJs })
  // Without it the copy would measure the libsodium fallback.
  if (existsSync(join(projectRoot, ADDON))) cpSync(join(projectRoot, ADDON), join(dir, 'lib', ADDON))
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n')
  return {
    dir,
    worker: join(dir, 'bench', 'worker.js'),
    libHash: hashTree(join(dir, 'lib')),
    remove: () => rmSync(dir, { recursive: true, force: true })
  }
}

function hashTree (root: string): string {
  const hash = createHash('sha256')
  const files = (readdirSync(root, { recursive: true }) as string[]).map(String).sort()
  for (const f of files) {
    const path = join(root, f)
    let body: Buffer
    try { body = readFileSync(path) } catch { continue } // a folder
    hash.update(f).update('\0').update(body)
  }
  return hash.digest('hex').slice(0, 12)
}
