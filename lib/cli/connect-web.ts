import { CHAT_SHUTDOWN_GRACE_MS, EXIT_OK } from '../constants.js'
import { UsageError } from '../errors.js'
import type { ChatClientOptions } from '../chat/client.js'
import type { AskHostKey } from '../identity/host-key-verifier.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { WebChat } from '../web/web-chat.js'
import type { Refusal } from '../web/bridge.js'
import { openUrl } from './open-url.js'
import type { CliIO } from './command.js'

/** What `--web` and `--open` asked for. */
export interface WebFlags {
  /** Port on 127.0.0.1 for the page (0: any free one); undefined without --web. */
  port: number | undefined
  open: boolean
  /** The other arguments, for the usual option parsing. */
  rest: string[]
}

/** Usage lines of the web flags. */
export const WEB_USAGE = `  --web [[127.0.0.1:]PORT]
                         show the room in a browser page instead of the terminal: serves it on
                         127.0.0.1 (PORT, default any free one) and prints its URL, with a token
  --open                 with --web: open that URL in the browser ($BROWSER, else xdg-open)`

/**
 * Take `--web`, `--web=ADDR`, `--web ADDR` and `--open` out of `args`.
 * `--web` takes the next argument only when it is a port, or
 * 127.0.0.1:PORT / localhost:PORT after the chat server was named: so
 * `connect --web localhost:7373` still means the chat server.
 */
export function takeWebFlags (args: string[]): WebFlags {
  const rest: string[] = []
  let port: number | undefined
  let open = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') {
      rest.push(...args.slice(i))
      break
    }
    if (arg === '--open') {
      open = true
    } else if (arg.startsWith('--web=')) {
      port = webPort(arg.slice('--web='.length))
    } else if (arg === '--web') {
      const next = args[i + 1]
      const targetGiven = rest.some((a) => !a.startsWith('-'))
      if (next !== undefined && (/^\d+$/.test(next) || (targetGiven && /^(127\.0\.0\.1|localhost):\d+$/i.test(next)))) {
        port = webPort(next)
        i++
      } else {
        port = 0
      }
    } else {
      rest.push(arg)
    }
  }
  if (open && port === undefined) throw new UsageError('--open goes with --web (it opens the web page in a browser)')
  return { port, open, rest }
}

/** The port of `--web ADDR`: PORT, 127.0.0.1:PORT or localhost:PORT; the page is never served beyond this machine. */
function webPort (value: string): number {
  const m = /^(?:(127\.0\.0\.1|localhost):)?(\d{1,5})$/i.exec(value)
  if (m === null || Number(m[2]) > 65535) {
    throw new UsageError(`--web '${value}' must be PORT or 127.0.0.1:PORT (the page is served on this machine only)`)
  }
  return Number(m[2])
}

/**
 * `connect --web`: the chat connection of the terminal client, shown in a
 * local page. `verifier` builds the same verify function as the terminal's,
 * asking through the page. Resolves EXIT_OK after leaving cleanly; throws
 * the error that ended the chat otherwise (main turns it into the exit code).
 */
export async function runWeb (options: ChatClientOptions, serverAddress: string, verifier: (ask: AskHostKey) => VerifyRemoteKey, flags: WebFlags, io: CliIO): Promise<number> {
  const { verify: _terminalVerify, ...chat } = options
  const web = new WebChat({ chat, verifier, serverAddress, bridge: { port: flags.port ?? 0 } })
  web.on('refused', (r: Refusal) => {
    io.stderr.write(`noise-chat connect: the web page refused a request (${r.code}; Host ${r.host ?? 'none'}, Origin ${r.origin ?? 'none'})\n`)
  })
  await web.listen()
  io.stdout.write(`noise-chat: the room is at ${web.url}\n`)
  io.stdout.write('Open it in a browser on this machine (the part after # is the key to it). Ctrl-C leaves.\n')
  if (flags.open) openUrl(web.url, io)

  let forced: NodeJS.Timeout | undefined
  const leave = (): void => {
    web.leave()
    forced ??= setTimeout(() => process.exit(EXIT_OK), CHAT_SHUTDOWN_GRACE_MS + 1000)
    forced.unref()
  }
  process.on('SIGINT', leave)
  process.on('SIGTERM', leave)
  process.on('SIGHUP', leave)
  try {
    const err = await web.run()
    if (err !== null) throw err
    return EXIT_OK
  } finally {
    clearTimeout(forced)
    process.removeListener('SIGINT', leave)
    process.removeListener('SIGTERM', leave)
    process.removeListener('SIGHUP', leave)
  }
}
