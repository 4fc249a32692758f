import test from 'brittle'
import { BatchWriter, readBatch } from '../lib/chat/redis-batch.js'

type Item = ['line', string] | ['event', string] | ['unicast', string, string | undefined, string]

function decode (batch: Buffer): { items: Item[], complete: boolean } {
  const items: Item[] = []
  const complete = readBatch(batch, {
    line: (line) => items.push(['line', line.toString('latin1')]),
    event: (json) => items.push(['event', json.toString()]),
    unicast: (to, reply, line) => items.push(['unicast', to, reply, line.toString('latin1')])
  })
  return { items, complete }
}

test('redis batch: lines, events and private lines come back in order, bytes as written', (t) => {
  const w = new BatchWriter()
  const odd = '\x00\n\xff<not a line>\r\n'
  w.line(Buffer.from('<a> hello\n'))
  w.event('{"type":"leave","ref":"n1:7"}')
  w.unicast('n1:7', 'n2:3', Buffer.from('[pm from b] hi\n'))
  w.unicast('n1:8', undefined, Buffer.from(odd, 'latin1'))
  w.line(Buffer.alloc(0))
  t.is(w.count, 5)
  const batch = w.bytes()
  t.is(w.length, 0, 'the writer starts over')
  t.alike(decode(batch), {
    complete: true,
    items: [
      ['line', '<a> hello\n'],
      ['event', '{"type":"leave","ref":"n1:7"}'],
      ['unicast', 'n1:7', 'n2:3', '[pm from b] hi\n'],
      ['unicast', 'n1:8', undefined, odd],
      ['line', '']
    ]
  })
})

test('redis batch: the writer grows past its first buffer and a batch is its own copy', (t) => {
  const w = new BatchWriter()
  const big = Buffer.alloc(5000, 0x61)
  w.line(big)
  w.line(Buffer.from('x'))
  const first = w.bytes()
  w.line(Buffer.from('next batch'))
  const second = w.bytes()
  t.alike(decode(first).items, [['line', big.toString('latin1')], ['line', 'x']])
  t.alike(decode(second).items, [['line', 'next batch']], 'a later batch does not overwrite an earlier one')
})

test('redis batch: a cut or foreign batch is told up to the first bad item, and reported', (t) => {
  const w = new BatchWriter()
  w.line(Buffer.from('one'))
  w.line(Buffer.from('two'))
  const batch = w.bytes()
  t.alike(decode(batch.subarray(0, batch.length - 1)), { complete: false, items: [['line', 'one']] }, 'cut short')
  t.alike(decode(Buffer.concat([batch, Buffer.from('Z\0\0\0\0')])), { complete: false, items: [['line', 'one'], ['line', 'two']] }, 'unknown tag')
  t.alike(decode(Buffer.from('L\0\0')), { complete: false, items: [] }, 'cut header')
  t.alike(decode(Buffer.from([0x50, 0, 0, 0, 2, 9, 0])), { complete: false, items: [] }, 'private item whose ref runs past it')
  t.alike(decode(Buffer.alloc(0)), { complete: true, items: [] }, 'empty')
})
