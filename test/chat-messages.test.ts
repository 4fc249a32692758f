import test from 'brittle'
import { encodeMessage, formatMessage, isHistoryKind, parseServerLine, parseWhoIsHere, type ChatMessage } from '../lib/chat/messages.js'

const alice = { nick: 'alice', verified: false }
const bob = { nick: 'bob', verified: true }

test('each message kind has its line', (t) => {
  t.is(formatMessage({ kind: 'public', from: alice, text: 'hi' }), '<alice> hi')
  t.is(formatMessage({ kind: 'public', from: bob, text: 'hi' }), '<bob✓> hi', 'verified nicks are marked')
  t.is(formatMessage({ kind: 'emote', from: alice, text: 'waves' }), '* alice waves')
  t.is(formatMessage({ kind: 'private-in', from: bob, text: 'psst' }), '[pm from bob✓] psst')
  t.is(formatMessage({ kind: 'private-out', to: alice, text: 'psst' }), '[pm to alice] psst')
  t.is(formatMessage({ kind: 'join', who: alice, count: 3 }), '-- alice joined (3 connected)')
  t.is(formatMessage({ kind: 'leave', who: alice, reason: 'quit: bye', count: 2 }), '-- alice left: quit: bye (2 connected)')
  t.is(formatMessage({ kind: 'nick-change', from: 'alice', to: { nick: 'al', verified: false } }), '-- alice is now known as al')
  t.is(formatMessage({ kind: 'away', who: alice, reason: 'lunch' }), '-- alice is away: lunch')
  t.is(formatMessage({ kind: 'away', who: alice, reason: '' }), '-- alice is away')
  t.is(formatMessage({ kind: 'away', who: alice, reason: undefined }), '-- alice is back')
  t.is(formatMessage({ kind: 'self-nick', nick: 'alice' }), '-- your nick is alice')
  t.is(formatMessage({ kind: 'notice', text: 'x' }), '-- x')
  t.is(formatMessage({ kind: 'error', code: 'ERR_NO_SUCH_NICK', text: 'nobody' }), '! nobody (ERR_NO_SUCH_NICK)')
  t.is(formatMessage({ kind: 'replay', atMs: Date.UTC(2024, 0, 1, 7, 5), line: '<alice> hi' }), '[07:05Z] <alice> hi')
})

test('encoding adds one newline and uses UTF-8', (t) => {
  const bytes = encodeMessage({ kind: 'public', from: alice, text: 'ü' })
  t.alike(bytes, Buffer.from('<alice> ü\n'))
})

test('only what members say goes into history', (t) => {
  t.ok(isHistoryKind({ kind: 'public', from: alice, text: 'x' }))
  t.ok(isHistoryKind({ kind: 'emote', from: alice, text: 'x' }))
  t.absent(isHistoryKind({ kind: 'join', who: alice, count: 1 }))
  t.absent(isHistoryKind({ kind: 'private-in', from: alice, text: 'x' }))
})

// One example (or several, for the edge cases of a form) of every kind, for the round trip.
const NOW_MS = Date.UTC(2024, 4, 1, 12, 34, 56)
const EVERY_KIND: ChatMessage[] = [
  { kind: 'public', from: alice, text: 'hi <b>there</b> (2 connected)' },
  { kind: 'public', from: bob, text: '' },
  { kind: 'emote', from: bob, text: 'waves * at <alice>' },
  { kind: 'private-in', from: alice, text: '[pm to bob] not really' },
  { kind: 'private-out', to: bob, text: 'psst' },
  { kind: 'join', who: bob, count: 1000 },
  { kind: 'leave', who: alice, reason: 'quit: see you (2 connected)', count: 2 },
  { kind: 'leave', who: bob, reason: 'kicked by op: spam', count: 0 },
  { kind: 'nick-change', from: 'alice', to: { nick: 'a.l-i_ce', verified: true } },
  { kind: 'away', who: alice, reason: 'lunch: back at 2' },
  { kind: 'away', who: bob, reason: '' },
  { kind: 'away', who: alice, reason: undefined },
  { kind: 'self-nick', nick: 'Guest12' },
  { kind: 'notice', text: 'in the room: alice, bob✓' },
  { kind: 'notice', text: 'your nick is already alice' },
  { kind: 'error', code: 'ERR_NICK_IN_USE', text: 'alice is taken (try another)' },
  { kind: 'replay', atMs: Date.UTC(2024, 4, 1, 12, 34), line: '<alice> just now' },
  { kind: 'replay', atMs: Date.UTC(2024, 4, 1, 0, 0), line: '* bob yawns' },
  { kind: 'replay', atMs: Date.UTC(2024, 3, 30, 12, 35), line: '<alice> almost a day ago' }
]

test('parseServerLine is the inverse of formatMessage for every kind', (t) => {
  const kinds = new Set(EVERY_KIND.map((m) => m.kind))
  t.is(kinds.size, 12, 'every kind but announce is here (announce has the notice form: next test)')
  for (const message of EVERY_KIND) {
    const line = formatMessage(message)
    t.alike(parseServerLine(line, NOW_MS), message, line)
    t.is(formatMessage(parseServerLine(line, NOW_MS)!), line, 'and back to the same line')
  }
})

test('an announcement reads back as the notice it looks like, with the same line', (t) => {
  const line = formatMessage({ kind: 'announce', text: 'the server is shutting down' })
  t.alike(parseServerLine(line), { kind: 'notice', text: 'the server is shutting down' })
})

test('a replayed line is dated to the latest such minute at or before now, and read again for what it holds', (t) => {
  const replay = parseServerLine('[23:59Z] <bob✓> late', NOW_MS)
  t.alike(replay, { kind: 'replay', atMs: Date.UTC(2024, 3, 30, 23, 59), line: '<bob✓> late' }, 'yesterday: later than now today')
  t.alike(parseServerLine('<bob✓> late'), { kind: 'public', from: bob, text: 'late' })
})

test('lines in no server form are undefined, not guessed', (t) => {
  for (const line of ['hello', '<al ice> hi', '<> hi', '! refused without a code', '[25:00Z] x', '[12:60Z] x', '-x', '<seventeen-chars-x> hi']) {
    t.is(parseServerLine(line), undefined, line)
  }
})

test('the who-is-here notice names the members, with their marks', (t) => {
  t.alike(parseWhoIsHere('in the room: alice, bob✓'), [alice, bob])
  t.alike(parseWhoIsHere('in the room: alice'), [alice])
  t.is(parseWhoIsHere('1200 members are here; /names lists them'), undefined)
  t.is(parseWhoIsHere('in the room: al ice'), undefined)
})
