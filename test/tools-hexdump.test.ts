import test from 'brittle'
import { hexdump, hexdumpLines, isPrintableByte } from '../lib/tools/hexdump.js'

test('hexdump shows offset, hex in two-byte groups and printable ASCII', (t) => {
  const lines = hexdumpLines(Buffer.from('hello world\n'))
  t.alike(lines, ['0x0000:  6865 6c6c 6f20 776f 726c 640a            hello world.'])
})

test('hexdump breaks lines every 16 bytes and counts the offset in hex', (t) => {
  const bytes = Buffer.alloc(40)
  for (let i = 0; i < bytes.length; i++) bytes[i] = 0x41 + (i % 26)
  const lines = hexdumpLines(bytes)
  t.is(lines.length, 3)
  t.is(lines[0], '0x0000:  4142 4344 4546 4748 494a 4b4c 4d4e 4f50  ABCDEFGHIJKLMNOP')
  t.is(lines[1], '0x0010:  5152 5354 5556 5758 595a 4142 4344 4546  QRSTUVWXYZABCDEF')
  t.is(lines[2], '0x0020:  4748 494a 4b4c 4d4e' + ' '.repeat(22) + 'GHIJKLMN')
})

test('hexdump pads a short last line so the ASCII column stays aligned', (t) => {
  const [full] = hexdumpLines(Buffer.alloc(16, 0x61))
  const [short] = hexdumpLines(Buffer.from([0x61]))
  t.is(full!.indexOf('aaaa'), short!.indexOf('a', 10))
  t.is(short, '0x0000:  61                                       a')
})

test('hexdump shows non-printable bytes as dots, never raw', (t) => {
  const bytes = Buffer.from([0x00, 0x07, 0x0a, 0x1b, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff])
  const [line] = hexdumpLines(bytes)
  t.is(line, '0x0000:  0007 0a1b 1f20 7e7f 80ff' + ' '.repeat(17) + '..... ~...')
  t.absent(/[\x00-\x1f\x7f-\xff]/.test(line!), 'no control or high bytes in the output')
})

test('hexdump continues from a given offset and indents', (t) => {
  const text = hexdump(Buffer.from('ab'), { offset: 0x1230, indent: '\t' })
  t.is(text, '\t0x1230:  6162                                     ab\n')
})

test('hexdump widens the offset past 0xffff', (t) => {
  const [line] = hexdumpLines(Buffer.from('z'), { offset: 0x12345 })
  t.ok(line!.startsWith('0x12345:  7a'))
})

test('hexdump of no bytes is empty', (t) => {
  t.is(hexdump(Buffer.alloc(0)), '')
  t.alike(hexdumpLines(new Uint8Array(0)), [])
})

test('isPrintableByte accepts space through tilde only', (t) => {
  t.ok(isPrintableByte(0x20))
  t.ok(isPrintableByte(0x7e))
  t.absent(isPrintableByte(0x1f))
  t.absent(isPrintableByte(0x7f))
})
