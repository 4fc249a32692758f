import test from 'brittle'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BrowserContext, Page } from 'playwright-core'
import { tempHome } from './helpers/tool-procs.js'
import { chatServer, launchChromium, pipedMember, webClient } from './helpers/web.js'

/*
 * The web client in a real browser (Debian's chromium through
 * playwright-core): one room, one page member (alice), members through the
 * terminal client's piped mode, and a chat server that restarts. The tests
 * share the browser, the server and the page, in order.
 */

const WAIT_MS = 20_000
const cleanups: Array<() => unknown> = []
const shared = { teardown: (fn: () => unknown) => { cleanups.unshift(fn) } }
const browser = await launchChromium().catch((err: Error) => err)

function context (t: { fail: (m: string) => void }): BrowserContext | undefined {
  if (!(browser instanceof Error)) return browser.context
  t.fail(browser.message)
  return undefined
}

async function newPage (ctx: BrowserContext): Promise<Page> {
  const page = await ctx.newPage()
  page.setDefaultTimeout(WAIT_MS)
  return page
}

const logLine = (page: Page, text: string) => page.locator('#log li', { hasText: text }).last()
const memberNames = (page: Page) => page.locator('#member-list li .nick').allTextContents()

/** The page's document, as the functions run inside the page see it (this file is typed for Node). */
interface PageGlobals { document: { querySelectorAll: (selector: string) => Iterable<{ textContent: string | null }> } }

async function waitMembers (page: Page, names: string): Promise<string> {
  await page.waitForFunction((want) => {
    const { document } = globalThis as unknown as PageGlobals
    return [...document.querySelectorAll('#member-list li .nick')].map((e) => e.textContent).join(',') === want
  }, names, { timeout: WAIT_MS })
  return (await memberNames(page)).join(',')
}

const serverHome = tempHome(shared, 'noise-chat-web-server-')
const aliceHome = tempHome(shared, 'noise-chat-web-alice-')
let server: Awaited<ReturnType<typeof chatServer>>
let web: Awaited<ReturnType<typeof webClient>>
let page: Page

test('chromium starts (the browser tests need /usr/bin/chromium)', (t) => {
  if (browser instanceof Error) t.fail(browser.message)
  else t.pass('started')
})

test('the page asks about an unknown server, showing both fingerprints, and joins once trusted', async (t) => {
  const ctx = context(t)
  if (ctx === undefined) return
  server = await chatServer(shared, serverHome.env)
  web = await webClient(shared, aliceHome.env, [`127.0.0.1:${server.port}`, '--nick', 'alice'])
  const own = /fingerprint (SHA256:\S+)\)/.exec(await web.proc.waitStderr(/fingerprint SHA256:\S+\)/))![1]!
  page = await newPage(ctx)
  await page.goto(web.url)
  await page.locator('#question').waitFor({ state: 'visible' })
  t.is(await page.locator('#q-fp').textContent(), server.fingerprint, "the server's fingerprint, as its banner shows it")
  t.is(await page.locator('#q-own').textContent(), own, 'and ours')
  t.is(await page.locator('#banner').getAttribute('class'), 'asking')
  await page.click('#trust')
  await page.locator('#question').waitFor({ state: 'hidden' })
  await page.locator('#banner').waitFor({ state: 'hidden' })
  await logLine(page, 'alice joined').waitFor()
  t.is(await page.locator('#server-fp').textContent(), server.fingerprint)
  t.is(await page.locator('#own-fp').textContent(), own)
  t.ok((await web.proc.waitStderr('Recorded the key')).includes(server.fingerprint), 'recorded in known hosts, as a yes on the terminal does')
  t.is(await waitMembers(page, 'alice'), 'alice')
})

test('a page member and a piped terminal member exchange messages both ways', async (t) => {
  if (context(t) === undefined) return
  const bobHome = tempHome(t, 'noise-chat-web-bob-')
  const bob = pipedMember(t, bobHome.env, server.port, server.key, 'bob')
  await logLine(page, 'bob joined').waitFor()
  bob.say('hi alice, from the terminal')
  const line = logLine(page, 'hi alice, from the terminal')
  await line.waitFor()
  t.is(await line.locator('.nick').textContent(), 'bob')
  t.ok((await line.getAttribute('class'))!.includes('mention'), 'a line naming us is marked')
  await page.fill('#input', 'hello bob, from the page')
  await page.press('#input', 'Enter')
  await bob.waitStdout('<alice> hello bob, from the page\n')
  t.is(await page.inputValue('#input'), '', 'the input is cleared')
  await page.press('#input', 'ArrowUp')
  t.is(await page.inputValue('#input'), 'hello bob, from the page', 'up recalls what was sent')
  await page.fill('#input', '/wh')
  await page.press('#input', 'Tab')
  t.is(await page.inputValue('#input'), '/whois ', "Tab completes a command from the server's /help")
  await page.fill('#input', '')
  t.absent(await logLine(page, 'commands:').count(), 'the /help the bridge asked for itself is not shown')

  // Another tab in front: the page counts what it missed in its title, and forgets it when seen.
  await page.evaluate(() => {
    const { document } = globalThis as unknown as { document: object }
    Object.defineProperty(document, 'hidden', { value: true, configurable: true })
  })
  bob.say('one')
  bob.say('two')
  await logLine(page, 'two').waitFor()
  t.ok((await page.title()).startsWith('(2) alice · 127.0.0.1:'), await page.title())
  await page.evaluate(() => {
    const { document } = globalThis as unknown as { document: { dispatchEvent: (e: unknown) => void } }
    Object.defineProperty(document, 'hidden', { value: false, configurable: true })
    document.dispatchEvent(new Event('visibilitychange'))
  })
  t.ok((await page.title()).startsWith('alice · '), 'no count once the page is seen again')
  bob.child.stdin!.end()
  t.is(await bob.exited, 0)
})

test('the member list follows a join, a nick change and a leave', async (t) => {
  if (context(t) === undefined) return
  const carolHome = tempHome(t, 'noise-chat-web-carol-')
  await waitMembers(page, 'alice')
  const carol = pipedMember(t, carolHome.env, server.port, server.key, 'carol')
  t.is(await waitMembers(page, 'alice,carol'), 'alice,carol', 'join')
  carol.say('/nick caroline')
  t.is(await waitMembers(page, 'alice,caroline'), 'alice,caroline', 'nick change')
  carol.say('/away lunch')
  await page.locator('#member-list li', { hasText: 'away: lunch' }).waitFor()
  carol.child.stdin!.end()
  t.is(await waitMembers(page, 'alice'), 'alice', 'leave')
  t.is(await carol.exited, 0)
})

test('chat text is shown as text: an <img onerror> line shows those characters and runs nothing', async (t) => {
  if (context(t) === undefined) return
  const dialogs: string[] = []
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss() })
  const malloryHome = tempHome(t, 'noise-chat-web-mallory-')
  const mallory = pipedMember(t, malloryHome.env, server.port, server.key, 'mallory')
  const attack = '<img src=x onerror=alert(1)>'
  mallory.say(attack)
  mallory.say('/me <script>alert(2)</script>')
  const line = logLine(page, attack)
  await line.waitFor()
  await logLine(page, '<script>alert(2)</script>').waitFor()
  t.ok((await line.textContent())!.endsWith('mallory: ' + attack), 'the characters, as sent')
  t.is(await page.locator('#log img, #log script').count(), 0, 'no element was made from them')
  await page.fill('#input', 'still here')
  await page.press('#input', 'Enter')
  await mallory.waitStdout('<alice> still here\n')
  t.alike(dialogs, [], 'no script ran')
  mallory.child.stdin!.end()
  await mallory.exited
})

test('the bridge refuses a wrong token and a page of another origin', async (t) => {
  const ctx = context(t)
  if (ctx === undefined) return
  const wrong = await newPage(ctx)
  t.teardown(() => wrong.close())
  await wrong.goto(web.origin + '/#not-the-token')
  await wrong.locator('#banner', { hasText: 'refused' }).waitFor()
  await web.proc.waitStderr('ERR_WEB_TOKEN')
  t.pass('a wrong token: refused, and the page says so')

  // Another site on this machine (another port is another origin) that knows even the token.
  const evil = createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'))
  evil.listen(0, '127.0.0.1')
  await once(evil, 'listening')
  t.teardown(() => evil.close())
  const other = await newPage(ctx)
  t.teardown(() => other.close())
  await other.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`)
  const outcome = await other.evaluate((url) => new Promise<string>((resolve) => {
    const ws = new WebSocket(url)
    ws.onopen = () => resolve('open')
    ws.onclose = () => resolve('closed')
  }), `ws://${new URL(web.origin).host}/ws?token=${web.token}`)
  t.is(outcome, 'closed', 'a foreign Origin never gets a WebSocket, token or not')
  t.ok((await web.proc.waitStderr('ERR_WEB_ORIGIN')).includes(`Origin http://127.0.0.1:${(evil.address() as AddressInfo).port}`))
})

test('the page recovers after the chat server restarts', async (t) => {
  if (context(t) === undefined) return
  server.proc.child.kill('SIGTERM')
  t.is(await server.proc.exited, 0, 'the server shut down cleanly (END to every member)')
  await page.locator('#banner.reconnecting').waitFor()
  t.ok(await page.locator('#banner').isVisible(), 'a banner says the connection is gone and being made again')
  server = await chatServer(shared, serverHome.env, server.port)
  await page.locator('#banner').waitFor({ state: 'hidden', timeout: 45_000 })
  await logLine(page, 'reconnect').waitFor()
  const daveHome = tempHome(t, 'noise-chat-web-dave-')
  const dave = pipedMember(t, daveHome.env, server.port, server.key, 'dave')
  t.is(await waitMembers(page, 'alice,dave'), 'alice,dave', 'rejoined: the list is current')
  dave.say('welcome back, alice')
  await logLine(page, 'welcome back, alice').waitFor()
  await page.fill('#input', 'thanks dave')
  await page.press('#input', 'Enter')
  await dave.waitStdout('<alice> thanks dave\n')
  t.is(web.proc.child.exitCode, null, 'the web client kept running')
  dave.child.stdin!.end()
  await dave.exited
})

test('leaving from the page ends the web client with exit 0', async (t) => {
  if (context(t) === undefined) return
  await page.fill('#input', '/quit bye')
  await page.press('#input', 'Enter')
  t.is(await web.proc.exited, 0)
  await page.locator('#banner.closed').waitFor()
  t.ok((await page.locator('#banner').textContent())!.includes('you left the room'))
})

test('close the browser', async (t) => {
  if (!(browser instanceof Error)) await browser.close()
  for (const fn of cleanups) await fn()
  t.pass()
})
