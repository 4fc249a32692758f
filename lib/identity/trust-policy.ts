import { UsageError, isNoiseChatError } from '../errors.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { SERVER_FINGERPRINT_COMMAND, hostKeyVerifier, parseHostKeyPin } from './host-key-verifier.js'
import type { AskHostKey, HostKeyPolicy, HostKeyVerifierOptions, RecordedHostKey } from './host-key-verifier.js'
import { openWithHostKeyPolicy, type OpenWithVerifier } from './open-with-host-key.js'
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
  /** Wraps the key check before a stream gets it (see OpenWithHostKeyOptions.wrap). */
  wrap?: (verify: VerifyRemoteKey) => VerifyRemoteKey
  /** Told when a key accepted could not be recorded (see OpenWithHostKeyOptions.onRecordError). */
  onRecordError?: (err: Error) => void
}

/** The trust options turned into a policy and a way to open connections under it. */
export interface HostKeyTrust {
  policy: HostKeyPolicy
  knownHostsFile: string
  /** Open a connection under the policy: asks outside the handshake, records only once the stream opened (openWithHostKeyPolicy). */
  open: <T>(open: OpenWithVerifier<T>) => Promise<T>
}

/**
 * The initiator's trust from the trust options: chooseHostKeyPolicy, the
 * known hosts file defaulting to `$XDG_CONFIG_HOME/noise-chat/known_hosts`,
 * and openWithHostKeyPolicy. Throws a UsageError for bad options before
 * anything connects.
 */
export function trustFromOptions (target: TrustTarget, options: TrustOptions): HostKeyTrust {
  const verifierOptions = verifierOptionsFrom(target, options)
  const wrap = target.wrap
  return {
    policy: verifierOptions.policy,
    knownHostsFile: verifierOptions.knownHostsFile,
    open: (open) => openWithHostKeyPolicy({
      ...verifierOptions,
      ...(wrap === undefined ? {} : { wrap }),
      ...(target.onRecordError === undefined ? {} : { onRecordError: target.onRecordError })
    }, open)
  }
}

/**
 * The initiator's verify function for `host:port` from the trust options:
 * chooseHostKeyPolicy plus hostKeyVerifier (so `accept-new` records and
 * `ask` asks inside the handshake, racing its deadline: trustFromOptions
 * asks outside it and records only once a stream opened).
 * Throws a UsageError for bad options before anything connects.
 */
export function verifierFromTrustOptions (target: TrustTarget, options: TrustOptions): VerifyRemoteKey {
  const verify = hostKeyVerifier(verifierOptionsFrom(target, options))
  return target.wrap === undefined ? verify : target.wrap(verify)
}

function verifierOptionsFrom (target: TrustTarget, options: TrustOptions): HostKeyVerifierOptions {
  return {
    host: target.host,
    port: target.port,
    policy: chooseHostKeyPolicy(options),
    knownHostsFile: options.knownHostsFile ?? defaultPaths(target.env).knownHostsFile,
    ...(target.onRecord === undefined ? {} : { onRecord: target.onRecord })
  }
}

function checkPin (pin: string): void {
  try {
    parseHostKeyPin(pin)
  } catch (err) {
    if (!isNoiseChatError(err, 'ERR_KEY_INVALID')) throw err
    throw new UsageError(`--server-key '${pin}' is neither a public key (44 characters of base64) nor a full SHA256: fingerprint. Copy it from the output of '${SERVER_FINGERPRINT_COMMAND}' on the server.`)
  }
}
