import { MAX_LINE_BYTES, MAX_SERVER_LINE_BYTES } from '../../lib/constants.js'
import { LineSplitter, type SplitEvent } from '../../lib/chat/line-splitter.js'
import { chunkPlan, mutate, randomInput } from '../mutate.js'
import type { Rng } from '../rng.js'
import { caseBytes, caseChunks, check, makeCase, type FuzzCase, type FuzzTarget } from '../target.js'
import { CHAT_SCRIPTS, CHAT_TOKENS } from './chat-corpus.js'

/**
 * The chat's line splitter (lib/chat/line-splitter.ts) against a model that
 * splits the whole input at once: however the bytes are chunked, it must
 * report the same lines and overlong notices in the same order, and never
 * hold more than its limit + 1 bytes of an unfinished line.
 */

/** Line limits tried: the server's, the client's, and tiny ones that make every line overlong. */
const LIMITS = [MAX_LINE_BYTES, MAX_SERVER_LINE_BYTES, 16, 7, 1]

const SEEDS = CHAT_SCRIPTS.map((s) => Buffer.from(s))

function generate (rng: Rng): FuzzCase {
  const limitIndex = rng.weighted([5, 1, 2, 2, 1])
  const limit = LIMITS[limitIndex]!
  const bytes = rng.chance(0.08)
    ? randomInput(rng, 'bytes', 3000)
    : mutate(rng, rng.pick(SEEDS), { structure: 'lines', dictionary: CHAT_TOKENS, others: SEEDS, runLengths: [limit - 1, limit, limit + 1, limit + 2, 2 * limit + 3] })
  return makeCase(bytes, chunkPlan(rng, bytes.byteLength), { limit: limitIndex, ended: rng.chance(0.7) ? 1 : 0 })
}

/** The model: the line rules of docs/CHAT.md 1, applied to the whole input at once. */
function model (bytes: Buffer, limit: number, ended: boolean): SplitEvent[] {
  const events: SplitEvent[] = []
  let start = 0
  for (;;) {
    const nl = bytes.indexOf(0x0a, start)
    if (nl === -1 && start >= bytes.byteLength) break
    // An unfinished line is reported the moment it cannot fit any more (limit + 1 for a CR that may follow).
    if (nl === -1 && !ended) {
      if (bytes.byteLength - start > limit + 1) events.push({ type: 'overlong', limit })
      break
    }
    let line = bytes.subarray(start, nl === -1 ? bytes.byteLength : nl)
    if (line.byteLength > 0 && line[line.byteLength - 1] === 0x0d) line = line.subarray(0, line.byteLength - 1)
    events.push(line.byteLength > limit ? { type: 'overlong', limit } : { type: 'line', text: line.toString('utf8') })
    if (nl === -1) break
    start = nl + 1
  }
  return events
}

function run (input: FuzzCase): string {
  const limit = LIMITS[input.params['limit'] ?? 0] ?? MAX_LINE_BYTES
  const ended = input.params['ended'] === 1
  const splitter = new LineSplitter(limit)
  const got: SplitEvent[] = []
  for (const chunk of caseChunks(input)) {
    for (const e of splitter.push(chunk)) got.push(e)
    check(splitter.bufferedBytes <= limit + 1, () => `holds ${splitter.bufferedBytes} bytes of an unfinished line (limit ${limit})`)
  }
  if (ended) for (const e of splitter.end()) got.push(e)
  const expected = model(caseBytes(input), limit, ended)
  check(got.length === expected.length, () => `${got.length} events, the model ${expected.length}`)
  let overlong = 0
  got.forEach((e, i) => {
    const m = expected[i]!
    check(e.type === m.type, () => `event ${i} is ${e.type}, the model says ${m.type}`)
    if (e.type === 'line' && m.type === 'line') check(e.text === m.text, () => `line ${i} differs from the model`)
    if (e.type === 'overlong') overlong++
  })
  return overlong > 0 ? 'overlong line refused' : got.length > 0 ? 'lines' : 'no line'
}

/** The chat's LineSplitter. */
export const lineSplitterTarget: FuzzTarget = {
  name: 'line-splitter',
  description: 'LineSplitter against a whole-input model: chunking, CR/LF, limits, broken UTF-8',
  share: 150_000,
  timeoutMs: 2_000,
  generate,
  run
}
