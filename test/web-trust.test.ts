import test from 'brittle'
import { once } from 'node:events'
import WebSocket from 'ws'
import type { BridgeMessage } from '../lib/web/page/wire.js'
import { tempHome } from './helpers/tool-procs.js'
import { chatServer, webClient } from './helpers/web.js'

/** A page, as far as the bridge can tell: the WebSocket with the token and the bridge's own Origin. */
async function pageSocket (url: string): Promise<{ ws: WebSocket, next: (type: BridgeMessage['type'], where?: (m: any) => boolean) => Promise<any> }> {
  const u = new URL(url)
  const ws = new WebSocket(`ws://${u.host}/ws?token=${u.hash.slice(1)}`, { origin: u.origin })
  const seen: BridgeMessage[] = []
  ws.on('message', (d) => { if (process.env['WEB_DEBUG'] !== undefined) console.error('#', String(d).slice(0, 200)); seen.push(JSON.parse(String(d)) as BridgeMessage) })
  await once(ws, 'open')
  const next = async (type: BridgeMessage['type'], where: (m: any) => boolean = () => true): Promise<any> => {
    for (;;) {
      const i = seen.findIndex((m) => m.type === type && where(m))
      if (i !== -1) return seen.splice(0, i + 1).at(-1)
      await once(ws, 'message')
    }
  }
  return { ws, next }
}

test('refusing the unknown server in the page ends the client as a no on the terminal does (exit 4)', async (t) => {
  const server = await chatServer(t, tempHome(t).env)
  const web = await webClient(t, tempHome(t).env, [`127.0.0.1:${server.port}`])
  const page = await pageSocket(web.url)
  const hello = await page.next('hello')
  const question = hello.question ?? (await page.next('question', (m) => m.question !== null)).question
  t.is(question.fingerprint, server.fingerprint)
  page.ws.send(JSON.stringify({ type: 'answer', fingerprint: question.fingerprint, trust: false }))
  const closed = await page.next('status', (m) => m.status.state === 'closed')
  t.ok(closed.status.text.includes('declined'), closed.status.text)
  t.is(await web.proc.exited, 4)
  t.ok(web.proc.stderr().includes('ERR_HOST_KEY_DECLINED') || web.proc.stderr().includes('declined'))
})

test('an answer slower than the handshake timeout still connects, once, with the key recorded', async (t) => {
  const server = await chatServer(t, tempHome(t).env)
  const web = await webClient(t, tempHome(t).env, [`127.0.0.1:${server.port}`, '--nick', 'slow', '--handshake-timeout', '2'])
  const page = await pageSocket(web.url)
  const hello = await page.next('hello')
  const question = hello.question ?? (await page.next('question', (m) => m.question !== null)).question
  // The connection that asked gives up meanwhile (the page may have opened after that); the question stays open.
  const gaveUp = (s: { text: string }): boolean => s.text.includes('gave up waiting (ERR_HANDSHAKE_TIMEOUT)')
  if (!gaveUp(hello.status)) await page.next('status', (m) => gaveUp(m.status))
  page.ws.send(JSON.stringify({ type: 'answer', fingerprint: question.fingerprint, trust: true }))
  await page.next('nick', (m) => m.nick === 'slow')
  t.ok((await web.proc.waitStderr('Recorded the key')).includes(server.fingerprint))
  t.is(web.proc.stderr().split('Recorded the key').length, 2, 'recorded once')
  page.ws.send(JSON.stringify({ type: 'send', text: '/quit' }))
  t.is(await web.proc.exited, 0)
})
