/**
 * `npm run soak`: at least 200 members through the real `noise-chat
 * server` for minutes, every message checked at every member (0 lost, 0
 * duplicated, 0 reordered), the server's memory sampled all along. Exits 1
 * when a check fails.
 *
 *   node dist/reliability/soak.js [--quick] [--duration SEC] [--clients N] [--workers N] [--interval MS]
 */
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { parseArgs } from 'node:util'
import { runSoak, soakProblems, type SoakReport } from './lib/soak-run.js'
import { mib, table } from './lib/stats.js'

const USAGE = `Usage: node dist/reliability/soak.js [options]

  --quick          20 s of sending (the default is 180 s)
  --duration SEC   seconds of sending
  --clients N      members (default 200)
  --workers N      processes holding them (default 4)
  --interval MS    each member sends one message every MS ms (default 2000)
  --json FILE      also write the figures (with every memory sample) as JSON

The server's rate limit (2 lines/s, bursts of 20) is raised with --rate
only when --interval asks members for more than 1.5 lines a second.
`

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      duration: { type: 'string' },
      clients: { type: 'string' },
      workers: { type: 'string' },
      interval: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean' }
    }
  })
  if (values.help === true) { process.stdout.write(USAGE); return 0 }
  const quick = values.quick === true
  const durationMs = 1000 * Number(values.duration ?? (quick ? 20 : 180))
  const clients = Number(values.clients ?? 200)
  const workers = Number(values.workers ?? 4)
  const intervalMs = Number(values.interval ?? 2000)
  if (![durationMs, clients, workers, intervalMs].every((n) => Number.isFinite(n) && n > 0)) {
    process.stderr.write(USAGE)
    return 2
  }
  const perSecond = 1000 / intervalMs
  const serverArgs = perSecond > 1.5 ? ['--rate', `${Math.ceil(perSecond * 2)}:${Math.max(20, Math.ceil(perSecond * 10))}`] : []
  process.stdout.write(`# noise-chat soak${quick ? ' (--quick)' : ''}\n\nnode ${process.version}, ${new Date().toISOString()}, load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`)
  process.stdout.write(`${clients} members in ${workers} worker processes, each sending one message every ${intervalMs} ms for ${durationMs / 1000} s; server flags: ${serverArgs.length === 0 ? '(defaults: the rate limit of 2 lines/s is not reached)' : serverArgs.join(' ')}\n\n`)
  const report = await runSoak({
    clients,
    workers,
    durationMs,
    intervalMs,
    sampleMs: quick ? 1000 : 5000,
    // V8 grows its heap in steps for the first minute or so: the second half is the steady state.
    warmUpFraction: 0.5,
    serverArgs,
    progress: (line) => process.stdout.write(line + '\n')
  })
  process.stdout.write('\n' + describe(report) + '\n')
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(report, null, 2))
  const problems = soakProblems(report)
  process.stdout.write(problems.length === 0 ? '\nthe soak held: 0 lost, 0 duplicated, 0 reordered\n' : `\nPROBLEMS: ${problems.join('; ')}\n`)
  process.stdout.write(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`)
  return problems.length === 0 ? 0 : 1
}

/** The report as Markdown: figures, then memory over time. */
function describe (r: SoakReport): string {
  const t = r.tally
  const fmt = (n: number): string => n.toLocaleString('en-US')
  const lines = [
    table(['figure', 'value'], [
      ['members joined', `${r.joined} of ${r.options.clients} in ${(r.joinMs / 1000).toFixed(1)} s (${r.joinRetries} retried)`],
      ['messages sent', fmt(r.sent)],
      ['deliveries checked (each message at every member)', `${fmt(t.delivered)} of ${fmt(r.expected)} expected`],
      ['lost / duplicated / reordered', `${t.lost} / ${t.duplicated} / ${t.reordered}`],
      ['connections that broke during the soak', String(r.unexpectedEnds)],
      ['delivery latency p50 / p99 / max', `${r.latencyMs.p50} ms / ${r.latencyMs.p99} ms / ${r.latencyMs.max} ms`],
      ['server CPU while sending', `${r.serverCpuSeconds.toFixed(1)} s in ${r.options.durationMs / 1000} s`],
      ['server RSS after warm-up: first / last / min / max', `${mib(r.rssAfterWarmUp.first)} / ${mib(r.rssAfterWarmUp.last)} / ${mib(r.rssAfterWarmUp.min)} / ${mib(r.rssAfterWarmUp.max)}`],
      ['server RSS slope after warm-up', `${(r.rssSlopeKiBPerMin / 1024).toFixed(2)} MiB per minute (${Math.round(r.rssSlopeKiBPerMin)} KiB/min)`],
      ['server exit at SIGTERM', String(r.serverExit)],
      ['how members ended', Object.entries(r.ends).map(([k, v]) => `${v} x ${k}`).join(', ')]
    ]),
    '',
    `Server RSS over time (MiB; time from the first message, warm-up = the first ${Math.round(r.options.warmUpFraction * r.options.durationMs / 1000)} s):`,
    '',
    memoryLine(r)
  ]
  return lines.join('\n')
}

/** About a dozen memory samples across the run, as "t=30s 71.2". */
function memoryLine (r: SoakReport): string {
  const samples = r.rss.filter((s) => !Number.isNaN(s.kib))
  const step = Math.max(1, Math.ceil(samples.length / 12))
  return samples.filter((_, i) => i % step === 0 || i === samples.length - 1)
    .map((s) => `t=${Math.round(s.ms / 1000)}s ${(s.kib / 1024).toFixed(1)}`).join(', ')
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`soak: ${String((err as Error)?.stack ?? err)}\n`)
  process.exitCode = 1
})
