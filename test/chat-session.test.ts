import test from 'brittle'
import { Room } from '../lib/chat/room.js'
import { Session } from '../lib/chat/session.js'
import { encodePublicKey, fingerprint, shortFingerprint } from '../lib/secure/keypair.js'
import { ManualClock, RecordingConnection, randomKey } from './helpers/chat-fakes.js'

interface Client { session: Session, conn: RecordingConnection, key: Buffer, send: (...lines: string[]) => void }

function connect (room: Room, options: { key?: Buffer, rate?: { linesPerSecond: number, burst?: number, floodLines?: number } } = {}): Client {
  const conn = new RecordingConnection()
  const key = options.key ?? randomKey()
  const session = new Session(room, key, conn, { rate: options.rate ?? { linesPerSecond: 0 } })
  return { session, conn, key, send: (...lines) => { for (const l of lines) session.receiveLine(l) } }
}

function chat (opts: { operators?: Buffer[] } = {}) {
  const clock = new ManualClock()
  const room = new Room({ now: clock.now, isOperator: (k) => (opts.operators ?? []).some((o) => o.equals(k)) })
  return { room, clock }
}

test('a first line /nick NICK names the member as it joins', (t) => {
  const { room } = chat()
  const a = connect(room)
  t.is(a.session.state, 'waiting')
  a.send('/nick alice')
  t.is(a.session.state, 'joined')
  t.is(a.session.member?.nick, 'alice')
  t.ok(a.conn.lines.includes('-- alice joined (1 connected)'))
})

test('a first line of text joins under the default nick and is then said', (t) => {
  const { room } = chat()
  const a = connect(room)
  a.send('hello all')
  t.is(a.session.member?.nick, 'Guest1')
  t.is(a.conn.lines.at(-1), '<Guest1> hello all')
})

test('join() without any line joins under the default nick', (t) => {
  const { room } = chat()
  const a = connect(room)
  a.session.join()
  t.is(a.session.member?.nick, 'Guest1')
})

test('two members chat; the server, not the client, says who spoke', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  a.send('<bob> I am bob, honest')
  t.is(b.conn.lines.at(-1), '<alice> <bob> I am bob, honest')
})

test('escape sequences and control characters never reach other members', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  a.send('\x1b[2J\x1b]0;owned\x07red \x1b[31mtext\x1b[0m\x07\x08!')
  t.is(b.conn.lines.at(-1), '<alice> red text!')
  a.send('/me \x1b[5mblinks')
  t.is(b.conn.lines.at(-1), '* alice blinks')
  a.send('/away \x1b]8;;http://x\x07lunch')
  t.is(b.conn.lines.at(-1), '-- alice is away: lunch')
})

test('blank lines are ignored', (t) => {
  const { room } = chat()
  const a = connect(room)
  a.send('/nick alice')
  const before = a.conn.lines.length
  a.send('', '   ', '\x1b[31m')
  t.is(a.conn.lines.length, before)
})

test('an over-long line is refused with a notice to its sender only', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  const bBefore = b.conn.lines.length
  a.session.receiveOverlong(1024)
  t.is(a.conn.lines.at(-1), '! line refused: longer than 1024 bytes (ERR_LINE_TOO_LONG)')
  t.is(b.conn.lines.length, bBefore)
})

test('rate limit: a notice when exceeded, disconnection when flooding goes on', (t) => {
  const { room, clock } = chat()
  const a = connect(room, { rate: { linesPerSecond: 1, burst: 3, floodLines: 4 } })
  const b = connect(room)
  a.send('/nick flood')
  b.send('/nick bob')
  a.send('one', 'two')
  a.send('three')
  t.is(a.conn.lines.at(-1), '! you are sending too fast: lines are being dropped; slow down or you will be disconnected (ERR_RATE_LIMITED)')
  t.absent(b.conn.lines.includes('<flood> three'), 'the refused line is dropped')
  clock.advance(1000)
  a.send('after a second')
  t.ok(b.conn.lines.includes('<flood> after a second'), 'tokens come back')
  for (let i = 0; i < 5; i++) a.send(`spam ${i}`)
  t.is(a.conn.closed?.error?.code, 'ERR_FLOODING')
  t.is(a.session.state, 'closed')
  t.is(b.conn.lines.at(-1), '-- flood left: flooding (1 connected)')
})

test('an unknown command is an error to its sender only', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  const bBefore = b.conn.lines.length
  a.send('/frobnicate now')
  t.is(a.conn.lines.at(-1), '! unknown command /frobnicate; /help lists the commands (ERR_UNKNOWN_COMMAND)')
  t.is(b.conn.lines.length, bBefore)
})

test('// sends a line that starts with /', (t) => {
  const { room } = chat()
  const a = connect(room)
  a.send('/nick alice', '//etc is a folder')
  t.is(a.conn.lines.at(-1), '<alice> /etc is a folder')
})

test('/nick: change, refusal of a bad nick, and of a taken one', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  a.send('/nick al')
  t.ok(b.conn.lines.includes('-- alice is now known as al'))
  a.send('/nick bad nick!')
  t.ok(a.conn.lines.at(-1)!.endsWith('(ERR_NICK_INVALID)'))
  a.send('/nick Bob')
  t.ok(a.conn.lines.at(-1)!.endsWith('(ERR_NICK_IN_USE)'))
  a.send('/nick')
  t.is(a.conn.lines.at(-1), '-- your nick is al')
})

test('/me, /msg and /reply', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  const c = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  c.send('/nick carol')
  a.send('/me waves')
  t.is(c.conn.lines.at(-1), '* alice waves')
  const cBefore = c.conn.lines.length
  a.send('/msg bob psst, bob')
  t.is(b.conn.lines.at(-1), '[pm from alice] psst, bob')
  t.is(a.conn.lines.at(-1), '[pm to bob] psst, bob')
  b.send('/reply hi alice')
  t.is(a.conn.lines.at(-1), '[pm from bob] hi alice')
  t.is(c.conn.lines.length, cBefore, 'carol saw none of it')
  a.send('/msg nobody hello')
  t.ok(a.conn.lines.at(-1)!.endsWith('(ERR_NO_SUCH_NICK)'))
  c.send('/reply anyone?')
  t.is(c.conn.lines.at(-1), '! nobody has sent you a private message yet (ERR_NO_SUCH_NICK)')
  a.send('/msg bob')
  t.is(a.conn.lines.at(-1), '! usage: /msg NICK TEXT (ERR_COMMAND_USAGE)')
})

test('/away, /back, and the away notice to whoever writes privately', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  b.send('/away lunch')
  t.is(a.conn.lines.at(-1), '-- bob is away: lunch')
  a.send('/msg bob are you there?')
  t.is(a.conn.lines.at(-1), '-- bob is away: lunch')
  b.send('/back')
  t.is(a.conn.lines.at(-1), '-- bob is back')
})

test('/names lists nick, short fingerprint and away', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob', '/away zzz')
  a.conn.take()
  a.send('/names')
  const out = a.conn.take()
  t.is(out[0], '-- 2 connected:')
  t.ok(out[1]!.startsWith('--   alice  ' + shortFingerprint(a.key)))
  t.ok(out[2]!.startsWith('--   bob    ' + shortFingerprint(b.key)) && out[2]!.endsWith('away: zzz'))
})

test('/whois shows the full key, fingerprint, connection time, idle and away', (t) => {
  const { room, clock } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  clock.advance(5 * 60_000)
  a.conn.take()
  a.send('/whois bob')
  const out = a.conn.take().join('\n')
  t.ok(out.includes(`key: ${encodePublicKey(b.key)}`))
  t.ok(out.includes(`fingerprint: ${fingerprint(b.key)}`))
  t.ok(out.includes('connected since: 2024-05-01T09:00:00Z (5m ago)'))
  t.ok(out.includes('idle: 5m'))
  t.ok(out.includes('away: no'))
})

test('/help lists the commands; /quit leaves with the reason and ends cleanly', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  a.conn.take()
  a.send('/help')
  const help = a.conn.take().join('\n')
  t.ok(help.includes('/msg NICK TEXT'))
  t.absent(help.includes('/kick'), 'no operator commands for members')
  a.send('/quit see you')
  t.is(b.conn.lines.at(-1), '-- alice left: quit: see you (1 connected)')
  t.ok(a.conn.closed !== undefined && a.conn.closed.error === undefined, 'END, not an error')
  t.is(a.session.state, 'closed')
})

test('operator commands are refused to members', (t) => {
  const { room } = chat()
  const a = connect(room)
  a.send('/nick alice')
  for (const cmd of ['/kick bob', '/ban bob', '/unban bob', '/mute bob', '/motd hi']) {
    a.send(cmd)
    t.ok(a.conn.lines.at(-1)!.endsWith('is for operators (ERR_NOT_OPERATOR)'), cmd)
  }
})

test('operators: /kick, /mute, /ban with a duration, /unban, /motd', (t) => {
  const opKey = randomKey()
  const { room, clock } = chat({ operators: [opKey] })
  const op = connect(room, { key: opKey })
  const bob = connect(room)
  const eve = connect(room)
  op.send('/nick op')
  bob.send('/nick bob')
  eve.send('/nick eve')

  op.send('/kick bob being rude')
  t.is(bob.conn.closed?.error?.code, 'ERR_KICKED')
  t.is(bob.conn.closed?.error?.message, 'you were kicked by op: being rude')
  t.is(eve.conn.lines.at(-1), '-- bob left: kicked by op: being rude (2 connected)')

  op.send('/mute eve')
  t.is(eve.conn.lines.at(-1), '-- eve was muted by op')
  eve.send('can anyone hear me')
  t.ok(eve.conn.lines.at(-1)!.endsWith('(ERR_MUTED)'))
  t.absent(op.conn.lines.some((l) => l.includes('can anyone hear me')))
  op.send('/mute eve')
  eve.send('now?')
  t.is(op.conn.lines.at(-1), '<eve> now?')

  op.send('/ban eve 1h spamming')
  t.is(eve.conn.closed?.error?.code, 'ERR_BANNED')
  t.ok(op.conn.lines.at(-1)!.startsWith('-- eve left: banned by op for 1h00m: spamming'))
  t.ok(room.bans.find(eve.key, clock.ms), 'the key is banned')
  clock.advance(2 * 3_600_000)
  t.absent(room.bans.find(eve.key, clock.ms), 'the ban ran out')

  op.send(`/ban ${encodePublicKey(bob.key)}`)
  t.ok(room.bans.find(bob.key, clock.ms), 'an offline key can be banned by key')
  op.send('/unban bob')
  t.absent(room.bans.find(bob.key, clock.ms))
  op.send('/ban op')
  t.ok(op.conn.lines.at(-1)!.endsWith('(ERR_COMMAND_USAGE)'), 'not yourself')

  op.send('/motd new rules')
  t.is(op.conn.lines.at(-1), '-- op changed the message of the day')
  const late = connect(room)
  late.send('/nick late')
  t.is(late.conn.lines[0], '-- new rules')
})

test('/help shows operators their commands', (t) => {
  const opKey = randomKey()
  const { room } = chat({ operators: [opKey] })
  const op = connect(room, { key: opKey })
  op.send('/nick op', '/help')
  t.ok(op.conn.lines.some((l) => l.includes('/kick NICK [REASON]')))
})

test('the connection ending makes the member leave with the reason', (t) => {
  const { room } = chat()
  const a = connect(room)
  const b = connect(room)
  a.send('/nick alice')
  b.send('/nick bob')
  a.session.end('connection lost')
  t.is(b.conn.lines.at(-1), '-- alice left: connection lost (1 connected)')
  a.send('still here?')
  t.absent(b.conn.lines.some((l) => l.includes('still here')))
})
