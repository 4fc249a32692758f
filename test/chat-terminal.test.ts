import test from 'brittle'
import { mentions, nickColourCode, TerminalView, type Key } from '../lib/chat/terminal.js'

const NOON = new Date(2024, 4, 1, 12, 34)

function view (color = false, columns = 80): TerminalView {
  const v = new TerminalView({ color, columns, now: () => NOON, commands: ['/help', '/me', '/msg', '/names', '/nick'] })
  v.showLine('-- your nick is alice')
  return v
}

function typeText (v: TerminalView, text: string): string {
  let out = ''
  for (const ch of text) out = v.key({ sequence: ch, name: ch }).output
  return out
}

const key = (name: string, extra: Partial<Key> = {}): Key => ({ name, ...extra })

test('a message arriving while typing: erase the line, print the message, redraw the prompt and the typed text', (t) => {
  const v = view()
  typeText(v, 'hel')
  const out = v.showLine('<bob> hi there')
  t.is(out, '\r\x1b[K12:34 <bob> hi there\r\n\r[alice] hel\x1b[K')
  t.is(v.input, 'hel', 'the typed text is untouched')
})

test('the cursor goes back to where it was, mid-line', (t) => {
  const v = view()
  typeText(v, 'hello')
  v.key(key('left'))
  v.key(key('left'))
  const out = v.showLine('<bob> yo')
  t.ok(out.endsWith('\r[alice] hello\x1b[K\x1b[2D'), JSON.stringify(out))
  v.key({ sequence: 'X', name: 'x', shift: true })
  t.is(v.input, 'helXlo', 'typing inserts at the cursor')
})

test('editing keys: backspace, delete, home, end, ctrl-u, ctrl-k, ctrl-w', (t) => {
  const v = view()
  typeText(v, 'one two three')
  v.key(key('backspace'))
  t.is(v.input, 'one two thre')
  v.key(key('w', { ctrl: true }))
  t.is(v.input, 'one two ')
  v.key(key('home'))
  v.key(key('delete'))
  t.is(v.input, 'ne two ')
  v.key(key('right'))
  v.key(key('k', { ctrl: true }))
  t.is(v.input, 'n')
  v.key(key('end'))
  typeText(v, 'o')
  v.key(key('u', { ctrl: true }))
  t.is(v.input, '')
})

test('Enter submits the line and clears it; up and down recall what was sent', (t) => {
  const v = view()
  typeText(v, 'first')
  const r = v.key(key('return'))
  t.is(r.submit, 'first')
  t.is(v.input, '')
  t.is(r.output, '\r[alice] \x1b[K')
  typeText(v, 'draft')
  v.key(key('up'))
  t.is(v.input, 'first')
  v.key(key('down'))
  t.is(v.input, 'draft', 'the draft comes back')
  t.is(v.key(key('return')).submit, 'draft')
  t.is(v.key(key('return')).submit, undefined, 'an empty line is not sent')
})

test('Ctrl-C leaves; Ctrl-D leaves on an empty line and deletes otherwise', (t) => {
  const v = view()
  t.ok(v.key(key('c', { ctrl: true })).quit)
  typeText(v, 'ab')
  v.key(key('left'))
  t.absent(v.key(key('d', { ctrl: true })).quit)
  t.is(v.input, 'a')
  v.key(key('u', { ctrl: true }))
  t.ok(v.key(key('d', { ctrl: true })).quit)
})

test('without colour no escape sequence colours the message; with colour each nick has one stable colour', (t) => {
  const plain = view(false)
  const out = plain.showLine('<bob> hi')
  t.absent(/\x1b\[\d+m/.test(out), 'no SGR without colour')
  const coloured = view(true)
  const code = nickColourCode('bob')
  const a = coloured.showLine('<bob> hi')
  const b = coloured.showLine('* bob waves')
  t.ok(a.includes(`<\x1b[${code}mbob\x1b[39m> hi`), JSON.stringify(a))
  t.ok(b.includes(`* \x1b[${code}mbob\x1b[39m waves`))
  t.is(nickColourCode('Bob'), code, 'case does not change the colour')
})

test('a mention or a private message rings the bell and is highlighted; our own line does not', (t) => {
  const v = view()
  const mention = v.showLine('<bob> hey alice, look')
  t.ok(mention.includes('\x07'), 'bell')
  t.ok(mention.includes('\x1b[7m<bob> hey alice, look\x1b[27m'), 'inverse video')
  t.ok(v.showLine('[pm from bob] psst').includes('\x07'))
  t.absent(v.showLine('<alice> I am alice').includes('\x07'), 'not for our own line')
  t.absent(v.showLine('<bob> malice aforethought').includes('\x07'), 'not inside another word')
  t.ok(mentions('ALICE: hi', 'alice'))
  t.absent(mentions('alice2 hi', 'alice'))
})

test('replayed history shows its own time, in local time, and does not ring', (t) => {
  const v = view()
  const at = new Date(NOON)
  at.setUTCHours(7, 5, 0, 0)
  const local = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`
  const out = v.showLine('[07:05Z] <bob> earlier, alice')
  t.ok(out.startsWith(`\r\x1b[K${local} <bob> earlier, alice\r\n`), JSON.stringify(out))
  t.absent(out.includes('\x07'))
})

test('whatever the server sends, no escape sequence reaches the terminal', (t) => {
  const v = view()
  const out = v.showLine('<bob> \x1b]0;title\x07\x1b[2Jclean')
  t.ok(out.includes('<bob> clean'))
  t.absent(out.includes(']0;'))
  t.absent(out.includes('\x1b[2J'))
})

test('Tab completes commands at the start, nicks elsewhere, and lists several', (t) => {
  const v = view()
  v.showLine('-- in the room: alice, bob✓, bernard, carol')
  typeText(v, '/na')
  v.key(key('tab'))
  t.is(v.input, '/names ')
  v.key(key('u', { ctrl: true }))
  typeText(v, 'ca')
  v.key(key('tab'))
  t.is(v.input, 'carol: ', 'a nick at the start is addressed')
  v.key(key('u', { ctrl: true }))
  typeText(v, 'hi bo')
  v.key(key('tab'))
  t.is(v.input, 'hi bob ', 'without the verified mark')
  v.key(key('u', { ctrl: true }))
  typeText(v, 'b')
  const listed = v.key(key('tab'))
  t.ok(listed.output.includes('-- bernard bob'), 'ambiguous: the candidates are shown')
  t.is(v.input, 'b')
})

test('the nick list follows joins, leaves and nick changes; our nick follows the server', (t) => {
  const v = view()
  v.showLine('-- dave joined (2 connected)')
  v.showLine('-- erin✓ joined (3 connected)')
  t.alike(v.knownNicks(), ['alice', 'dave', 'erin'])
  v.showLine('-- dave left: quit (2 connected)')
  v.showLine('-- erin is now known as erin2✓')
  t.alike(v.knownNicks(), ['alice', 'erin2'])
  const out = v.showLine('-- your nick is al')
  t.is(v.nick, 'al')
  t.ok(out.endsWith('\r[al] \x1b[K'), 'the prompt shows the new nick')
})

test('a line longer than the terminal scrolls sideways, keeping the cursor on screen', (t) => {
  const v = view(false, 20)
  const out = typeText(v, 'abcdefghijklmnopqrstuvwxyz')
  // prompt "[alice] " is 8 columns; 11 columns of text remain (one kept free for the cursor).
  t.is(out, '\r[alice] pqrstuvwxyz\x1b[K')
  v.key(key('home'))
  t.is(v.redraw(), '\r[alice] abcdefghijk\x1b[K\x1b[11D')
})

test('a terminal that reports no width gets 80 columns, and a narrow one still shows some input', (t) => {
  const unknown = new TerminalView({ color: false, columns: 0 })
  t.is(unknown.columns, 80)
  const narrow = new TerminalView({ color: false, columns: 12 })
  narrow.showLine('-- your nick is somebody')
  typeText(narrow, 'abcdefghijklmno')
  t.is(narrow.redraw(), '\r[somebody] fghijklmno\x1b[K', 'ten characters of input at least')
})

test('pasted control characters and escapes never enter the input line', (t) => {
  const v = view()
  v.key({ sequence: '\x1b[31m' })
  v.key({ sequence: 'ok\x07' })
  t.is(v.input, 'ok')
})
