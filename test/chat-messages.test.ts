import test from 'brittle'
import { encodeMessage, formatMessage, isHistoryKind } from '../lib/chat/messages.js'

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
