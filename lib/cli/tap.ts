import { once } from 'node:events'
import { Tap } from '../tools/tap.js'
import { EXIT_OK, PLAINTEXT_LISTEN_HOST } from '../constants.js'
import { UsageError } from '../errors.js'
import { formatHostPort, parseListen, parseTarget } from '../net/host-port.js'
import { parseOptions } from './parse-options.js'
import { waitForSignal } from './signals.js'
import type { CliCommand, CliIO } from './command.js'

const USAGE = `Usage: noise-chat tap --listen [HOST:]PORT --to HOST:PORT [--out FILE] [--quiet]

The eavesdropper's view. A TCP forwarding proxy: every connection accepted
on --listen is relayed, unchanged and in both directions, to --to, and
everything that passes is printed as tcpdump -X prints packets: the
connection, the direction (-> client to server, <- server to client), then
offset, hex and printable ASCII. Put it between a client and a server to see
what anyone on the network path sees.

Options:
  --listen [HOST:]PORT   where to accept connections (HOST defaults to 127.0.0.1)
  --to HOST:PORT         where to relay each connection
  --out FILE             also write the report to FILE
  --quiet                print only connection lines on stdout (the full
                         dump still goes to --out)

Runs until interrupted (Ctrl-C or SIGTERM).

Examples:
  noise-chat tap --listen 7001 --to 127.0.0.1:7000
  noise-chat tap --listen 127.0.0.1:7001 --to 127.0.0.1:7000 --out tap.log --quiet
`

async function run (args: string[], io: CliIO): Promise<number> {
  const { values } = parseOptions(args, {
    listen: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
    quiet: { type: 'boolean' }
  }, { names: [], min: 0 })
  if (values.listen === undefined) throw new UsageError('--listen [HOST:]PORT is required')
  if (values.to === undefined) throw new UsageError('--to HOST:PORT is required')
  const listen = parseListen(values.listen, PLAINTEXT_LISTEN_HOST, '--listen')
  const to = parseTarget(values.to, '--to')

  const quiet = values.quiet === true
  const tap = new Tap({ listen, to, output: quiet ? undefined : io.stdout, outFile: values.out })
  let fileError: Error | undefined
  tap.on('error', (err: Error) => { fileError = err })
  if (quiet) {
    tap.on('connection', (id: number, client: { host: string, port: number }) => io.stdout.write(`[#${id}] open from ${formatHostPort(client)}\n`))
    tap.on('close', (id: number) => io.stdout.write(`[#${id}] closed\n`))
  }
  const bound = await tap.listen()
  io.stderr.write(`tap: listening on ${formatHostPort(bound)}, relaying to ${formatHostPort(to)}${values.out === undefined ? '' : `, report in ${values.out}`}\n`)
  const stop = waitForSignal(['SIGINT', 'SIGTERM'])
  const failed = once(tap, 'error')
  await Promise.race([stop.promise, failed])
  stop.cancel()
  await tap.close()
  if (fileError !== undefined) throw fileError
  return EXIT_OK
}

/** `noise-chat tap`: the eavesdropper. */
export const tapCommand: CliCommand = {
  name: 'tap',
  summary: 'relay TCP unchanged and show what an eavesdropper sees (tcpdump -X style)',
  usage: USAGE,
  run
}
