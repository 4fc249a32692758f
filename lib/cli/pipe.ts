import { EXIT_OK, HANDSHAKE_TIMEOUT_MS, TOOL_CONNECT_TIMEOUT_MS } from '../constants.js'
import { fingerprint } from '../secure/keypair.js'
import type { SecureStream } from '../secure/secure-stream.js'
import { connectSecure, pipeStreams } from '../tools/pipe.js'
import { formatHostPort, parseTarget } from '../net/host-port.js'
import { parseOptions, secondsOption } from './parse-options.js'
import { interruptible } from './interrupt.js'
import { INITIATOR_KEY_OPTIONS, INITIATOR_KEY_USAGE, checkInitiatorFlags, initiatorTrust, loadInitiatorKey } from './tool-identity.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat pipe HOST:PORT [options]

Like ncat, through a secure stream: connects to a 'noise-chat listen' (or
any noise-chat server), sends stdin and writes what arrives to stdout,
byte for byte, any size. The end of stdin is sent as an authenticated END.

Exits 0 only when the peer's END arrived too: a transfer that exits 0 is
complete. A stream that was truncated, aborted or tampered with exits
non-zero with the reason on stderr (exit codes in the README). Before
anything is sent, the server's key is checked as ssh checks host keys.

Options:
${INITIATOR_KEY_USAGE}
  --connect-timeout SEC  give up connecting after SEC seconds (default ${TOOL_CONNECT_TIMEOUT_MS / 1000})
  --handshake-timeout SEC
                         give up the handshake after SEC seconds (default ${HANDSHAKE_TIMEOUT_MS / 1000})
  -v, --verbose          say on stderr whom we talk to and how many bytes went each way

Speaking lines over the stream, it is also a bare client of the chat
server: each line of stdin is a line typed in the room.

Examples:
  noise-chat pipe files.example.org:7000 --server-key SHA256:... < backup.tar
  tar c photos | noise-chat pipe 192.0.2.7:7000 --accept-new
  echo '/names' | noise-chat pipe chat.example.org:7373 --strict
`

async function run (args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    ...INITIATOR_KEY_OPTIONS,
    'connect-timeout': { type: 'string' },
    'handshake-timeout': { type: 'string' },
    verbose: { type: 'boolean', short: 'v' }
  }, { names: ['HOST:PORT'], min: 1 })
  const target = parseTarget(positionals[0]!, 'HOST:PORT')
  const connectTimeout = secondsOption(values['connect-timeout'], 'connect-timeout', TOOL_CONNECT_TIMEOUT_MS)
  const handshakeTimeout = secondsOption(values['handshake-timeout'], 'handshake-timeout', HANDSHAKE_TIMEOUT_MS)
  checkInitiatorFlags(values)
  const keyPair = await loadInitiatorKey(values.key, io)
  const trust = initiatorTrust(target, values, keyPair, io, true)

  let secure: SecureStream | undefined
  return interruptible(io, () => secure, async () => {
    secure = await trust.open((verify) => connectSecure(target, { keyPair, verify, connectTimeout, handshakeTimeout }))
    if (values.verbose === true) {
      io.stderr.write(`pipe: connected to ${formatHostPort(target)}, server key ${fingerprint(secure.remotePublicKey!)}\n`)
    }
    const totals = await pipeStreams(secure, io.stdin, io.stdout)
    if (values.verbose === true) io.stderr.write(`pipe: complete, ${totals.sent} bytes sent, ${totals.received} bytes received\n`)
    return EXIT_OK
  })
}

/** `noise-chat pipe`: stdin and stdout through a secure stream, as a client. */
export const pipeCommand: CliCommand = {
  name: 'pipe',
  summary: 'send stdin to a listener through a secure stream, print what comes back (like ncat)',
  usage: USAGE,
  run
}
