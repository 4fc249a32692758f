import { sanitizeText } from '../../lib/chat/sanitize.js'
import { mutate, randomInput } from '../mutate.js'
import type { Rng } from '../rng.js'
import { caseBytes, check, makeCase, type FuzzCase, type FuzzTarget } from '../target.js'
import { CHAT_SCRIPTS, CHAT_TOKENS } from './chat-corpus.js'

/**
 * The sanitizer (lib/text-sanitize.ts) on mutated member text: what comes
 * out holds no control character, escape, bidi control, line separator or
 * invisible character (nor a stray joiner);
 * cleaning twice changes nothing more; text with nothing to remove comes
 * out unchanged; and nothing is added.
 */

/** What must never survive: C0 (tab included: it becomes a space), DEL, C1, bidi controls, line and paragraph separators, the invisible characters (zero-width space, word joiner, invisible operators, BOM, soft hyphen, Mongolian vowel separator). */
export const FORBIDDEN = /[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/

/** A zero-width joiner or non-joiner next to white space or an end: removed too (between visible characters they stay). */
const STRAY_JOINER = /(?:^|\s)[\u200c\u200d]|[\u200c\u200d](?:\s|$)/

/** How bytes become text: UTF-8 (broken sequences become U+FFFD), Latin-1 (reaches every C1 control), UTF-16 (any code unit, lone surrogates too). */
const ENCODINGS = ['utf8', 'latin1', 'utf16le'] as const

const SEEDS = CHAT_SCRIPTS.map((s) => Buffer.from(s))

function generate (rng: Rng): FuzzCase {
  const encoding = rng.weighted([6, 2, 2])
  const bytes = rng.chance(0.1)
    ? randomInput(rng, 'bytes', 400)
    : mutate(rng, rng.pick(SEEDS), { structure: 'lines', dictionary: CHAT_TOKENS, others: SEEDS })
  return makeCase(bytes, [], { encoding })
}

function run (input: FuzzCase): string {
  const text = caseBytes(input).toString(ENCODINGS[input.params['encoding'] ?? 0] ?? 'utf8')
  const clean = sanitizeText(text)
  const bad = FORBIDDEN.exec(clean)
  check(bad === null, () => `U+${bad![0].charCodeAt(0).toString(16).padStart(4, '0')} survived at ${bad!.index}`)
  check(sanitizeText(clean) === clean, 'cleaning the cleaned text changed it again')
  check(clean.length <= text.length, 'the cleaned text is longer than the input')
  check(!STRAY_JOINER.test(clean), 'a joiner next to white space survived')
  const untouched = !FORBIDDEN.test(text) && !STRAY_JOINER.test(text)
  if (untouched) check(clean === text, 'text with nothing to remove was changed')
  return untouched ? 'nothing to remove' : clean.length < text.length ? 'removed' : 'tabs replaced'
}

/** The chat's sanitizeText. */
export const sanitizeTarget: FuzzTarget = {
  name: 'sanitize',
  description: 'sanitizeText: no control, escape or bidi survives; idempotent; clean text unchanged',
  share: 60_000,
  timeoutMs: 2_000,
  generate,
  run
}
