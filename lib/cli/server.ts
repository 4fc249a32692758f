import { constants as fsConstants, createWriteStream, type WriteStream } from 'node:fs'
import { access, mkdir, open } from 'node:fs/promises'
import os from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import {
  CHAT_IDLE_TIMEOUT_MS, CHAT_KEEP_ALIVE_MS, DEFAULT_CHAT_HOST, DEFAULT_CHAT_PORT, DEFAULT_HISTORY_LINES,
  DEFAULT_MAX_CLIENTS, DEFAULT_MAX_CLIENTS_PER_ADDRESS, EXIT_OK, MAX_HISTORY_LINES, MAX_LINE_BYTES, MAX_PENDING_HANDSHAKES,
  MAX_PENDING_HANDSHAKES_PER_ADDRESS, RATE_LIMIT_BURST_LINES,
  RATE_LIMIT_LINES_PER_SEC, SERVER_EVENT_LINES_INTERVAL_MS, SERVER_EVENT_LINES_PER_INTERVAL, STATE_DIR_NAME,
  DEFAULT_REDIS_ROOM, REDIS_HEARTBEAT_INTERVAL_MS, REDIS_NODE_TIMEOUT_MS
} from '../constants.js'
import { UsageError } from '../errors.js'
import { nickProblem } from '../chat/nick.js'
import type { ReservedNick } from '../chat/nick-registry.js'
import { parseRateOption } from '../chat/rate-limit.js'
import { RedisRoomNode } from '../chat/redis-room.js'
import { checkRoomName, parseRedisUrl } from '../chat/redis-url.js'
import { ChatServer, type ChatServerLogEvent } from '../chat/server.js'
import { describeServerEvent, EventLineLimiter } from '../chat/event-lines.js'
import { AuthorizedKeys } from '../identity/authorized-keys.js'
import { errorCode, readSmallFile } from '../identity/files.js'
import { encodePublicKey, fingerprint, type KeyPair } from '../secure/keypair.js'
import { integerOption, parseOptions, secondsOption } from './parse-options.js'
import { READY_JSON_OPTION, READY_JSON_USAGE, readyLine } from './ready-line.js'
import { waitForSignal } from './signals.js'
import { RESPONDER_KEY_OPTIONS, loadResponderKey, responderTrust } from './tool-identity.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat server [options]

An encrypted chat room. Every connection is a Noise XX secure stream; a
member's identity is its key. Nicks are bound to the first key that uses
them (remembered in the state directory), the server stamps every message
with the sender's nick, and nothing a member sends can paint another
member's terminal. Clients connect with 'noise-chat connect'.

On start it prints its address, its public key and fingerprint, and the
client command that connects with that key pinned. SIGHUP re-reads the
authorized keys, admins, bans and MOTD files and disconnects members whose
key is no longer authorized, or is now banned; SIGINT or SIGTERM tells everyone,
ends every connection cleanly and exits 0.

Options:
  --host HOST            address to listen on (default ${DEFAULT_CHAT_HOST}: every interface)
  --port PORT            TCP port (default ${DEFAULT_CHAT_PORT}; 0 picks a free one)
  --key FILE             the server's private key; FILE must exist (noise-chat keygen -f FILE makes one)
                         (default: $XDG_CONFIG_HOME/noise-chat/server_x25519, created on first use, mode 0600)
  --authorized-keys FILE allow only the keys in FILE (KEY NAME lines); each NAME is a nick
                         reserved for its key, shown as verified (✓)
  --admins FILE          operator keys (same format): /kick /ban /unban /mute /motd
  --motd FILE            message of the day, shown to each member joining
  --history N            messages replayed to a joining member (default ${DEFAULT_HISTORY_LINES}, at most ${MAX_HISTORY_LINES})
  --max-clients N        most members at once (default ${DEFAULT_MAX_CLIENTS})
  --max-clients-per-address N
                         most members from one address, an IPv6 /64 (default ${DEFAULT_MAX_CLIENTS_PER_ADDRESS}, as
                         ngircd; not applied to loopback addresses unless given, since a
                         local proxy carries many people under one; 0: no limit)
  --max-handshakes N[:PER_ADDRESS]
                         handshakes in progress at once: N in all (past it the oldest is
                         dropped), PER_ADDRESS from one address, an IPv6 /64 (past it new
                         connections are closed) (default ${MAX_PENDING_HANDSHAKES}:${MAX_PENDING_HANDSHAKES_PER_ADDRESS})
  --rate N[:BURST]       each member may send N lines a second, BURST at once
                         (default ${RATE_LIMIT_LINES_PER_SEC}:${RATE_LIMIT_BURST_LINES}; 0 turns the limit off)
  --keep-alive SEC       send a keep-alive after SEC idle seconds (default ${CHAT_KEEP_ALIVE_MS / 1000})
  --idle-timeout SEC     drop a member silent for SEC seconds (default ${CHAT_IDLE_TIMEOUT_MS / 1000})
  --quiet                print no event lines on stderr (by default one line per join, leave,
                         nick change, kick, ban, refused key and failed handshake, at most
                         ${SERVER_EVENT_LINES_PER_INTERVAL} per ${SERVER_EVENT_LINES_INTERVAL_MS / 1000} s; never what members say)
  --log FILE             append events (joins, leaves, nicks, kicks, bans, refusals) as JSON lines
  --log-messages         with --log, also log what members say
  --state-dir DIR        where nick bindings and bans persist
                         (default: $XDG_STATE_HOME/noise-chat, else ~/.local/state/noise-chat)
  --redis URL            be one node of a room shared by several servers through Redis,
                         redis://[USER:PASSWORD@]HOST[:PORT][/DB] (rediss:// for TLS): one
                         order of messages, history, presence, nicks, bans and mutes shared
                         (then kept in Redis, not in the state directory); docs/SCALING.md
  --room NAME            with --redis, the shared room's name (default ${DEFAULT_REDIS_ROOM})
  --heartbeat SEC        with --redis, how often this node says it is alive (default ${REDIS_HEARTBEAT_INTERVAL_MS / 1000})
  --node-timeout SEC     with --redis, silence after which another node's members are
                         removed as gone (default ${REDIS_NODE_TIMEOUT_MS / 1000})
${READY_JSON_USAGE}

Lines are at most ${MAX_LINE_BYTES} bytes; the line grammar is in docs/CHAT.md.

Examples:
  noise-chat server
  noise-chat server --port 7000 --authorized-keys ./team --admins ./ops --motd ./motd.txt
  noise-chat server --host 127.0.0.1 --port 0 --state-dir /tmp/chat-state
  noise-chat server --port 7001 --redis redis://127.0.0.1:6379/0 --room team
`

const OPTIONS = {
  ...RESPONDER_KEY_OPTIONS,
  host: { type: 'string' },
  port: { type: 'string' },
  admins: { type: 'string' },
  motd: { type: 'string' },
  history: { type: 'string' },
  'max-clients': { type: 'string' },
  'max-handshakes': { type: 'string' },
  'max-clients-per-address': { type: 'string' },
  rate: { type: 'string' },
  'keep-alive': { type: 'string' },
  'idle-timeout': { type: 'string' },
  log: { type: 'string' },
  'log-messages': { type: 'boolean' },
  quiet: { type: 'boolean' },
  'state-dir': { type: 'string' },
  redis: { type: 'string' },
  room: { type: 'string' },
  heartbeat: { type: 'string' },
  'node-timeout': { type: 'string' },
  ...READY_JSON_OPTION
} as const

async function run (args: string[], io: CliIO): Promise<number> {
  const { values } = parseOptions(args, OPTIONS, { names: [], min: 0 })
  const port = integerOption(values.port, 'port', DEFAULT_CHAT_PORT, 0, 65535)
  const historyLines = integerOption(values.history, 'history', DEFAULT_HISTORY_LINES, 0, MAX_HISTORY_LINES)
  const maxClients = integerOption(values['max-clients'], 'max-clients', DEFAULT_MAX_CLIENTS, 1, 1_000_000)
  const handshakes = handshakeLimits(values['max-handshakes'])
  const maxClientsPerAddress = integerOption(values['max-clients-per-address'], 'max-clients-per-address', DEFAULT_MAX_CLIENTS_PER_ADDRESS, 0, 1_000_000)
  const rate = values.rate === undefined ? undefined : parseRateOption(values.rate)
  if (values.rate !== undefined && rate === undefined) {
    throw new UsageError(`--rate '${values.rate}' must be LINES_PER_SEC or LINES_PER_SEC:BURST, like 2 or 2:20 (0 turns the limit off)`)
  }
  if (values['log-messages'] === true && values.log === undefined) throw new UsageError('--log-messages needs --log FILE')
  const keepAlive = secondsOption(values['keep-alive'], 'keep-alive', CHAT_KEEP_ALIVE_MS)
  const idleTimeout = secondsOption(values['idle-timeout'], 'idle-timeout', CHAT_IDLE_TIMEOUT_MS)

  // A bad --redis or --room is a usage mistake: say so before any key is created or loaded.
  try {
    if (values.redis !== undefined) parseRedisUrl(values.redis)
    if (values.room !== undefined) checkRoomName(values.room)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const keyPair = await loadResponderKey(values.key, io)
  const trust = await responderTrust(values['authorized-keys'], keyPair)
  const admins = values.admins === undefined ? undefined : await AuthorizedKeys.load(resolve(values.admins))
  const motdFile = values.motd === undefined ? undefined : resolve(values.motd)
  const stateDir = values['state-dir'] === undefined ? defaultStateDir(io.env) : resolve(values['state-dir'])
  await checkStateDir(stateDir)
  const log = values.log === undefined ? undefined : await openLog(resolve(values.log), io)
  const shared = await sharedRoom(values, historyLines, io)

  const server = await ChatServer.create({
    keyPair,
    verify: trust.verify,
    isOperator: (key) => admins?.has(key) === true,
    reserved: reservedNicks(trust.authorizedKeys, admins),
    motd: motdFile === undefined ? [] : await readMotd(motdFile),
    historyLines,
    maxClients,
    rate,
    maxPendingHandshakes: handshakes.total,
    maxPendingHandshakesPerAddress: handshakes.perAddress,
    maxClientsPerAddress,
    perAddressSkipsLoopback: values['max-clients-per-address'] === undefined,
    keepAlive,
    idleTimeout,
    stateDir,
    shared
  })
  server.on('error', (err: Error) => io.stderr.write(`server: ${err.message}\n`))
  if (log !== undefined) server.on('log', (event: ChatServerLogEvent) => writeLog(log, event, values['log-messages'] === true))
  const events = values.quiet === true ? undefined : printEvents(server, io)

  const signals = waitForSignal(['SIGINT', 'SIGTERM'])
  const bound = await listen(server, values.host ?? DEFAULT_CHAT_HOST, port).catch(async (err: unknown) => {
    signals.cancel()
    await shared?.close()
    throw err
  })
  io.stdout.write(banner(bound, keyPair, trust.authorizedKeys))
  if (shared !== undefined) io.stdout.write(`room ${shared.roomName} shared through Redis at ${shared.address.shown} (node ${shared.nodeId})\n`)
  if (values['ready-json'] === true) io.stdout.write(readyLine('server', bound, keyPair))
  const onHangup = (): void => { void reload(server, trust.authorizedKeys, admins, motdFile, io) }
  process.on('SIGHUP', onHangup)
  try {
    const signal = await signals.promise
    events?.close()
    io.stderr.write(`server: ${signal}: shutting down\n`)
    await server.close('the server is shutting down')
  } finally {
    process.removeListener('SIGHUP', onHangup)
    log?.end()
  }
  return EXIT_OK
}

/** One human line per event on stderr, as listen and tunnel print theirs, rate-limited under attack. */
function printEvents (server: ChatServer, io: CliIO): EventLineLimiter {
  const lines = new EventLineLimiter((line) => io.stderr.write(`server: ${line}\n`))
  server.on('log', (event: ChatServerLogEvent) => {
    const line = describeServerEvent(event)
    if (line !== undefined) lines.line(line)
  })
  return lines
}

/** With --redis: connect to it and load the shared room (a clear error naming the URL when Redis is not there). */
async function sharedRoom (values: { redis?: string, room?: string, heartbeat?: string, 'node-timeout'?: string }, historyLines: number, io: CliIO): Promise<RedisRoomNode | undefined> {
  if (values.redis === undefined) {
    for (const name of ['room', 'heartbeat', 'node-timeout'] as const) {
      if (values[name] !== undefined) throw new UsageError(`--${name} needs --redis URL`)
    }
    return undefined
  }
  const heartbeatMs = secondsOption(values.heartbeat, 'heartbeat', REDIS_HEARTBEAT_INTERVAL_MS)
  const nodeTimeoutMs = secondsOption(values['node-timeout'], 'node-timeout', REDIS_NODE_TIMEOUT_MS)
  if (heartbeatMs <= 0 || nodeTimeoutMs <= heartbeatMs) throw new UsageError('--node-timeout must be longer than --heartbeat, and --heartbeat above 0')
  return await RedisRoomNode.connect({
    url: values.redis,
    room: values.room,
    historyLines,
    heartbeatMs,
    nodeTimeoutMs,
    log: (text) => io.stderr.write(`server: ${text}\n`)
  })
}

/** Listen on `host`; the default `::` falls back to 0.0.0.0 on a system without IPv6. */
async function listen (server: ChatServer, host: string, port: number): Promise<{ host: string, port: number }> {
  try {
    return await server.listen(port, host)
  } catch (err) {
    const code = (err as { code?: string }).code
    if (host !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw err
    return await server.listen(port, '0.0.0.0')
  }
}

/** `--max-handshakes N[:PER_ADDRESS]`; PER_ADDRESS defaults to the smaller of N and the built-in share. */
function handshakeLimits (value: string | undefined): { total: number, perAddress: number } {
  if (value === undefined) return { total: MAX_PENDING_HANDSHAKES, perAddress: MAX_PENDING_HANDSHAKES_PER_ADDRESS }
  const match = /^(\d+)(?::(\d+))?$/.exec(value)
  const total = Number(match?.[1])
  const perAddress = match?.[2] === undefined ? Math.min(total, MAX_PENDING_HANDSHAKES_PER_ADDRESS) : Number(match[2])
  if (match === null || total < 1 || total > 1_000_000 || perAddress < 1 || perAddress > total) {
    throw new UsageError(`--max-handshakes '${value}' must be N or N:PER_ADDRESS with 1 <= PER_ADDRESS <= N, like ${MAX_PENDING_HANDSHAKES}:${MAX_PENDING_HANDSHAKES_PER_ADDRESS}`)
  }
  return { total, perAddress }
}

/** Where nicks and bans live by default: the XDG state folder. */
export function defaultStateDir (env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_STATE_HOME']
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, STATE_DIR_NAME)
  const home = env['HOME'] !== undefined && env['HOME'] !== '' ? env['HOME'] : os.homedir()
  return join(home, '.local', 'state', STATE_DIR_NAME)
}

/** Nicks reserved by the names in authorized keys and admins (names that are valid nicks). */
function reservedNicks (...files: Array<AuthorizedKeys | undefined>): ReservedNick[] {
  const reserved: ReservedNick[] = []
  for (const file of files) {
    for (const entry of file?.entries ?? []) {
      if (entry.name !== undefined && nickProblem(entry.name) === undefined) reserved.push({ nick: entry.name, publicKey: entry.publicKey })
    }
  }
  return reserved
}

async function readMotd (file: string): Promise<string[]> {
  const lines = (await readSmallFile(file)).text.split(/\r?\n/)
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop()
  return lines
}

/** SIGHUP: re-read the key files and the MOTD; a file that fails keeps its old contents. */
async function reload (server: ChatServer, authorized: AuthorizedKeys | undefined, admins: AuthorizedKeys | undefined, motdFile: string | undefined, io: CliIO): Promise<void> {
  for (const file of [authorized, admins]) {
    if (file === undefined) continue
    try {
      const change = await file.reload()
      io.stderr.write(`server: reloaded ${file.file}: ${change.added.length} added, ${change.removed.length} removed\n`)
    } catch (err) {
      io.stderr.write(`server: kept the previous ${file.file}: ${(err as Error).message}\n`)
    }
  }
  server.setReserved(reservedNicks(authorized, admins))
  try {
    await server.room.bans.reload()
  } catch (err) {
    io.stderr.write(`server: kept the previous bans: ${(err as Error).message}\n`)
  }
  // A reload revokes: members whose key is no longer authorized, or now banned, leave at once.
  for (const d of await server.revalidate()) {
    io.stderr.write(`server: disconnected ${d.nick ?? 'a member'} (${d.fingerprint}): ${d.reason}\n`)
  }
  if (motdFile === undefined) return
  try {
    server.setMotd(await readMotd(motdFile))
    io.stderr.write(`server: reloaded ${motdFile}\n`)
  } catch (err) {
    io.stderr.write(`server: kept the previous MOTD: ${(err as Error).message}\n`)
  }
}

/** What the server prints on start: where, its key, who may join, and the exact command that connects with the key pinned. */
function banner (bound: { host: string, port: number }, keyPair: KeyPair, authorized: AuthorizedKeys | undefined): string {
  const wildcard = bound.host === '::' || bound.host === '0.0.0.0'
  const shown = (h: string): string => h.includes(':') ? `[${h}]:${bound.port}` : `${h}:${bound.port}`
  const target = shown(wildcard ? '127.0.0.1' : bound.host)
  const key = encodePublicKey(keyPair.publicKey)
  return [
    `noise-chat server listening on ${shown(bound.host)}${wildcard ? ' (every interface)' : ''}`,
    `public key: ${key}`,
    `fingerprint: ${fingerprint(keyPair.publicKey)}`,
    authorized === undefined
      ? 'members: any key (give --authorized-keys FILE to allow only listed keys)'
      : `members: the ${authorized.size} keys in ${authorized.file}`,
    `connect with: noise-chat connect ${target} --server-key ${key}`,
    ...(wildcard ? ['(from another machine, put this machine\'s address in place of 127.0.0.1)'] : []),
    ''
  ].join('\n')
}

/**
 * Create the state directory if needed and check that it can be written,
 * at start: otherwise nick bindings and bans would be lost later, with the
 * room already running.
 */
async function checkStateDir (dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await access(dir, fsConstants.W_OK)
  } catch (err) {
    throw cannotWrite('the state directory', dir, err, '; give another with --state-dir DIR')
  }
}

/**
 * Open the --log file before listening, so a path that cannot be written
 * is a clear error at start. A write that fails later (a full disk) stops
 * the log with one line on stderr; it never takes the room down.
 */
async function openLog (file: string, io: CliIO): Promise<WriteStream> {
  const handle = await open(file, 'a', 0o600).catch((err: unknown) => { throw cannotWrite('the log file', file, err) })
  const log = createWriteStream(file, { fd: handle })
  log.on('error', (err: Error) => {
    io.stderr.write(`server: could not write the log file '${file}': ${systemReason(err)}; logging stopped, the room goes on\n`)
  })
  return log
}

/** "cannot write WHAT 'PATH': permission denied", keeping the system code (and so the exit code). */
function cannotWrite (what: string, path: string, err: unknown, hint = ''): Error {
  return Object.assign(new Error(`cannot write ${what} '${path}': ${systemReason(err)}${hint}`, { cause: err }), { code: errorCode(err) || undefined })
}

/** "EACCES: permission denied, open '/x'" -> "permission denied". */
function systemReason (err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+(?: '[^']*')*$/, '')
}

function writeLog (log: WriteStream, event: ChatServerLogEvent, withText: boolean): void {
  if (log.destroyed) return
  const { text, ...rest } = event
  const entry = withText && text !== undefined ? { time: new Date().toISOString(), ...rest, text } : { time: new Date().toISOString(), ...rest }
  log.write(JSON.stringify(entry) + '\n')
}

/** `noise-chat server`: the encrypted chat room. */
export const serverCommand: CliCommand = {
  name: 'server',
  summary: 'run an encrypted chat room (members are keys; nicks bound to keys)',
  usage: USAGE,
  run
}
