import test from 'brittle'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseConfig } from '../bench/chat/config.js'
import { LatencyHistogram } from '../bench/chat/histogram.js'
import { encodePayload, PAYLOAD_TEXT_BYTES, scanPayloads } from '../bench/chat/payload.js'
import { serverBoundLimit, type ChatBenchResults } from '../bench/chat/results.js'
import { BenchRoom } from '../bench/chat/room.js'
import { dueBy, messagesPerSender, senderPhase } from '../bench/chat/schedule.js'
import { niceRate, RateSearch } from '../bench/chat/search.js'
import { generatorProblems, runStep, serverBoundFailure } from '../bench/chat/step.js'
import { LineBlocks } from '../bench/chat/link.js'

// The load generator against the real `noise-chat server` process, in a
// room of a few members: no ngircd, and timings decide nothing; what must
// hold whatever the machine's load is that every message reaches every
// other member once and in order, and that the results are well formed.

const RUN = fileURLToPath(new URL('../bench/chat/run.js', import.meta.url))

test('every message of a step reaches every other member of our real server once, in order', async (t) => {
  const { room, join } = await BenchRoom.open({ target: 'ours', members: 6, workers: 2, concurrency: 3, joinTimeoutMs: 15_000 })
  t.teardown(() => room.close())
  t.ok(join.complete, `every member joined and heard every join (${join.errors.join('; ')})`)
  t.is(join.joined, 6)

  // A generous drain: the step ends as soon as everything has arrived, so a slow machine only waits longer.
  const r = await runStep(room, { step: 1, rate: 60, senders: 3, durationMs: 500, drainMs: 10_000 })
  t.ok(r.sent > 0, `${r.sent} messages sent`)
  t.is(r.expected, r.sent * 5, 'each message is due to the five members other than its sender')
  t.is(r.received, r.expected, '0 loss')
  t.is(r.lost, 0)
  t.is(r.reordered, 0, 'no delivery out of order')
  t.is(r.disconnected, 0, 'nobody was disconnected')
  t.ok(Number.isFinite(r.p50Ms) && Number.isFinite(r.p99Ms) && r.p50Ms <= r.p99Ms && r.p99Ms <= r.maxMs + 1e-9, 'latency percentiles are ordered numbers')
  t.ok(Number.isFinite(r.serverCpuPct) && r.serverCpuPct >= 0, 'server CPU read from /proc')
  t.ok(!r.why.some((w) => w.startsWith('lost') || w.includes('out of order')), 'no loss or reordering among the reasons')
})

test('a tiny run of bench:chat on our server alone prints the table and writes well-formed JSON', async (t) => {
  const dir = mkdtempSync(join(os.tmpdir(), 'noise-chat-bench-chat-test-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const json = join(dir, 'results.json')
  const out = join(dir, 'CHAT-RESULTS.md')
  const { code, stdout, stderr } = await runBench(['--quick', '--only', 'n100', '--targets', 'ours', '--max-steps', '1', '--workers', '2', '--json', json, '--out', out])
  t.is(code, 0, stderr)
  t.ok(/n100\s+[\d,]+ msg\/s/.test(stdout), 'the summary table has the scenario and our rate')

  const results = JSON.parse(readFileSync(json, 'utf8')) as ChatBenchResults
  t.alike(results.targets, ['ours'])
  t.is(results.rate.length, 1)
  const [outcome] = results.rate
  t.is(outcome.error, undefined)
  t.is(outcome.steps.length, 1, 'one step, as --max-steps said')
  const [step] = outcome.steps
  t.ok(step.sent > 0 && step.expected === step.sent * (step.members - 1), 'deliveries due = sent x (N - 1)')
  t.ok(step.received <= step.expected && step.reordered === 0 && step.disconnected === 0, 'nothing duplicated, reordered or dropped')
  t.is(step.passed, step.why.length === 0, 'the verdict matches its reasons')
  t.is(outcome.best, step.passed ? step.rate : 0)
  t.ok(outcome.join !== undefined && outcome.join.complete, 'the room joined completely')
  const markdown = readFileSync(out, 'utf8')
  t.ok(markdown.includes('## Chat load') && markdown.includes('--rate 0'), 'the Markdown has the section and says the rate limit was raised')
})

test('payloads survive a relay line and are found again with their fields', (t) => {
  const text = encodePayload(7, 3, 42, 123456789)
  t.is(text.length, PAYLOAD_TEXT_BYTES)
  const found: number[][] = []
  const lines = `<m3> ${text}\n:m3!~m3@127.0.0.1 PRIVMSG #room :${encodePayload(7, 4, 0, 5)}\r\n<m1> ~b1:2:x:4~ not a payload\n`
  t.is(scanPayloads(Buffer.from(lines, 'latin1'), (...f) => found.push(f)), 2)
  t.alike(found, [[7, 3, 42, 123456789], [7, 4, 0, 5]])
})

test('lines without a payload reach the other handler whole, in runs, and payload lines never do', (t) => {
  const runs: string[] = []
  const found: number[][] = []
  const lines = `:s 001 m1 :hi\r\nPING :s\r\n:m3!~m3@127.0.0.1 PRIVMSG #room :${encodePayload(1, 2, 3, 4)}\r\n:m4!~m4@h JOIN :#room\r\n<m1> ~b1:2:x:4~ not a payload\n`
  t.is(scanPayloads(Buffer.from(lines, 'latin1'), (...f) => found.push(f), (b) => runs.push(b.toString('latin1'))), 1)
  t.alike(found, [[1, 2, 3, 4]])
  t.alike(runs, [':s 001 m1 :hi\r\nPING :s\r\n', ':m4!~m4@h JOIN :#room\r\n<m1> ~b1:2:x:4~ not a payload\n'])
})

test('lines split across chunks are handed on whole, as bytes', (t) => {
  const blocks = new LineBlocks()
  t.is(blocks.push(Buffer.from('<m1> ~b1:2:')), undefined, 'no whole line yet')
  const whole = blocks.push(Buffer.from('3:4~ x\n<m2> par'))
  t.is(whole?.toString(), '<m1> ~b1:2:3:4~ x\n')
  t.is(blocks.push(Buffer.from('t\n'))?.toString(), '<m2> part\n')
  const found: number[][] = []
  scanPayloads(whole!, (...f) => found.push(f))
  t.alike(found, [[1, 2, 3, 4]])
})

test('a failure with the generator saturated bounds the search but is not the server\'s limit', (t) => {
  t.alike(generatorProblems({ generatorMaxWorkerCpuPct: 40, generatorLoopDelayP99Ms: 3 }), [], 'headroom')
  t.is(generatorProblems({ generatorMaxWorkerCpuPct: 97, generatorLoopDelayP99Ms: 3 }).length, 1, 'a worker out of CPU')
  t.is(generatorProblems({ generatorMaxWorkerCpuPct: 40, generatorLoopDelayP99Ms: 45 }).length, 1, 'a late event loop')
  const s = new RateSearch({ startRate: 1000, minRate: 10, maxRate: 64000, maxSteps: 8, precision: 0.15 })
  s.record(1000, true)
  s.record(2000, false, true)
  t.is(s.ceiling, 2000)
  t.ok(s.ceilingGeneratorBound, 'flagged')
  s.record(1400, false, false)
  t.absent(s.ceilingGeneratorBound, 'a lower failure with headroom is the server\'s')
})

test('a failure far beyond what the generator\'s late loop can add bounds the server\'s limit even when its loop ran late', (t) => {
  const step = { passed: false, generatorMaxWorkerCpuPct: 35, generatorLoopDelayMaxMs: 41, p99Ms: 431.6, maxLagMs: 5 }
  t.ok(serverBoundFailure(step), 'p99 432 ms, at most 41 ms of it the generator\'s')
  t.absent(serverBoundFailure({ ...step, p99Ms: 110.4 }), '110 ms minus 41 ms is under the bound: it may be the generator\'s')
  t.absent(serverBoundFailure({ ...step, generatorMaxWorkerCpuPct: 90 }), 'a worker out of CPU bounds nothing')
  t.absent(serverBoundFailure({ ...step, maxLagMs: 300 }), 'a generator behind its schedule bounds nothing')
  t.absent(serverBoundFailure({ ...step, passed: true }), 'a pass is no failure')
  const outcome = { best: 1100, steps: [{ ...step, rate: 1600 }, { ...step, rate: 1200, p99Ms: 110.4 }, { ...step, rate: 900 }] }
  t.is(serverBoundLimit(outcome as unknown as Parameters<typeof serverBoundLimit>[0]), 1600, 'the lowest such failure above the best pass')
  t.is(serverBoundLimit(undefined), null)
})

test('the latency histogram orders its quantiles within a percent', (t) => {
  const h = new LatencyHistogram()
  for (let us = 1; us <= 1000; us++) h.record(us * 100)
  t.is(h.count, 1000)
  t.ok(Math.abs(h.quantileUs(0.5) - 50_000) / 50_000 < 0.02, `p50 ${h.quantileUs(0.5)}`)
  t.ok(Math.abs(h.quantileUs(0.99) - 99_000) / 99_000 < 0.02, `p99 ${h.quantileUs(0.99)}`)
  const merged = new LatencyHistogram(h.counts)
  t.is(merged.count, 1000, 'counts merge')
})

test('the rate search doubles, then bisects, and never retries a rate', (t) => {
  const s = new RateSearch({ startRate: 1000, minRate: 10, maxRate: 64000, maxSteps: 8, precision: 0.15 })
  const tried: number[] = []
  for (let rate = s.next(); rate !== undefined; rate = s.next()) {
    tried.push(rate)
    s.record(rate, rate <= 5000)
  }
  t.alike(tried.slice(0, 4), [1000, 2000, 4000, 8000])
  t.is(new Set(tried).size, tried.length)
  t.ok(s.best <= 5000 && s.ceiling > 5000 && s.ceiling / s.best <= 1.15, `settled between ${s.best} and ${s.ceiling}`)
  t.is(niceRate(11314), 11000)
})

test('the senders share R x d messages exactly and interleave instead of sending at once', (t) => {
  const counts = messagesPerSender(16, 10, 4000)
  t.is(counts.reduce((a, b) => a + b, 0), 64, '16 msg/s for 4 s is 64 messages, not 60')
  t.ok(Math.max(...counts) - Math.min(...counts) <= 1, 'shared as evenly as whole numbers allow')
  const durationUs = 4_000_000
  t.alike(counts.map((c, sid) => dueBy(c, durationUs, senderPhase(sid, 10), durationUs)), counts, 'all sent by the end')
  const even = messagesPerSender(20, 10, 4000)
  const firstDue = even.map((c, sid) => {
    let us = 0
    while (dueBy(c, durationUs, senderPhase(sid, 10), us) === 0) us += 1000
    return us
  })
  t.is(new Set(firstDue).size, 10, 'each sender starts at its own moment')
})

test('the command line is checked: unknown scenarios and flags are refused', (t) => {
  t.exception(() => parseConfig(['--only', 'n5']), /unknown name 'n5'/)
  t.exception(() => parseConfig(['--bogus']))
  t.is(parseConfig(['--quick', '--max-steps', '2']).scenarios.filter((s) => s.kind === 'rate').every((s) => s.kind === 'rate' && s.plan.maxSteps === 2), true)
})

function runBench (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'npm_lifecycle_event'))
    const child = spawn(process.execPath, [RUN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
