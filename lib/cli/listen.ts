import type { Socket } from 'node:net'
import {
  EXIT_OK, HANDSHAKE_TIMEOUT_MS, MAX_PENDING_HANDSHAKES_PER_ADDRESS, SECURE_LISTEN_HOST, TOOL_MAX_CONNECTIONS, TOOL_MAX_CONNECTIONS_PER_ADDRESS
} from '../constants.js'
import { fingerprint } from '../secure/keypair.js'
import type { SecureStream } from '../secure/secure-stream.js'
import { serveKeepOpen, serveOnePipe } from '../tools/listen.js'
import { SecureServer, type AcceptFailure } from '../secure/server.js'
import { formatHostPort, parseListen } from '../net/host-port.js'
import { integerOption, parseOptions, secondsOption } from './parse-options.js'
import { READY_JSON_OPTION, READY_JSON_USAGE, readyLine } from './ready-line.js'
import { interruptible } from './interrupt.js'
import { describeFailure, refusalLogger, remoteOf } from './tool-report.js'
import { RESPONDER_KEY_OPTIONS, RESPONDER_KEY_USAGE, loadResponderKey, reloadOnHangup, responderBanner, responderTrust } from './tool-identity.js'
import { waitForSignal } from './signals.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat listen [HOST:]PORT [options]

Like nc -l, through a secure stream: waits for one 'noise-chat pipe' (or
any noise-chat client) whose key it accepts, then sends stdin to it and
writes what arrives to stdout, byte for byte, any size. The end of stdin
is sent as an authenticated END.

Exits 0 only when the peer's END arrived too: a transfer that exits 0 is
complete. A stream that was truncated, aborted or tampered with exits
non-zero with the reason on stderr. Connections whose handshake fails or
whose key is refused are reported on stderr (the client is told why) and
do not count: listen goes on waiting.

HOST defaults to ${SECURE_LISTEN_HOST} (every interface: the stream authenticates
both ends). On start, stderr shows the key and the pipe command that pins it.

Options:
${RESPONDER_KEY_USAGE}
  --keep-open            serve every connection, not just one, until interrupted;
                         stdin goes to all connections open at the time
                         (as ncat --keep-open), what they send to stdout
  --max-connections N    with --keep-open, most connections at once (default ${TOOL_MAX_CONNECTIONS})
  --max-connections-per-address N
                         most connections from one address, an IPv6 /64 (default ${TOOL_MAX_CONNECTIONS_PER_ADDRESS};
                         0: no limit); handshakes in progress: ${MAX_PENDING_HANDSHAKES_PER_ADDRESS} per address
  --handshake-timeout SEC
                         drop a connection whose handshake takes longer (default ${HANDSHAKE_TIMEOUT_MS / 1000})
${READY_JSON_USAGE} (on stderr)

Examples:
  noise-chat listen 7000 > backup.tar
  noise-chat listen 127.0.0.1:7000 --authorized-keys ./authorized_keys < report.pdf
  noise-chat listen 7000 --keep-open --authorized-keys ./team
`

async function run (args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    ...RESPONDER_KEY_OPTIONS,
    'keep-open': { type: 'boolean' },
    'max-connections': { type: 'string' },
    'max-connections-per-address': { type: 'string' },
    'handshake-timeout': { type: 'string' },
    ...READY_JSON_OPTION
  }, { names: ['[HOST:]PORT'], min: 1 })
  const at = parseListen(positionals[0]!, SECURE_LISTEN_HOST, '[HOST:]PORT')
  const keepOpen = values['keep-open'] === true
  const maxConnections = integerOption(values['max-connections'], 'max-connections', TOOL_MAX_CONNECTIONS, 1, 1_000_000)
  const maxConnectionsPerSource = integerOption(values['max-connections-per-address'], 'max-connections-per-address', TOOL_MAX_CONNECTIONS_PER_ADDRESS, 0, 1_000_000)
  const handshakeTimeout = secondsOption(values['handshake-timeout'], 'handshake-timeout', HANDSHAKE_TIMEOUT_MS)
  const keyPair = await loadResponderKey(values.key, io)
  const trust = await responderTrust(values['authorized-keys'], keyPair)

  const acceptor = new SecureServer({ keyPair, verify: trust.verify, handshakeTimeout, maxConnections, maxConnectionsPerSource })
  // Rate-limited: under a flood, one line per kind of refusal every few seconds, with a count.
  const refusals = refusalLogger((line) => io.stderr.write(`listen: ${line}\n`))
  acceptor.on('failure', (f: AcceptFailure) => refusals.add(f))
  acceptor.on('refused', (f: AcceptFailure) => refusals.add(f))
  acceptor.on('stream', (secure: SecureStream, socket: Socket) => {
    io.stderr.write(`listen: connection from ${formatHostPort(remoteOf(socket))}, key ${fingerprint(secure.remotePublicKey!)}\n`)
  })
  const bound = await acceptor.listen(at)
  io.stderr.write(responderBanner('listening', bound, keyPair, trust, (target, key) => `noise-chat pipe ${target} --server-key ${key}`))
  if (values['ready-json'] === true) io.stderr.write(readyLine('listen', bound, keyPair))
  const reload = trust.authorizedKeys === undefined ? undefined : reloadOnHangup(trust.authorizedKeys, io, 'listen')

  try {
    if (keepOpen) return await runKeepOpen(acceptor, io)
    let current: SecureStream | undefined
    acceptor.once('stream', (secure: SecureStream) => { current = secure })
    return await interruptible(io, () => current, async () => {
      await serveOnePipe(acceptor, io.stdin, io.stdout)
      return EXIT_OK
    })
  } finally {
    reload?.()
    acceptor.stopAccepting()
    refusals.flush()
  }
}

async function runKeepOpen (acceptor: SecureServer, io: CliIO): Promise<number> {
  const stop = new AbortController()
  const signals = waitForSignal(['SIGINT', 'SIGTERM'])
  signals.promise.then(() => stop.abort(), () => {})
  await serveKeepOpen(acceptor, io.stdin, io.stdout, stop.signal, (secure, err) => {
    const who = fingerprint(secure.remotePublicKey!)
    io.stderr.write(err === null ? `listen: ${who} finished\n` : `listen: ${who} failed: ${describeFailure(err)}\n`)
  })
  signals.cancel()
  return EXIT_OK
}

/** `noise-chat listen`: stdin and stdout through a secure stream, as a server. */
export const listenCommand: CliCommand = {
  name: 'listen',
  summary: 'wait for a pipe, send it stdin, print what it sends (like nc -l)',
  usage: USAGE,
  run
}
