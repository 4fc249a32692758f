import test from 'brittle'
import { LineSplitter, type SplitEvent } from '../lib/chat/line-splitter.js'
import { MAX_LINE_BYTES } from '../lib/constants.js'

function lines (events: SplitEvent[]): string[] {
  return events.map((e) => e.type === 'line' ? e.text : `<overlong ${e.limit}>`)
}

test('splits on \\n and drops a \\r before it', (t) => {
  const s = new LineSplitter()
  t.alike(lines(s.push(Buffer.from('one\ntwo\r\nthree\n'))), ['one', 'two', 'three'])
})

test('a line split across chunks, even inside a UTF-8 character, decodes whole', (t) => {
  const s = new LineSplitter()
  const bytes = Buffer.from('héllo wörld ✓\n')
  const out: SplitEvent[] = []
  for (let i = 0; i < bytes.byteLength; i++) out.push(...s.push(bytes.subarray(i, i + 1)))
  t.alike(lines(out), ['héllo wörld ✓'])
})

test('invalid UTF-8 is replaced with U+FFFD, not refused', (t) => {
  const s = new LineSplitter()
  t.alike(lines(s.push(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a]))), ['a\ufffd\ufffdb'])
})

test('a line of exactly the limit passes; one byte more is refused once and skipped to the next newline', (t) => {
  const s = new LineSplitter(10)
  t.alike(lines(s.push(Buffer.from('0123456789\n'))), ['0123456789'])
  t.alike(lines(s.push(Buffer.from('0123456789A\nnext\n'))), ['<overlong 10>', 'next'])
})

test('an endless line is refused as soon as it passes the limit and never buffered beyond it', (t) => {
  const s = new LineSplitter()
  const chunk = Buffer.alloc(4096, 0x61)
  const first = s.push(chunk)
  t.alike(lines(first), [`<overlong ${MAX_LINE_BYTES}>`], 'reported at once')
  let reported = 0
  let mostBuffered = 0
  for (let i = 0; i < 100; i++) {
    reported += s.push(chunk).length
    mostBuffered = Math.max(mostBuffered, s.bufferedBytes)
  }
  t.is(reported, 0, 'nothing more reported while it goes on')
  t.ok(mostBuffered <= MAX_LINE_BYTES + 1, 'never buffered past the limit')
  t.alike(lines(s.push(Buffer.from('aaa\nafter\n'))), ['after'], 'the next line is fine')
})

test('\\r\\n after exactly the limit still counts as a line of the limit', (t) => {
  const s = new LineSplitter(4)
  t.alike(lines(s.push(Buffer.from('abcd\r'))), [])
  t.alike(lines(s.push(Buffer.from('\n'))), ['abcd'])
  t.alike(lines(s.push(Buffer.from('abcde\r\n'))), ['<overlong 4>'])
})

test('end() delivers a last line without newline', (t) => {
  const s = new LineSplitter()
  t.alike(lines(s.push(Buffer.from('a\nlast'))), ['a'])
  t.alike(lines(s.end()), ['last'])
  t.alike(lines(s.end()), [], 'nothing twice')
})

test('empty lines are lines (the session ignores them)', (t) => {
  const s = new LineSplitter()
  t.alike(lines(s.push(Buffer.from('\n\r\nx\n'))), ['', '', 'x'])
})

test('a partial line survives the caller reusing its buffer', (t) => {
  const s = new LineSplitter()
  const buf = Buffer.from('abc')
  s.push(buf)
  buf.fill(0x7a)
  t.alike(lines(s.push(Buffer.from('\n'))), ['abc'])
})
