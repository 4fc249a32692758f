import { resolve } from 'node:path'
import { EXIT_FAILURE, EXIT_OK } from '../constants.js'
import { formatHost, formatHostPort, parseHostPort } from '../net/host-port.js'
import { forgetKnownHost } from '../identity/known-hosts.js'
import { defaultPaths } from '../identity/paths.js'
import { parseOptions } from './parse-options.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat forget HOST[:PORT] [--known-hosts FILE]

Remove a server's entries from your known hosts (like ssh-keygen -R), so
that its next key is treated as a first-time key. This is the only way past
a changed server key: do it only once the server's operator has confirmed
the new fingerprint. With a port, only that port's entries are removed;
without one, the entries for every port of HOST.

Options:
  --known-hosts FILE   the known hosts file
                       (default: $XDG_CONFIG_HOME/noise-chat/known_hosts)

Prints each removed line. Exits 1 when HOST has no entry.

Examples:
  noise-chat forget chat.example.org:7777
  noise-chat forget chat.example.org
  noise-chat forget '[::1]:7777' --known-hosts ./known_hosts
`

async function run (args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    'known-hosts': { type: 'string' }
  }, { names: ['HOST[:PORT]'], min: 1 })
  const target = parseHostPort(positionals[0]!)
  const given = values['known-hosts']
  const file = given === undefined ? defaultPaths(io.env).knownHostsFile : resolve(given)
  const shown = target.port === undefined ? formatHost(target.host) : formatHostPort(target.host, target.port)
  const removed = await forgetKnownHost(file, target.host, target.port)
  if (removed.length === 0) {
    io.stderr.write(`noise-chat forget: ${shown} is not in ${file}; nothing was removed\n`)
    return EXIT_FAILURE
  }
  const lines = removed.map((r) => `  line ${r.line}: ${r.text}`)
  io.stdout.write(`Removed ${removed.length === 1 ? 'this entry' : `${removed.length} entries`} for ${shown} from ${file}:\n${lines.join('\n')}\n`)
  return EXIT_OK
}

/** `noise-chat forget`: remove a server from known hosts. */
export const forgetCommand: CliCommand = {
  name: 'forget',
  summary: 'remove a server from known hosts (after a confirmed key change)',
  usage: USAGE,
  run
}
