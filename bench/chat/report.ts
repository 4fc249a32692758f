/**
 * The results as text: the summary table for the console and the
 * "## Chat load" section of bench/CHAT-RESULTS.md. Pure.
 */
import type { IdleOutcome, RateOutcome } from './execute.js'
import { bestStep, ceilingStep, verdicts, type ChatBenchResults, type TargetVerdict } from './results.js'
import type { Scenario } from './scenarios.js'
import { GENERATOR_MAX_LOOP_DELAY_MS, GENERATOR_MAX_WORKER_CPU_PCT, MAX_SEND_LAG_MS, P99_BOUND_MS, type StepResult } from './step.js'
import { TARGET_LABELS, TARGET_NAMES, type TargetName } from './target.js'

const int = (n: number): string => Math.round(n).toLocaleString('en-US')
const kib = (bytes: number): string => (bytes / 1024).toFixed(1)
const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)

function figure (v: TargetVerdict, value: number | null): string {
  if (value === null) return 'n/a'
  if (v.measure === 'p50') return `${value.toFixed(1)} ms`
  return v.measure === 'rate' ? `${int(value)} msg/s` : `${kib(value)} KiB`
}

function verdictWord (met: boolean | null): string {
  return met === null ? 'not judged' : met ? 'met' : 'MISSED'
}

/** The summary table: one row per scenario, ours and ngircd side by side, ratio and verdict. */
export function summaryTable (results: ChatBenchResults): string {
  const rows = [['scenario', 'noise-chat', 'ngircd plain', 'ngircd TLS', 'ours/TLS', 'target', 'verdict']]
  for (const v of verdicts(results)) {
    rows.push([
      v.measure === 'p50' ? `${v.scenario} p50` : v.scenario, figure(v, v.ours), figure(v, v.ngircdPlain), figure(v, v.ngircdTls),
      v.ratio === null ? 'n/a' : `${v.ratio.toFixed(2)}x`, v.text, verdictWord(v.met)
    ])
  }
  for (const join of joinRows(results)) rows.push(join)
  return columns(rows)
}

/** Rows of what joining cost: wall seconds and server CPU seconds per room size and server. */
function joinRows (results: ChatBenchResults): string[][] {
  const rows: string[][] = []
  for (const s of results.scenarios) {
    const cell = (t: TargetName): string => {
      const j = joinOf(results, s, t)
      return j === undefined ? 'n/a' : `${j.wallS.toFixed(1)} s, CPU ${j.serverCpuS.toFixed(1)} s`
    }
    rows.push([`join ${s.members}`, cell('ours'), cell('ngircd'), cell('ngircd-tls'), '', 'measured', ''])
  }
  return rows
}

function joinOf (results: ChatBenchResults, s: Scenario, t: TargetName): RateOutcome['join'] {
  const o = s.kind === 'rate'
    ? results.rate.find((x) => x.scenario === s.name && x.target === t)
    : results.idle.find((x) => x.scenario === s.name && x.target === t)
  return o?.join
}

function columns (rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

/** The whole Markdown document. */
export function resultsMarkdown (results: ChatBenchResults): string {
  return [
    '# Chat load results',
    '',
    'Written by `npm run bench:chat` (bench/chat/); every run overwrites this file. The',
    'secure-stream figures are in [RESULTS.md](RESULTS.md).',
    '',
    '## Chat load',
    '',
    ...header(results),
    '',
    '### Targets',
    '',
    ...targetsTable(results),
    '',
    ...results.scenarios.flatMap((s) => s.kind === 'rate' ? rateSection(results, s) : idleSection(results, s)),
    ...profileSection(results),
    ...costStructure(),
    ...method(results)
  ].join('\n') + '\n'
}

function header (r: ChatBenchResults): string[] {
  const m = r.machine
  const wait = r.loadWait === null
    ? 'not waited for'
    : `waited ${r.loadWait.waitedS.toFixed(0)} s for the 1-minute load average to drop below ${r.loadWait.threshold} (${r.loadWait.reached ? 'it did' : 'it did not: the figures are from a busy machine'})`
  return [
    `- Date: ${r.startedAt} (run took ${(r.elapsedS / 60).toFixed(1)} min)${r.quick ? ' — **quick run: smoke sizes, not the issue\'s figures**' : ''}`,
    `- Commit: ${r.commit ?? 'unknown'}${r.libDirty ? ' (lib/ had uncommitted changes, measured as they were)' : ''}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB, ${m.kernel}, Node ${m.node}; the generator shares the cores with the server`,
    `- Load average (1, 5, 15 min): ${m.loadAtStart.map((l) => l.toFixed(2)).join(', ')} at the start, ${m.loadAtEnd.map((l) => l.toFixed(2)).join(', ')} at the end; ${wait}`,
    `- Command: \`${r.command}\``,
    `- noise-chat server: \`node dist/bin/noise-chat.js server ${r.oursFlags.join(' ')} --port 0 --key TMP/server_x25519 --state-dir TMP/state\` — **rate limit off (\`--rate 0\`)**, otherwise defaults (history 20, keep-alive 15 s, idle timeout 45 s, 256 KiB outbound bound)`,
    r.ngircdVersion === null
      ? `- ngircd: not measured (${r.ngircdMissing ?? 'not requested'})`
      : `- ngircd: ${r.ngircdVersion}, \`ngircd -n -f TMP/ngircd.conf\`, listening on 127.0.0.1 (plain port and TLS port, GnuTLS, a P-256 certificate made by openssl and trusted by the generator) — **flood penalty off**: ${r.ngircdSettings.map((s) => `\`${s}\``).join(', ')}`
  ]
}

function targetsTable (r: ChatBenchResults): string[] {
  const lines = [
    '| scenario | measure | noise-chat | ngircd plain | ngircd TLS | ours / TLS | target | verdict |',
    '|---|---|---:|---:|---:|---:|---|---|'
  ]
  for (const v of verdicts(r)) {
    const s = r.scenarios.find((x) => x.name === v.scenario)!
    const measure = v.measure === 'rate' ? 'highest rate, 0 loss, p99 < 100 ms' : v.measure === 'p50' ? 'p50 latency' : 'server RSS per member'
    lines.push(`| ${v.title ?? s.title} | ${measure} | ${figure(v, v.ours)} | ${figure(v, v.ngircdPlain)} | ${figure(v, v.ngircdTls)} | ` +
      `${v.ratio === null ? 'n/a' : v.ratio.toFixed(2) + 'x'} | ${v.text} | **${verdictWord(v.met)}** |`)
  }
  return lines
}

function rateSection (r: ChatBenchResults, s: Extract<Scenario, { kind: 'rate' }>): string[] {
  const outcomes = TARGET_NAMES.map((t) => r.rate.find((o) => o.scenario === s.name && o.target === t)).filter((o): o is RateOutcome => o !== undefined)
  const lines = [
    `### ${s.title}`,
    '',
    `The issue's ngircd 26.1 reference: ${s.issueReference}. Search: from ${int(s.plan.startRate)} msg/s, between ${int(s.plan.minRate)} and ${int(s.plan.maxRate)}, at most ${s.plan.maxSteps} steps of ${r.stepMs / 1000} s; ${s.senders} senders of ${s.members} members.`,
    '',
    '| server | highest passing rate | deliveries/s there | p50 / p99 there | server CPU there | lowest failing rate | why it failed | join (wall, server CPU) |',
    '|---|---:|---:|---:|---:|---:|---|---|'
  ]
  for (const o of outcomes) {
    const b = bestStep(o)
    const c = ceilingStep(o)
    const join = o.join === undefined ? 'n/a' : `${o.join.wallS.toFixed(1)} s, ${o.join.serverCpuS.toFixed(1)} s`
    lines.push(`| ${TARGET_LABELS[o.target]} | ${o.error !== undefined ? 'error' : int(o.best) + ' msg/s'} | ${b === undefined ? '-' : int(b.deliveredPerS)} | ` +
      `${b === undefined ? '-' : `${b.p50Ms.toFixed(1)} / ${b.p99Ms.toFixed(1)} ms`} | ${b === undefined ? '-' : b.serverCpuPct.toFixed(0) + '%'} | ` +
      `${o.ceiling === null ? 'none (search cap)' : int(o.ceiling) + ' msg/s'}${o.ceilingGeneratorBound ? ' (**generator-bound**: the generator saturated first, so this is not the server\'s limit)' : ''} | ` +
      `${o.error ?? c?.why.join('; ') ?? '-'} | ${join} |`)
  }
  lines.push(
    '', `Every step (the first of each server is the fixed-rate latency probe, when there is one). Generator headroom: a step is **generator-bound** when a worker used >= ${GENERATOR_MAX_WORKER_CPU_PCT}% of a core or its event loop ran >= ${GENERATOR_MAX_LOOP_DELAY_MS} ms late at p99; such a failure is not counted as the server's saturation point.`, '',
    '| server | rate (msg/s) | delivered / due | deliveries/s | p50 | p99 | max | server CPU | server RSS / heap | generator CPU (all / busiest worker) | generator loop delay p99 / max | load | verdict |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const o of outcomes) for (const st of [...(o.probe === undefined ? [] : [o.probe]), ...o.steps]) lines.push(stepRow(o.target, st))
  lines.push('', ...generatorLoad(outcomes))
  const notes = outcomes.flatMap((o) => o.steps.flatMap((st) => [...st.disconnects, ...st.problems].map((t) => `- ${TARGET_LABELS[o.target]} at ${int(st.rate)} msg/s: ${t}`)))
  if (notes.length > 0) lines.push('', 'Disconnections and refusals the members saw:', '', ...[...new Set(notes)].slice(0, 12))
  lines.push('')
  return lines
}

function stepRow (target: TargetName, st: StepResult): string {
  const heap = st.serverHeapUsedBytes === null ? '' : ` / ${mib(st.serverHeapUsedBytes)}`
  const bound = st.generatorBound.length === 0 ? '' : ` — **generator-bound**: ${st.generatorBound.join('; ')}`
  return `| ${TARGET_LABELS[target]} | ${int(st.rate)} | ${int(st.received)} / ${int(st.expected)} | ${int(st.deliveredPerS)} | ` +
    `${st.p50Ms.toFixed(1)} ms | ${st.p99Ms.toFixed(1)} ms | ${st.maxMs.toFixed(0)} ms | ${st.serverCpuPct.toFixed(0)}% | ${mib(st.serverRssBytes)}${heap} MiB | ` +
    `${st.generatorCpuPct.toFixed(0)}% / ${st.generatorMaxWorkerCpuPct.toFixed(0)}% | ${st.generatorLoopDelayP99Ms.toFixed(1)} / ${st.generatorLoopDelayMaxMs.toFixed(0)} ms | ${st.loadAverage.toFixed(1)} | ` +
    `${st.passed ? 'pass' : 'fail: ' + st.why.join('; ')}${bound} |`
}

/** How hard the same generator works per delivery on each server, and what the server spends, over the steps that delivered everything. */
function generatorLoad (outcomes: RateOutcome[]): string[] {
  const lines = [
    'How the same generator loads each server (over the steps that delivered everything: CPU per 1000 deliveries):',
    '',
    '| server | generator CPU / 1000 deliveries | server CPU / 1000 deliveries | steps |',
    '|---|---:|---:|---:|'
  ]
  for (const o of outcomes) {
    const steps = [...(o.probe === undefined ? [] : [o.probe]), ...o.steps].filter((s) => s.received > 0 && s.received === s.expected)
    const received = steps.reduce((a, s) => a + s.received, 0)
    if (received === 0) continue
    const gen = steps.reduce((a, s) => a + s.generatorCpuS, 0)
    const srv = steps.reduce((a, s) => a + s.serverCpuS, 0)
    lines.push(`| ${TARGET_LABELS[o.target]} | ${(1e6 * gen / received).toFixed(1)} ms | ${(1e6 * srv / received).toFixed(1)} ms | ${steps.length} |`)
  }
  lines.push('')
  return lines
}

function idleSection (r: ChatBenchResults, s: Extract<Scenario, { kind: 'idle' }>): string[] {
  const outcomes = TARGET_NAMES.map((t) => r.idle.find((o) => o.scenario === s.name && o.target === t)).filter((o): o is IdleOutcome => o !== undefined)
  const lines = [
    `### ${s.title}`,
    '',
    `The issue's ngircd 26.1 reference: ${s.issueReference}. Joining N members is O(N^2) announcements for any server; the join columns measure it.`,
    '',
    `| server | RSS before anyone joined | RSS right after the join | RSS after ${s.earlyMs / 1000} s idle (per member) | RSS after ${s.settleMs / 1000} s idle | per member (idle, judged) | V8 heap per member (after a full GC) | join wall time | join server CPU |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|'
  ]
  for (const o of outcomes) {
    if (o.error !== undefined || o.join === undefined) {
      lines.push(`| ${TARGET_LABELS[o.target]} | error: ${o.error ?? 'no join'} | | | | | | | |`)
      continue
    }
    const early = `${mib(o.rssEarlyBytes)} MiB (${kib((o.rssEarlyBytes - o.join.rssBeforeBytes) / o.join.members)} KiB)`
    lines.push(`| ${TARGET_LABELS[o.target]} | ${mib(o.join.rssBeforeBytes)} MiB | ${mib(o.join.rssAfterBytes)} MiB | ${early} | ${mib(o.rssSettledBytes)} MiB | ${kib(o.perMemberBytes)} KiB | ` +
      `${o.heapPerMemberBytes === null ? 'n/a' : kib(o.heapPerMemberBytes) + ' KiB'} | ` +
      `${o.join.wallS.toFixed(1)} s | ${o.join.serverCpuS.toFixed(1)} s |`)
  }
  if (!outcomes.some((o) => o.target !== 'ours')) {
    lines.push('', `ngircd was not measured here (\`--idle-ngircd\` does: joining 5000 took it 306 s plain and 600 s over TLS). Its figures in the run of 2026-11-25 (commit 9d8239d): ${IDLE_NGIRCD_REFERENCE}.`)
  }
  lines.push('')
  return lines
}

/** ngircd's idle figures from the last run that measured them, quoted when a run does not. */
const IDLE_NGIRCD_REFERENCE = 'plain 5.1 KiB per member (RSS 5.8 -> 30.7 MiB), TLS 15.1 KiB per member (5.9 -> 79.8 MiB)'

function profileSection (r: ChatBenchResults): string[] {
  if (r.profiles.length === 0) return []
  const lines = ['### Where our server\'s time goes on the missed rate targets', '']
  for (const p of r.profiles) {
    lines.push(`One step of ${p.scenario} at ${int(p.rate)} msg/s (ngircd TLS's best) with the server under \`node --cpu-prof\`` +
      `${p.step === undefined ? '' : ` (the step: ${p.step.passed ? 'pass' : 'fail: ' + p.step.why.join('; ')})`}:`, '', '```', p.text, '```', '')
  }
  return lines
}

/** What the profiles of our server show, whatever the run: how a delivery's cost is made up. */
function costStructure (): string[] {
  return [
    '### How our server spends a broadcast',
    '',
    '- A broadcast costs O(1) when it is made (the line joins the turn\'s log, lib/chat/fan-out.ts). At the end of the event-loop turn (setImmediate) the turn\'s lines are joined once into one buffer, shared by every member who was there all turn, and each member gets one SecureStream write: one DATA frame sealed and one socket write per member per turn, however many lines the turn held. The busier the server, the longer its turns and the more lines each write carries; a lone line in a quiet room still leaves within the turn it arrived in (server sockets have TCP_NODELAY: before, Nagle held a member\'s second write until the first was acknowledged).',
    '- Where the p50 gap at 500 msg/s comes from (`node dist/bench/chat/latency-probe.js --rounds 2`: the probe step alone, ours and ngircd TLS interleaved, CPU per delivery from /proc; four sets on 2026-12-03 at load 0.5-1.2): p50 834-913 µs against 619-660 µs, with every delivery counted. Both processes on the path cost more per delivery for us: the server 7.5-8.3 µs against ngircd TLS\'s 4.5-4.8, and the generator\'s member for ours 10.9-12.8 µs against 8.0-9.0 for its TLS member, so in a broadcast to 99 members the server\'s writes take about 0.8 ms against 0.45 and the workers, which share the other core and stamp a delivery only after the members ahead of it, fall further behind. In a `node --cpu-prof` profile of the server with one line per turn (`node dist/bench/chat/fanout-cost.js --members 100 --lines 3000 --burst 1 --cpu-prof-dir DIR`) half of a delivery is `writeBuffer`, the write system call, which on loopback also runs the kernel\'s receive path for the member\'s socket and wakes the reader; the seal is 6%, GC 4%, SecureStream\'s write path, the fan-out loop and streamx together under 5%. ngircd makes the same one write per member. What would remove the rest: fewer system calls than one per member per line (not possible with one socket per member), or a write path with less around each call than Node\'s stream machinery (a `WriteWrap` and request object per write), which only native code could give. Already removed: the write callback for small batches (6.8 to 6.4-6.75 µs per delivery in fanout-cost), and the generator\'s stream layer (it reads our frames straight from the socket after the handshake). Under load the server writes once per member per turn for many lines, and the cost per delivery falls to 0.15-0.2 µs.',
    '- A member\'s cost in memory, from heap snapshots of the server (300 members, difference per member): about 8.5 KiB of V8 heap after a full GC, most of it the connection\'s streams: net.Socket and its Writable/Readable state, the streamx Duplex (two states, two FIFOs, bound callbacks), SecureStream (its Buffers: facts and cipher state views, 8 Buffer objects; 8 bound handlers), three Timeouts (keep-alive, idle, join wait); the chat\'s own objects (Member, Session, RateLimiter, LineSplitter, fan-out slot, closures) are under 1 KiB. RSS per member above that is heap the join\'s garbage made V8 take and not return.',
    ''
  ]
}

function method (r: ChatBenchResults): string[] {
  const idle = r.scenarios.find((s): s is Extract<Scenario, { kind: 'idle' }> => s.kind === 'idle')
  const early = (idle?.earlyMs ?? 0) / 1000
  const settle = (idle?.settleMs ?? 0) / 1000
  return [
    '### How it is measured',
    '',
    `- Every server is a fresh process per room on 127.0.0.1. The generator is ${r.workers} worker processes (bench/chat/worker.ts), each holding its share of the members (member i in worker i mod ${r.workers}), one connection per member: for noise-chat the real wire (TCP, SecureStream initiator pinning the server key, then \`/nick mI\` and chat lines), for ngircd NICK/USER, JOIN #room once welcomed, PRIVMSG #room, over plain TCP or node:tls (its default offer; against ngircd's GnuTLS that is TLS 1.3 with TLS_AES_256_GCM_SHA384, AES-GCM, which this CPU runs with AES-NI). The worker count is chosen by measurement (generator CPU per 1000 deliveries and loop delay against ngircd TLS at fixed rates, on the 2 cores the server shares): 2 workers cost about 8% less CPU at N=100 but ran their loops later at N=1000 (p99 33 vs 25 ms at 200 msg/s), 4 cost more at N=100, so 3 (\`--workers\`). An IRC socket is read with \`onread\` into one 64 KiB buffer per worker (plain bytes or decrypted TLS records), so a read makes no Buffer and no stream event; our members read SecureStream's decrypted frames.`,
    `- A rate step: members 0..S-1 send R x ${r.stepMs / 1000} s messages in all (R/S msg/s each, as evenly as whole numbers allow), paced by a 1 ms timer and staggered (sender i runs i/S of its period ahead) so the messages reach the server evenly spread, as from independent people, rather than S at once; each message is 64 bytes of text carrying step, sender id, sequence number and the send time (monotonic clock, shared by all processes). Every member counts each delivery from another member (its own echo, which ours sends and IRC does not, is not counted) and its latency, from the bytes as received (native single-byte searches for line ends and the payload marker, then its digits; nothing is decoded to text, and only lines without a payload are looked at for joins, problems and PINGs), the same code for every server; deliveries may trail the end of sending by up to ${r.drainMs / 1000} s.`,
    `- A step passes with every delivery made (due = sent x (N - 1)), none out of order, nobody disconnected, p99 < ${P99_BOUND_MS} ms, and the generator never more than ${MAX_SEND_LAG_MS} ms behind its schedule. The search doubles the rate from a start rate while steps pass, then bisects between the best pass and the lowest fail until they are within 15% (at most ${Math.max(...r.scenarios.map((s) => s.kind === 'rate' ? s.plan.maxSteps : 0))} steps). A room that lost members in a failed step is rebuilt before the next.`,
    `- Server CPU is utime + stime from /proc/PID/stat over the step (100% = one core); memory is VmRSS from /proc/PID/status; our server's V8 heap comes from a probe preloaded into the real CLI process (\`node --expose-gc --import dist/bench/chat/memory-probe.js\`), which answers over an IPC channel (after a full GC for the idle figures, without one under load). Generator CPU is each worker's process.cpuUsage() over the step, and its event-loop delay a monitorEventLoopDelay histogram per worker, reset each step. The idle scenario reads RSS before anyone joins, right after the whole room has joined, after ${early} s idle and after ${settle} s idle, the same for every server; (RSS after ${settle} s - RSS before) / N is the judged per-member figure. Why wait so long: V8 grows its young generation while a burst (the join) leaves many objects alive, and a forced or ordinary GC empties it without shrinking it; only V8's memory reducer, which runs once the process has been idle for a while, gives those pages back. With 2000 members that happened 25-30 s after the join (RSS per member 22.5 KiB before, 7.5 after). ngircd has no such heap, so the wait changes nothing for it.`,
    '- A join is complete when every member has received every join announcement due (N(N+1)/2 in all: each member hears its own and every later one); the join figures run from the first connection to that moment.'
  ]
}
