import test from 'brittle'
import { LocalFanOut } from '../lib/chat/fan-out.js'
import { NickRegistry } from '../lib/chat/nick-registry.js'
import { Room, type Member } from '../lib/chat/room.js'
import { ManualClock, RecordingConnection, randomKey } from './helpers/chat-fakes.js'

function joinAs (room: Room, nick?: string, key = randomKey()): { member: Member, conn: RecordingConnection } {
  const conn = new RecordingConnection()
  const member = room.join({ publicKey: key, connection: conn, nick })
  return { member, conn }
}

test('joining: MOTD, history, own nick, then the join announced to all with the count', (t) => {
  const clock = new ManualClock()
  const room = new Room({ motd: ['welcome', 'be nice'], now: clock.now })
  const a = joinAs(room, 'alice')
  room.say(a.member, 'first')
  const b = joinAs(room, 'bob')
  t.alike(b.conn.lines, [
    '-- welcome',
    '-- be nice',
    '-- history: the last 1 message said here',
    '[09:00Z] <alice> first',
    '-- end of history',
    '-- your nick is bob',
    '-- bob joined (2 connected)',
    '-- in the room: alice, bob'
  ])
  t.is(a.conn.lines.at(-1), '-- bob joined (2 connected)')
})

test('history keeps the last N messages only, and no joins or private messages', (t) => {
  const room = new Room({ historyLines: 2 })
  const a = joinAs(room, 'alice')
  const b = joinAs(room, 'bob')
  room.say(a.member, 'one')
  room.privateMessage(a.member, 'bob', 'secret')
  room.emote(b.member, 'two')
  room.say(a.member, 'three')
  const c = joinAs(room, 'carol')
  const replayed = c.conn.lines.filter((l) => l.startsWith('['))
  t.is(replayed.length, 2)
  t.ok(replayed[0]!.endsWith('* bob two'))
  t.ok(replayed[1]!.endsWith('<alice> three'))
  t.absent(c.conn.lines.some((l) => l.includes('secret')))
})

test('everyone sees the same messages in the same order', (t) => {
  const room = new Room()
  const members = ['a', 'b', 'c', 'd'].map((n) => joinAs(room, n))
  for (let i = 0; i < 50; i++) {
    const speaker = members[(i * 7) % members.length]!
    if (i % 5 === 0) room.emote(speaker.member, `act ${i}`)
    else room.say(speaker.member, `msg ${i}`)
  }
  const seen = members.map(({ conn }) => conn.lines.filter((l) => /^(<|\* )/.test(l)))
  t.is(seen[0]!.length, 50)
  for (const s of seen.slice(1)) t.alike(s, seen[0])
})

test('a broadcast is encoded once: every member gets the very same Buffer', (t) => {
  const room = new Room()
  const a = joinAs(room, 'a')
  const b = joinAs(room, 'b')
  const c = joinAs(room, 'c')
  room.say(a.member, 'shared')
  const last = [a, b, c].map(({ conn }) => conn.buffers.at(-1)!)
  t.is(last[0]!.toString(), '<a> shared\n')
  t.ok(last[0] === last[1] && last[1] === last[2], 'one Buffer object for all')
})

test('a nick held online falls back to GuestN with a notice to the newcomer only', (t) => {
  const room = new Room()
  const a = joinAs(room, 'alice')
  const b = joinAs(room, 'ALICE')
  t.is(b.member.nick, 'Guest1')
  t.ok(b.conn.lines.includes('! the nick alice is in use by another member (ERR_NICK_IN_USE)'))
  t.absent(a.conn.lines.some((l) => l.startsWith('!')), 'alice is not told')
  t.ok(a.conn.lines.includes('-- Guest1 joined (2 connected)'))
})

test('a nick bound to another key is refused with the reason; its owner gets it back on return', (t) => {
  const room = new Room()
  const aliceKey = randomKey()
  const a = joinAs(room, 'alice', aliceKey)
  room.leave(a.member, 'quit')
  const other = joinAs(room, 'alice')
  t.is(other.member.nick, 'Guest1')
  t.ok(other.conn.lines.some((l) => l.startsWith('! the nick alice belongs to another key') && l.endsWith('(ERR_NICK_BOUND)')))
  const back = joinAs(room, undefined, aliceKey)
  t.is(back.member.nick, 'alice', 'the key\'s own nick without asking')
  room.changeNick(other.member, 'alice')
  t.ok(other.conn.lines.at(-1)!.endsWith('(ERR_NICK_IN_USE)'))
})

test('a reserved nick is marked verified everywhere it is shown', (t) => {
  const registry = new NickRegistry()
  const rootKey = randomKey()
  registry.setReserved([{ nick: 'root', publicKey: rootKey }])
  const room = new Room({ registry })
  const r = joinAs(room, undefined, rootKey)
  t.is(r.member.nick, 'root')
  t.ok(r.member.verified)
  room.say(r.member, 'hi')
  t.ok(r.conn.lines.includes('<root✓> hi'))
  const imposter = joinAs(room, 'root')
  t.ok(imposter.conn.lines.some((l) => l.endsWith('(ERR_NICK_RESERVED)')))
})

test('leaving and nick changes are announced with reasons', (t) => {
  const room = new Room()
  const a = joinAs(room, 'alice')
  const b = joinAs(room, 'bob')
  room.changeNick(b.member, 'robert')
  t.ok(a.conn.lines.includes('-- bob is now known as robert'))
  t.is(b.conn.lines.at(-1), '-- your nick is robert')
  room.leave(b.member, 'connection lost')
  t.is(a.conn.lines.at(-1), '-- robert left: connection lost (1 connected)')
  t.is(room.find('robert'), undefined)
})

test('a reader that never reads is disconnected with a reason; the others go on', (t) => {
  const room = new Room({ fanOut: new LocalFanOut<Member>(200, (check) => check()) })
  const a = joinAs(room, 'alice')
  const slow = joinAs(room, 'slow')
  const c = joinAs(room, 'carol')
  slow.conn.stalled = true
  for (let i = 0; i < 20; i++) room.say(a.member, `line ${i} with some padding to fill it up`)
  t.is(slow.conn.closed?.error?.code, 'ERR_SLOW_READER', 'closed with the reason')
  t.absent(slow.member.inRoom)
  t.ok(c.conn.lines.includes('-- slow left: too slow (stopped reading) (2 connected)'))
  t.is(c.conn.lines.filter((l) => l.startsWith('<alice>')).length, 20, 'carol got every line')
  t.is(a.conn.lines.filter((l) => l.startsWith('<alice>')).length, 20)
})

test('the slow-reader check waits for the deferred moment, and spares a member who caught up', (t) => {
  const checks: Array<() => void> = []
  const room = new Room({ fanOut: new LocalFanOut<Member>(100, (check) => checks.push(check)) })
  const a = joinAs(room, 'alice')
  const b = joinAs(room, 'bob')
  b.conn.stalled = true
  room.say(a.member, 'x'.repeat(150))
  t.is(checks.length, 1, 'a check is scheduled, not run')
  t.ok(b.member.inRoom, 'nobody is dropped in the middle of a burst')
  b.conn.pending = 0
  checks.shift()!()
  t.ok(b.member.inRoom, 'bob caught up before the check: he stays')
  room.say(a.member, 'y'.repeat(150))
  checks.shift()!()
  t.absent(b.member.inRoom, 'still behind at the check: dropped')
  t.is(b.conn.closed?.error?.code, 'ERR_SLOW_READER')
})

test('shutdown tells everyone, then ends each connection cleanly', (t) => {
  const room = new Room()
  const a = joinAs(room, 'alice')
  const b = joinAs(room, 'bob')
  room.close('server shutting down')
  for (const m of [a, b]) {
    t.is(m.conn.lines.at(-1), '-- server shutting down')
    t.ok(m.conn.closed !== undefined && m.conn.closed.error === undefined, 'END, not an error')
  }
  t.is(room.size, 0)
})

test('events are logged with fingerprints; message text is in its own field', (t) => {
  const events: Array<{ event: string, text?: string }> = []
  const room = new Room({ log: (e) => events.push(e) })
  const a = joinAs(room, 'alice')
  room.say(a.member, 'hello')
  t.alike(events.map((e) => e.event), ['join', 'message'])
  t.is(events[1]!.text, 'hello')
})
