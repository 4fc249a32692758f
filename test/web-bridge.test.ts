import test from 'brittle'
import { once } from 'node:events'
import { chmodSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import WebSocket from 'ws'
import { takeWebFlags } from '../lib/cli/connect-web.js'
import { WebBridge } from '../lib/web/bridge.js'
import { isOwnHost, isOwnOrigin, upgradeRefusal } from '../lib/web/guard.js'
import { cli, tempHome } from './helpers/tool-procs.js'
import { chatServer } from './helpers/web.js'

const bridge = { port: 4000, token: 'T0KEN' }

test('the guard: Host, Origin and token, in that order', (t) => {
  const ok = { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000', url: '/ws?token=T0KEN' }
  t.is(upgradeRefusal(ok, bridge), undefined)
  t.is(upgradeRefusal({ ...ok, host: 'LOCALHOST:4000', origin: 'http://localhost:4000' }, bridge), undefined)
  t.is(upgradeRefusal({ ...ok, host: 'evil.example:4000' }, bridge), 'ERR_WEB_HOST', 'DNS rebinding')
  t.is(upgradeRefusal({ ...ok, host: '127.0.0.1:4001' }, bridge), 'ERR_WEB_HOST')
  t.is(upgradeRefusal({ ...ok, host: undefined }, bridge), 'ERR_WEB_HOST')
  t.is(upgradeRefusal({ ...ok, origin: 'http://evil.example' }, bridge), 'ERR_WEB_ORIGIN')
  t.is(upgradeRefusal({ ...ok, origin: 'http://127.0.0.1:4001' }, bridge), 'ERR_WEB_ORIGIN', 'another local port is another site')
  t.is(upgradeRefusal({ ...ok, origin: undefined }, bridge), 'ERR_WEB_ORIGIN', 'browsers always send one')
  t.is(upgradeRefusal({ ...ok, url: '/ws?token=T0KEn' }, bridge), 'ERR_WEB_TOKEN')
  t.is(upgradeRefusal({ ...ok, url: '/ws' }, bridge), 'ERR_WEB_TOKEN')
  t.is(upgradeRefusal({ ...ok, url: '/other?token=T0KEN' }, bridge), 'ERR_WEB_TOKEN')
  t.ok(isOwnHost('localhost:4000', 4000))
  t.absent(isOwnOrigin('https://127.0.0.1:4000', 4000))
})

async function listening (t: { teardown: (fn: () => unknown) => void }): Promise<{ bridge: WebBridge, host: string }> {
  const b = new WebBridge()
  await b.listen()
  t.teardown(() => b.close())
  return { bridge: b, host: new URL(b.url).host }
}

function get (host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, unknown>, body: string }> {
  const [hostname, port] = host.split(':')
  return new Promise((resolve, reject) => {
    request({ hostname, port: Number(port), path, headers }, (res) => {
      let body = ''
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    }).on('error', reject).end()
  })
}

function openSocket (url: string, origin?: string): Promise<number | 'open'> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin })
  return new Promise((resolve) => {
    ws.on('open', () => { ws.close(); resolve('open') })
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!))
    ws.on('error', () => {})
  })
}

test('the bridge serves the page under a strict CSP, on its own Host only', async (t) => {
  const { bridge: b, host } = await listening(t)
  t.ok(/^http:\/\/127\.0\.0\.1:\d+\/#[A-Za-z0-9_-]{43}$/.test(b.url), 'the URL carries a 256-bit token after #')
  const page = await get(host, '/')
  t.is(page.status, 200)
  t.ok(page.body.includes('<script type="module" src="app.js"></script>'))
  const csp = String(page.headers['content-security-policy'])
  t.ok(csp.includes("script-src 'self'") && !csp.includes('unsafe'), csp)
  t.ok(csp.includes(`connect-src ws://${host}`))
  t.is((await get(host, '/app.js')).status, 200)
  t.is((await get(host, '/../package.json')).status, 404, 'only the page files')
  const rebound = await get(host, '/', { host: 'evil.example' })
  t.is(rebound.status, 403, 'a request for another Host name (DNS rebinding) is refused')
  t.ok(rebound.body.includes('ERR_WEB_HOST'))
})

test('the bridge refuses a WebSocket without the token, with a wrong one, or from another origin', async (t) => {
  const { bridge: b, host } = await listening(t)
  const refused: string[] = []
  b.on('refused', (r: { code: string }) => refused.push(r.code))
  const origin = `http://${host}`
  t.is(await openSocket(`ws://${host}/ws`, origin), 403)
  t.is(await openSocket(`ws://${host}/ws?token=wrong`, origin), 403)
  t.is(await openSocket(`ws://${host}/ws?token=${b.token}`, 'http://evil.example'), 403)
  t.is(await openSocket(`ws://${host}/ws?token=${b.token}`), 403, 'no Origin at all')
  t.alike(refused, ['ERR_WEB_TOKEN', 'ERR_WEB_TOKEN', 'ERR_WEB_ORIGIN', 'ERR_WEB_ORIGIN'])
  t.is(await openSocket(`ws://${host}/ws?token=${b.token}`, origin), 'open', 'the page itself is let in')
})

test('a page message that is not one of the known forms is ignored', async (t) => {
  const { bridge: b, host } = await listening(t)
  const got: unknown[] = []
  b.on('message', (m: unknown) => got.push(m))
  const ws = new WebSocket(`ws://${host}/ws?token=${b.token}`, { origin: `http://${host}` })
  await once(ws, 'open')
  for (const text of ['not json', '{"type":"send"}', '{"type":"eval","code":"x"}', '{"type":"send","text":"hi"}']) ws.send(text)
  while (got.length === 0) await once(b, 'message')
  t.alike(got, [{ type: 'send', text: 'hi' }])
  ws.close()
})

test('--web flags: alone, with a port, with 127.0.0.1:PORT after the server, and --open', (t) => {
  t.alike(takeWebFlags(['chat.example.org', '--web']), { port: 0, open: false, rest: ['chat.example.org'] })
  t.alike(takeWebFlags(['--web', '8080', 'chat.example.org', '--open']), { port: 8080, open: true, rest: ['chat.example.org'] })
  t.alike(takeWebFlags(['h', '--web', '127.0.0.1:8080']), { port: 8080, open: false, rest: ['h'] })
  t.alike(takeWebFlags(['--web', 'localhost:7373']), { port: 0, open: false, rest: ['localhost:7373'] }, 'before the server is named it is the server')
  t.alike(takeWebFlags(['h', '--web=localhost:9']), { port: 9, open: false, rest: ['h'] })
  t.exception(() => takeWebFlags(['h', '--web=0.0.0.0:80']), /served on this machine only/)
  t.exception(() => takeWebFlags(['h', '--open']), /--open goes with --web/)
})

test('connect --web --open starts $BROWSER with the URL, and Ctrl-C (SIGINT) leaves cleanly', async (t) => {
  const serverHome = tempHome(t, 'noise-chat-web-open-server-')
  const home = tempHome(t, 'noise-chat-web-open-')
  const server = await chatServer(t, serverHome.env)
  const opened = join(home.dir, 'opened')
  const browser = join(home.dir, 'browser.sh')
  writeFileSync(browser, `#!/bin/sh\necho "$1" > '${opened}'\n`)
  chmodSync(browser, 0o755)
  const web = cli(t, ['connect', `127.0.0.1:${server.port}`, '--server-key', server.key, '--web', '--open'], { env: { ...home.env, BROWSER: browser } })
  const url = /the room is at (\S+)\n/.exec(await web.waitStdout(/the room is at \S+\n/))![1]!
  while (!existsSync(opened) || readFileSync(opened, 'utf8') === '') await new Promise((resolve) => setTimeout(resolve, 50))
  t.is(readFileSync(opened, 'utf8').trim(), url)
  web.child.kill('SIGINT')
  t.is(await web.exited, 0)
})
