import { UsageError, isNoiseChatError } from '../errors.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { hostKeyVerifier, parseHostKeyPin } from './host-key-verifier.js'
import type { AskHostKey, HostKeyPolicy, RecordedHostKey } from './host-key-verifier.js'
import { defaultPaths } from './paths.js'

/**
 * The trust options every initiator command (chat client, pipe, tunnel)
 * takes, named after their flags: `--server-key KEY|FINGERPRINT`,
 * `--accept-new`, `--strict`, `--known-hosts FILE`.
 */
export interface TrustOptions {
  /** `--server-key`: pin the server to this base64 key or `SHA256:` fingerprint. */
  serverKey?: string | undefined
  /** `--accept-new`: record an unknown server's key on first use. */
  acceptNew?: boolean | undefined
  /** `--strict`: refuse unknown servers. */
  strict?: boolean | undefined
  /** `--known-hosts`: the known hosts file; default under the config folder. */
  knownHostsFile?: string | undefined
  /** Whether a person is at a terminal who can answer a question (usually stdin.isTTY && stderr.isTTY). */
  isTTY: boolean
  /** How to ask that person (see askOnTerminal); without it there is no asking. */
  ask?: AskHostKey | undefined
}

/**
 * Pick the host key policy from the trust options, in this order:
 * 1. `serverKey` given: pinned to it (a bad key or fingerprint is a UsageError quoting it);
 * 2. `acceptNew` or `strict` given (both at once is a UsageError);
 * 3. a terminal and an `ask` function: ask;
 * 4. otherwise strict: an unknown server is refused with a message that
 *    shows its fingerprint and names --server-key and --accept-new.
 * A changed key is refused under every policy but a pin (see HostKeyPolicy).
 */
export function chooseHostKeyPolicy (options: TrustOptions): HostKeyPolicy {
  if (options.serverKey !== undefined) {
    checkPin(options.serverKey)
    return { mode: 'pinned', pin: options.serverKey }
  }
  if (options.acceptNew === true && options.strict === true) {
    throw new UsageError('--accept-new and --strict contradict each other: --accept-new records unknown servers, --strict refuses them. Give one of them.')
  }
  if (options.acceptNew === true) return { mode: 'accept-new' }
  if (options.strict === true) return { mode: 'strict' }
  if (options.isTTY && options.ask !== undefined) return { mode: 'ask', ask: options.ask }
  return { mode: 'strict' }
}

export interface TrustTarget {
  host: string
  port: number
  /** Where the default known hosts file is looked up; default process.env. */
  env?: NodeJS.ProcessEnv
  /** Told when a new server key was recorded (accept-new, or a yes to ask). */
  onRecord?: (recorded: RecordedHostKey) => void
}

/**
 * The initiator's verify function for `host:port` from the trust options:
 * chooseHostKeyPolicy plus hostKeyVerifier, with the known hosts file
 * defaulting to `$XDG_CONFIG_HOME/noise-chat/known_hosts`. Throws a
 * UsageError for bad options before anything connects.
 */
export function verifierFromTrustOptions (target: TrustTarget, options: TrustOptions): VerifyRemoteKey {
  const policy = chooseHostKeyPolicy(options)
  const knownHostsFile = options.knownHostsFile ?? defaultPaths(target.env).knownHostsFile
  return hostKeyVerifier({
    host: target.host,
    port: target.port,
    policy,
    knownHostsFile,
    ...(target.onRecord === undefined ? {} : { onRecord: target.onRecord })
  })
}

function checkPin (pin: string): void {
  try {
    parseHostKeyPin(pin)
  } catch (err) {
    if (!isNoiseChatError(err, 'ERR_KEY_INVALID')) throw err
    throw new UsageError(`--server-key '${pin}' is neither a public key (44 characters of base64) nor a full SHA256: fingerprint. Copy it from the output of 'noise-chat fingerprint' on the server.`)
  }
}
