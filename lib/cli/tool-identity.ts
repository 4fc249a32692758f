import { join, resolve } from 'node:path'
import { DEFAULT_SERVER_KEY_FILE } from '../constants.js'
import { AuthorizedKeys } from '../identity/authorized-keys.js'
import { askOnTerminal } from '../identity/host-key-prompt.js'
import type { AskHostKey } from '../identity/host-key-verifier.js'
import { createdKeyMessage, loadKeyPair, loadOrCreateKeyPair } from '../identity/key-file.js'
import { identityError, isNoiseChatError } from '../errors.js'
import { shellQuote } from '../identity/shell-quote.js'
import { encodePublicKey, fingerprint, samePublicKey, type KeyPair } from '../secure/keypair.js'
import { defaultPaths } from '../identity/paths.js'
import { chooseHostKeyPolicy, trustFromOptions, verifierFromTrustOptions, type HostKeyTrust, type TrustOptions, type TrustTarget } from '../identity/trust-policy.js'
import { acceptAnyKey, type VerifyRemoteKey } from '../secure/options.js'
import type { CliIO } from './command.js'
import { formatHostPort, type HostPort } from '../net/host-port.js'

/*
 * Keys and trust for the tool commands, from their flags. The connecting
 * commands (pipe, tunnel client) take the chat client's flags, the
 * listening ones (listen, tunnel server) the chat server's, and the two
 * roles default to different key files (id_x25519 and server_x25519), so
 * a client's key is never, by accident, also the server's.
 */

/** Option table of the connecting commands' key and trust flags, for parseOptions. */
export const INITIATOR_KEY_OPTIONS = {
  key: { type: 'string' },
  'server-key': { type: 'string' },
  'accept-new': { type: 'boolean' },
  strict: { type: 'boolean' },
  'known-hosts': { type: 'string' }
} as const

/** Option table of the listening commands' key and trust flags, for parseOptions. */
export const RESPONDER_KEY_OPTIONS = {
  key: { type: 'string' },
  'authorized-keys': { type: 'string' }
} as const

/** Usage lines for INITIATOR_KEY_OPTIONS. */
export const INITIATOR_KEY_USAGE = `  --key FILE             your private key; FILE must exist (make one with noise-chat keygen -f FILE)
                         (default: $XDG_CONFIG_HOME/noise-chat/id_x25519, created on first use)
  --server-key KEY|FINGERPRINT
                         accept only this server key (base64, or SHA256:...)
  --accept-new           record an unknown server's key in known hosts on first use
  --strict               refuse a server that is not in known hosts
  --known-hosts FILE     known hosts file (default: $XDG_CONFIG_HOME/noise-chat/known_hosts)`

/** Usage lines for RESPONDER_KEY_OPTIONS. */
export const RESPONDER_KEY_USAGE = `  --key FILE             this end's private key; FILE must exist (noise-chat keygen -f FILE makes one)
                         (default: $XDG_CONFIG_HOME/noise-chat/server_x25519, created on first use)
  --authorized-keys FILE accept only the client keys listed in FILE (KEY NAME lines;
                         re-read on SIGHUP); without it any client key is accepted`

/** Load the key of a connecting command: --key FILE, or the default one (created, saying so on stderr, on first use). */
export function loadInitiatorKey (keyFile: string | undefined, io: CliIO): Promise<KeyPair> {
  if (keyFile !== undefined) return loadGivenKey(resolve(keyFile))
  return loadOrCreateKeyPair(defaultPaths(io.env).keyFile, { onCreate: (created) => io.stderr.write(createdKeyMessage(created) + '\n') })
}

/** Load the key of a listening command: --key FILE, or the default server key (created, saying so on stderr, on first use). */
export function loadResponderKey (keyFile: string | undefined, io: CliIO): Promise<KeyPair> {
  if (keyFile !== undefined) return loadGivenKey(resolve(keyFile))
  return loadOrCreateKeyPair(join(defaultPaths(io.env).dir, DEFAULT_SERVER_KEY_FILE), { onCreate: (created) => io.stderr.write(createdKeyMessage(created) + '\n') })
}

/**
 * A key named with --key must exist, as with `ssh -i`: a mistyped path
 * would otherwise become a new identity (and a new folder) without a word.
 * Only the default path is created on first use.
 */
async function loadGivenKey (path: string): Promise<KeyPair> {
  try {
    return await loadKeyPair(path)
  } catch (err) {
    if (!isNoiseChatError(err, 'ERR_KEY_FILE_MISSING')) throw err
    throw identityError('ERR_KEY_FILE_MISSING', `--key: no key file at '${path}' (a key given with --key is never created); make it with: noise-chat keygen -f ${shellQuote(path)}`, err)
  }
}

/** The flags of INITIATOR_KEY_OPTIONS as parsed. */
export interface InitiatorTrustFlags {
  'server-key'?: string | undefined
  'accept-new'?: boolean | undefined
  strict?: boolean | undefined
  'known-hosts'?: string | undefined
}

/**
 * Check the trust flags of a connecting command before anything else (a
 * bad pin or contradictory flags are usage errors before a key file is
 * created). initiatorVerifier checks them too; this only lets a command
 * fail first.
 */
export function checkInitiatorFlags (flags: InitiatorTrustFlags): void {
  chooseHostKeyPolicy({ serverKey: flags['server-key'], acceptNew: flags['accept-new'], strict: flags.strict, isTTY: false })
}

/**
 * The connecting side's trust: pin, known hosts with accept-new or strict,
 * or (with `interactive` and a terminal) a question on stderr answered on
 * stdin, as ssh asks, outside any handshake (see openWithHostKeyPolicy).
 * Its `open` dials under that trust and records a new key only once the
 * stream opened. It also refuses a server presenting our own key: two
 * roles, two keys.
 */
export function initiatorTrust (target: HostPort, flags: InitiatorTrustFlags, ownKey: KeyPair, io: CliIO, interactive: boolean): HostKeyTrust {
  return trustFromOptions(trustTarget(target, ownKey, io), trustOptions(flags, io, interactive))
}

/**
 * The connecting side's verify function, for commands that open streams
 * through a bare verify function (tunnel; the web page): the same checks as
 * initiatorTrust, but `accept-new` records inside the handshake, and with
 * `ask` (the web page's question) the asking happens inside it, terminal or
 * not (the page connects again after a late answer).
 */
export function initiatorVerifier (target: HostPort, flags: InitiatorTrustFlags, ownKey: KeyPair, io: CliIO, interactive: boolean, ask?: AskHostKey): VerifyRemoteKey {
  return verifierFromTrustOptions(trustTarget(target, ownKey, io), trustOptions(flags, io, interactive, ask))
}

function trustTarget (target: HostPort, ownKey: KeyPair, io: CliIO): TrustTarget {
  return {
    host: target.host,
    port: target.port,
    env: io.env,
    onRecord: (r) => io.stderr.write(`Recorded the key of ${r.address} (${r.fingerprint}) in ${r.knownHostsFile}\n`),
    onRecordError: (err) => io.stderr.write(`Could not record the key of ${formatHostPort(target)} in known hosts: ${err.message}\n`),
    wrap: (verify) => (remoteKey, info) => {
      if (samePublicKey(remoteKey, ownKey.publicKey)) {
        throw identityError('ERR_PEER_KEY_IS_OURS', `the server presented our own key (${fingerprint(remoteKey)}); a server and its clients must have different keys`)
      }
      return verify(remoteKey, info)
    }
  }
}

function trustOptions (flags: InitiatorTrustFlags, io: CliIO, interactive: boolean, ask?: AskHostKey): TrustOptions {
  return {
    serverKey: flags['server-key'],
    acceptNew: flags['accept-new'],
    strict: flags.strict,
    knownHostsFile: flags['known-hosts'] === undefined ? undefined : resolve(flags['known-hosts']),
    isTTY: ask !== undefined || (interactive && io.stdin.isTTY === true && io.stderr.isTTY === true),
    ask: ask ?? askOnTerminal({ input: io.stdin, output: io.stderr })
  }
}

/** The listening side's trust: authorized keys, or anyone. */
export interface ResponderTrust {
  verify: VerifyRemoteKey
  /** Set when --authorized-keys was given; reload() it on SIGHUP. */
  authorizedKeys: AuthorizedKeys | undefined
}

/**
 * The listening side's verify function: the keys in --authorized-keys, or
 * any key without it. It refuses a client presenting the listener's own
 * key either way: whoever holds that key is the server, not a client.
 */
export async function responderTrust (file: string | undefined, ownKey: KeyPair): Promise<ResponderTrust> {
  const authorizedKeys = file === undefined ? undefined : await AuthorizedKeys.load(resolve(file))
  const base = authorizedKeys?.verifier() ?? acceptAnyKey
  const verify: VerifyRemoteKey = (remoteKey, info) => {
    if (samePublicKey(remoteKey, ownKey.publicKey)) {
      throw identityError('ERR_PEER_KEY_IS_OURS', "the client presented this server's own key; a client must have a key of its own")
    }
    return base(remoteKey, info)
  }
  return { verify, authorizedKeys }
}

/**
 * Lines a listening command prints at start: where, its key, who may
 * connect, and the command that connects with the key pinned
 * (`connectWith` gets the target and the key and returns it).
 */
export function responderBanner (what: string, address: HostPort, keyPair: KeyPair, trust: ResponderTrust, connectWith: (target: string, key: string) => string): string {
  const shownHost = address.host === '0.0.0.0' || address.host === '::' ? 'HOST' : address.host
  const target = shownHost.includes(':') ? `[${shownHost}]:${address.port}` : `${shownHost}:${address.port}`
  const key = encodePublicKey(keyPair.publicKey)
  const who = trust.authorizedKeys === undefined
    ? 'any client key is accepted (give --authorized-keys FILE to allow only listed keys)'
    : `client keys accepted: the ${trust.authorizedKeys.size} in ${trust.authorizedKeys.file}`
  return [
    `${what} on ${target}`,
    `key: ${key} (${fingerprint(keyPair.publicKey)})`,
    who,
    `connect with: ${connectWith(target, key)}`,
    ''
  ].join('\n')
}

/**
 * Re-read authorized keys on SIGHUP, as sshd does, saying on stderr what
 * changed (or why the old set was kept). Returns the function that stops
 * listening for it.
 */
export function reloadOnHangup (keys: AuthorizedKeys, io: CliIO, who: string): () => void {
  const onHup = (): void => {
    keys.reload().then((change) => {
      io.stderr.write(`${who}: reloaded ${keys.file}: ${change.added.length} added, ${change.removed.length} removed\n`)
    }, (err: Error) => io.stderr.write(`${who}: kept the previous authorized keys: ${err.message}\n`))
  }
  process.on('SIGHUP', onHup)
  return () => process.removeListener('SIGHUP', onHup)
}
