/*
 * The page of `noise-chat connect --web`. It holds no keys and speaks no
 * Noise: the local noise-chat process does, and tells this page what to
 * show over one WebSocket (wire.ts). Every piece of chat text goes into
 * the page as a text node (textContent), never as HTML, and the server's
 * Content-Security-Policy forbids inline script besides.
 */
import type { BridgeMessage, ConnectionStatus, DisplayLine, MemberView, NickView, PageMessage, Snapshot, TrustQuestion } from './wire.js'

/** Lines of input remembered for the up and down keys (as the terminal's INPUT_HISTORY_LINES). */
const HISTORY_LINES = 100
/** Wait before trying the bridge again after its WebSocket closed. */
const RELINK_MS = 2000

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T
const log = byId<HTMLOListElement>('log')
const input = byId<HTMLInputElement>('input')
const hint = byId('hint')
const banner = byId('banner')
const notifyBox = byId<HTMLInputElement>('notify')
const membersAside = byId('members')
const membersToggle = byId<HTMLButtonElement>('members-toggle')

const token = location.hash.slice(1)
let socket: WebSocket | undefined
let everOpened = false
let serverAddress = ''
let nick: string | null = null
let commands: string[] = []
let members: MemberView[] = []
let status: ConnectionStatus = { state: 'connecting', text: 'connecting to the noise-chat process' }
let question: TrustQuestion | null = null
let unread = 0
const history: string[] = []
let historyIndex = 0
let draft = ''

// ---- the link to the bridge ---------------------------------------------------

function link (): void {
  if (token === '') {
    return showBanner('closed', 'This address has no token: open the exact URL that noise-chat connect --web printed (with the part after #).')
  }
  const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`)
  socket = ws
  ws.addEventListener('open', () => { everOpened = true })
  ws.addEventListener('message', (event) => receive(JSON.parse(String(event.data)) as BridgeMessage))
  ws.addEventListener('close', (event) => {
    socket = undefined
    if (status.state === 'closed') return showBanner('closed', status.text + (event.reason === '' ? '' : ` (${event.reason})`))
    showBanner('closed', everOpened
      ? 'Lost the link to the noise-chat process; trying again…'
      : 'The noise-chat process refused this page, or is not running: open the exact URL it printed (with the part after #).')
    setTimeout(link, RELINK_MS)
  })
}

function send (message: PageMessage): boolean {
  if (socket === undefined || socket.readyState !== WebSocket.OPEN) return false
  socket.send(JSON.stringify(message))
  return true
}

function receive (message: BridgeMessage): void {
  switch (message.type) {
    case 'hello': return hello(message)
    case 'line': return addLine(message.line, true)
    case 'members':
      members = message.members
      return renderMembers()
    case 'nick':
      nick = message.nick
      return renderNick()
    case 'commands':
      commands = message.commands
      return
    case 'status': return setStatus(message.status)
    case 'server-key':
      byId('server-fp').textContent = message.fingerprint
      return
    case 'question': return renderQuestion(message.question)
  }
}

function hello (snapshot: Snapshot): void {
  serverAddress = snapshot.serverAddress
  byId('room').textContent = `noise-chat · ${serverAddress}`
  byId('server-fp').textContent = snapshot.serverFingerprint ?? 'not connected yet'
  byId('own-fp').textContent = snapshot.ownFingerprint
  byId('q-own').textContent = snapshot.ownFingerprint
  nick = snapshot.nick
  commands = snapshot.commands
  members = snapshot.members
  log.replaceChildren()
  for (const line of snapshot.lines) addLine(line, false)
  renderNick()
  renderMembers()
  setStatus(snapshot.status)
  renderQuestion(snapshot.question)
}

// ---- the log -------------------------------------------------------------------

function addLine (line: DisplayLine, live: boolean): void {
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40
  const li = document.createElement('li')
  li.className = line.kind + (line.mention ? ' mention' : '') + (line.own ? ' own' : '') + (line.replayed ? ' replayed' : '')
  const time = document.createElement('time')
  time.dateTime = new Date(line.atMs).toISOString()
  time.textContent = clock(line.atMs)
  li.append(time, ...lineBody(line))
  log.append(li)
  if (atBottom || line.own) li.scrollIntoView({ block: 'end' })
  if (live) attention(line)
}

/** The parts of a line, all text nodes or elements holding text. */
function lineBody (line: DisplayLine): Node[] {
  const text = document.createTextNode(line.text)
  switch (line.kind) {
    case 'public': return [nickNode(line.speaker!), document.createTextNode(': '), text]
    case 'emote': return [document.createTextNode('* '), nickNode(line.speaker!), document.createTextNode(' '), text]
    case 'private-in': return [tag('pm from'), nickNode(line.speaker!), document.createTextNode(': '), text]
    case 'private-out': return [tag('pm to'), nickNode(line.speaker!), document.createTextNode(': '), text]
    case 'error': return [text, document.createTextNode(line.code === undefined ? '' : ` (${line.code})`)]
    default: return [text]
  }
}

function nickNode (who: NickView): HTMLElement {
  const span = document.createElement('span')
  span.className = `nick c${who.colour}`
  span.textContent = who.nick
  if (who.verified) {
    const mark = document.createElement('span')
    mark.className = 'mark'
    mark.title = 'verified: this nick is reserved for its key'
    mark.textContent = '✓'
    span.append(mark)
  }
  return span
}

function tag (text: string): HTMLElement {
  const span = document.createElement('span')
  span.className = 'pm-tag'
  span.textContent = text
  return span
}

function clock (ms: number): string {
  const d = new Date(ms)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

// ---- unread count and notifications ---------------------------------------------

function away (): boolean {
  return document.hidden || !document.hasFocus()
}

function attention (line: DisplayLine): void {
  if (line.speaker === undefined || line.own || line.replayed || !away()) return
  unread++
  renderTitle()
  if (line.mention && notifyBox.checked && 'Notification' in window && Notification.permission === 'granted') {
    new Notification(`${line.speaker.nick} ${line.kind === 'private-in' ? 'wrote to you' : 'mentioned you'}`, { body: line.text, tag: 'noise-chat' })
  }
}

function renderTitle (): void {
  const where = nick === null ? serverAddress : `${nick} · ${serverAddress}`
  document.title = `${unread > 0 ? `(${unread}) ` : ''}${where === '' ? 'noise-chat' : where} · noise-chat`
}

function seen (): void {
  if (away()) return
  unread = 0
  renderTitle()
}

notifyBox.addEventListener('change', () => {
  if (notifyBox.checked && 'Notification' in window && Notification.permission !== 'granted') {
    void Notification.requestPermission().then((p) => { notifyBox.checked = p === 'granted' })
  }
})

// ---- members, nick, status, question ---------------------------------------------

function renderMembers (): void {
  const list = byId('member-list')
  list.replaceChildren(...members.map((m) => {
    const li = document.createElement('li')
    li.append(nickNode(m))
    if (m.fingerprint !== undefined) li.title = `key ${m.fingerprint}`
    if (nick !== null && m.nick.toLowerCase() === nick.toLowerCase()) li.append(small('you', 'you'))
    if (m.away !== undefined) li.append(small('away', m.away === '' ? 'away' : `away: ${m.away}`))
    return li
  }))
  byId('member-count').textContent = String(members.length)
}

function small (className: string, text: string): HTMLElement {
  const span = document.createElement('span')
  span.className = className
  span.textContent = text
  return span
}

function renderNick (): void {
  byId('me').textContent = nick ?? ''
  renderTitle()
  renderMembers()
}

function setStatus (next: ConnectionStatus): void {
  status = next
  if (next.state === 'connected') {
    banner.hidden = true
    return
  }
  showBanner(next.state, next.text)
}

function showBanner (state: string, text: string): void {
  banner.className = state
  banner.textContent = text
  banner.hidden = false
}

function renderQuestion (q: TrustQuestion | null): void {
  question = q
  byId('question').hidden = q === null
  if (q === null) return
  byId('q-address').textContent = q.address
  byId('q-fp').textContent = q.fingerprint
  byId('q-file').textContent = q.knownHostsFile
}

function answer (trust: boolean): void {
  if (question !== null) send({ type: 'answer', fingerprint: question.fingerprint, trust })
}

byId('trust').addEventListener('click', () => answer(true))
byId('refuse').addEventListener('click', () => answer(false))

// ---- typing ------------------------------------------------------------------------

byId<HTMLFormElement>('send').addEventListener('submit', (event) => {
  event.preventDefault()
  const text = input.value
  if (text.trim() === '') return
  if (!send({ type: 'send', text })) {
    hint.textContent = 'not connected to the noise-chat process: that line was not sent'
    return
  }
  if (history.at(-1) !== text) history.push(text)
  if (history.length > HISTORY_LINES) history.shift()
  historyIndex = history.length
  draft = ''
  input.value = ''
  hint.textContent = ''
})

input.addEventListener('keydown', (event) => {
  if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
    event.preventDefault()
    recall(event.key === 'ArrowUp' ? -1 : 1)
  } else if (event.key === 'Tab' && !event.shiftKey && input.value !== '') {
    event.preventDefault()
    complete()
  }
})

/** Up (-1) and down (+1) through what was sent; what was being typed comes back at the bottom. */
function recall (step: number): void {
  if (historyIndex === history.length) draft = input.value
  const next = Math.max(0, Math.min(history.length, historyIndex + step))
  if (next === historyIndex) return
  historyIndex = next
  input.value = next === history.length ? draft : history[next]!
  input.setSelectionRange(input.value.length, input.value.length)
}

/** Tab: a /command (from the server's /help) at the start of the line, else a nick; several: their common start and the list. */
function complete (): void {
  const caret = input.selectionStart ?? input.value.length
  const before = input.value.slice(0, caret)
  const word = /(\S*)$/.exec(before)![1]!
  const atStart = before.length === word.length
  const pool = atStart && word.startsWith('/') ? commands : members.map((m) => m.nick)
  const lower = word.toLowerCase()
  const matches = pool.filter((c) => c.toLowerCase().startsWith(lower)).sort()
  if (matches.length === 0) {
    hint.textContent = `nothing starts with ${word}`
    return
  }
  const replacement = matches.length === 1 ? matches[0]! + (atStart && !word.startsWith('/') ? ': ' : ' ') : commonPrefix(matches)
  hint.textContent = matches.length === 1 ? '' : matches.join('  ')
  input.value = before.slice(0, before.length - word.length) + replacement + input.value.slice(caret)
  const at = before.length - word.length + replacement.length
  input.setSelectionRange(at, at)
}

function commonPrefix (words: string[]): string {
  let prefix = words[0]!
  for (const w of words.slice(1)) {
    let i = 0
    while (i < prefix.length && i < w.length && prefix[i]!.toLowerCase() === w[i]!.toLowerCase()) i++
    prefix = prefix.slice(0, i)
  }
  return prefix
}

// ---- the rest -------------------------------------------------------------------------

for (const button of document.querySelectorAll<HTMLButtonElement>('button[data-copy]')) {
  button.addEventListener('click', () => {
    const text = byId(button.dataset['copy']!).textContent ?? ''
    void navigator.clipboard.writeText(text).then(() => {
      button.textContent = 'copied'
      setTimeout(() => { button.textContent = 'copy' }, 1500)
    }, () => { button.textContent = 'select it' })
  })
}

membersToggle.addEventListener('click', () => {
  const open = membersAside.classList.toggle('open')
  membersToggle.setAttribute('aria-expanded', String(open))
})

window.addEventListener('focus', seen)
document.addEventListener('visibilitychange', seen)
link()
input.focus()
