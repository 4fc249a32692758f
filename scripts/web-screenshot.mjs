#!/usr/bin/env node
// Makes docs/web.png: the page of `noise-chat connect --web` in a real room
// (a server on 127.0.0.1, alice in the page, bob and carol through the
// terminal client's piped mode), in Debian's chromium. `npm run screenshot:web`
// (after a build); pass a second path to also save a phone-sized view.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BIN, tempHome } from '../dist/test/helpers/tool-procs.js'
import { chatServer, launchChromium, pipedMember, webClient } from '../dist/test/helpers/web.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = process.argv[2] ?? join(root, 'docs', 'web.png')
const phoneOut = process.argv[3]
const cleanups = []
const t = { teardown: (fn) => cleanups.unshift(fn) }

try {
  const home = (name) => tempHome(t, `noise-chat-shot-${name}-`)
  const [serverHome, alice, bob, carol] = ['server', 'alice', 'bob', 'carol'].map(home)
  // bob is an operator: the admins file reserves his nick for his key, so it shows verified.
  execFileSync(process.execPath, [BIN, 'keygen', '-C', 'bob@example'], { env: bob.env, stdio: 'ignore' })
  const admins = join(serverHome.dir, 'admins')
  writeFileSync(admins, readFileSync(join(bob.dir, 'noise-chat', 'id_x25519.pub')))
  const motd = join(serverHome.dir, 'motd')
  writeFileSync(motd, 'Welcome to the release room. Be kind; logs are not kept.\n')
  const server = await chatServer(t, serverHome.env, 0, '--admins', admins, '--motd', motd)
  const web = await webClient(t, alice.env, [`127.0.0.1:${server.port}`, '--nick', 'alice', '--server-key', server.key])

  const browser = await launchChromium()
  cleanups.unshift(() => browser.close())
  const page = await browser.context.newPage()
  page.setDefaultTimeout(20_000)
  await page.setViewportSize({ width: 980, height: 600 })
  await page.goto(web.url)
  const seen = (text) => page.locator('#log li', { hasText: text }).last().waitFor()
  await seen('alice joined')

  const b = pipedMember(t, bob.env, server.port, server.key, 'bob')
  await seen('bob✓ joined')
  const c = pipedMember(t, carol.env, server.port, server.key, 'carol')
  await seen('carol joined')
  const say = async (member, line, shows) => { member.say(line); await seen(shows) }
  const type = async (line, shows) => { await page.fill('#input', line); await page.press('#input', 'Enter'); await seen(shows) }

  await say(b, 'morning all: the 0.2 release notes are up', 'release notes are up')
  await type('thanks bob! reading them now', 'reading them now')
  await say(c, '/me grabs a coffee', 'grabs a coffee')
  await say(c, 'alice: did the web client make it in?', 'did the web client')
  await type('it did: noise-chat connect HOST --web, and the room opens in a browser', 'the room opens')
  await say(b, '/msg alice could you look at my patch after lunch?', 'after lunch')
  await say(c, '/away lunch', 'carol is away')
  await page.fill('#input', 'sure, after 2')
  await page.locator('#member-list li', { hasText: 'away: lunch' }).waitFor()
  await page.screenshot({ path: out })
  console.log(`wrote ${out}`)
  if (phoneOut !== undefined) {
    await page.setViewportSize({ width: 390, height: 720 })
    await page.screenshot({ path: phoneOut })
    console.log(`wrote ${phoneOut}`)
  }
} finally {
  for (const fn of cleanups) await fn()
}
process.exit(0)
