import test from 'brittle'
import { spawnSync } from 'node:child_process'

const MEMORY = new URL('../bench/memory.js', import.meta.url).href

// A child with --expose-gc grows V8's young generation the way a burst of
// handshakes does (many objects that survive a few scavenges, then are
// dropped), then takes both idle readings in the bench's order.
const CHILD = `
import { Session } from 'node:inspector/promises'
const { memoryAfterGc, memoryAfterReducingGc } = await import(${JSON.stringify(MEMORY)})
const inspector = new Session()
inspector.connect()
let survivors = []
for (let round = 0; round < 40; round++) {
  for (let i = 0; i < 20000; i++) survivors.push({ i, list: [i] })
  if (survivors.length > 200000) survivors = survivors.slice(100000)
}
survivors = null
const afterGc = await memoryAfterGc()
const reduced = await memoryAfterReducingGc(inspector)
process.stdout.write(JSON.stringify({ afterGc, reduced }))
`

test('the memory-reducing reading shrinks the young generation that gc() leaves grown, and RSS with it', (t) => {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], { encoding: 'utf8', timeout: 30_000 })
  t.is(r.status, 0, r.stderr)
  const { afterGc, reduced } = JSON.parse(r.stdout)
  t.ok(afterGc.newSpace > reduced.newSpace, `new space ${afterGc.newSpace} B after gc(), ${reduced.newSpace} B after the memory-reducing GC`)
  t.ok(afterGc.rss > reduced.rss, `RSS ${afterGc.rss} B after gc(), ${reduced.rss} B after the memory-reducing GC: the freed pages leave RSS`)
  t.ok(Math.abs(afterGc.heapUsed - reduced.heapUsed) < 1024 * 1024, 'what is still referenced is the same in both readings')
})

test('memoryAfterGc says why it cannot measure without --expose-gc', (t) => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const { memoryAfterGc } = await import(${JSON.stringify(MEMORY)}); await memoryAfterGc()`], { encoding: 'utf8', timeout: 30_000 })
  t.not(r.status, 0)
  t.ok(r.stderr.includes('--expose-gc'), 'the error names the flag')
})
