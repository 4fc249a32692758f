import test from 'brittle'
import { LocalFanOut, type Defer } from '../lib/chat/fan-out.js'
import { RecordingConnection } from './helpers/chat-fakes.js'

interface Fake { connection: RecordingConnection }

function fake (): Fake {
  return { connection: new RecordingConnection() }
}

/** A fan-out whose turns end when the test says so. */
function turned (max = 1 << 20): { fanOut: LocalFanOut<Fake>, endTurn: () => void, checks: Array<() => void> } {
  let pending: (() => void) | undefined
  const checks: Array<() => void> = []
  const endTurnDefer: Defer = (fn) => { pending = fn }
  const fanOut = new LocalFanOut<Fake>(max, { endTurn: endTurnDefer, defer: (fn) => checks.push(fn) })
  return { fanOut, checks, endTurn: () => { const fn = pending; pending = undefined; fn?.() } }
}

const line = (text: string): Buffer => Buffer.from(text + '\n')

test('lines of one turn leave as one send per member, and the same buffer goes to all who were there all turn', (t) => {
  const { fanOut, endTurn } = turned()
  const members = [fake(), fake(), fake()]
  for (const m of members) fanOut.attach(m)
  fanOut.broadcast(line('one'))
  fanOut.broadcast(line('two'))
  fanOut.broadcast(line('three'))
  t.is(members[0]!.connection.buffers.length, 0, 'nothing is sent before the turn ends')
  endTurn()
  for (const m of members) {
    t.is(m.connection.buffers.length, 1, 'one send for three lines')
    t.alike(m.connection.lines, ['one', 'two', 'three'])
  }
  t.is(members[0]!.connection.buffers[0], members[2]!.connection.buffers[0], 'one buffer, shared')
  fanOut.broadcast(line('four'))
  endTurn()
  t.alike(members[1]!.connection.lines, ['one', 'two', 'three', 'four'], 'the next turn starts clean')
})

test('a member\'s own lines keep their place among the broadcasts, in one send', (t) => {
  const { fanOut, endTurn } = turned()
  const a = fake()
  const b = fake()
  fanOut.attach(a)
  fanOut.attach(b)
  fanOut.unicast(a, line('a first'))
  fanOut.broadcast(line('x'))
  fanOut.unicast(a, line('a middle'))
  fanOut.broadcast(line('y'))
  fanOut.unicast(a, line('a last'))
  endTurn()
  t.alike(a.connection.lines, ['a first', 'x', 'a middle', 'y', 'a last'])
  t.is(a.connection.buffers.length, 1)
  t.alike(b.connection.lines, ['x', 'y'])
  fanOut.unicast(b, line('b alone'))
  endTurn()
  t.alike(b.connection.lines, ['x', 'y', 'b alone'], 'a turn with only a unicast')
  t.is(a.connection.buffers.length, 1, 'and nothing for the others')
})

test('who joins mid-turn hears only what came after; who leaves mid-turn gets what came before, at once', (t) => {
  const { fanOut, endTurn } = turned()
  const stays = fake()
  const leaves = fake()
  const joins = fake()
  fanOut.attach(stays)
  fanOut.attach(leaves)
  fanOut.broadcast(line('before'))
  fanOut.unicast(leaves, line('bye'))
  fanOut.detach(leaves)
  t.alike(leaves.connection.lines, ['before', 'bye'], 'sent at the detach, before any close')
  fanOut.attach(joins)
  fanOut.broadcast(line('after'))
  endTurn()
  t.alike(stays.connection.lines, ['before', 'after'])
  t.alike(joins.connection.lines, ['after'])
  t.alike(leaves.connection.lines, ['before', 'bye'], 'nothing after it left')
  t.is(fanOut.size, 2)
})

test('without endTurn every delivery is sent at once', (t) => {
  const fanOut = new LocalFanOut<Fake>(1000, (fn) => fn())
  const a = fake()
  fanOut.attach(a)
  fanOut.broadcast(line('now'))
  t.alike(a.connection.lines, ['now'])
  fanOut.unicast(a, line('and now'))
  t.alike(a.connection.lines, ['now', 'and now'])
})

test('the slow-reader bound is checked after the turn\'s send, later', (t) => {
  const { fanOut, endTurn, checks } = turned(100)
  const fast = fake()
  const slow = fake()
  fanOut.attach(fast)
  fanOut.attach(slow)
  const dropped: Fake[] = []
  fanOut.onOverflow = (m) => { dropped.push(m); fanOut.detach(m) }
  slow.connection.stalled = true
  for (let i = 0; i < 5; i++) fanOut.broadcast(line('y'.repeat(40)))
  endTurn()
  t.is(checks.length, 1, 'a check is scheduled, not run')
  checks.shift()!()
  t.alike(dropped, [slow])
  t.is(fast.connection.lines.length, 5)
})
