/** How the attack and fault runs print their figures: one block per scenario, one summary table. */
import type { ClientFigures, ScenarioFigures } from './scenario.js'
import { mib, ms, table } from './stats.js'

/** A scenario's figures with what it was, what the attacker got, and the problems found. */
export interface Checked {
  figures: ScenarioFigures
  what: string
  serverArgs: string[]
  got: string
  problems: string[]
}

/** One scenario as a short Markdown block. */
export function printScenario (c: Checked): string {
  const f = c.figures
  return [
    `### ${f.name}`,
    '',
    `${c.what}.`,
    '',
    `- legitimate client before: ${client(f.before)}`,
    `- legitimate client during: ${client(f.during)}`,
    `- legitimate client after:  ${client(f.after)}`,
    `- server RSS: ${mib(f.rssKiB.before)} before, ${mib(f.rssKiB.duringMax)} at most during (${Number.isNaN(f.rssLateGrowthKiB) ? '-' : `${f.rssLateGrowthKiB >= 0 ? '+' : ''}${(f.rssLateGrowthKiB / 1024).toFixed(1)} MiB`} in the attack's last third), ${mib(f.rssKiB.after)} after`,
    `- the attacker got: ${c.got}`,
    c.problems.length === 0 ? '- checks: all held' : `- PROBLEMS: ${c.problems.join('; ')}`,
    ''
  ].join('\n')
}

function client (p: ClientFigures): string {
  const lib = `${p.served}/${p.probes} served, wait median ${ms(p.waitMs.median)}, max ${ms(p.waitMs.max)}`
  const failures = p.failures.length === 0 ? '' : ` (failures: ${p.failures.join('; ')})`
  const cli = p.cli === undefined ? '' : p.cli.served ? `; noise-chat connect: ${ms(p.cli.waitMs)}, exit 0` : `; noise-chat connect NOT served: ${p.cli.failure ?? ''}`
  return lib + failures + cli
}

/** Every scenario in one table. */
export function summaryTable (results: Checked[]): string {
  return table(
    ['scenario', 'legit served during', 'legit wait during (median / max)', 'connect (CLI) during', 'server RSS before / max / after', 'verdict'],
    results.map(({ figures: f, problems }) => [
      f.name,
      `${f.during.served}/${f.during.probes}`,
      `${ms(f.during.waitMs.median)} / ${ms(f.during.waitMs.max)}`,
      f.during.cli === undefined ? '-' : f.during.cli.served ? ms(f.during.cli.waitMs) : 'not served',
      `${mib(f.rssKiB.before)} / ${mib(f.rssKiB.duringMax)} / ${mib(f.rssKiB.after)}`,
      problems.length === 0 ? 'held' : 'PROBLEM'
    ])
  )
}
