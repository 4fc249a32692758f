import test from 'brittle'
import { isBlank, sanitizeMemberText, sanitizeText } from '../lib/chat/sanitize.js'

test('plain text, Unicode and emoji pass unchanged', (t) => {
  t.is(sanitizeText('hello, wörld ✓ 日本語 🎉'), 'hello, wörld ✓ 日本語 🎉')
})

test('CSI sequences (colours, cursor moves, erase) are removed whole', (t) => {
  t.is(sanitizeText('\x1b[31mred\x1b[0m'), 'red')
  t.is(sanitizeText('a\x1b[2J\x1b[H\x1b[1;31;42mb'), 'ab')
  t.is(sanitizeText('x\x1b[?25l\x1b[?1049hy'), 'xy')
  t.is(sanitizeText('8bit\u009b31mcsi'), '8bitcsi')
})

test('OSC sequences (title, hyperlink, clipboard) are removed with their text', (t) => {
  t.is(sanitizeText('a\x1b]0;pwned title\x07b'), 'ab')
  t.is(sanitizeText('a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b'), 'alinkb')
  t.is(sanitizeText('a\x1b]52;c;Y2xpcGJvYXJk\x07b'), 'ab')
  t.is(sanitizeText('a\u009d0;title\u009cb'), 'ab')
})

test('DCS, APC, PM and SOS strings are removed', (t) => {
  t.is(sanitizeText('a\x1bPq#0;2;0;0;0\x1b\\b'), 'ab')
  t.is(sanitizeText('a\x1b_apc\x1b\\b\x1b^pm\x1b\\c\x1bXsos\x1b\\d'), 'abcd')
})

test('an unterminated sequence runs to the end of the line', (t) => {
  t.is(sanitizeText('safe\x1b]0;no end'), 'safe')
  t.is(sanitizeText('safe\x1b[31'), 'safe')
  t.is(sanitizeText('safe\x1b'), 'safe')
})

test('short escapes (reset, charset, save cursor) are removed', (t) => {
  t.is(sanitizeText('a\x1bcb\x1b(0c\x1b7d'), 'abcd')
})

test('C0 and C1 controls and DEL are removed; tab becomes a space', (t) => {
  t.is(sanitizeText('a\x00b\x07c\x08d\re\x7ff\u0085g'), 'abcdefg')
  t.is(sanitizeText('a\tb'), 'a b')
})

test('bidi overrides and line separators cannot reorder or break the line', (t) => {
  t.is(sanitizeText('abc\u202edcba\u202c'), 'abcdcba')
  t.is(sanitizeText('x\u2066y\u2069z\u2028w\u200fv'), 'xyzwv')
})

test('blank means nothing but white space', (t) => {
  t.ok(isBlank(''))
  t.ok(isBlank('   '))
  t.absent(isBlank(' x '))
})

test('zero-width and invisible characters are removed; joiners stay only between visible characters', (t) => {
  t.is(sanitizeText('a\u200bb\u2060c\ufeffd\u00ade\u180ef\u2063g'), 'abcdefg')
  t.is(sanitizeText('👨\u200d👩\u200d👧'), '👨\u200d👩\u200d👧', 'an emoji family keeps its joiners')
  t.is(sanitizeText('a \u200d\u200c b\u200d'), 'a  b', 'stray joiners go')
})

test("a member's text: runs of blanks collapse to one space, and it never carries the verified mark", (t) => {
  t.is(sanitizeMemberText('a' + ' '.repeat(70) + 'b'), 'a b')
  t.is(sanitizeMemberText('a \u200b \u200b \u00a0\u2003\u3000\u2800 b'), 'a b', 'zero-width characters cannot keep spaces apart')
  t.is(sanitizeMemberText('<alice✓> paste your key'), '<alice> paste your key')
  t.is(sanitizeMemberText('alice\u2714 alice\u{1f5f8}'), 'alice alice', 'nor a check mark that looks like it')
  t.is(sanitizeMemberText('\x1b[31mred\x1b[0m \u202eesrever'), 'red esrever', 'and the display cleaning still applies')
})
