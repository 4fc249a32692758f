/**
 * `--profile` and the profiles of missed targets: one measurement with
 * `node --cpu-prof` on both processes, then the hottest functions of each.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Workload } from './config.js'
import type { FigureName } from './figures.js'
import type { ImplContext, ImplName } from './impls/impl.js'
import { measure, type Measurement } from './measure.js'
import { profilesIn, profileText, readProfile, summarizeProfile } from './profile.js'

export interface ProfiledRun {
  measurement: Measurement
  /** Paths of the .cpuprofile files written, server first. */
  files: string[]
  /** Top self time per process, as text. */
  text: string
}

export interface ProfileRequest {
  impl: ImplName
  figure: FigureName
  workload: Workload
  ctx: ImplContext
  timeoutMs: number
  /** Profiles go to DIR/IMPL-FIGURE/{server,client}. */
  dir: string
  /** The worker script to fork (a snapshot's). */
  worker?: string
  /** Folders stripped from file locations, first match wins (the snapshot, then the project). */
  roots: string[]
}

export async function profiledRun (r: ProfileRequest): Promise<ProfiledRun> {
  const base = join(r.dir, `${r.impl}-${r.figure}`)
  const dirs = { server: join(base, 'server'), client: join(base, 'client') }
  mkdirSync(dirs.server, { recursive: true })
  mkdirSync(dirs.client, { recursive: true })
  const measurement = await measure({
    impl: r.impl,
    figure: r.figure,
    workload: r.workload,
    ctx: r.ctx,
    timeoutMs: r.timeoutMs,
    worker: r.worker,
    serverArgs: ['--cpu-prof', '--cpu-prof-dir', dirs.server],
    clientArgs: ['--cpu-prof', '--cpu-prof-dir', dirs.client]
  })
  const files: string[] = []
  const texts: string[] = []
  for (const role of ['server', 'client'] as const) {
    for (const file of profilesIn(dirs[role])) {
      files.push(file)
      texts.push(profileText(`${role} (${r.impl}, ${r.figure})`, summarizeProfile(readProfile(file), r.roots)))
    }
  }
  return { measurement, files, text: texts.join('\n\n') }
}
