import { identityError } from '../errors.js'
import type { VerifyRemoteKey } from '../secure/options.js'
import { formatHostPort, normalizeHost } from '../net/host-port.js'
import { encodePublicKey, fingerprint, isFingerprint, parsePublicKey, samePublicKey } from '../secure/keypair.js'
import { addKnownHost, matchKnownHost, readKnownHosts } from './known-hosts.js'
import type { KnownHost } from './known-hosts.js'
import { shellQuote } from './shell-quote.js'

/** What an `ask` policy's function is asked about: an unknown server and its key. */
export interface HostKeyQuestion {
  host: string
  port: number
  /** `host:port` as known_hosts writes it. */
  address: string
  /** The full SHA256 fingerprint of the presented key. */
  fingerprint: string
  publicKey: Buffer
  /** Where the key is recorded if the answer is yes. */
  knownHostsFile: string
}

/** Decides about an unknown server key (a prompt, a GUI, a config rule). Only `true` trusts it; it is then recorded. */
export type AskHostKey = (question: HostKeyQuestion) => boolean | Promise<boolean>

/**
 * How the initiator treats the server's key:
 * - `strict`: only keys already in known_hosts; an unknown host is refused (ERR_HOST_KEY_UNKNOWN).
 * - `accept-new`: an unknown host's key is recorded on first use and trusted from then on.
 * - `ask`: an unknown host's key is shown to `ask`; yes records it, anything else is ERR_HOST_KEY_DECLINED.
 * - `pinned`: only the given key (base64) or fingerprint (`SHA256:...`); known_hosts is not consulted.
 *
 * Under every policy but `pinned`, a host whose recorded key differs from
 * the presented one is refused (ERR_HOST_KEY_CHANGED). Nothing overrides it:
 * the entry has to be removed (`noise-chat forget`) first.
 */
export type HostKeyPolicy =
  | { mode: 'strict' }
  | { mode: 'accept-new' }
  | { mode: 'ask', ask: AskHostKey }
  | { mode: 'pinned', pin: string | Uint8Array }

/** A key recorded by `accept-new` or a yes from `ask`. */
export interface RecordedHostKey {
  address: string
  fingerprint: string
  knownHostsFile: string
}

export interface HostKeyVerifierOptions {
  /** The host as the user named it (name or address); entries are per name, as in OpenSSH. */
  host: string
  port: number
  policy: HostKeyPolicy
  /** The known_hosts file to read and append to (see defaultPaths). Not read under `pinned`. */
  knownHostsFile: string
  /** Told when a new key was recorded; the CLI prints one line, as ssh does. */
  onRecord?: (recorded: RecordedHostKey) => void
}

/**
 * The initiator's verify function for one `host:port` under `policy`. It
 * re-reads known_hosts on every call, so entries added or removed by other
 * processes count. It resolves to `true` or throws an IdentityError whose
 * message tells the user what happened and what to do; the secure stream
 * makes it the cause of ERR_REMOTE_KEY_REJECTED.
 *
 * A bad pin (neither a key nor a fingerprint) throws ERR_KEY_INVALID here,
 * before any connection is made.
 */
export function hostKeyVerifier (options: HostKeyVerifierOptions): VerifyRemoteKey {
  const { policy } = options
  const host = normalizeHost(options.host)
  if (policy.mode === 'pinned') return pinnedVerifier(host, options.port, policy.pin)
  return async (remoteKey) => {
    const entries = await readKnownHosts(options.knownHostsFile)
    const match = matchKnownHost(entries, host, options.port, remoteKey)
    if (match.status === 'known') return true
    if (match.status === 'changed') throw hostKeyChangedError(host, options.port, remoteKey, match.entries, options.knownHostsFile)
    const question: HostKeyQuestion = {
      host,
      port: options.port,
      address: formatHostPort(host, options.port),
      fingerprint: fingerprint(remoteKey),
      publicKey: Buffer.from(remoteKey),
      knownHostsFile: options.knownHostsFile
    }
    if (policy.mode === 'strict') throw hostKeyUnknownError(question)
    if (policy.mode === 'ask' && (await policy.ask(question)) !== true) {
      throw identityError('ERR_HOST_KEY_DECLINED', `the key of ${question.address} (${question.fingerprint}) was declined; nothing was recorded`)
    }
    await addKnownHost(options.knownHostsFile, host, options.port, remoteKey, `first seen ${new Date().toISOString().slice(0, 10)}`)
    options.onRecord?.({ address: question.address, fingerprint: question.fingerprint, knownHostsFile: options.knownHostsFile })
    return true
  }
}

/** A pin as given (base64 key or SHA256 fingerprint), checked; throws ERR_KEY_INVALID for anything else. */
export function parseHostKeyPin (pin: string | Uint8Array): { fingerprint: string, publicKey?: Buffer } {
  if (typeof pin !== 'string') {
    const publicKey = Buffer.from(pin)
    if (publicKey.byteLength !== 32) throw identityError('ERR_KEY_INVALID', `a pinned key is 32 bytes, got ${publicKey.byteLength}`)
    return { fingerprint: fingerprint(publicKey), publicKey }
  }
  const text = pin.trim()
  if (isFingerprint(text)) return { fingerprint: text }
  if (text.startsWith('SHA256:')) {
    throw identityError('ERR_KEY_INVALID', `'${text}' is not a full fingerprint: SHA256: is followed by 43 characters of base64 (the short form is for display only)`)
  }
  const publicKey = parsePublicKey(text)
  return { fingerprint: fingerprint(publicKey), publicKey }
}

/** The changed-key error: both fingerprints, the file and line of each old entry, and the command that removes them. */
export function hostKeyChangedError (host: string, port: number, presented: Uint8Array, recorded: KnownHost[], knownHostsFile: string): Error {
  const address = formatHostPort(host, port)
  const rule = '@'.repeat(66)
  const lines = [
    rule,
    `@  WARNING: THE KEY OF ${address} HAS CHANGED!`.padEnd(65) + '@',
    rule,
    'The server presented a key different from the one you recorded for it.',
    'Someone may be intercepting this connection (a machine in the middle),',
    'or the server was given a new key. The connection was refused.',
    ...recorded.map((e) => `  recorded key:  ${fingerprint(e.publicKey)}  (${knownHostsFile}:${e.line})`),
    `  presented key: ${fingerprint(presented)}`,
    'If the operator of the server confirms the new fingerprint, remove the old entry with',
    `  ${forgetHostCommand(host, port, knownHostsFile)}`,
    'and connect again: the new key is then treated as a first-time key.',
    'Nothing else overrides this check.'
  ]
  return identityError('ERR_HOST_KEY_CHANGED', lines.join('\n'))
}

/** The exact command that removes `host:port` from `knownHostsFile`. */
export function forgetHostCommand (host: string, port: number, knownHostsFile: string): string {
  return `noise-chat forget ${shellQuote(formatHostPort(host, port))} --known-hosts ${shellQuote(knownHostsFile)}`
}

function pinnedVerifier (host: string, port: number, pin: string | Uint8Array): VerifyRemoteKey {
  const expected = parseHostKeyPin(pin)
  return (remoteKey) => {
    const matches = expected.publicKey !== undefined
      ? samePublicKey(expected.publicKey, remoteKey)
      : fingerprint(remoteKey) === expected.fingerprint
    if (matches) return true
    throw identityError('ERR_HOST_KEY_MISMATCH', [
      `the key of ${formatHostPort(host, port)} is not the pinned one; the connection was refused.`,
      `  expected:  ${expected.fingerprint}`,
      `  presented: ${fingerprint(remoteKey)} (${encodePublicKey(remoteKey)})`,
      'Someone may be intercepting this connection, or the pin is wrong: check it with the',
      "server's operator (on the server: noise-chat fingerprint)."
    ].join('\n'))
  }
}

function hostKeyUnknownError (q: HostKeyQuestion): Error {
  return identityError('ERR_HOST_KEY_UNKNOWN', [
    `${q.address} is not in your known hosts (${q.knownHostsFile}) and unknown hosts are refused.`,
    `  its key: ${q.fingerprint} (${encodePublicKey(q.publicKey)})`,
    `Check that fingerprint with the server's operator (on the server: noise-chat fingerprint), then`,
    `connect with --server-key ${q.fingerprint} to pin it, or with --accept-new to record it on first use.`
  ].join('\n'))
}
