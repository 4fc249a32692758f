import test from 'brittle'
import { helpLines } from '../lib/chat/commands.js'
import { RoomState } from '../lib/web/room-state.js'

const NOW = Date.UTC(2024, 4, 1, 12, 0)

function joined (nick = 'alice'): RoomState {
  const room = new RoomState()
  room.ingest(`-- your nick is ${nick}`, NOW)
  room.ingest(`-- ${nick} joined (2 connected)`, NOW)
  room.ingest(`-- in the room: bob✓, ${nick}`, NOW)
  return room
}

const names = (room: RoomState) => room.memberList().map((m) => m.nick + (m.verified ? '✓' : '') + (m.away === undefined ? '' : `(${m.away})`)).join(',')

test('the member list: from the joining notice, then joins, nick changes, away and leaves', (t) => {
  const room = joined()
  t.is(room.nick, 'alice')
  t.is(names(room), 'alice,bob✓')
  t.ok(room.ingest('-- carol joined (3 connected)', NOW).members)
  t.is(names(room), 'alice,bob✓,carol')
  room.ingest('-- carol is now known as Caro✓', NOW)
  t.is(names(room), 'alice,bob✓,Caro✓')
  room.ingest('-- Caro✓ is away: lunch', NOW)
  room.ingest('-- bob✓ is away', NOW)
  t.is(names(room), 'alice,bob✓(),Caro✓(lunch)')
  room.ingest('-- bob✓ is back', NOW)
  room.ingest('-- Caro✓ left: quit (2 connected)', NOW)
  t.is(names(room), 'alice,bob✓')
})

test("the answers to the bridge's own /help and /names are read and not shown", (t) => {
  const room = joined()
  room.request('help')
  room.request('names')
  const shown: string[] = []
  for (const text of helpLines(true)) {
    const change = room.ingest(`-- ${text}`, NOW)
    if (change.line !== undefined) shown.push(change.line.text)
  }
  for (const line of ['-- 3 connected:', '--   alice   ABCDEFGH', '--   bob✓    IJKLMNOP  away: out for a walk', '--   dave    QRSTUVWX  away']) {
    const change = room.ingest(line, NOW)
    if (change.line !== undefined) shown.push(change.line.text)
  }
  t.alike(shown, [], 'nothing of either answer is shown')
  t.ok(room.commands.includes('/names') && room.commands.includes('/kick'), 'commands from /help, operator ones too')
  t.is(room.commands.length, 15)
  t.is(names(room), 'alice,bob✓(out for a walk),dave()')
  t.is(room.memberList().find((m) => m.nick === 'bob')!.fingerprint, 'IJKLMNOP')
  const after = room.ingest('<bob✓> hi', NOW)
  t.is(after.line?.text, 'hi', 'lines after the answer are shown')
})

test('a /help the user typed is shown (and still read)', (t) => {
  const room = joined()
  let shown = 0
  for (const text of helpLines(false)) if (room.ingest(`-- ${text}`, NOW).line !== undefined) shown++
  t.is(shown, helpLines(false).length)
  t.is(room.commands.length, 10)
})

test('lines: speakers with colours and marks, mentions of us, our own lines, errors, replays', (t) => {
  const room = joined()
  const mention = room.ingest('<bob✓> alice: look', NOW).line!
  t.is(mention.kind, 'public')
  t.alike(mention.speaker, { nick: 'bob', verified: true, colour: mention.speaker!.colour })
  t.ok(mention.mention)
  t.absent(room.ingest('<bob✓> malice', NOW).line!.mention, 'not inside a word')
  const own = room.ingest('<alice> alice here', NOW).line!
  t.ok(own.own)
  t.absent(own.mention, 'our own line is no mention')
  t.ok(room.ingest('[pm from bob✓] psst', NOW).line!.mention, 'a private message asks for attention')
  const error = room.ingest('! nobody here is called zed (ERR_NO_SUCH_NICK)', NOW).line!
  t.alike([error.kind, error.text, error.code], ['error', 'nobody here is called zed', 'ERR_NO_SUCH_NICK'])
  const replay = room.ingest('[11:58Z] <bob✓> alice, earlier', NOW).line!
  t.alike([replay.replayed, replay.atMs, replay.text, replay.mention], [true, Date.UTC(2024, 4, 1, 11, 58), 'alice, earlier', false])
  const odd = room.ingest('not a server line', NOW).line!
  t.alike([odd.kind, odd.text], ['other', 'not a server line'])
  t.is(room.ingest('-- carol joined (3 connected)', NOW).line!.text, 'carol joined (3 connected)')
})

test('the backlog for a page opening later is bounded', (t) => {
  const room = joined()
  for (let i = 0; i < 600; i++) room.ingest(`<bob✓> line ${i}`, NOW)
  t.is(room.lines.length, 500)
  t.is(room.lines.at(-1)!.text, 'line 599')
})
