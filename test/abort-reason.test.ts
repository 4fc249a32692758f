import test from 'brittle'
import { abortReasonBytes, abortReasonOf, printable } from '../lib/secure/abort-reason.js'
import { secureStreamError } from '../lib/errors.js'

test('a reason longer than 1024 bytes is cut on a UTF-8 character boundary', (t) => {
  const reason = 'é'.repeat(600) // 1200 bytes, 2 per character
  const bytes = abortReasonBytes(reason)
  t.ok(bytes.byteLength <= 1024)
  t.is(bytes.byteLength, 1024)
  t.is(bytes.toString('utf8'), 'é'.repeat(512), 'no broken character at the end')
  const odd = abortReasonBytes('a' + 'é'.repeat(600))
  t.is(odd.byteLength, 1023, 'backs off one byte rather than split a character')
})

test('a plain destroy() is reported as "stream destroyed"; other errors by their message', (t) => {
  t.is(abortReasonOf(secureStreamError('ERR_CANCELLED')), 'stream destroyed')
  t.is(abortReasonOf(new Error('disk full')), 'disk full')
})

test('a peer\'s reason is cleaned as chat text is: escapes, controls, bidi and invisibles removed, printable text kept', (t) => {
  t.is(printable('ok\u001b[2Jboom\u0007\n'), 'okboom')
  t.is(printable('kicked by \u202enimda\u202c\u200b'), 'kicked by nimda', 'a bidi override cannot reverse it, nor a zero-width space hide in it')
  t.is(printable('héllo wörld'), 'héllo wörld')
})
