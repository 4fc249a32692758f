import {
  EXIT_OK, HANDSHAKE_TIMEOUT_MS, MAX_PENDING_HANDSHAKES_PER_ADDRESS, PLAINTEXT_LISTEN_HOST, TOOL_CONNECT_TIMEOUT_MS,
  TOOL_MAX_CONNECTIONS, TOOL_MAX_CONNECTIONS_PER_ADDRESS, TUNNEL_DRAIN_TIMEOUT_MS, TUNNEL_SERVER_LISTEN_HOST
} from '../constants.js'
import { UsageError } from '../errors.js'
import { fingerprint } from '../secure/keypair.js'
import { TunnelClient, TunnelServer, type TunnelConnectionEnd } from '../tools/tunnel.js'
import type { AcceptFailure } from '../secure/server.js'
import { formatHostPort, parseListen, parseTarget, type HostPort } from '../net/host-port.js'
import { integerOption, parseOptions, secondsOption } from './parse-options.js'
import { READY_JSON_OPTION, READY_JSON_USAGE, readyLine } from './ready-line.js'
import { waitForSignal } from './signals.js'
import { describeFailure, refusalLogger } from './tool-report.js'
import {
  INITIATOR_KEY_OPTIONS, INITIATOR_KEY_USAGE, RESPONDER_KEY_OPTIONS, RESPONDER_KEY_USAGE, checkInitiatorFlags, initiatorVerifier,
  loadInitiatorKey, loadResponderKey, reloadOnHangup, responderBanner, responderTrust
} from './tool-identity.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat tunnel client --listen [HOST:]PORT --to HOST:PORT [options]
       noise-chat tunnel server --listen [HOST:]PORT --to HOST:PORT [options]

A secure tunnel for any TCP service, in the manner of spiped:

  app --TCP--> tunnel client ==secure stream==> tunnel server --TCP--> service

The client end accepts plaintext connections (on 127.0.0.1 unless a HOST
is given) and carries each through its own secure stream to the server
end, which connects to the service. A half-close passes through as END, so
protocols that shut down one direction keep working; a broken stream
resets the plaintext connection rather than ending it cleanly.

Unlike spiped's shared secret, the two ends have distinct keys: the client
end checks the server's key (pinned or known hosts) before it sends
anything, the server end can require authorized client keys, and no
client key can pose as the server.

Common options:
  --listen [HOST:]PORT    where this end accepts connections
  --to HOST:PORT          where it forwards them (client: the tunnel server;
                          server: the service)
  --max-connections N     most connections at once (default ${TOOL_MAX_CONNECTIONS})
  --connect-timeout SEC   give up connecting onward after SEC seconds (default ${TOOL_CONNECT_TIMEOUT_MS / 1000})
  --handshake-timeout SEC give up a handshake after SEC seconds (default ${HANDSHAKE_TIMEOUT_MS / 1000})
  --drain-timeout SEC     on SIGTERM or SIGINT, stop accepting and let open
                          connections finish this long (default ${TUNNEL_DRAIN_TIMEOUT_MS / 1000});
                          a second signal cuts them at once
  --quiet                 log only failures (default: one line per connection)
${READY_JSON_USAGE}

Client end:
${INITIATOR_KEY_USAGE}

Server end (HOST of --listen defaults to ${TUNNEL_SERVER_LISTEN_HOST}, this machine only: the server
hands whoever its key check lets in a connection to the service, so to
face the network write it out, --listen 0.0.0.0:PORT, ideally with
--authorized-keys):
${RESPONDER_KEY_USAGE}
  --max-connections-per-address N
                          most connections from one address, an IPv6 /64
                          (default ${TOOL_MAX_CONNECTIONS_PER_ADDRESS}; 0: no limit). Handshakes in progress are
                          bounded too: ${MAX_PENDING_HANDSHAKES_PER_ADDRESS} per address, and past the connection
                          limit the oldest handshake is dropped for a newcomer

Examples:
  noise-chat tunnel server --listen 0.0.0.0:8443 --to 127.0.0.1:5432 --authorized-keys ./clients
  noise-chat tunnel client --listen 5432 --to db.example.org:8443 --server-key SHA256:...
`

const TUNNEL_OPTIONS = {
  ...INITIATOR_KEY_OPTIONS,
  ...RESPONDER_KEY_OPTIONS,
  listen: { type: 'string' },
  to: { type: 'string' },
  'max-connections': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'drain-timeout': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
  quiet: { type: 'boolean' },
  ...READY_JSON_OPTION
} as const

const CLIENT_ONLY = ['server-key', 'accept-new', 'strict', 'known-hosts'] as const
const SERVER_ONLY = ['authorized-keys', 'max-connections-per-address'] as const

async function run (args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseOptions(args, TUNNEL_OPTIONS, { names: ['client|server'], min: 1 })
  const role = positionals[0]!
  if (role !== 'client' && role !== 'server') {
    throw new UsageError(`the first argument is the end to run, 'client' or 'server', not '${role}'`)
  }
  for (const name of role === 'client' ? SERVER_ONLY : CLIENT_ONLY) {
    if (values[name] !== undefined) throw new UsageError(`--${name} is an option of the ${role === 'client' ? 'server' : 'client'} end`)
  }
  if (values.listen === undefined) throw new UsageError('--listen [HOST:]PORT is required')
  if (values.to === undefined) throw new UsageError('--to HOST:PORT is required')
  const listen = parseListen(values.listen, role === 'client' ? PLAINTEXT_LISTEN_HOST : TUNNEL_SERVER_LISTEN_HOST, '--listen')
  const to = parseTarget(values.to, '--to')
  const limits = {
    maxConnections: integerOption(values['max-connections'], 'max-connections', TOOL_MAX_CONNECTIONS, 1, 1_000_000),
    connectTimeout: secondsOption(values['connect-timeout'], 'connect-timeout', TOOL_CONNECT_TIMEOUT_MS),
    handshakeTimeout: secondsOption(values['handshake-timeout'], 'handshake-timeout', HANDSHAKE_TIMEOUT_MS)
  }
  const drainMs = secondsOption(values['drain-timeout'], 'drain-timeout', TUNNEL_DRAIN_TIMEOUT_MS)
  const log = logger(io, `tunnel ${role}`, values.quiet === true)

  if (role === 'client') {
    checkInitiatorFlags(values)
    const keyPair = await loadInitiatorKey(values.key, io)
    const verify = initiatorVerifier(to, values, keyPair, io, false)
    const tunnel = new TunnelClient({ keyPair, verify, listen, to, ...limits })
    wireLogs(tunnel, log)
    const bound = await tunnel.listen()
    io.stderr.write(`tunnel client: plaintext on ${formatHostPort(bound)}, secure to ${formatHostPort(to)}, key ${fingerprint(keyPair.publicKey)}\n`)
    if (values['ready-json'] === true) io.stderr.write(readyLine('tunnel client', bound, keyPair))
    return serveUntilSignal(tunnel, drainMs, io)
  }

  const keyPair = await loadResponderKey(values.key, io)
  const trust = await responderTrust(values['authorized-keys'], keyPair)
  const maxConnectionsPerAddress = integerOption(values['max-connections-per-address'], 'max-connections-per-address', TOOL_MAX_CONNECTIONS_PER_ADDRESS, 0, 1_000_000)
  const tunnel = new TunnelServer({ keyPair, verify: trust.verify, listen, to, ...limits, maxConnectionsPerAddress })
  wireLogs(tunnel, log)
  // Rate-limited: under a flood, one line per kind of refusal every few seconds, with a count.
  const refusals = refusalLogger((line) => log.failure(line))
  tunnel.on('refused', (f: AcceptFailure) => refusals.add(f))
  const bound = await tunnel.listen()
  io.stderr.write(responderBanner('tunnel server: secure', bound, keyPair, trust,
    (target, key) => `noise-chat tunnel client --listen PORT --to ${target} --server-key ${key}`) +
    `forwarding to ${formatHostPort(to)}\n`)
  if (values['ready-json'] === true) io.stderr.write(readyLine('tunnel server', bound, keyPair))
  const stopReload = trust.authorizedKeys === undefined ? undefined : reloadOnHangup(trust.authorizedKeys, io, 'tunnel server')
  try {
    return await serveUntilSignal(tunnel, drainMs, io)
  } finally {
    refusals.flush()
    stopReload?.()
  }
}

/** Serve until SIGTERM/SIGINT, then drain; a second signal cuts what is left at once. */
async function serveUntilSignal (tunnel: TunnelClient | TunnelServer, drainMs: number, io: CliIO): Promise<number> {
  const first = waitForSignal(['SIGINT', 'SIGTERM'])
  const signal = await first.promise
  io.stderr.write(`${signal}: no new connections; letting open ones finish (at most ${drainMs / 1000} s)\n`)
  const second = waitForSignal(['SIGINT', 'SIGTERM'])
  const drained = tunnel.drain(drainMs)
  const cut = await Promise.race([drained, second.promise.then(() => tunnel.drain(0))])
  second.cancel()
  io.stderr.write(cut === 0 ? 'all connections finished\n' : `cut ${cut} connection(s) still open\n`)
  return EXIT_OK
}

interface Log {
  info (line: string): void
  failure (line: string): void
}

function logger (io: CliIO, who: string, quiet: boolean): Log {
  return {
    info: (line) => { if (!quiet) io.stderr.write(`${who}: ${line}\n`) },
    failure: (line) => { io.stderr.write(`${who}: ${line}\n`) }
  }
}

function wireLogs (tunnel: TunnelClient | TunnelServer, log: Log): void {
  tunnel.on('open', (o: { id: number, remote: HostPort, remotePublicKey?: Buffer }) => {
    const key = o.remotePublicKey === undefined ? '' : `, key ${fingerprint(o.remotePublicKey)}`
    log.info(`[#${o.id}] open from ${formatHostPort(o.remote)}${key}`)
  })
  tunnel.on('close', (c: TunnelConnectionEnd) => {
    if (c.error === null) log.info(`[#${c.id}] closed cleanly (${c.totals.sealed} bytes plaintext->secure, ${c.totals.opened} bytes secure->plaintext)`)
    else log.failure(`[#${c.id}] failed: ${describeFailure(c.error)}`)
  })
  tunnel.on('full', (remote: HostPort) => log.failure(`refused ${formatHostPort(remote)}: connection limit reached`))
}

/** `noise-chat tunnel`: spiped-style secure tunnel, client and server ends. */
export const tunnelCommand: CliCommand = {
  name: 'tunnel',
  summary: 'carry any TCP service through secure streams (client and server ends, like spiped)',
  usage: USAGE,
  run
}
