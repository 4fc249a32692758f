import type { Rng } from './rng.js'

/**
 * The mutation engine: from a valid input (a recorded session, a chat
 * script, a key file) it makes a damaged one, the way an attacker or a bad
 * network would. Byte mutations (bit flips, byte sets, inserts, deletes,
 * truncations, splices of two inputs) work on anything; frame mutations
 * (duplicated, dropped and reordered frames, length prefixes that lie) on
 * inputs made of uint16-length frames (PROTOCOL.md 2); line mutations on
 * text. Several are stacked per input. Everything is drawn from the Rng,
 * so a seed remakes the same mutant.
 */

/** How an input is built, which decides the structural mutations that apply. */
export type Structure = 'frames' | 'lines' | 'bytes'

export interface MutationOptions {
  structure: Structure
  /** Tokens worth inserting (escape sequences, commands, newlines...). */
  dictionary?: readonly Buffer[]
  /** Other valid inputs to splice with. */
  others?: readonly Buffer[]
  /** Most mutations stacked on one input. */
  maxStack?: number
  /** Lengths worth making a run of bytes of (a limit and its neighbours). */
  runLengths?: readonly number[]
}

/** Byte values that often sit on a boundary. */
const INTERESTING = [0x00, 0x01, 0x0a, 0x0d, 0x1b, 0x20, 0x2f, 0x7f, 0x80, 0x9b, 0xc0, 0xe2, 0xef, 0xfe, 0xff]

type Mutator = (rng: Rng, input: Buffer, options: MutationOptions) => Buffer

/** Apply 1..maxStack mutations to `input`; returns the mutant (never `input` itself). */
export function mutate (rng: Rng, input: Buffer, options: MutationOptions): Buffer {
  const stack = 1 + rng.small((options.maxStack ?? 6) - 1)
  let out: Buffer = Buffer.from(input)
  for (let i = 0; i < stack; i++) {
    const mutators = options.structure === 'frames' ? FRAME_MUTATORS : options.structure === 'lines' ? LINE_MUTATORS : BYTE_MUTATORS
    out = rng.pick(mutators)(rng, out, options)
  }
  return out
}

// ---- bytes ---------------------------------------------------------------------

const flipBit: Mutator = (rng, b) => {
  if (b.byteLength === 0) return b
  const at = rng.int(b.byteLength)
  b[at]! ^= 1 << rng.int(8)
  return b
}

const setByte: Mutator = (rng, b) => {
  if (b.byteLength === 0) return b
  b[rng.int(b.byteLength)] = rng.chance(0.5) ? rng.pick(INTERESTING) : rng.u32() & 0xff
  return b
}

const addToByte: Mutator = (rng, b) => {
  if (b.byteLength === 0) return b
  const at = rng.int(b.byteLength)
  b[at] = (b[at]! + rng.range(1, 16) * (rng.chance(0.5) ? 1 : -1)) & 0xff
  return b
}

const insertRandom: Mutator = (rng, b) => insertAt(b, rng.int(b.byteLength + 1), rng.bytes(1 + rng.small(31)))

const insertToken: Mutator = (rng, b, o) => {
  const dict = o.dictionary ?? []
  if (dict.length === 0) return insertRandom(rng, b, o)
  return insertAt(b, rng.int(b.byteLength + 1), rng.pick(dict))
}

const overwriteToken: Mutator = (rng, b, o) => {
  const dict = o.dictionary ?? []
  if (dict.length === 0 || b.byteLength === 0) return setByte(rng, b, o)
  const token = rng.pick(dict)
  const at = rng.int(b.byteLength)
  const out = Buffer.from(b)
  out.set(token.subarray(0, out.byteLength - at), at)
  return out
}

const deleteRange: Mutator = (rng, b) => {
  if (b.byteLength === 0) return b
  const at = rng.int(b.byteLength)
  const n = 1 + rng.small(Math.min(64, b.byteLength - at) - 1)
  return Buffer.concat([b.subarray(0, at), b.subarray(at + n)])
}

const duplicateRange: Mutator = (rng, b) => {
  if (b.byteLength === 0) return b
  const at = rng.int(b.byteLength)
  const n = 1 + rng.small(Math.min(256, b.byteLength - at) - 1)
  return insertAt(b, rng.int(b.byteLength + 1), Buffer.from(b.subarray(at, at + n)))
}

const truncate: Mutator = (rng, b) => b.subarray(0, rng.int(b.byteLength + 1))

const overwriteRandom: Mutator = (rng, b) => {
  if (b.byteLength === 0) return b
  const at = rng.int(b.byteLength)
  const n = 1 + rng.small(Math.min(32, b.byteLength - at) - 1)
  b.set(rng.bytes(n), at)
  return b
}

/** A prefix of this input, then a suffix of another valid input. */
const splice: Mutator = (rng, b, o) => {
  const others = o.others ?? []
  if (others.length === 0) return truncate(rng, b, o)
  const other = rng.pick(others)
  return Buffer.concat([b.subarray(0, rng.int(b.byteLength + 1)), other.subarray(rng.int(other.byteLength + 1))])
}

/** A run of one byte whose length sits on a limit (a line of exactly 1024 bytes, one more...). */
const insertRun: Mutator = (rng, b, o) => {
  const lengths = o.runLengths ?? [rng.small(4096)]
  const n = Math.max(0, rng.pick(lengths) + rng.range(-2, 2))
  const fill = rng.chance(0.8) ? 0x61 : rng.pick(INTERESTING)
  return insertAt(b, rng.int(b.byteLength + 1), Buffer.alloc(n, fill))
}

const BYTE_MUTATORS: Mutator[] = [
  flipBit, flipBit, setByte, addToByte, insertRandom, insertToken, overwriteToken, deleteRange,
  duplicateRange, truncate, overwriteRandom, splice
]

// ---- frames --------------------------------------------------------------------

/** An input cut at its uint16 length headers: whole frames, then whatever is left over. */
export function splitFrames (b: Buffer): { frames: Buffer[], rest: Buffer } {
  const frames: Buffer[] = []
  let at = 0
  while (b.byteLength - at >= 2) {
    const length = b.readUInt16BE(at)
    if (length === 0 || at + 2 + length > b.byteLength) break
    frames.push(b.subarray(at, at + 2 + length))
    at += 2 + length
  }
  return { frames, rest: b.subarray(at) }
}

function withFrames (b: Buffer, edit: (frames: Buffer[]) => Buffer[]): Buffer {
  const { frames, rest } = splitFrames(b)
  return Buffer.concat([...edit(frames), rest])
}

const duplicateFrame: Mutator = (rng, b) => withFrames(b, (f) => {
  if (f.length === 0) return f
  const i = rng.int(f.length)
  const at = rng.chance(0.5) ? i + 1 : rng.int(f.length + 1)
  return [...f.slice(0, at), f[i]!, ...f.slice(at)]
})

const dropFrame: Mutator = (rng, b) => withFrames(b, (f) => {
  if (f.length === 0) return f
  const i = rng.int(f.length)
  return [...f.slice(0, i), ...f.slice(i + 1)]
})

const reorderFrames: Mutator = (rng, b) => withFrames(b, (f) => {
  if (f.length < 2) return f
  const out = f.slice()
  const i = rng.int(out.length - 1)
  const j = rng.chance(0.6) ? i + 1 : rng.int(out.length)
  ;[out[i], out[j]] = [out[j]!, out[i]!]
  return out
})

/** Rewrite one frame's length header: zero, too small, too big, the maximum. */
const lengthLie: Mutator = (rng, b) => withFrames(b, (f) => {
  if (f.length === 0) return [Buffer.from([0, rng.int(2) * rng.int(256)])]
  const i = rng.int(f.length)
  const frame = Buffer.from(f[i]!)
  const length = frame.readUInt16BE(0)
  const lies = [0, 1, Math.max(1, length - 1), Math.max(1, length - rng.range(2, 32)), length + 1, length + rng.range(2, 64), 0xffff, rng.int(0x10000)]
  frame.writeUInt16BE(Math.min(0xffff, rng.pick(lies)), 0)
  const out = f.slice()
  out[i] = frame
  return out
})

/** This input's first frames, then another's last ones. */
const spliceFrames: Mutator = (rng, b, o) => {
  const others = o.others ?? []
  if (others.length === 0) return dropFrame(rng, b, o)
  const mine = splitFrames(b).frames
  const theirs = splitFrames(rng.pick(others)).frames
  return Buffer.concat([...mine.slice(0, rng.int(mine.length + 1)), ...theirs.slice(rng.int(theirs.length + 1))])
}

/** A frame with a true header and a random body, put anywhere. */
const insertRandomFrame: Mutator = (rng, b) => withFrames(b, (f) => {
  const n = 1 + rng.small(300)
  const frame = Buffer.concat([Buffer.from([n >> 8, n & 0xff]), rng.bytes(n)])
  const at = rng.int(f.length + 1)
  return [...f.slice(0, at), frame, ...f.slice(at)]
})

/** Cut one frame short (the rest of the input follows straight on). */
const cutFrame: Mutator = (rng, b) => withFrames(b, (f) => {
  if (f.length === 0) return f
  const i = rng.int(f.length)
  const out = f.slice()
  out[i] = f[i]!.subarray(0, rng.int(f[i]!.byteLength))
  return out
})

/** A flipped bit inside one chosen frame's body (so the header stays true). */
const flipInFrame: Mutator = (rng, b) => withFrames(b, (f) => {
  if (f.length === 0) return f
  const i = rng.int(f.length)
  const frame = Buffer.from(f[i]!)
  const at = 2 + rng.int(frame.byteLength - 2)
  frame[at]! ^= 1 << rng.int(8)
  const out = f.slice()
  out[i] = frame
  return out
})

const FRAME_MUTATORS: Mutator[] = [
  ...BYTE_MUTATORS, duplicateFrame, duplicateFrame, dropFrame, dropFrame, reorderFrames, reorderFrames,
  lengthLie, lengthLie, lengthLie, spliceFrames, insertRandomFrame, cutFrame, flipInFrame, flipInFrame
]

// ---- lines ---------------------------------------------------------------------

function withLines (b: Buffer, edit: (lines: Buffer[]) => Buffer[]): Buffer {
  const lines: Buffer[] = []
  let at = 0
  while (at < b.byteLength) {
    const nl = b.indexOf(0x0a, at)
    const end = nl === -1 ? b.byteLength : nl + 1
    lines.push(b.subarray(at, end))
    at = end
  }
  return Buffer.concat(edit(lines))
}

const duplicateLine: Mutator = (rng, b) => withLines(b, (l) => {
  if (l.length === 0) return l
  const i = rng.int(l.length)
  const at = rng.int(l.length + 1)
  return [...l.slice(0, at), l[i]!, ...l.slice(at)]
})

const dropLine: Mutator = (rng, b) => withLines(b, (l) => {
  const i = rng.int(l.length)
  return [...l.slice(0, i), ...l.slice(i + 1)]
})

const swapLines: Mutator = (rng, b) => withLines(b, (l) => {
  if (l.length < 2) return l
  const out = l.slice()
  const i = rng.int(out.length)
  const j = rng.int(out.length)
  ;[out[i], out[j]] = [out[j]!, out[i]!]
  return out
})

/** Remove a line's newline, so it runs into the next one. */
const joinLines: Mutator = (rng, b) => {
  const at = b.indexOf(0x0a, rng.int(b.byteLength + 1))
  return at === -1 ? b : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
}

const spliceLines: Mutator = (rng, b, o) => {
  const others = o.others ?? []
  if (others.length === 0) return dropLine(rng, b, o)
  let mine: Buffer[] = []
  let theirs: Buffer[] = []
  withLines(b, (l) => (mine = l))
  withLines(rng.pick(others), (l) => (theirs = l))
  return Buffer.concat([...mine.slice(0, rng.int(mine.length + 1)), ...theirs.slice(rng.int(theirs.length + 1))])
}

const LINE_MUTATORS: Mutator[] = [
  ...BYTE_MUTATORS, insertToken, insertToken, overwriteToken, duplicateLine, dropLine, swapLines, joinLines,
  spliceLines, insertRun, insertRun
]

// ---- helpers -------------------------------------------------------------------

function insertAt (b: Buffer, at: number, piece: Buffer): Buffer {
  return Buffer.concat([b.subarray(0, at), piece, b.subarray(at)])
}

/** Random bytes, or random frames with true headers (purely random inputs, not mutants). */
export function randomInput (rng: Rng, structure: Structure, maxLength = 600): Buffer {
  if (structure !== 'frames' || rng.chance(0.5)) return rng.bytes(rng.small(maxLength))
  const frames: Buffer[] = []
  const count = 1 + rng.small(6)
  for (let i = 0; i < count; i++) {
    const n = 1 + rng.small(200)
    frames.push(Buffer.from([n >> 8, n & 0xff]), rng.bytes(n))
  }
  return Buffer.concat(frames)
}

/**
 * How a byte stream is cut on delivery, as chunk sizes: whole, at a few
 * random points, in small random pieces, or one byte at a time (long inputs
 * are cut more coarsely, so a 20 KB input is not 20,000 deliveries).
 */
export function chunkPlan (rng: Rng, length: number): number[] {
  if (length <= 1) return []
  switch (rng.weighted([3, 3, 2, 1])) {
    case 0:
      return []
    case 1: {
      const cuts = new Set<number>()
      const n = 1 + rng.small(7)
      for (let i = 0; i < n; i++) cuts.add(1 + rng.int(length - 1))
      const sorted = [...cuts].sort((x, y) => x - y)
      return sorted.map((c, i) => c - (i === 0 ? 0 : sorted[i - 1]!)).concat(length - sorted[sorted.length - 1]!)
    }
    case 2: {
      const most = Math.max(4, Math.ceil(length / 256))
      return sizes(length, () => 1 + rng.small(most - 1))
    }
    default:
      return sizes(length, () => length <= 2048 ? 1 : Math.ceil(length / 2048))
  }
}

function sizes (length: number, next: () => number): number[] {
  const out: number[] = []
  let left = length
  while (left > 0) {
    const n = Math.min(left, next())
    out.push(n)
    left -= n
  }
  return out
}
