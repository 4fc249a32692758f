import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Failure } from './engine.js'
import type { FuzzCase } from './target.js'

/**
 * The file a failing input is kept in: JSON with the target, the seeds, how
 * it failed and the case itself (bytes as hex), so it replays exactly even
 * after the generators change. Crash files (fuzz/corpus/crashes/) and kept
 * regression inputs (test/fixtures/fuzz-regressions/) share the format.
 */
export interface CrashFile {
  target: string
  /** The input's own seed, as 0x hex. */
  seed: string
  runSeed: string
  index: number
  kind: string
  message: string
  /** For a kept regression: what the input found and what fixed it. */
  note?: string
  case: FuzzCase
}

const hex32 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0')

/** Write `failure` into `dir`; returns the file's path. */
export function writeCrashFile (dir: string, failure: Failure): string {
  mkdirSync(dir, { recursive: true })
  const file: CrashFile = {
    target: failure.target,
    seed: hex32(failure.seed),
    runSeed: hex32(failure.runSeed),
    index: failure.index,
    kind: failure.kind,
    message: failure.message,
    case: failure.case
  }
  const path = join(dir, `${failure.target}-${file.seed}.json`)
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n')
  return path
}

/** Read a crash or regression file. */
export function readCrashFile (path: string): CrashFile {
  const file = JSON.parse(readFileSync(path, 'utf8')) as CrashFile
  if (typeof file.target !== 'string' || typeof file.case?.hex !== 'string' || !Array.isArray(file.case.chunks)) {
    throw new Error(`${path} is not a fuzz crash file (target and case.hex, case.chunks expected)`)
  }
  return file
}
