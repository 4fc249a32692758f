import test from 'brittle'
import { caseOf, runTarget } from '../fuzz/engine.js'
import { judgeMemory } from '../fuzz/memory.js'
import { OracleFailure, makeCase, type FuzzCase, type FuzzTarget, type Labels } from '../fuzz/target.js'
import { TARGETS, findTarget } from '../fuzz/targets/index.js'

/**
 * A slice of `npm run fuzz` inside `npm test`: a few thousand inputs per
 * target from a fixed seed, under the same oracles as the full run (no
 * crash, no hang, every rejection coded, nothing delivered after a bad
 * frame...). Each target must also show both sides of its oracle in the
 * slice (inputs refused with a code, and inputs accepted), so an oracle that
 * stopped seeing anything would fail here rather than pass silently.
 */

const SLICE_SEED = 0x51ce

/** Inputs per target: the SecureStream and chat-commands targets cost a few ms an input. */
const SLICE_INPUTS: Record<string, number> = {
  'frame-decoder': 3000,
  'transport-frame': 3000,
  'secure-stream-responder': 1000,
  'secure-stream-initiator': 1000,
  'line-splitter': 3000,
  sanitize: 3000,
  'chat-commands': 1000,
  'identity-files': 3000
}

/** Labels each target's slice must include: a rejection and an acceptance at least. */
const MUST_SEE: Record<string, string[]> = {
  'frame-decoder': ['decoded', 'ERR_BAD_FRAME (zero length)'],
  'transport-frame': ['opened (the recorded frame)', 'ERR_DECRYPT_FAILED', 'ERR_BAD_FRAME'],
  'secure-stream-responder': ['clean end', 'ERR_DECRYPT_FAILED', 'ERR_HANDSHAKE_FAILED', 'ERR_PEER_ABORTED'],
  'secure-stream-initiator': ['clean end', 'ERR_DECRYPT_FAILED', 'ERR_HANDSHAKE_FAILED', 'ERR_LOCAL_KEY_REJECTED'],
  'line-splitter': ['lines', 'overlong line refused'],
  sanitize: ['nothing to remove', 'removed'],
  'chat-commands': ['message relayed', 'ERR_UNKNOWN_COMMAND', 'ERR_NICK_INVALID', 'disconnected: ERR_FLOODING'],
  'identity-files': ['known_hosts: parsed', 'known_hosts: ERR_TRUST_FILE_INVALID', 'private key: parsed', 'private key: ERR_KEY_FILE_INVALID']
}

test('every fuzz target has a slice', (t) => {
  t.alike(Object.keys(SLICE_INPUTS).sort(), TARGETS.map((x) => x.name).sort())
})

for (const target of TARGETS) {
  test(`fuzz slice: ${target.name} holds its oracles for ${SLICE_INPUTS[target.name]} inputs`, async (t) => {
    const inputs = SLICE_INPUTS[target.name]!
    const stats = await runTarget(target, { runSeed: SLICE_SEED, inputs })
    t.is(stats.inputs, inputs)
    const first = stats.failures[0]
    t.is(stats.failureCount, 0, first === undefined ? 'no failure' : `input ${first.index} (seed 0x${first.seed.toString(16)}) ${first.kind}: ${first.message.split('\n')[0]}`)
    for (const label of MUST_SEE[target.name]!) t.ok((stats.labels[label] ?? 0) > 0, `seen: ${label}`)
    t.comment(Object.entries(stats.labels).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', '))
  })
}

test('an input is remade from its seed alone, and other seeds make other inputs', (t) => {
  for (const target of TARGETS) {
    const a = caseOf(target, SLICE_SEED, 17)
    const b = caseOf(findTarget(target.name)!, SLICE_SEED, 17)
    t.is(a.seed, b.seed)
    t.alike({ hex: a.input.hex, chunks: a.input.chunks, params: a.input.params }, { hex: b.input.hex, chunks: b.input.chunks, params: b.input.params }, `${target.name}: same case`)
    const others = new Set([18, 19, 20, 21].map((i) => caseOf(target, SLICE_SEED, i).input.hex))
    t.ok(others.size > 1, `${target.name}: different seeds, different inputs`)
  }
})

/** A target made of hand-written cases, to show the engine failing what it should. */
function scripted (name: string, run: (input: FuzzCase) => Labels | Promise<Labels>, timeoutMs = 1000): FuzzTarget {
  return { name, description: 'engine check', share: 1, timeoutMs, generate: (rng) => makeCase(rng.bytes(4), []), run }
}

test('the engine counts a crash, a broken oracle, a hang and a late exception as failures, with the seed to remake them', async (t) => {
  const crash = await runTarget(scripted('crash', () => { throw new TypeError('boom') }), { runSeed: 1, inputs: 3 })
  t.is(crash.failureCount, 3)
  t.is(crash.failures[0]!.kind, 'crash')
  t.ok(crash.failures[0]!.message.includes('boom'))
  t.alike(caseOf(scripted('crash', () => ''), 1, 2).input.hex, crash.failures[2]!.case.hex, 'the failure carries the case its seed remakes')

  const oracle = await runTarget(scripted('oracle', () => { throw new OracleFailure('data after a bad frame') }), { runSeed: 1, inputs: 2 })
  t.is(oracle.failures[0]!.kind, 'oracle')

  const hang = await runTarget(scripted('hang', () => new Promise<string>(() => {}), 50), { runSeed: 1, inputs: 1 })
  t.is(hang.failures[0]!.kind, 'hang', 'a promise that never settles')

  const late = await runTarget(scripted('late', async () => {
    setImmediate(() => { throw new Error('thrown from a timer') })
    return 'fine'
  }), { runSeed: 1, inputs: 1 })
  t.is(late.failureCount, 1)
  t.is(late.failures[0]!.kind, 'uncaught')
})

test('the memory verdict: flat noise is flat, a steady leak is growing', (t) => {
  const noise = Array.from({ length: 40 }, (_, i) => ({ input: i * 1000, heapUsed: 8e6 + ((i * 7919) % 13) * 40_000 }))
  t.is(judgeMemory(noise).verdict, 'flat')
  const leak = Array.from({ length: 40 }, (_, i) => ({ input: i * 1000, heapUsed: 8e6 + i * 400_000 }))
  const verdict = judgeMemory(leak)
  t.is(verdict.verdict, 'growing')
  t.ok(Math.abs(verdict.slopeBytesPerKiloInput - 400_000) < 1, 'slope in bytes per 1000 inputs')
  t.is(judgeMemory(leak, false).verdict, 'not measured')
})
