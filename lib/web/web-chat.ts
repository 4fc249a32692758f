import { EventEmitter, once } from 'node:events'
import type { WebSocket } from 'ws'
import { identityError } from '../errors.js'
import { isCommand, parseCommand } from '../chat/commands.js'
import { isConnectionLoss, ReconnectingChat, reconnectDelay, type ReconnectingChatOptions } from '../chat/client.js'
import type { AskHostKey, HostKeyQuestion } from '../identity/host-key-verifier.js'
import { fingerprint } from '../secure/keypair.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { WebBridge, type WebBridgeOptions } from './bridge.js'
import type { BridgeMessage, ConnectionStatus, PageMessage, TrustQuestion } from './page/wire.js'
import { RoomState, type RoomChange } from './room-state.js'

/** How to join and where to show it. */
export interface WebChatOptions {
  /** The chat connection's options, all but `verify`. */
  chat: Omit<ReconnectingChatOptions, 'verify'>
  /** The verify function the terminal client would use, built around `ask` (the page's question). */
  verifier: (ask: AskHostKey) => VerifyRemoteKey
  /** `host:port` of the chat server, as shown. */
  serverAddress: string
  bridge?: WebBridgeOptions
  /** The clock (default Date.now). */
  now?: () => number
}

interface PendingQuestion {
  question: TrustQuestion
  answer: Promise<boolean>
  resolve: (trust: boolean) => void
}

/**
 * The web client: one chat connection, exactly the terminal client's
 * (same key, same verify function, same reconnects), shown in local pages
 * through a WebBridge. Where the terminal would ask about an unknown
 * server key, every open page asks, with both fingerprints.
 *
 * The server waits only its handshake timeout for our answer, so a person
 * taking longer loses that first connection: it is made again once they
 * have answered (a yes has recorded the key by then).
 *
 * Events: 'refused' (Refusal) from the bridge.
 */
export class WebChat extends EventEmitter {
  readonly bridge: WebBridge
  readonly room = new RoomState()
  private readonly options: WebChatOptions
  private chat: ReconnectingChat | undefined
  private readonly verify: VerifyRemoteKey
  private readonly now: () => number
  private status: ConnectionStatus
  private pending: PendingQuestion | undefined
  private declined: HostKeyQuestion | undefined
  private serverFingerprint: string | null = null
  /** The verify call in progress (it may outlive its connection while the page asks). */
  private verifying: Promise<void> = Promise.resolve()
  private readonly ownFingerprint: string
  private started = false
  private leaving = false
  /** The user typed /quit: the server's END that follows is the end. */
  private quitting = false
  /** Set at each (re)connect: the member list and commands are asked for again once we have joined. */
  private rosterStale = true

  constructor (options: WebChatOptions) {
    super()
    this.options = options
    this.now = options.now ?? Date.now
    this.ownFingerprint = fingerprint(options.chat.keyPair.publicKey)
    this.status = { state: 'connecting', text: `connecting to ${options.serverAddress}` }
    this.bridge = new WebBridge(options.bridge)
    this.bridge.on('page', (page: WebSocket) => this.bridge.send(this.snapshot(), page))
    this.bridge.on('message', (message: PageMessage) => this.fromPage(message))
    this.bridge.on('refused', (refusal) => this.emit('refused', refusal))
    this.verify = this.verifier()
  }

  /** Serve the page; resolves once listening (the URL is then known). */
  listen (): Promise<void> {
    return this.bridge.listen()
  }

  /** The page's URL, with its token. */
  get url (): string {
    return this.bridge.url
  }

  /**
   * Connect (again and again while the failure is a lost connection or an
   * unanswered question) and run until the chat ends: null after a clean
   * end, else the error that ended it. The pages are told, then closed.
   */
  async run (): Promise<Error | null> {
    const err = await this.connectAndWait()
    this.setStatus({ state: 'closed', text: err === null ? 'you left the room' : err.message })
    await this.bridge.close(err === null ? 'you left the room' : 'the chat ended')
    return err
  }

  /** Leave the room cleanly (END), or stop trying to connect. */
  leave (): void {
    this.leaving = true
    if (this.started) return this.chat?.end()
    this.pending?.resolve(false)
  }

  /** Chat sessions, one after the other while the server ends them (a restart) and we did not choose to leave. */
  private async connectAndWait (): Promise<Error | null> {
    for (;;) {
      const err = await this.session()
      if (err !== null || this.leaving || this.quitting) return err
      // The server sent END without our asking (it shut down, or restarts): join again once it is back.
      this.rosterStale = true
      this.setStatus({ state: 'reconnecting', text: 'the server ended the chat; reconnecting' })
    }
  }

  /** One ReconnectingChat: connect (again while that fails as a lost connection would), then run until it closes. */
  private async session (): Promise<Error | null> {
    const chat = new ReconnectingChat({ ...this.options.chat, nick: this.room.nick ?? this.options.chat.nick, verify: this.verify })
    chat.on('line', (line: string) => this.fromServer(line))
    chat.on('status', (text: string) => this.onChatStatus(text))
    this.chat = chat
    this.started = false
    for (let attempt = 0; !this.leaving; attempt++) {
      try {
        await chat.start()
        break
      } catch (err) {
        const wasAsking = this.pending !== undefined
        const final = await this.afterFailedStart(err as Error)
        if (final !== undefined) return final
        if (this.leaving) return null
        // Trusted after the server gave up waiting: connect again at once, the key is recorded now.
        if (wasAsking) {
          attempt = -1
          continue
        }
        const wait = reconnectDelay(attempt)
        this.setStatus({ state: 'reconnecting', text: `could not connect (${describe(err as Error)}); trying again in ${Math.round(wait / 100) / 10}s` })
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
    }
    if (this.leaving && !chat.connected) return null
    this.started = true
    if (this.leaving) chat.end()
    this.setStatus({ state: 'connected', text: `connected to ${this.options.serverAddress}` })
    const [err] = await once(chat, 'close') as [Error | null]
    return err
  }

  /** After a failed first connection: the error that ends it all, or undefined to try again. */
  private async afterFailedStart (err: Error): Promise<Error | undefined> {
    // Still being asked: the person's answer, not the server's timeout, decides.
    if (this.pending !== undefined) {
      this.setStatus({ state: 'asking', text: `the connection gave up waiting (${describe(err)}); answer the question and it is made again` })
      await this.pending.answer
      // A yes is recorded in known hosts by the verify call that asked: let it finish, or the next attempt asks again.
      await this.verifying
    }
    if (this.leaving) return undefined
    if (this.declined !== undefined) {
      const q = this.declined
      return identityError('ERR_HOST_KEY_DECLINED', `the key of ${q.address} (${q.fingerprint}) was declined; nothing was recorded`)
    }
    return isConnectionLoss(err) ? undefined : err
  }

  // ---- the server's key -------------------------------------------------------

  private verifier (): VerifyRemoteKey {
    const verify = this.options.verifier(this.ask)
    return async (remoteKey, info) => {
      const run = Promise.resolve(verify(remoteKey, info))
      this.verifying = run.then(() => {}, () => {})
      const ok = await run
      if (ok === true && this.serverFingerprint !== fingerprint(remoteKey)) {
        this.serverFingerprint = fingerprint(remoteKey)
        this.bridge.send({ type: 'server-key', fingerprint: this.serverFingerprint })
      }
      return ok
    }
  }

  /** The page's question; a question about the same key while one is open shares its answer. */
  private readonly ask: AskHostKey = (q) => {
    if (this.pending?.question.fingerprint === q.fingerprint) return this.pending.answer
    this.pending?.resolve(false)
    let resolve!: (trust: boolean) => void
    const answer = new Promise<boolean>((done) => { resolve = done })
    const question: TrustQuestion = { address: q.address, fingerprint: q.fingerprint, knownHostsFile: q.knownHostsFile }
    const pending: PendingQuestion = { question, answer, resolve }
    this.pending = pending
    answer.then((trust) => {
      if (this.pending === pending) this.pending = undefined
      if (!trust) this.declined = q
      this.bridge.send({ type: 'question', question: null })
      if (!trust) return
      this.setStatus({ state: 'connecting', text: `trusted ${q.fingerprint}; connecting` })
    }, () => {})
    this.setStatus({ state: 'asking', text: `${q.address} is not in your known hosts: check its key's fingerprint` })
    this.bridge.send({ type: 'question', question })
    return answer
  }

  // ---- lines both ways ---------------------------------------------------------------

  private fromPage (message: PageMessage): void {
    if (message.type === 'answer') {
      if (this.pending?.question.fingerprint === message.fingerprint) this.pending.resolve(message.trust)
      return
    }
    if (message.text.trim() === '') return
    if (this.chat?.sendLine(message.text) !== true) return this.showStatus('not connected: that line was not sent')
    if (isCommand(message.text) && parseCommand(message.text).name === 'quit') this.quitting = true
  }

  private fromServer (line: string): void {
    const change = this.room.ingest(line, this.now())
    this.publish(change)
    if (this.room.nick !== null && this.chat !== undefined) this.chat.nick = this.room.nick
    // Our own nick comes last in a join (docs/CHAT.md 3): ask for the list and the commands then.
    if (change.nick === true && this.rosterStale) {
      this.rosterStale = false
      this.request('help')
      this.request('names')
    }
  }

  private request (what: 'help' | 'names'): void {
    if (this.chat?.sendLine('/' + what) === true) this.room.request(what)
  }

  private publish (change: RoomChange): void {
    if (change.line !== undefined) this.bridge.send({ type: 'line', line: change.line })
    if (change.members === true) this.bridge.send({ type: 'members', members: this.room.memberList() })
    if (change.nick === true && this.room.nick !== null) this.bridge.send({ type: 'nick', nick: this.room.nick })
    if (change.commands === true) this.bridge.send({ type: 'commands', commands: this.room.commands })
  }

  private onChatStatus (text: string): void {
    this.rosterStale = true
    // ReconnectingChat says 'reconnected' once a new connection is up; anything else is a loss or a wait.
    this.setStatus(text === 'reconnected'
      ? { state: 'connected', text: `reconnected to ${this.options.serverAddress}` }
      : { state: 'reconnecting', text })
  }

  private setStatus (status: ConnectionStatus): void {
    this.status = status
    this.bridge.send({ type: 'status', status })
    this.showStatus(status.text)
  }

  private showStatus (text: string): void {
    this.bridge.send({ type: 'line', line: this.room.status(text, this.now()) })
  }

  private snapshot (): BridgeMessage {
    return {
      type: 'hello',
      serverAddress: this.options.serverAddress,
      serverFingerprint: this.serverFingerprint,
      ownFingerprint: this.ownFingerprint,
      nick: this.room.nick,
      commands: this.room.commands,
      members: this.room.memberList(),
      status: this.status,
      question: this.pending?.question ?? null,
      lines: this.room.lines
    }
  }
}

function describe (err: Error): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : err.message
}
