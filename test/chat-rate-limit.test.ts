import test from 'brittle'
import { parseRateOption, RateLimiter } from '../lib/chat/rate-limit.js'

test('a burst passes, the next line is refused with a notice, later ones quietly', (t) => {
  const r = new RateLimiter({ linesPerSecond: 1, burst: 3, floodLines: 5 })
  t.alike([r.take(0), r.take(0), r.take(0)], ['accept', 'accept', 'accept'])
  t.is(r.take(0), 'refuse-notify')
  t.is(r.take(0), 'refuse')
})

test('tokens refill with time, up to the burst', (t) => {
  const r = new RateLimiter({ linesPerSecond: 2, burst: 2, floodLines: 5 })
  r.take(0); r.take(0)
  t.is(r.take(0), 'refuse-notify')
  t.is(r.take(500), 'accept', 'one token after half a second at 2/s')
  t.is(r.take(500), 'refuse-notify', 'a new run of refusals is notified again')
  t.is(r.take(100_000), 'accept')
  t.is(r.take(100_000), 'accept')
  t.is(r.take(100_000), 'refuse-notify', 'never more than the burst')
})

test('flooding on past the limit gives the verdict disconnect', (t) => {
  const r = new RateLimiter({ linesPerSecond: 1, burst: 1, floodLines: 3 })
  t.is(r.take(0), 'accept')
  t.alike([r.take(0), r.take(0), r.take(0)], ['refuse-notify', 'refuse', 'refuse'])
  t.is(r.take(0), 'disconnect')
})

test('rate 0 turns the limit off', (t) => {
  const r = new RateLimiter({ linesPerSecond: 0, burst: 1 })
  for (let i = 0; i < 1000; i++) if (r.take(0) !== 'accept') return t.fail('refused')
  t.pass()
})

test('--rate parses N and N:BURST', (t) => {
  t.alike(parseRateOption('5'), { linesPerSecond: 5 })
  t.alike(parseRateOption('0.5:10'), { linesPerSecond: 0.5, burst: 10 })
  t.is(parseRateOption('fast'), undefined)
  t.is(parseRateOption('5:0'), undefined)
})
