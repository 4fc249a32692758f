import { once } from 'node:events'
import { emitKeypressEvents } from 'node:readline'
import type { ReadStream } from 'node:tty'
import {
  CHAT_SHUTDOWN_GRACE_MS, DEFAULT_CHAT_PORT, EXIT_CONNECT_FAILED, EXIT_FAILURE, EXIT_HANDSHAKE, EXIT_HOST_KEY,
  EXIT_KEY_REFUSED, EXIT_OK, EXIT_STREAM_BROKEN, EXIT_USAGE, HANDSHAKE_TIMEOUT_MS, MAX_LINE_BYTES, PACE_QUEUE_MAX_LINES,
  TOOL_CONNECT_TIMEOUT_MS
} from '../constants.js'
import { UsageError } from '../errors.js'
import {
  connectChat, isConnectionLoss, ReconnectingChat, type ChatClientOptions, type ChatConnection, type ReconnectingChatOptions
} from '../chat/client.js'
import { commandNames } from '../chat/commands.js'
import { utcTime } from '../chat/messages.js'
import { nickProblem } from '../chat/nick.js'
import { TerminalView, type Key } from '../chat/terminal.js'
import { formatHostPort, parseHostPort } from '../net/host-port.js'
import type { AskHostKey } from '../identity/host-key-verifier.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { LineSplitter, type SplitEvent } from '../chat/line-splitter.js'
import { parseOptions, secondsOption } from './parse-options.js'
import { plainConnectMessage } from './system-error.js'
import { interruptible } from './interrupt.js'
import { INITIATOR_KEY_OPTIONS, INITIATOR_KEY_USAGE, initiatorTrust, initiatorVerifier, loadInitiatorKey } from './tool-identity.js'
import { runWeb, takeWebFlags, WEB_USAGE } from './connect-web.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat connect HOST[:PORT][,HOST[:PORT]...] [options]

Join a 'noise-chat server' room (default port ${DEFAULT_CHAT_PORT}). Your key is your
identity: the first time, one is created in $XDG_CONFIG_HOME/noise-chat.
The server's key is checked before anything is sent, as ssh checks host
keys: pinned with --server-key, or recorded in known hosts on first use.
On a terminal, an unknown server's fingerprint is shown and you are asked;
off a terminal an unknown server is refused unless --accept-new or
--server-key says what to do.

On a terminal: type and press Enter to send; /help lists the commands.
Messages never break the line you are typing; Tab completes nicks and
commands; a mention or a private message rings the bell. /quit, Ctrl-D or
Ctrl-C leave cleanly. A lost connection is re-established with backoff
(and jitter), checking the server's key again. Several addresses, comma
separated, name the servers of one room shared through Redis: the first
that answers is used, and on losing it the client moves to the next,
keeping its nick (docs/SCALING.md).

Off a terminal (stdin piped): each input line is sent, each received line
printed after the UTC time it was said ([HH:MMZ], history lines with the
time they were first said); at the end of input it exits 0 once the server has everything.
Lines go at the rate the server states when we join (-- rate limit: ...),
so a whole file piped in is delivered rather than cut off for flooding.
Piped, a lost connection is not re-established (nor moved to another of
several addresses): the client exits with the error, so a script knows
where its input stopped.

With --web, the room is shown in a browser page on this machine instead
(docs/WEB.md): the same key, known hosts and reconnects; where the
terminal would ask about an unknown server, the page asks.

Options:
  --nick NICK            join under NICK (1-16 of A-Z a-z 0-9 _ . -)
${WEB_USAGE}
${INITIATOR_KEY_USAGE}
  --connect-timeout SEC  give up connecting after SEC seconds (default ${TOOL_CONNECT_TIMEOUT_MS / 1000})
  --handshake-timeout SEC
                         give up the handshake after SEC seconds (default ${HANDSHAKE_TIMEOUT_MS / 1000})

Exit codes:
  ${EXIT_OK}  left cleanly (END both ways)
  ${EXIT_FAILURE}  other failure (e.g. the server closed the room before all piped input was sent)
  ${EXIT_USAGE}  bad command line
  ${EXIT_CONNECT_FAILED}  could not connect (refused, unreachable)
  ${EXIT_HOST_KEY}  the server's key is not the expected one (changed, unknown with --strict or
     off a terminal, pin mismatch, declined)
  ${EXIT_KEY_REFUSED}  the server refused our key (not authorized, banned, full); its reason is shown
  ${EXIT_HANDSHAKE}  the handshake failed or timed out
  ${EXIT_STREAM_BROKEN}  the connection broke: truncated, timed out, or aborted by the server
     (kicked, banned, flooding, too slow), with its reason

Examples:
  noise-chat connect chat.example.org --nick alice
  noise-chat connect 192.0.2.7:7373 --server-key SHA256:... --nick bob
  echo 'hello from cron' | noise-chat connect chat.example.org --nick bot --strict
  noise-chat connect 192.0.2.7:7001,192.0.2.8:7001,192.0.2.9:7001 --server-key SHA256:...
  noise-chat connect chat.example.org --nick alice --web --open
`

async function run (args: string[], io: CliIO): Promise<number> {
  const web = takeWebFlags(args)
  const { values, positionals } = parseOptions(web.rest, {
    ...INITIATOR_KEY_OPTIONS,
    nick: { type: 'string' },
    'connect-timeout': { type: 'string' },
    'handshake-timeout': { type: 'string' }
  }, { names: ['HOST[:PORT]'], min: 1 })
  const targets = positionals[0]!.split(',').filter((a) => a !== '').map((text) => {
    const parsed = parseHostPort(text)
    return { host: parsed.host, port: parsed.port ?? DEFAULT_CHAT_PORT }
  })
  if (targets.length === 0) throw new UsageError('missing HOST[:PORT]')
  const target = targets[0]!
  if (values.nick !== undefined) {
    const problem = nickProblem(values.nick)
    if (problem !== undefined) throw new UsageError(`--nick: ${problem.message}`)
  }
  const keyPair = await loadInitiatorKey(values.key, io)
  // The first connection may ask about an unknown key (outside its handshake); reconnects never ask.
  // Known hosts are per address: each server of a shared room is checked under its own host:port.
  const trusts = new Map<string, { first: ReturnType<typeof initiatorTrust>, later: ReturnType<typeof initiatorTrust> }>()
  const trustFor = (address: { host: string, port: number }): { first: ReturnType<typeof initiatorTrust>, later: ReturnType<typeof initiatorTrust> } => {
    const key = formatHostPort(address.host, address.port)
    let trust = trusts.get(key)
    if (trust === undefined) trusts.set(key, trust = { first: initiatorTrust(address, values, keyPair, io, true), later: initiatorTrust(address, values, keyPair, io, false) })
    return trust
  }
  let connectedOnce = false
  const connect = async (o: ChatClientOptions): Promise<ChatConnection> => {
    const trust = trustFor({ host: o.host, port: o.port })
    const connection = await (connectedOnce ? trust.later : trust.first).open((verify) => connectChat({ ...o, verify }))
    connectedOnce = true
    return connection
  }
  const options: ReconnectingChatOptions & { connect: typeof connect } = {
    host: target.host,
    port: target.port,
    keyPair,
    verify: initiatorVerifier(target, values, keyPair, io, false),
    connect,
    nick: values.nick,
    connectTimeout: secondsOption(values['connect-timeout'], 'connect-timeout', TOOL_CONNECT_TIMEOUT_MS),
    handshakeTimeout: secondsOption(values['handshake-timeout'], 'handshake-timeout', HANDSHAKE_TIMEOUT_MS)
  }
  const reconnecting: ReconnectingChatOptions & { connect: typeof connect } = { ...options, addresses: targets }
  try {
    // The web bridge serves one address (the first); the terminal and piped clients take them all.
    if (web.port !== undefined) {
      const verifier = (ask: AskHostKey): VerifyRemoteKey => initiatorVerifier(target, values, keyPair, io, true, ask)
      // The page asks through its own verify function (and connects again after a late answer): not our connect.
      const { connect: _terminalConnect, ...webOptions } = options
      return await runWeb(webOptions, formatHostPort(target.host, target.port), verifier, web, io)
    }
    if (io.stdin.isTTY === true && io.stdout.isTTY === true) return await runTerminal(reconnecting, io)
    return await runPiped(reconnecting, io)
  } catch (err) {
    throw clearerConnectError(err, lastTried.get(reconnecting) ?? target)
  }
}

/** The address a failed connect tried last, for its error message. */
const lastTried = new WeakMap<object, { host: string, port: number }>()

/** Piped: the first of the addresses that answers (a refused or unreachable one passes to the next). */
async function connectFirst (options: ReconnectingChatOptions & { connect: (o: ChatClientOptions) => Promise<ChatConnection> }): Promise<ChatConnection> {
  const addresses = options.addresses ?? [options]
  for (const [i, address] of addresses.entries()) {
    try {
      // Paced: lines go at the rate the server states, so a whole file piped in is delivered, not cut off for flooding.
      return await options.connect({ ...options, pace: true, host: address.host, port: address.port })
    } catch (err) {
      lastTried.set(options, address)
      if (!isConnectionLoss(err) || i === addresses.length - 1) throw err
    }
  }
  throw new UsageError('missing HOST[:PORT]')
}

/** Node's "connect ECONNREFUSED 1.2.3.4:5" in the CLI's one wording, naming the address as given; the code (and so the exit code) stays. */
function clearerConnectError (err: unknown, target: { host: string, port: number }): unknown {
  const message = plainConnectMessage(err, formatHostPort(target.host, target.port))
  if (message === undefined) return err
  return Object.assign(new Error(message, { cause: err }), { code: (err as { code: string }).code })
}

/**
 * Off a terminal: stdin's bytes go to the server as they are (lines), each
 * line received goes to stdout. The end of stdin sends END; exit 0 once
 * the server's END came back, so everything sent was received.
 */
async function runPiped (options: ReconnectingChatOptions & { connect: (o: ChatClientOptions) => Promise<ChatConnection> }, io: CliIO): Promise<number> {
  let connection: ChatConnection | undefined
  return interruptible(io, () => connection?.stream, async () => {
    connection = await connectFirst(options)
    const chat = connection
    chat.on('line', (line: string) => io.stdout.write(stampedLine(line, Date.now()) + '\n'))
    let inputEnded = false
    const input = new LineSplitter(MAX_LINE_BYTES)
    const send = (events: SplitEvent[]): void => {
      for (const event of events) {
        // A blank line would cost a token and be dropped by the server: not sent.
        if (event.type === 'line') { if (event.text.trim() !== '') chat.sendLine(event.text) }
        else io.stderr.write(`noise-chat connect: a line of input longer than ${event.limit} bytes was not sent\n`)
      }
    }
    // Backpressure: stop reading stdin while many lines wait for the rate.
    chat.on('sent', () => { if (chat.queuedLines < PACE_QUEUE_MAX_LINES / 2) io.stdin.resume() })
    const onData = (chunk: Buffer): void => {
      if (chat.ending || chat.stream.destroying) return
      send(input.push(chunk))
      if (chat.queuedLines >= PACE_QUEUE_MAX_LINES) io.stdin.pause()
    }
    const onEnd = (): void => {
      inputEnded = true
      send(input.end())
      chat.end()
    }
    io.stdin.on('data', onData)
    io.stdin.once('end', onEnd)
    try {
      await chat.done
    } finally {
      io.stdin.removeListener('data', onData)
      io.stdin.removeListener('end', onEnd)
      if (!inputEnded) io.stdin.destroy()
    }
    if (!inputEnded) {
      io.stderr.write('noise-chat connect: the server ended the chat before the end of the input; the rest was not sent\n')
      return EXIT_FAILURE
    }
    return EXIT_OK
  })
}

/**
 * Piped output has one rule: every line starts with the UTC time it was
 * said, `[HH:MMZ] `. History replayed on joining comes stamped by the
 * server with its own time (and between `-- history: ...` and
 * `-- end of history`); every other line is stamped as it arrives.
 */
export function stampedLine (line: string, nowMs: number): string {
  return REPLAY_STAMP.test(line) ? line : `[${utcTime(nowMs)}] ${line}`
}

/** The server's stamp on a replayed line (docs/CHAT.md); no member line can start with it, the server writes `<nick>` first. */
const REPLAY_STAMP = /^\[\d\d:\d\dZ\] /

/** On a terminal: the TerminalView over raw-mode key presses, reconnecting on lost connections. */
async function runTerminal (options: ReconnectingChatOptions, io: CliIO): Promise<number> {
  const chat = new ReconnectingChat(options)
  await chat.start().catch((err: unknown) => {
    lastTried.set(options, chat.address)
    throw err
  })
  const stdin = io.stdin as ReadStream
  const stdout = io.stdout as NodeJS.WriteStream
  const view = new TerminalView({ color: colorWanted(io), columns: stdout.columns, commands: commandNames() })
  const write = (text: string): void => { if (text !== '') stdout.write(text) }

  let forced: NodeJS.Timeout | undefined
  const leave = (): void => {
    chat.end()
    forced ??= setTimeout(() => chat.emit('close', null), CHAT_SHUTDOWN_GRACE_MS)
    forced.unref()
  }
  const onKey = (sequence: string | undefined, key: Key | undefined): void => {
    const result = view.key(key ?? { sequence })
    write(result.output)
    if (result.submit !== undefined && !chat.sendLine(result.submit)) write(view.showStatus('not connected: that line was not sent'))
    if (result.quit === true) leave()
  }
  const onResize = (): void => write(view.resize(stdout.columns))
  // The chat follows the server's "your nick is" lines itself, and rejoins under that nick.
  chat.on('line', (line: string) => write(view.showLine(line)))
  chat.on('status', (text: string) => write(view.showStatus(text)))

  emitKeypressEvents(stdin)
  stdin.setRawMode(true)
  stdin.on('keypress', onKey)
  stdin.resume()
  stdout.on('resize', onResize)
  process.on('SIGTERM', leave)
  process.on('SIGHUP', leave)
  write(view.redraw())
  try {
    const [err] = await once(chat, 'close') as [Error | null]
    if (err !== null) throw err
    return EXIT_OK
  } finally {
    clearTimeout(forced)
    write(view.clear())
    stdin.removeListener('keypress', onKey)
    stdout.removeListener('resize', onResize)
    process.removeListener('SIGTERM', leave)
    process.removeListener('SIGHUP', leave)
    stdin.setRawMode(false)
    stdin.pause()
  }
}

/** Colours unless NO_COLOR is set (https://no-color.org) or stdout is not a terminal. */
function colorWanted (io: CliIO): boolean {
  const noColor = io.env['NO_COLOR']
  return io.stdout.isTTY === true && (noColor === undefined || noColor === '')
}

/** `noise-chat connect`: the chat client. */
export const connectCommand: CliCommand = {
  name: 'connect',
  summary: 'join a chat server: a terminal client, or stdin/stdout when piped',
  usage: USAGE,
  run
}
