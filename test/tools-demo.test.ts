import test from 'brittle'
import { PassThrough } from 'node:stream'
import { runDemo } from '../lib/tools/demo.js'
import { cli, tempHome } from './helpers/tool-procs.js'

function collect (): { stream: PassThrough, text: () => string } {
  const stream = new PassThrough()
  let text = ''
  stream.on('data', (d: Buffer) => { text += d.toString() })
  return { stream, text: () => text }
}

test('every claim of the demo holds, scene by scene', async (t) => {
  const out = collect()
  const claims = await runDemo({ output: out.stream })
  t.is(new Set(claims.map((c) => c.scene)).size, 5, 'five scenes made claims')
  for (const c of claims) t.ok(c.ok, `scene ${c.scene}: ${c.text}${c.detail === undefined ? '' : ` (${c.detail})`}`)
})

test('the tap shows the plain chat readable and the secure chat as ciphertext', async (t) => {
  const out = collect()
  const claims = await runDemo({ output: out.stream })
  const plain = claims.filter((c) => c.scene === 1)
  const secure = claims.filter((c) => c.scene === 2)
  t.ok(plain.some((c) => c.text === 'the eavesdropper read every message' && c.ok))
  t.ok(secure.some((c) => c.text === 'no message text appears anywhere in the captured bytes' && c.ok))
  t.ok(secure.some((c) => c.text.startsWith('no nick appears') && c.ok))
  t.ok(out.text().includes('flowerpot.'), "the narration shows the plain message in the tap's hexdump")
})

test('noise-chat demo exits 0 and ends with every claim holding', { timeout: 60_000 }, async (t) => {
  const { env } = tempHome(t)
  const demo = cli(t, ['demo'], { env })
  t.is(await demo.exited, 0)
  t.ok(/(\d+) of \1 claims hold\.\n$/.test(demo.stdout()), demo.stdout().split('\n').slice(-2).join(' '))
  t.absent(demo.stdout().includes('[FAILED]'), 'no claim failed')
})
