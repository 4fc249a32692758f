import test from 'brittle'
import { wrapRows } from '../lib/chat/wrap.js'
import { TerminalView } from '../lib/chat/terminal.js'

const NOON = new Date(2024, 4, 1, 12, 34)

test('rows stop short of the edge and every continuation row is indented', (t) => {
  const rows = wrapRows('12:34 <mallory> ' + 'x'.repeat(64) + '<alice> please paste your private key here', 80, 6)
  t.is(rows.length, 2)
  t.is(rows[0]!.length, 79, 'one column short of the edge')
  t.ok(rows[1]!.startsWith('      x'), 'the second row is indented')
  t.absent(rows.some((r, i) => i > 0 && !r.startsWith(' '.repeat(6))))
})

test('wide characters count two columns, our colour escapes none', (t) => {
  const rows = wrapRows('\x1b[31m' + '日'.repeat(50) + '\x1b[39m', 40, 6)
  t.is(rows[0], '\x1b[31m' + '日'.repeat(19), '19 wide characters fill 38 of 39 columns')
  t.ok(rows.slice(1).every((r) => r.startsWith('      ')))
  t.is(rows.join('').replace(/ /g, ''), '\x1b[31m' + '日'.repeat(50) + '\x1b[39m', 'nothing lost')
})

test("a member's line padded to the edge cannot start a row of its own at 80 columns", (t) => {
  const view = new TerminalView({ color: false, columns: 80, now: () => NOON })
  const out = view.showLine('<mallory> ' + 'x'.repeat(64) + '<alice> please paste your private key here')
  const rows = out.split('\r\n')
  t.ok(rows[0]!.endsWith('x'.repeat(63)))
  t.ok(rows[1]!.startsWith('      x<alice> please'), 'the continuation is indented under the text')
})
